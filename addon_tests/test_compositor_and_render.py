"""Compositor wiring, render capture and the per-frame render hook, with real (tiny) Cycles renders.

Background mode is what these run in: the Render Result has no pixels unless the render is
written, and no Viewer image exists, which is why capture goes through temporary EXR files.
"""

import os
import tempfile
import types

import bpy
import numpy as np
import pytest

from neural_render.blender import compositor, datablocks, render_capture, render_hook
from neural_render.blender.datablocks import DatablockError

WIDTH, HEIGHT = 32, 24


@pytest.fixture
def scene():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = 1
    scene.render.resolution_x, scene.render.resolution_y = WIDTH, HEIGHT
    scene.render.resolution_percentage = 100
    scene.render.film_transparent = True
    bpy.ops.mesh.primitive_uv_sphere_add(location=(0, 0, 0))
    bpy.ops.object.light_add(type="SUN", location=(2, -2, 4))
    bpy.ops.object.camera_add(location=(0, -5, 0), rotation=(np.pi / 2, 0, 0))
    scene.camera = bpy.context.object
    yield scene
    render_hook.disable()


def output_settings(scene):
    """Every plain setting of the scene's output (and the path), to prove captures restore them."""
    settings = scene.render.image_settings
    values = {prop.identifier: getattr(settings, prop.identifier) for prop in settings.bl_rna.properties
              if prop.type not in {"POINTER", "COLLECTION"} and prop.identifier != "rna_type"}
    values = {name: tuple(value) if hasattr(value, "__len__") and not isinstance(value, str) else value
              for name, value in values.items()}
    for nested in ("linear_colorspace_settings", "view_settings", "display_settings"):
        struct = getattr(settings, nested)
        values.update({f"{nested}.{prop.identifier}": getattr(struct, prop.identifier)
                       for prop in struct.bl_rna.properties
                       if prop.type not in {"POINTER", "COLLECTION"} and prop.identifier != "rna_type"})
    if values["linear_colorspace_settings.name"] == "":
        # A fresh scene's is unset; Blender itself fills it in on any file format change, and it is
        # unused unless the output overrides colour management. '' cannot be assigned back.
        del values["linear_colorspace_settings.name"]
    values["filepath"] = scene.render.filepath
    values["use_compositing"] = scene.render.use_compositing
    return values


def assert_output_settings_restored(scene, before):
    after = output_settings(scene)
    if "linear_colorspace_settings.name" not in before:
        after.pop("linear_colorspace_settings.name", None)
    assert after == before


def leftover_temp_folders():
    folder = tempfile.gettempdir()
    return sorted(name for name in os.listdir(folder) if name.startswith("neural-render-render-"))


def result_image(array, name="NR comp source"):
    return datablocks.array_to_image(array, name)


# --- Compositor tree and nodes ------------------------------------------------------------------

def test_tree_is_created_once_with_an_image_output(scene):
    assert compositor.get_compositor_tree(scene, create=False) is None
    assert scene.compositing_node_group is None, "asking without create changes nothing"
    tree = compositor.get_compositor_tree(scene)
    assert scene.compositing_node_group == tree and tree.bl_idname == "CompositorNodeTree"
    outputs = [item for item in tree.interface.items_tree if item.item_type == "SOCKET"]
    assert [(item.name, item.in_out, item.socket_type) for item in outputs] == [
        ("Image", "OUTPUT", "NodeSocketColor")]
    assert [node.bl_idname for node in tree.nodes] == ["NodeGroupOutput"]
    assert compositor.get_compositor_tree(scene) == tree
    assert len(bpy.data.node_groups) == 1


def test_image_nodes_are_reused_stacked_and_linked(scene):
    first = result_image(np.zeros((HEIGHT, WIDTH, 4), np.float32), "NR first")
    second = result_image(np.ones((HEIGHT, WIDTH, 4), np.float32), "NR second")
    node = compositor.add_image_node(scene, first, label="First result", connect_to_output=True)
    tree = scene.compositing_node_group
    output = compositor.output_socket(tree)
    assert node.bl_idname == "CompositorNodeImage" and node.image == first and node.label == "First result"
    assert node.name == compositor.node_name(first) == "NR NR first"
    assert node.location.x < output.node.location.x
    assert output.links[0].from_node == node

    again = compositor.add_image_node(scene, first, connect_to_output=True)
    assert again == node and len(tree.nodes) == 2 and len(tree.links) == 1

    other = compositor.add_image_node(scene, second)
    assert other != node and other.location.y < node.location.y, "a new node goes below, not on top"
    assert output.links[0].from_node == node, "not connected unless asked"
    compositor.add_image_node(scene, second, connect_to_output=True)
    assert output.links[0].from_node == other and len(tree.links) == 1


