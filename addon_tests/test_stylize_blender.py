"""Stylize operators in real Blender (the bpy module) with the real worker process, and Blender's Vector
pass convention measured on a real render."""

import os

import bpy
import numpy as np
import pytest

from fixtures.stylize_fixtures import brush_painting, display_to_linear, render_like_scene
from neural_render.blender import datablocks
from neural_render.worker.imageio.files import read_image
from neural_render.worker.stylize import temporal
from neural_render.worker.imageio.exr import read_exr_part

FAST = {"preset": "fast", "steps": 8}


@pytest.fixture
def scene_with_images(addon):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    rgba = np.ones((40, 56, 4), np.float32)
    rgba[:, :, :3] = render_like_scene(40, 56)
    content = datablocks.array_to_image(rgba[::-1].copy(), "render")
    style_rgba = np.ones((48, 48, 4), np.float32)
    style_rgba[:, :, :3] = display_to_linear(brush_painting(48, 48))
    style = datablocks.array_to_image(style_rgba, "painting")
    return bpy.context.scene, content, style


def test_stylize_image_datablock_through_the_worker(scene_with_images):
    scene, content, style = scene_with_images
    assert bpy.ops.neural_render.stylize_image("EXEC_DEFAULT", image_name=content.name, style_name=style.name,
                                               **FAST) == {"FINISHED"}
    result = bpy.data.images[datablocks.result_name("Stylized", content.name)]
    assert tuple(result.size) == (56, 40) and result.is_float
    assert result.colorspace_settings.name == "Linear Rec.709"
    pixels = datablocks.image_to_array(result)
    original = datablocks.image_to_array(content)
    assert np.abs(pixels[:, :, :3] - original[:, :, :3]).mean() > 0.003
    assert pixels[:, :, :3].max() > 1.5, "highlights above 1 survive into the EXR datablock"
    tree = scene.compositing_node_group
    assert any(node.bl_idname == "CompositorNodeImage" and node.image == result for node in tree.nodes)
    # Re-running replaces the same datablock.
    count = len(bpy.data.images)
    assert bpy.ops.neural_render.stylize_image("EXEC_DEFAULT", image_name=content.name, style_name=style.name,
                                               **FAST) == {"FINISHED"}
    assert len(bpy.data.images) == count


def test_exec_default_takes_the_panels_settings_and_a_keyword_wins(scene_with_images):
    """The settings rule: a script that names nothing gets the panel's values; a keyword overrides one."""
    scene, content, style = scene_with_images
    settings = scene.neural_render_stylize
    settings.styles.add().image = style
    settings.preset = "fast"
    original = datablocks.image_to_array(content)[:, :, :3]
    name = datablocks.result_name("Stylized", content.name)

    settings.strength = 0.0  # no style term: the optimisation keeps (nearly) the content
    assert bpy.ops.neural_render.stylize_image("EXEC_DEFAULT", image_name=content.name, steps=16) == {"FINISHED"}
    unstyled = np.abs(datablocks.image_to_array(bpy.data.images[name])[:, :, :3] - original).mean()

    assert bpy.ops.neural_render.stylize_image("EXEC_DEFAULT", image_name=content.name, steps=16,
                                               strength=1.0) == {"FINISHED"}
    styled = np.abs(datablocks.image_to_array(bpy.data.images[name])[:, :, :3] - original).mean()
    # 16 evaluations: the first few L-BFGS steps of the ImageNet VGG16's objective are short.
    assert styled > 2.5 * unstyled, (unstyled, styled)
    assert settings.strength == 0.0, "a keyword overrides the panel for one call, it does not change it"

    settings.strength, settings.layer_weights = 1.0, (0.0, 0.0, 0.0, 0.0, 0.0)
    with pytest.raises(RuntimeError, match="All style layer weights are zero"):
        bpy.ops.neural_render.stylize_image("EXEC_DEFAULT", image_name=content.name, steps=8)


