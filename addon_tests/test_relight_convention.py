"""The worker's equirectangular convention and Mapping node, checked against Blender rendering.

A world whose Environment Texture holds each texel's own (u, v) (Closest interpolation) is rendered,
and so is the world's direction (Generated coordinates, encoded 0.5 + 0.5 d) through the same camera,
seed and pixel jitter. For every pixel, the worker's formula applied to the direction must land in
the texel Cycles looked up. A mirrored azimuth or a wrong rotation sign would miss by far more.
"""

import math

import bpy
import numpy as np
import pytest
from mathutils import Vector

from neural_render.blender import datablocks
from neural_render.protocol import sphere
from neural_render.worker.relight.weights import Mapping
from fixtures.relight_scene import render_top_first

MAP_W, MAP_H = 256, 128


@pytest.fixture(scope="module")
def probe_scene():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.render.resolution_x = scene.render.resolution_y = 24
    scene.render.resolution_percentage = 100
    scene.render.filter_size = 0.01
    scene.cycles.samples = 1
    scene.cycles.use_denoising = False
    scene.cycles.seed = 0
    uv = np.ones((MAP_H, MAP_W, 4), np.float32)  # bottom-first rows, as Blender stores pixels
    uv[..., 0] = ((np.arange(MAP_W) + 0.5) / MAP_W)[None, :]
    uv[..., 1] = ((np.arange(MAP_H) + 0.5) / MAP_H)[:, None]
    image = datablocks.array_to_image(uv, "NR test uv map", colorspace=datablocks.DATA_COLORSPACE)
    world = bpy.data.worlds.new("probe")
    scene.world = world
    tree = world.node_tree
    nodes = {name: tree.nodes.new(kind) for name, kind in (
        ("coords", "ShaderNodeTexCoord"), ("mapping", "ShaderNodeMapping"),
        ("texture", "ShaderNodeTexEnvironment"), ("encode", "ShaderNodeVectorMath"))}
    nodes["texture"].image = image
    nodes["texture"].interpolation = "Closest"
    nodes["encode"].operation = "MULTIPLY_ADD"
    nodes["encode"].inputs[1].default_value = (0.5, 0.5, 0.5)
    nodes["encode"].inputs[2].default_value = (0.5, 0.5, 0.5)
    tree.links.new(nodes["coords"].outputs["Generated"], nodes["mapping"].inputs["Vector"])
    tree.links.new(nodes["mapping"].outputs["Vector"], nodes["texture"].inputs["Vector"])
    tree.links.new(nodes["coords"].outputs["Generated"], nodes["encode"].inputs[0])
    camera = bpy.data.objects.new("probe camera", bpy.data.cameras.new("probe camera"))
    camera.data.lens = 18
    scene.collection.objects.link(camera)
    scene.camera = camera
    return scene, world, nodes, camera


def _probe(probe_scene, look_at, mapping):
    scene, world, nodes, camera = probe_scene
    camera.rotation_euler = Vector(look_at).to_track_quat("-Z", "Y").to_euler()
    node = nodes["mapping"]
    node.vector_type = mapping.kind
    if mapping.kind != "NORMAL" and "Location" in node.inputs:
        node.inputs["Location"].default_value = mapping.location
    node.inputs["Rotation"].default_value = mapping.rotation
    node.inputs["Scale"].default_value = mapping.scale
    background = next(n for n in world.node_tree.nodes if n.bl_idname == "ShaderNodeBackground")
    world.node_tree.links.new(nodes["encode"].outputs[0], background.inputs["Color"])
    direction = render_top_first(scene)[..., :3].astype(np.float64) * 2.0 - 1.0
    world.node_tree.links.new(nodes["texture"].outputs["Color"], background.inputs["Color"])
    looked_up = render_top_first(scene)[..., :2].astype(np.float64)
    return direction.reshape(-1, 3), looked_up.reshape(-1, 2)


def _texel_misses(direction, looked_up, mapping):
    predicted = sphere.direction_to_uv(mapping.apply(direction))
    du = (looked_up[:, 0] - predicted[:, 0] + 0.5) % 1.0 - 0.5
    dv = looked_up[:, 1] - predicted[:, 1]
    return np.abs(du) * MAP_W, np.abs(dv) * MAP_H


CASES = [
    ((1.0, 0.3, 0.2), Mapping()),
    ((-0.4, 1.0, -0.3), Mapping()),
    ((0.2, -1.0, 0.6), Mapping(rotation=(0.0, 0.0, math.radians(37.0)))),
    ((-1.0, -0.5, 0.1), Mapping(rotation=(0.3, -0.5, 1.2), scale=(1.0, -1.0, 1.0))),
    ((0.5, 0.5, -0.4), Mapping("TEXTURE", location=(0.2, -0.1, 0.05), rotation=(0.1, 0.4, -2.0),
                               scale=(1.0, 1.5, 0.8))),
    ((0.7, -0.2, 0.3), Mapping("POINT", location=(0.3, 0.0, -0.2), rotation=(0.0, 0.2, 0.9),
                               scale=(2.0, 1.0, 1.0))),
]


@pytest.mark.parametrize("look_at, mapping", CASES)
def test_worker_lookup_matches_cycles_texel_for_texel(probe_scene, look_at, mapping):
    direction, looked_up = _probe(probe_scene, look_at, mapping)
    mapped = sphere.normalize(mapping.apply(direction))
    usable = np.abs(mapped[:, 2]) < 0.95  # near the poles u is ill-defined
    assert usable.sum() > 300
    du, dv = _texel_misses(direction[usable], looked_up[usable], mapping)
    # Closest interpolation: Cycles returns the texel containing the point, so within half a texel
    # (plus float32 slack in the encoded direction).
    assert du.max() <= 0.6 and dv.max() <= 0.6, (du.max(), dv.max())


def test_a_mirrored_or_counter_rotated_convention_is_caught(probe_scene):
    mapping = Mapping(rotation=(0.0, 0.0, math.radians(37.0)))
    direction, looked_up = _probe(probe_scene, (0.2, -1.0, 0.6), mapping)
    mirrored = direction * [1.0, -1.0, 1.0]
    du, _ = _texel_misses(mirrored, looked_up, mapping)
    assert np.median(du) > 10
    du, _ = _texel_misses(direction, looked_up, Mapping(rotation=(0.0, 0.0, math.radians(-37.0))))
    assert np.median(du) > 10