def test_long_image_names_still_find_their_node(scene):
    base = "NR " + "long result name " * 5
    first = result_image(np.zeros((2, 2, 4), np.float32), base + "one")
    second = result_image(np.zeros((2, 2, 4), np.float32), base + "two")
    nodes = [compositor.add_image_node(scene, image) for image in (first, second, first, second)]
    assert nodes[0] == nodes[2] and nodes[1] == nodes[3] and nodes[0] != nodes[1]


def test_output_socket_is_recreated_when_the_user_removed_it(scene):
    tree = compositor.get_compositor_tree(scene)
    tree.nodes.remove(tree.nodes[0])
    tree.interface.clear()
    image = result_image(np.zeros((2, 2, 4), np.float32))
    node = compositor.add_image_node(scene, image, connect_to_output=True)
    assert compositor.output_socket(tree).links[0].from_node == node


def test_add_image_node_refuses_non_images(scene):
    with pytest.raises(DatablockError, match="image datablock"):
        compositor.add_image_node(scene, "NR first")
    assert scene.compositing_node_group is None


def test_compositor_output_equals_the_image_exactly(scene):
    # Values a view transform or byte output would change: negative, above 1, tiny.
    array = np.random.default_rng(1).normal(0.5, 3.0, (HEIGHT, WIDTH, 4)).astype(np.float32)
    array[..., 3] = 1.0
    image = result_image(array)
    compositor.add_image_node(scene, image, connect_to_output=True)
    scene.render.use_compositing = False
    before, folders = output_settings(scene), leftover_temp_folders()
    images = sorted(image.name for image in bpy.data.images)

    composited = render_capture.compositor_output_to_array(scene)
    # EXR output is linear: neither the AgX view transform nor the look touches it, so no need to
    # switch to Standard; the compositor passes a float image through exactly.
    assert scene.view_settings.view_transform == "AgX"
    assert np.array_equal(composited, array)
    assert_output_settings_restored(scene, before)
    assert leftover_temp_folders() == folders
    assert sorted(i.name for i in bpy.data.images if i.type != "RENDER_RESULT") == images


def test_compositor_output_needs_a_linked_output(scene):
    with pytest.raises(DatablockError, match="no compositor output"):
        render_capture.compositor_output_to_array(scene)
    compositor.get_compositor_tree(scene)
    with pytest.raises(DatablockError, match="no compositor output"):
        render_capture.compositor_output_to_array(scene)


# --- Render capture -----------------------------------------------------------------------------

@pytest.mark.parametrize("media_type, file_format, depth, override", [
    ("IMAGE", "PNG", "16", None), ("IMAGE", "JPEG", "8", "Filmic sRGB"),
    ("MULTI_LAYER_IMAGE", "OPEN_EXR_MULTILAYER", "16", "ACEScg"), ("VIDEO", "FFMPEG", "8", None),
])
def test_render_to_array_leaves_the_scene_as_it_was(scene, tmp_path, media_type, file_format, depth,
                                                    override):
    settings = scene.render.image_settings
    settings.media_type = media_type
    settings.file_format = file_format
    settings.color_depth = depth
    if override:  # the user's own output colour management must survive too
        settings.color_management = "OVERRIDE"
        if settings.has_linear_colorspace:
            settings.linear_colorspace_settings.name = override
        else:
            settings.view_settings.view_transform = "Standard"
            settings.view_settings.exposure = 0.5
    scene.render.filepath = str(tmp_path / "user_output_")
    before, folders = output_settings(scene), leftover_temp_folders()
    images = len(bpy.data.images)

    rendered = render_capture.render_to_array(scene)
    assert rendered.shape == (HEIGHT, WIDTH, 4) and rendered.dtype == np.float32
    assert rendered[..., :3].max() > 0.01, "the sphere is lit"
    assert rendered[..., 3].min() == 0.0 and rendered[..., 3].max() == 1.0, "background is transparent"
    assert_output_settings_restored(scene, before)
    assert leftover_temp_folders() == folders and os.listdir(tmp_path) == []
    assert len([i for i in bpy.data.images if i.type != "RENDER_RESULT"]) == images


