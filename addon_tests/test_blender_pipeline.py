"""A tiny Cycles render goes through the real operator, the real worker and back into a datablock
and the compositor; errors leave the scene as it was."""

import bpy
import numpy as np
import pytest

from neural_render.blender import compositor, datablocks, render_capture


@pytest.fixture
def tiny_scene():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = 2
    scene.render.resolution_x, scene.render.resolution_y = 40, 24
    scene.render.resolution_percentage = 100
    bpy.ops.mesh.primitive_uv_sphere_add(location=(0, 0, 0))
    bpy.ops.object.light_add(type="SUN", location=(2, -2, 4))
    bpy.ops.object.camera_add(location=(0, -5, 0), rotation=(np.pi / 2, 0, 0))
    scene.camera = bpy.context.object
    return scene


def test_render_round_trip_through_the_worker_lands_in_a_datablock_and_the_compositor(addon, tiny_scene):
    rendered = render_capture.render_to_array(tiny_scene)
    assert rendered.shape == (24, 40, 4)
    assert rendered[:, :, :3].max() > 0.01, "the sphere should be lit"
    source = datablocks.array_to_image(rendered, "NR test render")

    result = bpy.ops.neural_render.worker_roundtrip("EXEC_DEFAULT", image_name=source.name,
                                                    add_compositor_node=True)
    assert result == {"FINISHED"}
    name = datablocks.result_name("roundtrip", source.name)
    image = bpy.data.images[name]
    assert tuple(image.size) == (40, 24)
    assert np.array_equal(datablocks.image_to_array(image), rendered), "the round trip is bit-exact"

    tree = compositor.get_compositor_tree(tiny_scene, create=False)
    image_nodes = [node for node in tree.nodes if node.bl_idname == "CompositorNodeImage"]
    assert [node.image for node in image_nodes] == [image]
    assert image_nodes[0].outputs[0].is_linked

    # A re-run replaces the result instead of piling up copies.
    count = len(bpy.data.images)
    assert bpy.ops.neural_render.worker_roundtrip("EXEC_DEFAULT", image_name=source.name,
                                                  add_compositor_node=True) == {"FINISHED"}
    assert len(bpy.data.images) == count
    assert len([node for node in tree.nodes if node.bl_idname == "CompositorNodeImage"]) == 1


def test_bad_input_is_reported_and_changes_nothing(addon, tiny_scene):
    before = sorted(image.name for image in bpy.data.images)
    with pytest.raises(RuntimeError, match="No image datablock named"):
        bpy.ops.neural_render.worker_roundtrip("EXEC_DEFAULT", image_name="does not exist")
    assert sorted(image.name for image in bpy.data.images) == before
    assert tiny_scene.compositing_node_group is None


def test_check_worker_operator_reports_success(addon):
    assert bpy.ops.neural_render.check_worker("EXEC_DEFAULT") == {"FINISHED"}


def test_render_hook_sees_every_written_frame_of_an_animation(tiny_scene, tmp_path):
    import os

    from neural_render.blender import render_hook
    seen = []

    def record(scene, frame, filepath):
        seen.append((frame, filepath, os.path.isfile(filepath)))

    tiny_scene.frame_start, tiny_scene.frame_end = 1, 3
    tiny_scene.render.image_settings.file_format = "OPEN_EXR"
    tiny_scene.render.filepath = str(tmp_path / "frame_")
    render_hook.enable(record)
    render_hook.enable(record)  # idempotent: no double calls
    try:
        bpy.ops.render.render(animation=True)
    finally:
        render_hook.disable(record)
    assert [frame for frame, _, _ in seen] == [1, 2, 3]
    assert all(exists for _, _, exists in seen), "the callback runs once the frame file exists"
    assert not render_hook.is_enabled()
