"""Every job's parameters are declared once, in its spec; the worker, the CLI and Blender must agree.

Walks every spec of ``protocol/specs``: the worker's validation enforces each declared default, limit
and choice; every CLI option built from a spec offers the same choices, leaves the default to the
spec and refuses out-of-range values naming its flag; every registered Blender property built from a
spec has the same default, limits and items. A capability added later is walked the same way, so it
cannot drift. Last, each capability's panels are drawn on real scene data: drawing must write
nothing, neither the scene's settings nor a copy of a setting into an operator button (which would
defeat the settings rule).
"""

import argparse
import inspect
import math
import types

import pytest

from neural_render.protocol.specs import SPECS, ParamError
from neural_render.protocol.specs.params import BOOL, CHOICE, FLOAT, FLOATS, INT, INTS, PATH, TEXT, WEIGHTS

ALL_PARAMS = [(spec, param) for spec in SPECS.values() for param in spec.params]
IDS = [f"{spec.kind}.{param.name}" for spec, param in ALL_PARAMS]


# -- the worker ---------------------------------------------------------------------------------
@pytest.mark.parametrize("spec, param", ALL_PARAMS, ids=IDS)
def test_the_worker_applies_the_default_and_refuses_what_the_spec_refuses(spec, param):
    required = {p.name: _valid_value(p) for p in spec.params if p.required}
    checked = spec.validate(dict(required))
    if not param.required:
        assert checked[param.name] == param.default
    for bad in _invalid_values(param):
        with pytest.raises(ParamError) as caught:
            spec.validate(dict(required, **{param.name: bad}))
        assert caught.value.name == param.name and param.name in str(caught.value)
    good = _valid_value(param)
    if param.type != "object":
        assert spec.validate(dict(required, **{param.name: good}))[param.name] == good


def test_every_spec_has_a_registered_job_and_every_job_a_spec():
    from neural_render.worker import jobs
    jobs.load_job_packages()
    product = set(SPECS)
    registered = {name for name in jobs.names() if not name.startswith("test.")}
    assert registered == product
    for name in product:
        assert jobs.find(name).spec is SPECS[name]


def _valid_value(param):
    if param.type == CHOICE:
        return param.values[-1]
    if param.type in (FLOAT, INT):
        value = param.high if param.high is not None else (param.low if param.low is not None else 1)
        return float(value) if param.type == FLOAT else int(value)
    if param.type == BOOL:
        return not param.default if param.default is not None else True
    if param.type in (PATH, TEXT):
        return "/tmp/x"
    if param.type == WEIGHTS:
        return {param.keys[0]: float(param.high)}
    if param.type in (FLOATS, INTS):
        return [param.low if param.low is not None else 0] * 2 if param.type == INTS else [float(param.low or 0.0)]
    return []  # OBJECT: the job checks its structure


def _invalid_values(param):
    if param.type == CHOICE:
        return ["no such choice", 3]
    if param.type in (FLOAT, INT):
        bad = ["3", True, math.nan, math.inf]
        if param.low is not None:
            bad.append(param.low - 1)
        if param.high is not None:
            bad.append(param.high + 1)
        if param.type == INT:
            bad.append(1.5)
        return bad
    if param.type == BOOL:
        return ["yes", 1]
    if param.type == PATH:
        return ["", 5]
    if param.type == WEIGHTS:
        return [{"no_such_layer": 1.0}, {param.keys[0]: param.high + 1}, [1, 2]]
    if param.type in (FLOATS, INTS):
        return ["1, 2", [math.nan]] + ([[param.low - 1]] if param.low is not None else [])
    return []


# -- the command line ---------------------------------------------------------------------------
def _subcommand_parsers():
    from cli import main
    parser = main.build_parser()
    subparsers = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    return subparsers.choices


def _spec_options():
    found = []
    for command, parser in _subcommand_parsers().items():
        for spec, names in getattr(parser, "spec_options", []):
            found.extend((command, parser, spec, name) for name in names)
    return found


def test_the_cli_builds_options_from_the_specs_of_every_capability():
    commands = {command for command, _, _, _ in _spec_options()}
    assert {"stylize", "relight", "colorize", "gan-train", "gan-generate"} <= commands


@pytest.mark.parametrize("command, parser, spec, name", _spec_options(),
                         ids=[f"{c}:{n}" for c, _, _, n in _spec_options()])