def test_missing_style_fails_cleanly_and_changes_nothing(scene_with_images):
    scene, content, _ = scene_with_images
    names = set(bpy.data.images.keys())
    with pytest.raises(RuntimeError, match="No style image named 'nope'"):
        bpy.ops.neural_render.stylize_image("EXEC_DEFAULT", image_name=content.name, style_name="nope")
    with pytest.raises(RuntimeError, match="No style image: add one"):
        bpy.ops.neural_render.stylize_image("EXEC_DEFAULT", image_name=content.name)
    assert set(bpy.data.images.keys()) == names


def _moving_cube_scene(frames=3):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.samples = 1
    scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = 64, 48, 100
    bpy.ops.mesh.primitive_cube_add(size=0.6)
    cube = bpy.context.object
    for frame in range(1, frames + 1):  # +0.4 world x (right) and +0.2 y (up) per frame: 6.4 and 3.2 px
        cube.location = (0.4 * (frame - 1), 0.2 * (frame - 1), 0)
        cube.keyframe_insert("location", frame=frame)
    camera = bpy.data.objects.new("camera", bpy.data.cameras.new("camera"))
    camera.data.type, camera.data.ortho_scale = "ORTHO", 4.0
    camera.location = (0, 0, 5)
    scene.collection.objects.link(camera)
    scene.camera = camera
    scene.frame_start, scene.frame_end = 1, frames
    return scene, cube


def test_animation_without_vector_pass_explains_and_offers_to_enable(addon, tmp_path):
    scene, _ = _moving_cube_scene(2)
    style_rgba = np.ones((32, 32, 4), np.float32)
    style_rgba[:, :, :3] = display_to_linear(brush_painting(32, 32))
    style = datablocks.array_to_image(style_rgba, "painting")
    scene.render.filepath = str(tmp_path / "render_")
    scene.neural_render_stylize.output_directory = str(tmp_path / "stylized") + os.sep
    assert not bpy.context.view_layer.use_pass_vector
    with pytest.raises(RuntimeError, match="has no Vector pass.*Enable Vector Pass"):
        bpy.ops.neural_render.stylize_animation("EXEC_DEFAULT", style_name=style.name, **FAST)
    assert not bpy.context.view_layer.use_pass_vector, "nothing changed"
    assert scene.compositing_node_group is None
    assert bpy.ops.neural_render.stylize_animation("EXEC_DEFAULT", style_name=style.name, enable_vector_pass=True,
                                                   **FAST) == {"FINISHED"}
    assert bpy.context.view_layer.use_pass_vector
    written = sorted(os.listdir(tmp_path / "stylized"))
    assert written == ["stylized_0001.exr", "stylized_0002.exr"]
    assert read_image(str(tmp_path / "stylized" / written[1])).shape[:2] == (48, 64)
    sequence = bpy.data.images[datablocks.result_name("Stylized", "animation")]
    assert sequence.source == "SEQUENCE"
    nodes = [node for node in scene.compositing_node_group.nodes if node.bl_idname == "CompositorNodeImage"]
    assert nodes and nodes[0].image == sequence and nodes[0].frame_duration == 2


