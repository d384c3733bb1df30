"""Relight Image inside real Blender (the bpy module) with the real worker process: registration, poll,
the panels drawn on real data, the operator on a small image under an HDRI world (its Mapping rotation
and Background strength read as the light-stage relighting reads them), re-runs that replace, the
panel's settings as the operator's defaults, the animation over a keyframed world, a multi-layer EXR's
chosen layer, and refusals that are reports."""

import math
import os
import types

import bpy
import numpy as np
import OpenEXR
import pytest

import neural_render.worker.relight_image  # noqa: F401  (registers the job the references run in process)

from fixtures.relight_scene import set_hdri_world
from job_runner import run_job
from neural_render.blender import compositor, datablocks
from neural_render.blender.relight_image import operators, panels
from neural_render.protocol import model_cards
from neural_render.protocol.specs import relight_image as spec
from neural_render.worker import jobs
from neural_render.worker.imageio.files import read_image

HEIGHT, WIDTH = 48, 64
ROTATION_DEG, STRENGTH = 37.0, 1.7
RESULT = datablocks.result_name("Relit", "subject")


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """The in-process reference jobs run on one torch thread (see conftest)."""


def subject_pixels():
    """Top-first premultiplied RGBA: a disc shaded from the left on transparency (a cut-out subject)."""
    rows, columns = np.mgrid[0:HEIGHT, 0:WIDTH]
    inside = ((rows - HEIGHT / 2) ** 2 + (columns - WIDTH / 2) ** 2) < (HEIGHT * 0.4) ** 2
    shade = np.clip(0.15 + columns / WIDTH, 0.05, 1.0)
    image = np.zeros((HEIGHT, WIDTH, 4), np.float32)
    image[..., 0], image[..., 1], image[..., 2] = 0.8 * shade, 0.5 * shade, 0.3 * shade
    image[..., 3] = inside
    image[..., :3] *= image[..., 3:]
    return image


@pytest.fixture(scope="module")
def hdri(hdri_paths):
    return next(path for path in hdri_paths if path.endswith("forest.exr"))


@pytest.fixture
def scene(addon, hdri):
    """A fresh file: the subject image and a world of the HDRI through a Mapping node, rotated and
    strengthened (the world the operator must read)."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    datablocks.array_to_image(subject_pixels()[::-1].copy(), "subject")
    set_hdri_world(scene, hdri, rotation_z_deg=ROTATION_DEG, strength=STRENGTH)
    return scene


def relit():
    """The result datablock's pixels, top row first like the worker's arrays."""
    return datablocks.image_to_array(bpy.data.images[RESULT])[::-1]


def reference(hdri, **params):
    """The same job run in this process on the subject's pixels, with the world given as a file."""
    inputs = {"image": subject_pixels()}
    if "matte" in params:
        inputs["matte"] = params.pop("matte")
    return run_job(spec.APPLY.kind, {"world": hdri, **params}, inputs, cache=REFERENCE_MODELS)["relit"]


REFERENCE_MODELS = jobs.ModelCache()


def _mapping(scene):
    return next(node for node in scene.world.node_tree.nodes if node.bl_idname == "ShaderNodeMapping")


def _background(scene):
    return next(node for node in scene.world.node_tree.nodes if node.bl_idname == "ShaderNodeBackground")


# -- registration and poll ------------------------------------------------------------------------
def test_registration_makes_the_operator_the_panels_and_the_settings(addon):
    assert hasattr(bpy.ops.neural_render, "relight_image")
    panel_types = {name: getattr(bpy.types, name, None) for name in
                   ("NEURALRENDER_PT_relight_image_editor", "NEURALRENDER_PT_relight_image_compositor")}
    assert all(panel_types.values()), panel_types
    assert {cls.bl_space_type for cls in panel_types.values()} == {"IMAGE_EDITOR", "NODE_EDITOR"}
    assert {cls.bl_category for cls in panel_types.values()} == {"Neural Render"}
    assert {cls.bl_label for cls in panel_types.values()} == {"Relight Image"}
    settings = bpy.context.scene.neural_render_relight_image
    assert (settings.background, settings.network_side, settings.weights_path) == (
        spec.APPLY["background"].default, spec.APPLY["network_side"].default, "")
    assert settings.image is None and settings.matte is None and settings.world is None
    from neural_render.blender.relight_image.operators import NEURALRENDER_OT_relight_image
    assert {"REGISTER", "UNDO"} <= NEURALRENDER_OT_relight_image.bl_options, "a result can be undone"
    properties = bpy.ops.neural_render.relight_image.get_rna_type().properties
    assert {"image_name", "matte_name", "world_name", "animation", "background", "network_side",
            "weights_path", "strength", "rotation_deg"} <= set(properties.keys())