def test_cli_options_agree_with_their_spec(command, parser, spec, name):
    from cli import spec_options
    from cli.main import CliInputError
    param = spec[name]
    action = next(action for action in parser._actions if action.dest == spec_options.dest(param))
    assert param.flag in action.option_strings
    assert action.default is None, "the CLI leaves defaults to the spec, so they cannot differ"
    if param.type == CHOICE:
        assert tuple(action.choices) == param.values
    if param.default is not None and param.type in (FLOAT, INT):
        assert str(param.default) in action.help, "--help quotes the spec's default"
    for bad in _invalid_values(param):
        if param.type in (FLOAT, INT) and isinstance(bad, (int, float)) and not isinstance(bad, bool) \
                and math.isfinite(bad) and (param.type == FLOAT or bad == int(bad)):
            args = argparse.Namespace(**{spec_options.dest(p): None for p in spec.params})
            setattr(args, spec_options.dest(param), bad)
            extra = {p.name: _valid_value(p) for p in spec.params if p.required}
            with pytest.raises(CliInputError) as caught:
                spec_options.params(args, spec, extra)
            assert param.flag in str(caught.value), "the refusal names the flag the user typed"


# -- Blender ------------------------------------------------------------------------------------
def _spec_classes():
    from neural_render.blender import registration
    return [cls for cls in registration.CLASSES if getattr(cls, "spec_names", None)]


def test_every_capability_builds_blender_properties_from_its_spec():
    kinds = {kind.split(".")[0] for cls in _spec_classes() for kind in cls.spec_fields}
    assert {"stylize", "relight", "colorize", "gan", "stylegan"} <= kinds


def _spec_fields():
    return [(cls, kind, name) for cls in _spec_classes() for kind, names in cls.spec_fields.items() for name in names]


def _rna_properties(cls):
    """A PropertyGroup's RNA properties, or an operator's (those live on its bpy.ops type)."""
    import bpy
    if issubclass(cls, bpy.types.Operator):
        module, _, name = cls.bl_idname.partition(".")
        return getattr(getattr(bpy.ops, module), name).get_rna_type().properties
    return cls.bl_rna.properties


@pytest.mark.parametrize("cls, kind, name", _spec_fields(),
                         ids=[f"{cls.__name__}:{kind}.{name}" for cls, kind, name in _spec_fields()])
def test_blender_properties_agree_with_their_spec(addon, cls, kind, name):
    param = SPECS[kind][name]
    rna = _rna_properties(cls)[name]
    if param.type == CHOICE:
        assert tuple(item.identifier for item in rna.enum_items) == param.values
        assert rna.default == param.default
    elif param.type == BOOL:
        assert rna.default == param.default
    elif param.type in (FLOAT, INT):
        if param.default is not None:
            assert rna.default == pytest.approx(param.default)
        if param.high is not None:
            assert rna.hard_max == pytest.approx(min(param.high, 2 ** 31 - 1), rel=1e-6)
        if param.low is not None and param.default is not None:
            assert rna.hard_min == pytest.approx(param.low, rel=1e-6)
        elif param.low is not None:  # optional: the UI's 0 means "not given", anything else is in range
            assert rna.hard_min in (0, pytest.approx(param.low, rel=1e-6))
    elif param.type == WEIGHTS:
        assert tuple(rna.default_array) == tuple(param.default[key] for key in param.keys)
        assert (rna.hard_min, rna.hard_max) == (param.low, param.high)
    assert rna.description.startswith(param.description[:40])


# -- panels draw without writing ----------------------------------------------------------------
class _Recorder:
    """Stands in for a UILayout: records what a panel's draw() asks for, checks each property it
    draws exists on the real data, and returns a recorder for each operator button."""

    def __init__(self, log):
        self._log = log

    def __getattr__(self, name):
        def call(*args, **kwargs):
            self._log.append((name, args, kwargs))
            if name in ("prop", "prop_search", "template_ID", "template_ID_preview", "template_list"):
                data, prop = (args[0], args[1]) if name != "template_list" else (args[2], args[3])
                assert data.bl_rna.properties.get(prop) is not None, f"draw() shows a missing property {prop!r}"
            if name == "operator":
                return _ButtonRecorder(args[0], self._log)
            return _Recorder(self._log)
        return call


class _ButtonRecorder:
    def __init__(self, idname, log):
        object.__setattr__(self, "idname", idname)
        object.__setattr__(self, "log", log)

    def __setattr__(self, name, value):
        self.log.append(("set", (self.idname, name, value), {}))


def _panel_classes():
    from neural_render.blender import registration
    import bpy
    return [cls for cls in registration.CLASSES if issubclass(cls, bpy.types.Panel)]


def _settings_snapshot(scene):
    snapshot = {}
    for name in dir(scene):
        if name.startswith("neural_render_"):
            group = getattr(scene, name)
            for prop in group.bl_rna.properties:
                if prop.identifier != "rna_type" and prop.type not in ("COLLECTION", "POINTER"):
                    value = getattr(group, prop.identifier)
                    snapshot[(name, prop.identifier)] = tuple(value) if hasattr(value, "__len__") and \
                        not isinstance(value, str) else value
    return snapshot


