"""Blender properties built from a job's parameter spec (``protocol/specs``), and the one settings rule.

Each capability's panel settings (a PropertyGroup on the scene) and its operators' properties are
made here from the same ``Param`` declarations the worker validates against, so names, defaults,
limits, choices and tooltips agree by construction (``test_specs`` checks it on the registered classes).

The settings rule, for every capability: **an operator property left unset takes the panel's scene
setting**, resolved once at submit time by ``resolve``. So a script calling
``bpy.ops.neural_render.x('EXEC_DEFAULT')`` honours the panel exactly like the panel's button does,
a keyword given by the caller wins, and no panel ``draw()`` copies anything into an operator.
Operator properties are ``SKIP_SAVE``: Blender's "last used" memory must not pass for "set by the
caller".
"""

import bpy

from ..protocol.specs.params import BOOL, CHOICE, FLOAT, INT, PATH, TEXT, WEIGHTS

_SUBTYPES = {"px": "PIXEL", "deg": "NONE", "s": "TIME_ABSOLUTE"}


def property_for(param, operator=False, **overrides):
    """The bpy property that edits ``param``: a scene setting, or with ``operator`` an operator's."""
    options = {"SKIP_SAVE"} if operator else set()
    common = {"name": param.title, "description": param.description, "options": options}
    if param.type == BOOL:
        made = dict(common, default=bool(param.default))
        factory = bpy.props.BoolProperty
    elif param.type == CHOICE:
        made = dict(common, items=[(choice.value, choice.label, choice.description) for choice in param.choices],
                    default=param.default)
        factory = bpy.props.EnumProperty
    elif param.type in (FLOAT, INT):
        integral = param.type == INT
        low = param.low
        if _zero_means_unset(param):  # an optional number: 0 in the UI means "not given"
            low = 0
            common["description"] = f"{param.description} (0: not given)"
        default = param.default if param.default is not None else 0
        made = dict(common, default=int(default) if integral else float(default))
        for key, value in (("min", low), ("max", param.high), ("soft_max", param.soft_high)):
            if value is not None:
                made[key] = _clamped_int(value) if integral else float(value)
        if not integral and param.unit in _SUBTYPES:
            made["subtype"] = _SUBTYPES[param.unit]
        if not integral and param.low == 0.0 and param.high == 1.0:
            made["subtype"] = "FACTOR"
        factory = bpy.props.IntProperty if integral else bpy.props.FloatProperty
    elif param.type == WEIGHTS:
        made = dict(common, size=len(param.keys), default=tuple(float(param.default[key]) for key in param.keys),
                    min=float(param.low), max=float(param.high),
                    description=f"{param.description} ({', '.join(param.keys)})")
        factory = bpy.props.FloatVectorProperty
    elif param.type in (PATH, TEXT):
        made = dict(common, default=param.default or "")
        if param.type == PATH:
            made["subtype"] = "FILE_PATH"
        factory = bpy.props.StringProperty
    else:
        raise ValueError(f"parameter {param.name} of type {param.type} has no Blender property")
    made.update(overrides)
    return factory(**made)


def _zero_means_unset(param):
    return param.type in (FLOAT, INT) and param.default is None and param.low is not None and param.low > 0


def _clamped_int(value):
    """Blender's IntProperty is 32-bit: wider spec limits are clamped to what it can hold."""
    return int(max(-(2 ** 31), min(2 ** 31 - 1, value)))


def annotate(cls, spec, names, operator=False, **overrides_by_name):
    """Give ``cls`` (a PropertyGroup or Operator, before registration) a property per parameter in
    ``names``; its own annotations (Blender-only properties) are kept. A class may take parameters
    of several specs (the GAN panel edits training and generation): call once per spec."""
    own = dict(cls.__dict__.get("__annotations__", {}))
    made = {name: property_for(spec[name], operator, **overrides_by_name.get(name, {})) for name in names}
    cls.__annotations__ = {**made, **own}
    # Which spec parameters the class carries: resolved_params uses them, test_specs checks them.
    fields = dict(cls.__dict__.get("spec_fields", {}))
    fields[spec.kind] = tuple(names)
    cls.spec_fields = fields
    cls.spec_names = tuple(name for group in fields.values() for name in group)
    return cls


def panel_names(spec):
    """The parameters of ``spec`` the panel edits, in declaration order."""
    return tuple(param.name for param in spec.params if param.panel)


def resolve(operator, settings, name):
    """The settings rule: the operator's value if its caller set it, else the panel's scene setting
    (else the operator's own default, when there is no panel setting of that name)."""
    if operator.properties.is_property_set(name) or settings is None or not hasattr(settings, name):
        return getattr(operator, name)
    return getattr(settings, name)


def job_value(spec, name, value):
    """A Blender property value as the job parameter: vectors become the spec's weights mapping,
    empty paths mean "not given", paths are made absolute."""
    param = spec[name]
    if param.type == WEIGHTS:
        return {key: float(weight) for key, weight in zip(param.keys, value)}
    if param.type == PATH:
        return bpy.path.abspath(value) if value else None
    if _zero_means_unset(param) and value == 0:
        return None
    if param.type == FLOAT:
        # Blender stores floats in 32 bits: 0.01 comes back as 0.0099999998, below a 0.01 limit.
        return float(f"{value:.7g}")
    return value


def resolved_params(operator, settings, spec, names=None):
    """Job parameters for ``names`` (default: the operator's properties of ``spec``) under the settings
    rule; parameters left empty are omitted so the worker applies the spec's default."""
    params = {}
    for name in names or operator.spec_fields[spec.kind]:
        value = job_value(spec, name, resolve(operator, settings, name))
        if value is not None:
            params[name] = value
    return params