def test_poll_refuses_without_an_image_or_a_world_and_running_anyway_changes_nothing(addon):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    assert not bpy.data.images and not bpy.data.worlds
    assert not bpy.ops.neural_render.relight_image.poll(), "no image at all"
    datablocks.array_to_image(subject_pixels()[::-1].copy(), "subject")
    assert not bpy.ops.neural_render.relight_image.poll(), "an image but no world"
    with pytest.raises(RuntimeError, match="poll"):
        bpy.ops.neural_render.relight_image("EXEC_DEFAULT", image_name="subject")
    assert RESULT not in bpy.data.images
    bpy.context.scene.world = bpy.data.worlds.new("plain")
    assert bpy.ops.neural_render.relight_image.poll()


# -- the panels -------------------------------------------------------------------------------------
class Layout:
    """Stands in for a UILayout: records labels, properties and operator buttons (the properties a
    button is given), checking every drawn property exists on the real data."""

    def __init__(self, log):
        self.log = log

    def __getattr__(self, name):
        def call(*args, **kwargs):
            if name in ("prop", "template_ID"):
                data, prop = args[0], args[1]
                assert data.bl_rna.properties.get(prop) is not None, prop
                self.log.append((name, prop))
            elif name == "label":
                self.log.append(("label", kwargs.get("text", "")))
            elif name == "operator":
                button = types.SimpleNamespace()
                self.log.append(("operator", args[0], button))
                return button
            elif name == "template_icon":
                self.log.append(("icon", kwargs.get("icon_value")))
            return Layout(self.log)
        return call


class PanelProxy:
    """A panel class's own methods bound to an object whose ``layout`` is the recorder (a Panel
    cannot be made outside a real region)."""

    def __init__(self, cls, layout):
        self._cls = cls
        self.layout = layout

    def __getattr__(self, name):
        value = getattr(self._cls, name)
        return types.MethodType(value, self) if callable(value) and not isinstance(value, type) else value


def draw(panel_class, space):
    """What the panel's draw() asks for, on the real scene and its settings, in ``space``."""
    log = []
    context = types.SimpleNamespace(scene=bpy.context.scene, window_manager=bpy.context.window_manager,
                                    space_data=space)
    PanelProxy(panel_class, Layout(log)).draw(context)
    return log


def _labels(log):
    return [entry[1] for entry in log if entry[0] == "label"]


def test_the_panels_draw_their_settings_the_model_card_and_the_two_buttons(scene):
    settings = scene.neural_render_relight_image
    editor = types.SimpleNamespace(type="IMAGE_EDITOR", image=bpy.data.images["subject"])
    compositor_space = types.SimpleNamespace(type="NODE_EDITOR", tree_type="CompositorNodeTree")
    assert panels.NEURALRENDER_PT_relight_image_compositor.poll(types.SimpleNamespace(space_data=compositor_space))
    assert not panels.NEURALRENDER_PT_relight_image_compositor.poll(
        types.SimpleNamespace(space_data=types.SimpleNamespace(tree_type="ShaderNodeTree")))
    log = draw(panels.NEURALRENDER_PT_relight_image_editor, editor)
    drawn = {entry[1] for entry in log if entry[0] in ("prop", "template_ID")}
    assert {"image", "matte", "world", "source_world", "use_strength", "strength", "use_rotation", "rotation_deg", "background",
            "network_side", "weights_path", "output_path"} <= drawn
    labels = _labels(log)
    card = model_cards.card("relight_image")
    assert card is not None, "the bundled model ships with its card"
    assert card["title"] in labels and card["trained_on"] in labels
    assert "Image Editor's: subject" in labels and "No matte: the image's alpha" in labels
    buttons = [(entry[1], vars(entry[2])) for entry in log if entry[0] == "operator"]
    assert buttons == [("neural_render.relight_image", {}), ("neural_render.relight_image", {"animation": True})], \
        "the buttons carry no settings: the operator reads the panel's when it runs"
    settings.weights_path = "/models/my_relighter.pt"
    try:
        labels = _labels(draw(panels.NEURALRENDER_PT_relight_image_compositor, compositor_space))
    finally:
        settings.property_unset("weights_path")
    assert "Model file: my_relighter.pt" in labels and card["title"] not in labels
    assert "Pick an image or show one in the Image Editor" in labels, "the compositor shows no image of its own"
    scene.world = None
    assert "The scene has no world to light the image with" in _labels(draw(panels.NEURALRENDER_PT_relight_image_editor,
                                                                              editor))


