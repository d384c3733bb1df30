"""The ground-truth scene the relighting tests and benchmark share (needs bpy).

A floor catching shadows, a diffuse sphere, a glossy metal sphere and a box, rendered small with
Cycles under settings that make a world render and a virtual light-stage capture the same estimator:
fixed seed, no denoising, no clamping, no glossy filter, transparent film.
"""

import math

import bpy
import numpy as np
from mathutils import Vector

from neural_render.blender import render_capture

WIDTH, HEIGHT = 64, 48


def build_scene(samples=16, width=WIDTH, height=HEIGHT, seed=0):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    render = scene.render
    render.engine = "CYCLES"
    render.resolution_x, render.resolution_y, render.resolution_percentage = width, height, 100
    render.film_transparent = True  # the world seen directly stays out of the comparison
    cycles = scene.cycles
    cycles.device = "CPU"
    cycles.samples = samples
    cycles.seed = seed
    cycles.use_animated_seed = False
    cycles.use_adaptive_sampling = False
    cycles.use_denoising = False
    cycles.sample_clamp_direct = 0.0
    cycles.sample_clamp_indirect = 0.0
    cycles.blur_glossy = 0.0
    cycles.max_bounces = 4
    _add_mesh("floor", "primitive_plane_add", dict(size=8.0), _material("floor", (0.5, 0.5, 0.5), 0.9))
    _add_mesh("diffuse", "primitive_uv_sphere_add", dict(radius=0.5, location=(-0.7, 0.1, 0.5),
                                                         segments=24, ring_count=12),
              _material("diffuse", (0.8, 0.35, 0.2), 1.0))
    _add_mesh("glossy", "primitive_uv_sphere_add", dict(radius=0.5, location=(0.65, -0.1, 0.5),
                                                        segments=24, ring_count=12),
              _material("glossy", (0.9, 0.85, 0.8), 0.35, metallic=1.0))
    _add_mesh("box", "primitive_cube_add", dict(size=0.5, location=(0.0, 0.9, 0.25)),
              _material("box", (0.2, 0.4, 0.75), 0.6))
    for obj in scene.objects:
        if obj.type == "MESH" and obj.name != "floor":
            for polygon in obj.data.polygons:
                polygon.use_smooth = obj.name != "box"
    camera = bpy.data.objects.new("camera", bpy.data.cameras.new("camera"))
    camera.data.lens = 35
    scene.collection.objects.link(camera)
    camera.location = (0.0, -3.3, 1.5)
    camera.rotation_euler = (Vector((0.0, 0.25, 0.4)) - camera.location).to_track_quat("-Z", "Y").to_euler()
    scene.camera = camera
    return scene


def set_hdri_world(scene, hdri_path, rotation_z_deg=0.0, strength=1.0, mirror=False):
    """World = Environment Texture <- Mapping (Point, rotation about Z) <- Generated, x strength."""
    world = bpy.data.worlds.new("hdri world")
    scene.world = world
    tree = world.node_tree
    background = next(node for node in tree.nodes if node.bl_idname == "ShaderNodeBackground")
    background.inputs["Strength"].default_value = strength
    texture = tree.nodes.new("ShaderNodeTexEnvironment")
    texture.image = bpy.data.images.load(hdri_path, check_existing=True)
    mapping = tree.nodes.new("ShaderNodeMapping")
    mapping.vector_type = "POINT"
    mapping.inputs["Rotation"].default_value = (0.0, 0.0, math.radians(rotation_z_deg))
    if mirror:
        mapping.inputs["Scale"].default_value = (1.0, -1.0, 1.0)
    coordinates = tree.nodes.new("ShaderNodeTexCoord")
    tree.links.new(coordinates.outputs["Generated"], mapping.inputs["Vector"])
    tree.links.new(mapping.outputs["Vector"], texture.inputs["Vector"])
    tree.links.new(texture.outputs["Color"], background.inputs["Color"])
    return world


def render_top_first(scene):
    """(H, W, 4) float32 render, top row first like every worker image."""
    return np.ascontiguousarray(render_capture.render_to_array(scene)[::-1])


def tonemapped_psnr(reference, test, mask):
    """PSNR (dB) of x / (1 + x) then sRGB encoding, over the masked pixels' RGB."""
    def tonemap(x):
        x = np.clip(x, 0.0, None)
        y = x / (1.0 + x)
        return np.where(y <= 0.0031308, 12.92 * y, 1.055 * np.power(y, 1 / 2.4) - 0.055)
    error = (tonemap(reference[..., :3]) - tonemap(test[..., :3]))[mask]
    mse = float(np.mean(error ** 2))
    return float("inf") if mse == 0 else 10.0 * math.log10(1.0 / mse)


def _material(name, colour, roughness, metallic=0.0):
    material = bpy.data.materials.new(name)
    shader = next(node for node in material.node_tree.nodes if node.bl_idname == "ShaderNodeBsdfPrincipled")
    shader.inputs["Base Color"].default_value = (*colour, 1.0)
    shader.inputs["Roughness"].default_value = roughness
    shader.inputs["Metallic"].default_value = metallic
    return material


def _add_mesh(name, operator, arguments, material):
    getattr(bpy.ops.mesh, operator)(**arguments)
    obj = bpy.context.active_object
    obj.name = name
    obj.data.materials.append(material)
    return obj
