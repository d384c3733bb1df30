"""Relighting inside real Blender: capture operator, world reading, relight operator with the real
worker (still, preview, animation), the panel's settings as the operators' defaults, and refusals
for worlds it cannot read."""

import math
import os

import bpy
import numpy as np
import pytest
from mathutils import Vector

from neural_render.blender import compositor, datablocks, render_capture
from neural_render.blender.relight import capture, world_reader
from neural_render.protocol import sphere
from neural_render.protocol.specs import relight as spec
from neural_render.worker.imageio.files import read_image
from neural_render.worker.relight import engine, light_sets, weights
from fixtures.relight_scene import build_scene, set_hdri_world


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
    assert np.allclose(light_set.directions, sphere.latlong_grid_directions(4, 2), atol=1e-8), \
        "the capture's lights are the shared geometry's grid"
    top, bottom = light_set.read_light(0), light_set.read_light(7)
    assert top[..., :3].mean() > 10 * bottom[..., :3].mean(), "a light above the floor lights the scene"


def test_capture_suns_come_from_the_shared_geometry(captured, tmp_path):
    """Each light's sun stands at its direction with the angle of its cell: sphere.sun_angles."""
    scene, _, _, _ = captured
    directions = sphere.latlong_grid_directions(3, 2)
    suns = []

    def record(done, total):
        sun = bpy.data.objects[capture._SUN_NAME]
        suns.append((tuple(sun.rotation_euler.to_matrix() @ Vector((0.0, 0.0, 1.0))), sun.data.angle))

    samples = scene.cycles.samples
    scene.cycles.samples = 1
    try:
        capture.capture_light_stage(scene, str(tmp_path), directions, progress=record)
    finally:
        scene.cycles.samples = samples
    assert np.allclose([direction for direction, _ in suns], directions, atol=1e-6)
    assert np.allclose([angle for _, angle in suns], sphere.sun_angles(directions), rtol=1e-6)
    areas = sphere.cell_solid_angles(directions)
    assert math.isclose(areas.sum(), 4 * math.pi, rel_tol=1e-9), "the cells tile the sphere"


def test_capture_operator_takes_the_panel_settings(captured, tmp_path):
    scene, _, _, _ = captured
    settings = scene.neural_render_relight
    assert (settings.capture_columns, settings.capture_rows) == (spec.CAPTURE_COLUMNS.default,
                                                                 spec.CAPTURE_ROWS.default)
    samples = scene.cycles.samples
    scene.cycles.samples = 1
    settings.capture_dir, settings.capture_columns, settings.capture_rows = str(tmp_path / "panel"), 2, 1
    try:
        assert bpy.ops.neural_render.relight_capture("EXEC_DEFAULT") == {"FINISHED"}
        assert light_sets.load_light_set(tmp_path / "panel").count == 2
        assert bpy.ops.neural_render.relight_capture("EXEC_DEFAULT", folder=str(tmp_path / "given"),
                                                     columns=3) == {"FINISHED"}
        assert light_sets.load_light_set(tmp_path / "given").count == 3, "the keywords win, rows from the panel"
        assert not (tmp_path / "panel" / "light_0002.exr").exists()
    finally:
        scene.cycles.samples = samples
        settings.property_unset("capture_dir")
        settings.property_unset("capture_columns")
        settings.property_unset("capture_rows")


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


def _core(folder, hdri, rotation_deg=37.0, strength=1.7, rank=None):
    light_set = light_sets.load_light_set(folder)
    environment = weights.Environment(read_image(hdri), strength=strength, mapping=weights.z_rotation(rotation_deg))
    w = weights.light_weights(environment, light_set.directions)
    loaded = engine.load_set(light_set, "cpu")
    return (engine.relight(loaded, w) if rank is None else engine.LowRankSet(loaded, rank).relight(w))[0]


def _relit(folder):
    return datablocks.image_to_array(bpy.data.images[datablocks.result_name("Relit", os.path.basename(folder))])[::-1]


@pytest.fixture
def panel(captured):
    """The Relight panel's settings, put back to their defaults afterwards."""
    settings = captured[0].neural_render_relight
    yield settings
    for name in ("set_dir", "world", "use_strength", "strength", "use_rotation", "rotation_deg", "rank",
                 "output_path"):
        settings.property_unset(name)


