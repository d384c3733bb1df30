"""The vocabulary of a job's parameters: each declared once, read by the worker, the CLI and Blender.

A ``Param`` says what a parameter is (its type, default, range or choices, unit and a one-line
description). A ``JobSpec`` lists a job kind's parameters and checks a request against them. From
the same declarations the worker validates requests (``JobSpec.validate``), the command line builds
its options and ``--help`` (``scripts/cli/spec_options.py``) and the Blender side builds its scene
settings and operator properties (``addon/blender/spec_properties.py``); ``test_specs`` walks every
spec and proves the three agree, so a later capability cannot drift.

Pure: standard library only. Both processes import it.
"""

import copy
import math
from dataclasses import dataclass, field

# Parameter types. "object" is a structured value (per-frame lists, node settings) that only
# programs send: the spec declares it, the job checks its shape; neither CLI nor panel edits it.
FLOAT, INT, BOOL, CHOICE, PATH, TEXT, FLOATS, INTS, WEIGHTS, OBJECT = (
    "float", "int", "bool", "choice", "path", "text", "floats", "ints", "weights", "object")
_TYPES = (FLOAT, INT, BOOL, CHOICE, PATH, TEXT, FLOATS, INTS, WEIGHTS, OBJECT)


class ParamError(ValueError):
    """A request's parameter is missing, unknown, of the wrong type or out of range; ``name`` says which."""

    def __init__(self, name, message):
        super().__init__(message)
        self.name = name


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    description: str = ""


@dataclass(frozen=True)
class Param:
    """One parameter of a job kind.

    ``default`` None means optional with no value (the job decides, e.g. "the content's size").
    ``low``/``high`` bound numbers (and every item of a number list or weights mapping). ``keys``
    names a weights mapping's entries, in the order panels show them. ``cli``: the flag, or "" for
    none (default ``--name-with-dashes``); ``panel``: Blender builds a scene setting and operator
    property for it.
    """
    name: str
    type: str
    description: str
    default: object = None
    low: float = None
    high: float = None
    choices: tuple = ()
    keys: tuple = ()
    unit: str = ""
    label: str = ""
    required: bool = False
    cli: str = None
    panel: bool = False
    soft_high: float = None     # a slider's comfortable upper end in the UI (the hard limit stays `high`)

    def __post_init__(self):
        if self.type not in _TYPES:
            raise ValueError(f"parameter {self.name}: unknown type {self.type!r}")
        if self.type == CHOICE and self.default is not None and self.default not in self.values:
            raise ValueError(f"parameter {self.name}: default {self.default!r} is not a choice")

    @property
    def values(self):
        return tuple(choice.value for choice in self.choices)

    @property
    def title(self):
        return self.label or self.name.replace("_", " ").title()

    @property
    def flag(self):
        if self.cli == "":
            return None
        return self.cli or "--" + self.name.replace("_", "-")

    def limits_text(self):
        """'16 to 16384 px', 'fast, default or quality' -- for help texts and error messages."""
        if self.type == CHOICE:
            return ", ".join(self.values)
        if self.low is None and self.high is None:
            return ""
        unit = f" {self.unit}" if self.unit else ""
        low = "-inf" if self.low is None else _number_text(self.low)
        high = "inf" if self.high is None else _number_text(self.high)
        return f"{low} to {high}{unit}"

    # -- checking one value -------------------------------------------------------------------
    def check(self, value, where=None):
        """The value, checked (and ints/floats normalised); ParamError naming ``where`` otherwise."""
        name = where or self.name
        if self.type == FLOAT:
            return self._number(value, float, name)
        if self.type == INT:
            return self._number(value, int, name)
        if self.type == BOOL:
            if not isinstance(value, bool):
                raise ParamError(self.name, f"{name} must be true or false, got {value!r}")
            return value
        if self.type == CHOICE:
            if value not in self.values:
                raise ParamError(self.name, f"{name} must be one of {self.limits_text()}, got {value!r}")
            return value
        if self.type in (PATH, TEXT):
            if not isinstance(value, str) or (self.type == PATH and not value):
                what = "a file or folder path" if self.type == PATH else "text"
                raise ParamError(self.name, f"{name} must be {what}, got {value!r}")
            return value
        if self.type in (FLOATS, INTS):
            if not isinstance(value, (list, tuple)):
                raise ParamError(self.name, f"{name} must be a list of numbers, got {value!r}")
            kind = float if self.type == FLOATS else int
            return [self._number(item, kind, f"{name}[{index}]") for index, item in enumerate(value)]
        if self.type == WEIGHTS:
            if not isinstance(value, dict) or not value:
                raise ParamError(self.name, f"{name} must map some of {', '.join(self.keys)} to numbers, "
                                            f"got {value!r}")
            unknown = [key for key in value if key not in self.keys]
            if unknown:
                raise ParamError(self.name, f"{name}: unknown entries {', '.join(map(str, unknown))}; "
                                            f"known: {', '.join(self.keys)}")
            return {key: self._number(item, float, f"{name}[{key}]") for key, item in value.items()}
        return value  # OBJECT: the job checks its structure

    def _number(self, value, kind, name):
        integral = kind is int
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                integral and isinstance(value, float) and not (math.isfinite(value) and value == int(value))):
            raise ParamError(self.name, f"{name} must be a {'whole ' if integral else ''}number, got {value!r}")
        if not math.isfinite(value) or (self.low is not None and value < self.low) or (
                self.high is not None and value > self.high):
            raise ParamError(self.name, f"{name} must be from {self.limits_text()}, got {value}")
        return kind(value)


def _number_text(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class JobSpec:
    """A job kind: its name, what it does, its parameters, and (as prose) its inputs and outputs."""
    kind: str
    summary: str
    params: tuple
    inputs: str = ""
    outputs: str = ""
    _by_name: dict = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        names = [param.name for param in self.params]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"job {self.kind}: parameters declared twice: {', '.join(duplicates)}")
        object.__setattr__(self, "_by_name", {param.name: param for param in self.params})

    def __getitem__(self, name):
        return self._by_name[name]

    def __contains__(self, name):
        return name in self._by_name

    def names(self):
        return tuple(self._by_name)

    def defaults(self):
        return {param.name: param.default for param in self.params}

    def validate(self, params):
        """Every parameter checked; absent ones take their defaults (None: not given). Unknown names
        are refused: a misspelt parameter must not be silently ignored."""
        if not isinstance(params, dict):
            raise ParamError(None, f"{self.kind}: params must be an object, got {type(params).__name__}")
        unknown = sorted(name for name in params if name not in self._by_name)
        if unknown:
            raise ParamError(unknown[0], f"{self.kind} has no parameter {', '.join(map(repr, unknown))}")
        checked = {}
        for param in self.params:
            value = params.get(param.name)
            if value is None:
                if param.required:
                    raise ParamError(param.name, f"{param.name} is required: {param.description}")
                checked[param.name] = copy.deepcopy(param.default)  # a job may change its copy
            else:
                checked[param.name] = param.check(value)
        return checked


def merged(*groups):
    """Parameter tuples of several groups as one (shared groups, e.g. the colour handling of a job family)."""
    return tuple(param for group in groups for param in group)