def test_the_panel_shows_the_result_after_a_run(scene):
    editor = types.SimpleNamespace(type="IMAGE_EDITOR", image=bpy.data.images["subject"])
    assert not [entry for entry in draw(panels.NEURALRENDER_PT_relight_image_editor, editor) if entry[0] == "icon"]
    assert bpy.ops.neural_render.relight_image("EXEC_DEFAULT", image_name="subject") == {"FINISHED"}
    log = draw(panels.NEURALRENDER_PT_relight_image_editor, editor)
    assert [entry[1] for entry in log if entry[0] == "icon"] == [bpy.data.images[RESULT].preview.icon_id]


# -- the operator -----------------------------------------------------------------------------------
def test_relight_image_reads_the_world_and_makes_a_float_datablock_and_a_compositor_node(scene, hdri):
    assert bpy.ops.neural_render.relight_image("EXEC_DEFAULT", image_name="subject") == {"FINISHED"}
    image = bpy.data.images[RESULT]
    assert image.is_float and image.packed_file is not None and tuple(image.size) == (WIDTH, HEIGHT)
    assert image.colorspace_settings.name == datablocks.LINEAR_COLORSPACE
    result, source = relit(), subject_pixels()
    assert np.isfinite(result).all() and result[..., :3].min() >= 0.0
    inside = source[..., 3] > 0.99
    assert 0.01 < result[inside, :3].mean() < 100.0, "a lit subject, neither black nor blown out"
    np.testing.assert_array_equal(result[..., 3], source[..., 3])       # background 'keep': the alpha kept
    assert np.abs(result[inside, :3] - source[inside, :3]).max() > 1e-3, "the subject was relit"
    # The world as the light-stage relighting reads it: the Mapping rotation and the strength.
    np.testing.assert_allclose(result, reference(hdri, rotation_deg=ROTATION_DEG, strength=STRENGTH),
                               rtol=1e-3, atol=1e-4)
    tree = compositor.get_compositor_tree(scene, create=False)
    node = compositor.find_image_node(tree, image)
    assert node is not None and node.label == "Relit subject"
    lit_by = bpy.data.images[operators.lit_by_name("subject")]  # the lighting read from the image
    assert tuple(lit_by.size) == (16, 8) and lit_by.is_float and lit_by.packed_file is not None
    assert datablocks.image_to_array(lit_by)[..., :3].min() >= 0.0


def test_a_rerun_replaces_the_result_in_place(scene):
    assert bpy.ops.neural_render.relight_image("EXEC_DEFAULT", image_name="subject") == {"FINISHED"}
    image = bpy.data.images[RESULT]
    pointer, first = image.as_pointer(), relit()
    tree = compositor.get_compositor_tree(scene, create=False)
    counts = (len(bpy.data.images), len(tree.nodes))
    assert bpy.ops.neural_render.relight_image("EXEC_DEFAULT", image_name="subject", rotation_deg=200.0) == {"FINISHED"}
    assert bpy.data.images[RESULT].as_pointer() == pointer, "the same datablock, rewritten"
    assert (len(bpy.data.images), len(tree.nodes)) == counts, "nothing piled up (no '.001', no second node)"
    assert np.abs(relit() - first).max() > 1e-3