def test_render_result_is_read_after_a_render(scene, tmp_path):
    rendered = render_capture.render_to_array(scene)
    assert np.array_equal(render_capture.render_result_to_array(scene), rendered)
    # The same pixels Blender writes itself when asked for a 32-bit EXR.
    scene.render.image_settings.file_format = "OPEN_EXR"
    scene.render.image_settings.color_depth = "32"
    scene.render.filepath = str(tmp_path / "written.exr")
    bpy.ops.render.render(write_still=True)
    written = bpy.data.images.load(str(tmp_path / "written.exr"))
    assert np.array_equal(datablocks.image_to_array(written), rendered), "1-sample Cycles is deterministic"


def test_render_result_errors_are_clear(scene):
    with pytest.raises(DatablockError, match="There is no render of scene 'Scene'"):
        render_capture.render_result_to_array(scene)
    bpy.ops.render.render()
    never_rendered = bpy.data.scenes.new("Other")
    with pytest.raises(DatablockError, match="Render Result of scene 'Other' has no pixels"):
        render_capture.render_result_to_array(never_rendered)


def test_failed_render_is_reported_and_restores_settings(scene):
    scene.camera = None
    before = output_settings(scene)
    with pytest.raises(DatablockError, match="Rendering scene 'Scene' failed: .*camera"):
        render_capture.render_to_array(scene)
    assert_output_settings_restored(scene, before)


# --- Render hook --------------------------------------------------------------------------------

def animate(scene, folder, frames=3):
    scene.frame_start, scene.frame_end = 1, frames
    scene.render.image_settings.file_format = "OPEN_EXR"
    scene.render.filepath = str(folder / "frame_")
    bpy.ops.render.render(animation=True)


def test_hook_sees_every_written_frame_once(scene, tmp_path):
    seen = []

    def record(scene, frame, filepath):
        seen.append((frame, filepath, os.path.isfile(filepath)))

    render_hook.enable(record)
    render_hook.enable(record)
    assert render_hook.is_enabled() and len(bpy.app.handlers.render_write) == 1
    animate(scene, tmp_path)
    assert seen == [(frame, str(tmp_path / f"frame_{frame:04d}.exr"), True) for frame in (1, 2, 3)]

    render_hook.disable(record)
    assert not render_hook.is_enabled() and len(bpy.app.handlers.render_write) == 0
    animate(scene, tmp_path)
    assert len(seen) == 3


def test_hook_survives_loading_a_file_and_skips_its_own_captures(scene, tmp_path):
    seen = []
    render_hook.enable(lambda scene, frame, path: seen.append((frame, path)))
    bpy.ops.wm.read_factory_settings(use_empty=True)  # what File > Open does to handlers
    assert render_hook.is_enabled()
    bpy.ops.object.camera_add(location=(0, -5, 0), rotation=(np.pi / 2, 0, 0))
    new_scene = bpy.context.scene
    new_scene.camera = bpy.context.object
    new_scene.render.resolution_x, new_scene.render.resolution_y = 16, 16
    new_scene.render.engine = "CYCLES"
    new_scene.cycles.samples = 1
    animate(new_scene, tmp_path, frames=2)
    assert [frame for frame, _ in seen] == [1, 2]

    render_capture.render_to_array(new_scene)  # the add-on's own temporary render is not a frame
    assert len(seen) == 2

    new_scene.render.filepath = str(tmp_path / "still")
    bpy.ops.render.render(write_still=True)
    assert seen[-1] == (1, str(tmp_path / "still.exr")), "a still is reported with its own path"


def test_a_failing_callback_does_not_stop_the_others(scene, tmp_path):
    seen = []
    render_hook.enable(lambda *args: 1 / 0)
    render_hook.enable(lambda scene, frame, path: seen.append(frame))
    animate(scene, tmp_path, frames=2)
    assert seen == [1, 2]


def test_a_reloaded_module_does_not_register_twice(scene):
    # What a reload of the add-on leaves behind: a different function object with the same identity.
    ours = render_hook._on_render_write
    stale = types.FunctionType(ours.__code__, ours.__globals__, "_on_render_write")
    stale.__module__ = render_hook.__name__
    bpy.app.handlers.render_write.append(stale)
    render_hook.enable(lambda *args: None)
    assert list(bpy.app.handlers.render_write) == [render_hook._on_render_write]
    render_hook.disable()
    assert list(bpy.app.handlers.render_write) == []
    with pytest.raises(TypeError, match="callable"):
        render_hook.enable("not a function")