def test_relight_operator_takes_the_panel_settings_and_keywords_win(captured, panel):
    _, _, hdri, folder = captured
    panel.set_dir = folder
    panel.use_strength, panel.strength = True, 3.0
    panel.use_rotation, panel.rotation_deg = True, 120.0
    assert bpy.ops.neural_render.relight("EXEC_DEFAULT") == {"FINISHED"}
    assert np.allclose(_relit(folder), _core(folder, hdri, 120.0, 3.0), rtol=1e-4, atol=1e-4)
    assert bpy.ops.neural_render.relight("EXEC_DEFAULT", strength=0.5) == {"FINISHED"}
    assert np.allclose(_relit(folder), _core(folder, hdri, 120.0, 0.5), rtol=1e-4, atol=1e-4)
    assert bpy.ops.neural_render.relight("EXEC_DEFAULT", use_strength=False, use_rotation=False) == {"FINISHED"}
    assert np.allclose(_relit(folder), _core(folder, hdri), rtol=1e-4, atol=1e-4), "the world's own values"
    panel.use_strength = panel.use_rotation = False
    assert bpy.ops.neural_render.relight("EXEC_DEFAULT", rotation_deg=-30.0) == {"FINISHED"}
    assert np.allclose(_relit(folder), _core(folder, hdri, -30.0), rtol=1e-4, atol=1e-4), \
        "a rotation given overrides the world's"
    plain = bpy.data.worlds.new("panel plain")
    background = next(node for node in plain.node_tree.nodes if node.bl_idname == "ShaderNodeBackground")
    background.inputs["Color"].default_value = (0.0, 0.0, 0.0, 1.0)
    panel.world = plain
    assert bpy.ops.neural_render.relight("EXEC_DEFAULT") == {"FINISHED"}
    assert np.abs(_relit(folder)[..., :3]).max() == 0.0, "the panel's (black) world"


def test_preview_uses_the_panel_rank_and_a_given_rank_wins(captured, panel):
    _, _, hdri, folder = captured
    panel.set_dir = folder
    assert panel.rank == spec.DEFAULT_PREVIEW_RANK
    panel.rank = 1
    exact = _core(folder, hdri)
    assert bpy.ops.neural_render.relight("EXEC_DEFAULT") == {"FINISHED"}
    assert np.allclose(_relit(folder), exact, rtol=1e-4, atol=1e-4), "the Relight button is exact"
    assert bpy.ops.neural_render.relight("EXEC_DEFAULT", preview=True) == {"FINISHED"}
    preview = _relit(folder)
    assert np.allclose(preview, _core(folder, hdri, rank=1), rtol=1e-3, atol=1e-4)
    assert np.abs(preview - exact).max() > 1e-3, "rank 1 is a coarse preview"
    assert bpy.ops.neural_render.relight("EXEC_DEFAULT", preview=True, rank=8) == {"FINISHED"}
    assert np.allclose(_relit(folder), exact, rtol=1e-3, atol=1e-4), "full rank: the exact result"


def test_animation_writes_the_panel_output_and_shows_the_sequence(captured, panel, tmp_path):
    """The Animation button's operator: frames 4-5 written by the worker into the panel's output
    folder, loaded as one image sequence whose compositor node shows frame f at scene frame f."""
    scene, world, hdri, folder = captured
    panel.set_dir, panel.output_path = folder, str(tmp_path)
    mapping = next(node for node in world.node_tree.nodes if node.bl_idname == "ShaderNodeMapping")
    rotation = mapping.inputs["Rotation"]
    saved = (scene.frame_start, scene.frame_end, scene.frame_current)
    scene.frame_start, scene.frame_end = 4, 5
    for frame, degrees in ((4, 0.0), (5, 90.0)):
        rotation.default_value = (0.0, 0.0, math.radians(degrees))
        rotation.keyframe_insert("default_value", frame=frame)
    tree = compositor.get_compositor_tree(scene)
    try:
        assert bpy.ops.neural_render.relight("EXEC_DEFAULT", animation=True) == {"FINISHED"}
        assert sorted(os.listdir(tmp_path)) == ["relit_0004.exr", "relit_0005.exr"]
        for frame, degrees in ((4, 0.0), (5, 90.0)):
            assert np.allclose(read_image(str(tmp_path / f"relit_{frame:04d}.exr")), _core(folder, hdri, degrees),
                               rtol=1e-4, atol=1e-4)
        sequence = bpy.data.images[datablocks.result_name("Relit", os.path.basename(folder) + " animation")]
        assert sequence.source == "SEQUENCE" and sequence.colorspace_settings.name == datablocks.LINEAR_COLORSPACE
        node = compositor.find_image_node(tree, sequence)
        assert (node.frame_start, node.frame_duration) == (4, 2)
        tree.links.new(node.outputs["Image"], compositor.output_socket(tree, create=True))
        scene.frame_set(5)
        shown = render_capture.compositor_output_to_array(scene)[::-1]
        assert np.allclose(shown[..., :3], read_image(str(tmp_path / "relit_0005.exr"))[..., :3], atol=1e-4), \
            "scene frame 5 shows relit_0005"
    finally:
        world.node_tree.animation_data_clear()
        rotation.default_value = (0.0, 0.0, math.radians(37.0))
        scene.frame_start, scene.frame_end, scene.frame_current = saved
        for node in [node for node in tree.nodes if node.bl_idname == "CompositorNodeImage"]:
            tree.nodes.remove(node)


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