def test_turning_the_world_s_mapping_node_changes_the_result_as_the_rotation_does(scene):
    assert bpy.ops.neural_render.relight_image("EXEC_DEFAULT", image_name="subject") == {"FINISHED"}
    before = relit()
    _mapping(scene).inputs["Rotation"].default_value = (0.0, 0.0, math.radians(ROTATION_DEG + 120.0))
    assert bpy.ops.neural_render.relight_image("EXEC_DEFAULT", image_name="subject") == {"FINISHED"}
    turned = relit()
    assert np.abs(turned[..., :3] - before[..., :3]).max() > 1e-2, "the world's own rotation is read"
    _mapping(scene).inputs["Rotation"].default_value = (0.0, 0.0, 0.0)
    assert bpy.ops.neural_render.relight_image("EXEC_DEFAULT", image_name="subject",
                                               rotation_deg=ROTATION_DEG + 120.0) == {"FINISHED"}
    np.testing.assert_allclose(relit(), turned, rtol=1e-4, atol=1e-5)  # a given rotation replaces the node's Z
    _background(scene).inputs["Strength"].default_value = 2 * STRENGTH
    assert bpy.ops.neural_render.relight_image("EXEC_DEFAULT", image_name="subject",
                                               rotation_deg=ROTATION_DEG + 120.0) == {"FINISHED"}
    # The Background strength is read: relighting is linear in the world.
    np.testing.assert_allclose(relit()[..., :3], 2 * turned[..., :3], rtol=1e-3, atol=1e-5)