def test_blender_vector_pass_convention_matches_the_warp(addon, tmp_path):
    """Render a moving cube; warping frame 1 with frame 2's Vector pass must reproduce frame 2."""
    scene, _ = _moving_cube_scene(3)  # frame 2 moves both from frame 1 and to frame 3
    scene.cycles.samples = 8
    scene.world = bpy.data.worlds.new("grey")  # light, and a background the red cube stands out from
    scene.world.color = (0.5, 0.5, 0.5)
    material = bpy.data.materials.new("red")
    material.diffuse_color = (1.0, 0.05, 0.05, 1.0)
    bpy.context.scene.objects["Cube"].data.materials.append(material)
    bpy.context.view_layer.use_pass_vector = True
    tree = bpy.data.node_groups.new("comp", "CompositorNodeTree")
    scene.compositing_node_group = tree
    layers = tree.nodes.new("CompositorNodeRLayers")
    output = tree.nodes.new("CompositorNodeOutputFile")
    output.directory, output.file_name = str(tmp_path) + os.sep, "pass_"
    for name in ("Image", "Vector"):
        output.file_output_items.new("RGBA", name)
        tree.links.new(layers.outputs[name], output.inputs[name])
    scene.render.use_compositing = True
    scene.render.filepath = str(tmp_path / "combined_")
    bpy.ops.render.render(animation=True)
    first, second = (str(tmp_path / f"pass_000{n}.exr") for n in (1, 2))
    vector = read_exr_part(second, "Vector")
    moving = np.abs(vector).max(axis=2) > 0
    assert np.allclose(vector[moving][:, :2], (-6.4, -3.2), atol=0.05)  # to previous: left and down
    assert np.allclose(vector[moving][:, 2:], (-6.4, -3.2), atol=0.05)  # minus the motion to the next frame
    import torch
    image_1 = torch.from_numpy(read_exr_part(first, "Image")[:, :, :3]).permute(2, 0, 1)[None]
    image_2 = torch.from_numpy(read_exr_part(second, "Image")[:, :, :3]).permute(2, 0, 1)[None]
    # Pixels of frame 2 are pulled from where the Vector pass says they were in frame 1: the cube lands
    # where it is in frame 2. Following the opposite sign (or not warping) misplaces it.
    # Measured on the cube's pixels in frame 2 (elsewhere disocclusions differ by design).
    on_cube = torch.from_numpy(moving)[None, None].float()

    def error(offsets):
        warped, inside = temporal.warp(image_1, offsets)
        weight = inside * on_cube
        return float(((warped - image_2).abs() * weight).sum() / weight.sum())
    offsets = temporal.offsets_to_previous(vector)
    assert error(offsets) < 0.5 * error(-offsets)
    assert error(offsets) < 0.5 * error(torch.zeros_like(offsets))


def test_stylize_the_render_result(addon):
    scene, _ = _moving_cube_scene(1)
    scene.world = bpy.data.worlds.new("grey")
    scene.world.color = (0.5, 0.5, 0.5)
    style_rgba = np.ones((32, 32, 4), np.float32)
    style_rgba[:, :, :3] = display_to_linear(brush_painting(32, 32))
    style = datablocks.array_to_image(style_rgba, "painting")
    with pytest.raises(RuntimeError, match="no render"):
        bpy.ops.neural_render.stylize_render("EXEC_DEFAULT", style_name=style.name, **FAST)
    bpy.ops.render.render()
    assert bpy.ops.neural_render.stylize_render("EXEC_DEFAULT", style_name=style.name, **FAST) == {"FINISHED"}
    result = bpy.data.images[datablocks.result_name("Stylized", "Render")]
    assert tuple(result.size) == (64, 48)


def test_object_index_mask_and_advanced_settings_from_the_panel(scene_with_images):
    scene, content, style = scene_with_images
    index = np.zeros((40, 56, 4), np.float32)
    index[:, :28, :3] = 2.0  # objects with pass index 2 cover the left half
    index[:, :, 3] = 1.0
    index_image = datablocks.array_to_image(index, "IndexOB", colorspace="Non-Color")
    settings = scene.neural_render_stylize
    settings.mask_source, settings.mask_image, settings.feather = "OBJECT_INDEX", index_image, 0.0
    settings.layer_weights = (1.0, 1.0, 0.5, 0.0, 0.0)
    settings.tv_weight = 0.5
    settings.mask_indices = "one"
    with pytest.raises(RuntimeError, match="Pass Indices must be whole numbers"):
        bpy.ops.neural_render.stylize_image("EXEC_DEFAULT", image_name=content.name, style_name=style.name, **FAST)
    settings.mask_indices = "2"
    assert bpy.ops.neural_render.stylize_image("EXEC_DEFAULT", image_name=content.name, style_name=style.name,
                                               **FAST) == {"FINISHED"}
    result = datablocks.image_to_array(bpy.data.images[datablocks.result_name("Stylized", content.name)])
    original = datablocks.image_to_array(content)
    assert np.allclose(result[:, 28:, :3], original[:, 28:, :3], atol=1e-6), "outside the objects: untouched"
    assert np.abs(result[:, :28, :3] - original[:, :28, :3]).mean() > 0.003
    settings.layer_weights = (0, 0, 0, 0, 0)
    with pytest.raises(RuntimeError, match="All style layer weights are zero"):
        bpy.ops.neural_render.stylize_image("EXEC_DEFAULT", image_name=content.name, style_name=style.name, **FAST)


