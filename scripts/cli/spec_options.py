"""Command-line options built from a job's parameter spec (``protocol/specs``): each option's flag,
type, choices, default and help text come from the parameter it sets, so the CLI cannot drift from
the worker. A subcommand adds the options of the parameters it offers, then turns the parsed
arguments back into job parameters:

    spec_options.add(parser, spec.IMAGE, ("preset", "strength", ...))
    params = spec_options.params(args, spec.IMAGE)

Options default to "not given" (argparse's None): the job then applies the spec's default, which
``--help`` quotes. Values are checked against the spec before any work starts; a bad one is one line
naming the flag (exit 2).
"""

import argparse
import os

from neural_render.protocol.specs import ParamError
from neural_render.protocol.specs.params import BOOL, CHOICE, FLOAT, FLOATS, INT, INTS, PATH, TEXT, WEIGHTS

from .main import CliInputError

_DEST_PREFIX = "param_"


def dest(param):
    return _DEST_PREFIX + param.name


def _help(param):
    parts = [param.description]
    limits = param.limits_text() if param.type != CHOICE else ""
    if limits:
        parts.append(limits)
    if param.default is not None and param.type not in (BOOL, WEIGHTS):
        unit = f" {param.unit}" if param.unit and param.type in (FLOAT, INT) else ""
        parts.append(f"default {param.default}{unit}")
    return "; ".join(parts).replace("%", "%%")


def add(parser, spec, names):
    """Add an option for each parameter of ``spec`` named in ``names`` (all must have a flag)."""
    parser.__dict__.setdefault("spec_options", []).append((spec, tuple(names)))  # for test_specs
    for name in names:
        param = spec[name]
        if param.flag is None:
            raise ValueError(f"{spec.kind}: parameter {name} has no command-line flag")
        common = {"dest": dest(param), "default": None, "help": _help(param)}
        metavar = param.unit.upper() if param.unit and param.unit.isalpha() else None
        if param.type == BOOL:
            parser.add_argument(param.flag, action=argparse.BooleanOptionalAction, **common)
        elif param.type == CHOICE:
            parser.add_argument(param.flag, choices=param.values, **common)
        elif param.type in (FLOAT, INT):
            parser.add_argument(param.flag, type=float if param.type == FLOAT else _whole_number,
                                metavar=metavar or ("N" if param.type == INT else "X"), **common)
        elif param.type in (FLOATS, INTS):
            parser.add_argument(param.flag, type=float if param.type == FLOATS else _whole_number,
                                action="append", metavar="N" if param.type == INTS else "X", **common)
        elif param.type == WEIGHTS:
            parser.add_argument(param.flag, action="append", metavar="NAME=W",
                                help=_help(param) + f" (repeatable; names: {', '.join(param.keys)}; "
                                     "unnamed ones get 0 once any is given)", **{
                                         k: v for k, v in common.items() if k != "help"})
        elif param.type in (PATH, TEXT):
            parser.add_argument(param.flag, metavar=param.title.upper().replace(" ", "_"), **common)
        else:
            raise ValueError(f"{spec.kind}: parameter {name} of type {param.type} cannot be an option")


def _whole_number(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid whole number: {text!r}") from None


def _weights(param, pairs):
    weights = {key: 0.0 for key in param.keys}
    for pair in pairs:
        name, _, value = pair.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise CliInputError(f"{param.flag} takes NAME=WEIGHT (e.g. {param.keys[0]}=0.5), got '{pair}'") from None
    return weights


def params(args, spec, extra=None):
    """The job parameters the user gave (plus ``extra``), checked against ``spec`` now: a bad value
    is refused before any work, in words that name the flag. Paths become absolute."""
    given = dict(extra or {})
    for param in spec.params:
        value = getattr(args, dest(param), None)
        if value is None:
            continue
        if param.type == WEIGHTS:
            value = _weights(param, value)
        elif param.type == PATH:
            value = os.path.abspath(os.path.expanduser(value))
        given[param.name] = value
    try:
        spec.validate(given)
    except ParamError as error:
        raise CliInputError(flag_message(spec, error)) from None
    return given


def flag_message(spec, error):
    """A spec's error message with the parameter's name replaced by its flag, as the user typed it."""
    text = str(error)
    if error.name in spec and spec[error.name].flag:
        text = text.replace(error.name, spec[error.name].flag, 1)
    return text


DEVICE_VARIABLE = "NEURAL_RENDER_DEVICE"


def _device(text):
    """auto, cpu, cuda, mps, or cuda:N (one GPU of several, as a farm node assigns them)."""
    from neural_render.protocol.specs.common import DEVICES
    value = text.strip().lower()
    kind, _, index = value.partition(":")
    if value in DEVICES or (kind == "cuda" and index.isdigit()):
        return value
    raise argparse.ArgumentTypeError(f"unknown device {text!r}: choose one of {', '.join(DEVICES)} or cuda:N")


def device_option(parser):
    """``--device``, from the shared device choice; without it $NEURAL_RENDER_DEVICE (a farm node's GPU
    assignment), else automatic -- resolved by ``chosen_device`` when the job starts."""
    from neural_render.protocol.specs.common import DEVICE, DEVICES
    parser.add_argument("--device", default=None, type=_device, metavar="DEVICE",
                        help=f"{DEVICE.description}; {', '.join(DEVICES)} or cuda:N (one GPU of several); "
                             f"default ${DEVICE_VARIABLE} or {DEVICE.default}")


def chosen_device(value):
    """The --device value, else $NEURAL_RENDER_DEVICE checked like the flag, else the default."""
    from neural_render.protocol.specs.common import DEVICE
    if value is not None:
        return value
    text = os.environ.get(DEVICE_VARIABLE, "").strip()
    if not text:
        return DEVICE.default
    try:
        return _device(text)
    except argparse.ArgumentTypeError as error:
        raise CliInputError(f"${DEVICE_VARIABLE}: {error}") from None