@pytest.mark.parametrize("space", ["IMAGE_EDITOR", "NODE_EDITOR_SHADER", "NODE_EDITOR_COMPOSITOR", "PROPERTIES"])
def test_panels_draw_on_real_data_and_write_nothing(addon, space):
    import bpy
    image = bpy.data.images.new("NR draw test", 8, 8)
    scene = bpy.context.scene
    tree_type = {"NODE_EDITOR_SHADER": "ShaderNodeTree", "NODE_EDITOR_COMPOSITOR": "CompositorNodeTree"}.get(space, "")
    space_data = types.SimpleNamespace(type=space.split("_EDITOR")[0] + ("_EDITOR" if "EDITOR" in space else ""),
                                       image=image, tree_type=tree_type, edit_tree=None)
    context = types.SimpleNamespace(scene=scene, window_manager=bpy.context.window_manager,
                                    view_layer=bpy.context.view_layer, space_data=space_data,
                                    active_object=None, preferences=bpy.context.preferences)
    before = _settings_snapshot(scene)
    drawn = 0
    for cls in _panel_classes():
        if cls.bl_space_type != space.split("_EDITOR")[0] + ("_EDITOR" if "EDITOR" in space else ""):
            continue
        if hasattr(cls, "poll") and not cls.poll(context):
            continue
        log = []
        _PanelProxy(cls, _Recorder(log)).draw(context)
        drawn += 1
        for kind, args, _ in log:
            if kind == "set":
                idname, name, _value = args
                assert idname.startswith("neural_render."), f"{cls.__name__} sets properties of {idname}"
                operator = _operator_class(idname)
                assert name in _rna_properties(operator), f"{cls.__name__} sets a missing property {name}"
                resolved = set(getattr(operator, "spec_names", ())) | _settings_names(scene)
                assert name not in resolved, (f"{cls.__name__}.draw() copies the setting {name!r} into "
                                              f"{idname}: the operator must resolve it at submit")
    assert drawn, f"no panel of {space} was drawn"
    assert _settings_snapshot(scene) == before, "drawing a panel changed the scene's settings"
    bpy.data.images.remove(image)


def _settings_names(scene):
    return {prop for (_, prop) in _settings_snapshot(scene)}


def _operator_class(idname):
    from neural_render.blender import registration
    return next(cls for cls in registration.CLASSES if getattr(cls, "bl_idname", "") == idname)


class _PanelProxy:
    """A panel's own class methods bound to an object whose ``layout`` is the recorder."""

    def __init__(self, cls, layout):
        self._cls = cls
        self.layout = layout

    def __getattr__(self, name):
        value = getattr(self._cls, name)
        return types.MethodType(value, self) if inspect.isfunction(value) else value


@pytest.mark.parametrize("mode, model, propagation, expected", [
    ("AUTO", "bundled", "network", "Texture colorizer"),
    ("AUTO", "released", "network", "Zhang et al. 2016 release"),
    ("SCRIBBLES", "bundled", "network", "Hint colorizer"),
])
def test_the_colorize_panel_names_the_model_in_use_and_its_training_data(addon, mode, model, propagation, expected):
    import bpy

    from neural_render.blender.colorize.panels import NEURALRENDER_PT_colorize_image
    from neural_render.protocol import model_cards
    image = bpy.data.images.new("NR card test", 8, 8)
    settings = bpy.context.scene.neural_render_colorize
    before = (settings.mode, settings.model, settings.propagation, settings.weights_path)
    settings.mode, settings.model, settings.propagation, settings.weights_path = mode, model, propagation, ""
    space_data = types.SimpleNamespace(type="IMAGE_EDITOR", image=image, tree_type="", edit_tree=None)
    context = types.SimpleNamespace(scene=bpy.context.scene, window_manager=bpy.context.window_manager,
                                    view_layer=bpy.context.view_layer, space_data=space_data, active_object=None,
                                    preferences=bpy.context.preferences)
    try:
        log = []
        _PanelProxy(NEURALRENDER_PT_colorize_image, _Recorder(log)).draw(context)
        labels = [kwargs.get("text", "") for kind, _, kwargs in log if kind == "label"]
        assert any(expected in label for label in labels), labels
        if model == "bundled":
            name = "texture_colorizer" if mode == "AUTO" else "hint_colorizer"
            assert any(model_cards.card(name)["trained_on"] == label for label in labels), labels
    finally:
        settings.mode, settings.model, settings.propagation, settings.weights_path = before
        bpy.data.images.remove(image)