def test_preview_style_stylizes_the_image_at_preview_size_in_instant_mode(scene_with_images):
    import types

    from neural_render.blender.stylize import operators, panels
    scene, _, style = scene_with_images
    wide = np.ones((300, 900, 4), np.float32)
    wide[:, :, :3] = np.tile(render_like_scene(300, 300), (1, 3, 1))
    content = datablocks.array_to_image(wide, "wide render")
    settings = scene.neural_render_stylize
    settings.styles.add().image = style
    settings.preset = "quality"  # the preview is Instant whatever the panel's preset
    assert bpy.ops.neural_render.stylize_preview("EXEC_DEFAULT", image_name=content.name) == {"FINISHED"}
    preview = bpy.data.images[operators.PREVIEW_NAME]
    assert tuple(preview.size) == (512, 171) and preview.is_float
    pixels = datablocks.image_to_array(preview)[:, :, :3]
    assert np.isfinite(pixels).all() and pixels.std() > 0.01
    # The Image Editor panel shows the preview's thumbnail under the two buttons.
    log = []

    class Layout:
        def __getattr__(self, name):
            def call(*args, **kwargs):
                log.append((name, args, kwargs))
                return Layout()
            return call
    space = types.SimpleNamespace(type="IMAGE_EDITOR", image=content)
    context = types.SimpleNamespace(scene=scene, space_data=space)
    panels.NEURALRENDER_PT_stylize_image.draw_panel(None, Layout(), context, settings)
    operators_drawn = [args[0] for kind, args, _ in log if kind == "operator"]
    assert operators_drawn[-2:] == ["neural_render.stylize_image", "neural_render.stylize_preview"]
    assert any(kind == "template_icon" for kind, _, _ in log)
    # Instant has no optimiser: its settings are not drawn.
    settings.preset = "instant"
    log.clear()
    panels.NEURALRENDER_PT_stylize_image.draw_panel(None, Layout(), context, settings)
    assert not any(kind == "prop" and args[1] == "optimizer" for kind, args, _ in log)
    labels = [kwargs.get("text", "") for kind, _, kwargs in log if kind == "label"]
    assert any("Ghiasi" in label for label in labels) and any("Apache-2.0" in label for label in labels), labels


def test_stylize_animation_defaults_to_the_instant_preset(addon, tmp_path):
    scene, _ = _moving_cube_scene(2)
    assert scene.neural_render_stylize.animation_preset == "instant"
    style_rgba = np.ones((32, 32, 4), np.float32)
    style_rgba[:, :, :3] = display_to_linear(brush_painting(32, 32))
    style = datablocks.array_to_image(style_rgba, "painting")
    scene.render.filepath = str(tmp_path / "render_")
    scene.neural_render_stylize.output_directory = str(tmp_path / "stylized") + os.sep
    # No preset named: the animation's own (Instant) is used; the frames come back like any preset's.
    assert bpy.ops.neural_render.stylize_animation("EXEC_DEFAULT", style_name=style.name,
                                                   enable_vector_pass=True) == {"FINISHED"}
    written = sorted(os.listdir(tmp_path / "stylized"))
    assert written == ["stylized_0001.exr", "stylized_0002.exr"]
    frame = read_image(str(tmp_path / "stylized" / written[1]))
    assert frame.shape[:2] == (48, 64) and np.isfinite(frame).all()