def test_the_panel_settings_are_the_defaults_and_keywords_win(scene, hdri):
    settings = scene.neural_render_relight_image
    matte = np.zeros((HEIGHT, WIDTH, 4), np.float32)
    matte[:, : WIDTH // 2] = 1.0
    settings.image = bpy.data.images["subject"]
    settings.matte = datablocks.array_to_image(matte[::-1].copy(), "left half", colorspace=datablocks.DATA_COLORSPACE)
    settings.background = "transparent"
    settings.use_strength, settings.strength = True, 0.5
    assert bpy.ops.neural_render.relight_image("EXEC_DEFAULT") == {"FINISHED"}
    result = relit()
    np.testing.assert_array_equal(result[..., 3], matte[..., 0])  # the panel's matte, cleared outside
    np.testing.assert_allclose(result, reference(hdri, rotation_deg=ROTATION_DEG, strength=0.5,
                                                 background="transparent", matte=matte[..., :1]),
                               rtol=1e-3, atol=1e-4)
    assert bpy.ops.neural_render.relight_image("EXEC_DEFAULT", matte_name="", background="keep",
                                               use_strength=False) == {"FINISHED"}
    # No matte (the alpha), 'keep' and the world's own strength: the keywords won over the panel.
    np.testing.assert_allclose(relit(), reference(hdri, rotation_deg=ROTATION_DEG, strength=STRENGTH),
                               rtol=1e-3, atol=1e-4)


def test_a_known_source_world_is_read_like_the_world_and_replaces_the_estimate(scene, hdri, hdri_paths):
    """The panel's Source World (the one the image was lit by) goes to the job read as the light-stage
    relighting reads a world -- its image, Mapping rotation and strength; the keyword wins, and an
    empty one means: estimate it."""
    lit = scene.world
    other = next(path for path in hdri_paths if path != hdri)
    on_set = set_hdri_world(scene, other, rotation_z_deg=80.0, strength=0.8)
    scene.world = lit
    scene.neural_render_relight_image.source_world = on_set
    assert bpy.ops.neural_render.relight_image("EXEC_DEFAULT", image_name="subject") == {"FINISHED"}
    known = reference(hdri, rotation_deg=ROTATION_DEG, strength=STRENGTH, source_world=other,
                      source_rotation_deg=80.0, source_strength=0.8)
    np.testing.assert_allclose(relit(), known, rtol=1e-3, atol=1e-4)
    assert bpy.ops.neural_render.relight_image("EXEC_DEFAULT", image_name="subject", source_world_name="") == {"FINISHED"}
    estimated = reference(hdri, rotation_deg=ROTATION_DEG, strength=STRENGTH)
    np.testing.assert_allclose(relit(), estimated, rtol=1e-3, atol=1e-4)
    assert np.abs(known[..., :3] - estimated[..., :3]).max() > 1e-2
    with pytest.raises(RuntimeError, match="No world named 'nowhere' \\(the source world\\)"):
        bpy.ops.neural_render.relight_image("EXEC_DEFAULT", image_name="subject", source_world_name="nowhere")


def test_animation_follows_the_keyframed_world_rotation_into_an_exr_sequence(scene, tmp_path):
    rotation = _mapping(scene).inputs["Rotation"]
    scene.frame_start, scene.frame_end = 2, 3
    for frame, degrees in ((2, 0.0), (3, 90.0)):
        rotation.default_value = (0.0, 0.0, math.radians(degrees))
        rotation.keyframe_insert("default_value", frame=frame)
    assert bpy.ops.neural_render.relight_image("EXEC_DEFAULT", image_name="subject", animation=True,
                                               output_path=str(tmp_path)) == {"FINISHED"}
    assert sorted(os.listdir(tmp_path)) == ["relit_0002.exr", "relit_0003.exr"]
    frames = [read_image(str(tmp_path / f"relit_{frame:04d}.exr")) for frame in (2, 3)]
    assert np.abs(frames[0] - frames[1]).max() > 1e-2
    sequence = bpy.data.images[datablocks.result_name("Relit", "subject animation")]
    assert sequence.source == "SEQUENCE"
    node = compositor.find_image_node(compositor.get_compositor_tree(scene, create=False), sequence)
    assert (node.frame_start, node.frame_duration) == (2, 2)
    assert scene.frame_current == 1, "the scene is put back on its frame"
    scene.world.node_tree.animation_data_clear()
    rotation.default_value = (0.0, 0.0, math.radians(90.0))
    assert bpy.ops.neural_render.relight_image("EXEC_DEFAULT", image_name="subject") == {"FINISHED"}
    np.testing.assert_allclose(frames[1], relit(), rtol=1e-3, atol=1e-4)  # frame 3: the still at 90 degrees


def test_a_multilayer_exr_is_relit_from_its_chosen_layer(scene, tmp_path):
    pixels = subject_pixels()
    layers = {"bright": pixels[..., :3] * 4.0, "plain": pixels[..., :3]}
    channels = {f"{layer}.{letter}": np.ascontiguousarray(values[..., index])
                for layer, values in layers.items() for index, letter in enumerate("RGB")}
    path = tmp_path / "layers.exr"
    OpenEXR.File({"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}, channels).write(str(path))
    layered = bpy.data.images.load(str(path))
    layered.neural_render_layer = "plain"
    opaque = pixels.copy()
    opaque[..., 3] = 1.0
    datablocks.array_to_image(opaque[::-1].copy(), "plain copy")
    assert bpy.ops.neural_render.relight_image("EXEC_DEFAULT", image_name="plain copy") == {"FINISHED"}
    expected = datablocks.image_to_array(bpy.data.images[datablocks.result_name("Relit", "plain copy")])[::-1]
    assert bpy.ops.neural_render.relight_image("EXEC_DEFAULT", image_name=layered.name) == {"FINISHED"}
    result = datablocks.image_to_array(bpy.data.images[datablocks.result_name("Relit", layered.name)])[::-1]
    np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-5)


# -- refusals ---------------------------------------------------------------------------------------
def test_refusals_are_one_line_reports_and_leave_no_result(scene):
    datablocks.array_to_image(np.ones((8, 8, 4), np.float32), "tiny")
    datablocks.array_to_image(np.ones((16, 32, 4), np.float32), "small matte")
    sky = bpy.data.worlds.new("sky")
    sky_texture = sky.node_tree.nodes.new("ShaderNodeTexSky")
    sky_background = next(node for node in sky.node_tree.nodes if node.bl_idname == "ShaderNodeBackground")
    sky.node_tree.links.new(sky_texture.outputs["Color"], sky_background.inputs["Color"])
    cases = [
        (dict(image_name="tiny"), "too small to relight"),
        (dict(image_name="no such image"), "No image datablock named 'no such image'"),
        (dict(image_name="subject", matte_name="small matte"), "must be the same size"),
        (dict(image_name="subject", world_name=sky.name), "procedural: bake it to an equirectangular image"),
        (dict(image_name="subject", world_name="no such world"), "No world named 'no such world'"),
        (dict(image_name="subject", animation=True), "needs an output folder"),
        (dict(), "No image to relight: pick one in the Relight Image panel"),
    ]
    for keywords, message in cases:
        with pytest.raises(RuntimeError, match=message) as caught:
            bpy.ops.neural_render.relight_image("EXEC_DEFAULT", **keywords)
        assert "Traceback" not in str(caught.value) and len(str(caught.value).strip().splitlines()) == 1
    scene.world = None
    with pytest.raises(RuntimeError, match="The scene has no world"):
        bpy.ops.neural_render.relight_image("EXEC_DEFAULT", image_name="subject")
    assert not [image.name for image in bpy.data.images if image.name.startswith("NR Relit")]
