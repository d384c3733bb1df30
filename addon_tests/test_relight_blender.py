"""Relighting inside real Blender: capture operator, world reading, relight operator with the real
worker (still, animation), and refusals for worlds it cannot read."""

import math
import os

import bpy
import numpy as np
import pytest

from neural_render.blender import compositor, datablocks
from neural_render.blender.relight import world_reader
from neural_render.worker.imageio.files import read_image
from neural_render.worker.relight import engine, light_sets, weights
from relight_scene import build_scene, set_hdri_world


@pytest.fixture(scope="module")
def captured(addon, hdri_paths, tmp_path_factory):
    scene = build_scene(samples=4, width=32, height=24)
    hdri = next(path for path in hdri_paths if path.endswith("forest.exr"))
    world = set_hdri_world(scene, hdri, rotation_z_deg=37.0, strength=1.7)
    folder = str(tmp_path_factory.mktemp("set"))
    # A lamp of the scene's own must not light the capture, and must be back afterwards.
    lamp = bpy.data.objects.new("scene lamp", bpy.data.lights.new("scene lamp", "POINT"))
    lamp.data.energy = 5000.0
    lamp.location = (0.0, -1.0, 3.0)  # above: were it on, the lights below the floor would see it too
    scene.collection.objects.link(lamp)
    lamps_before = len(bpy.data.lights)
    # A compositor that shows another image (as after a worker round trip) must not leak into the set.
    flat = datablocks.array_to_image(np.full((24, 32, 4), 0.5, np.float32), "flat grey")
    node = compositor.add_image_node(scene, flat, connect_to_output=True)
    assert bpy.ops.neural_render.relight_capture("EXEC_DEFAULT", folder=folder, columns=4, rows=2) == {"FINISHED"}
    assert scene.world == world and len(bpy.data.lights) == lamps_before, "the scene is restored"
    assert scene.render.use_compositing, "compositing is switched back on"
    compositor.get_compositor_tree(scene).nodes.remove(node)
    assert not lamp.hide_render
    lamp.hide_render = True  # the relight comparisons below need no lamp
    return scene, world, hdri, folder


def test_capture_writes_a_loadable_set(captured):
    _, _, _, folder = captured
    light_set = light_sets.load_light_set(folder)
    assert light_set.count == 8 and (light_set.width, light_set.height) == (32, 24)
    # 4 x 2 grid: first light at azimuth 45 degrees, elevation 45 degrees (top row first).
    assert np.allclose(light_set.directions[0], [0.5, 0.5, math.sqrt(0.5)], atol=1e-6)
    top, bottom = light_set.read_light(0), light_set.read_light(7)
    assert top[..., :3].mean() > 10 * bottom[..., :3].mean(), "a light above the floor lights the scene"


def test_world_reader_reads_image_mapping_and_strength(captured):
    _, world, _, _ = captured
    lighting = world_reader.read_world(world)
    assert lighting.image is not None and lighting.strength == pytest.approx(1.7)
    assert lighting.mapping["type"] == "POINT"
    assert lighting.mapping["rotation"][2] == pytest.approx(math.radians(37.0))


def test_relight_operator_matches_the_core_and_adds_a_compositor_node(captured, tmp_path):
    scene, _, hdri, folder = captured
    out = str(tmp_path / "relit.exr")
    assert bpy.ops.neural_render.relight("EXEC_DEFAULT", set_dir=folder, output_path=out) == {"FINISHED"}
    name = datablocks.result_name("Relit", os.path.basename(folder))
    image = bpy.data.images[name]
    result = datablocks.image_to_array(image)[::-1]
    light_set = light_sets.load_light_set(folder)
    environment = weights.Environment(read_image(hdri), strength=1.7, mapping=weights.z_rotation(37.0))
    expected = engine.relight(engine.load_set(light_set, "cpu"),
                              weights.light_weights(environment, light_set.directions))[0]
    assert np.allclose(result, expected, rtol=1e-4, atol=1e-4)
    assert np.allclose(read_image(out), expected, rtol=1e-4, atol=1e-4)
    tree = compositor.get_compositor_tree(scene, create=False)
    assert compositor.find_image_node(tree, image) is not None


def test_animation_follows_the_keyframed_world_rotation(captured, tmp_path):
    scene, world, _, folder = captured
    mapping = next(node for node in world.node_tree.nodes if node.bl_idname == "ShaderNodeMapping")
    rotation = mapping.inputs["Rotation"]
    scene.frame_start, scene.frame_end = 1, 3
    for frame, degrees in ((1, 0.0), (3, 180.0)):
        rotation.default_value = (0.0, 0.0, math.radians(degrees))
        rotation.keyframe_insert("default_value", frame=frame)
    try:
        assert bpy.ops.neural_render.relight("EXEC_DEFAULT", set_dir=folder, animation=True,
                                             output_path=str(tmp_path)) == {"FINISHED"}
        frames = [read_image(str(tmp_path / f"relit_{frame:04d}.exr")) for frame in (1, 2, 3)]
        assert np.abs(frames[0] - frames[2]).max() > 1e-3 and np.abs(frames[1] - frames[0]).max() > 1e-3
    finally:
        world.node_tree.animation_data_clear()
        rotation.default_value = (0.0, 0.0, math.radians(37.0))


def test_sky_texture_world_is_refused_with_a_hint(captured):
    scene, _, _, folder = captured
    sky_world = bpy.data.worlds.new("sky")
    tree = sky_world.node_tree
    sky = tree.nodes.new("ShaderNodeTexSky")
    background = next(node for node in tree.nodes if node.bl_idname == "ShaderNodeBackground")
    tree.links.new(sky.outputs["Color"], background.inputs["Color"])
    with pytest.raises(RuntimeError, match="procedural: bake it to an equirectangular image"):
        bpy.ops.neural_render.relight("EXEC_DEFAULT", set_dir=folder, world_name=sky_world.name)


def test_plain_colour_world(captured):
    _, _, _, folder = captured
    plain = bpy.data.worlds.new("plain")
    background = next(node for node in plain.node_tree.nodes if node.bl_idname == "ShaderNodeBackground")
    background.inputs["Color"].default_value = (0.5, 0.25, 1.0, 1.0)
    lighting = world_reader.read_world(plain)
    assert lighting.image is None and lighting.params()["colour"] == pytest.approx([0.5, 0.25, 1.0])
    assert bpy.ops.neural_render.relight("EXEC_DEFAULT", set_dir=folder, world_name=plain.name) == {"FINISHED"}


def test_world_reader_generated_link_and_unsupported_coordinates(captured):
    _, _, hdri, _ = captured
    world = bpy.data.worlds.new("direct")
    tree = world.node_tree
    texture = tree.nodes.new("ShaderNodeTexEnvironment")
    texture.image = bpy.data.images.load(hdri, check_existing=True)
    coordinates = tree.nodes.new("ShaderNodeTexCoord")
    background = next(node for node in tree.nodes if node.bl_idname == "ShaderNodeBackground")
    tree.links.new(texture.outputs["Color"], background.inputs["Color"])
    tree.links.new(coordinates.outputs["Generated"], texture.inputs["Vector"])
    assert world_reader.read_world(world).mapping is None
    mapping = tree.nodes.new("ShaderNodeMapping")
    tree.links.new(coordinates.outputs["Object"], mapping.inputs["Vector"])
    tree.links.new(mapping.outputs["Vector"], texture.inputs["Vector"])
    with pytest.raises(ValueError, match="Texture Coordinate > Generated"):
        world_reader.read_world(world)
