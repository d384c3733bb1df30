"""A random scene for the virtual light stage (needs bpy): what the relighting network learns from.

One to four objects -- primitives, bevelled boxes, displaced blobs, a torus, Suzanne -- on a ground
plane most of the time, each with a Principled material whose albedo is a texture-library diffuse crop
(box-projected, so any mesh takes it without UVs, and bumped by the crop's height map when it has one)
or a plain colour, with varied roughness and now and then metal. The camera looks at the group from a
random side and height. Render settings make the capture a fixed, unbiased estimator (fixed seed, no
denoising, no clamping) and keep the world out of the frame (transparent film): the alpha is the subject.
"""

import math
import os

import bpy
import numpy as np
from mathutils import Vector

from fixtures.cycles_scene import same_estimator_settings

SHAPES = ("sphere", "box", "cylinder", "cone", "torus", "monkey", "blob", "rock")


def _settings(scene, size, samples, seed):
    render = scene.render
    render.resolution_x = render.resolution_y = size
    render.resolution_percentage = 100
    same_estimator_settings(scene, samples, seed)
    scene.cycles.max_bounces = 3
    scene.cycles.transparent_max_bounces = 2


def _random_colour(rng):
    """An albedo in the range real materials have (no pure black or white)."""
    hue, saturation, value = rng.random(), rng.uniform(0.0, 0.8) ** 1.5, rng.uniform(0.08, 0.85)
    import colorsys
    return colorsys.hsv_to_rgb(hue, saturation, value)


def _texture_image(name, rgb_uint8, folder):
    """Save a crop as PNG (Blender reads images from files) and load it as sRGB or data."""
    from PIL import Image
    path = os.path.join(folder, f"{name}.png")
    Image.fromarray(rgb_uint8).save(path)
    return bpy.data.images.load(path)


def make_material(rng, name, textures, folder):
    """A Principled material; ``textures`` is None or (diffuse (N,S,S,3) uint8, normals {row: (S,S,4)})."""
    material = bpy.data.materials.new(name)
    tree = material.node_tree
    shader = next(node for node in tree.nodes if node.bl_idname == "ShaderNodeBsdfPrincipled")
    metal = rng.random() < 0.15
    shader.inputs["Roughness"].default_value = float(rng.uniform(0.15, 0.6) if metal else rng.uniform(0.25, 1.0))
    shader.inputs["Metallic"].default_value = 1.0 if metal else 0.0
    description = {"metal": metal, "roughness": shader.inputs["Roughness"].default_value}
    if textures is not None and rng.random() < 0.65:
        diffuse, normals = textures
        row = int(rng.integers(len(diffuse)))
        coordinates = tree.nodes.new("ShaderNodeTexCoord")
        mapping = tree.nodes.new("ShaderNodeMapping")
        mapping.inputs["Scale"].default_value = (float(rng.uniform(0.6, 2.5)),) * 3
        tree.links.new(coordinates.outputs["Object"], mapping.inputs["Vector"])
        colour = tree.nodes.new("ShaderNodeTexImage")
        colour.image = _texture_image(f"{name}_diffuse", diffuse[row], folder)
        colour.projection = "BOX"
        colour.projection_blend = 0.25
        tree.links.new(mapping.outputs["Vector"], colour.inputs["Vector"])
        tree.links.new(colour.outputs["Color"], shader.inputs["Base Color"])
        description["texture_row"] = row
        if row in normals:
            height = tree.nodes.new("ShaderNodeTexImage")
            height.image = _texture_image(f"{name}_height", np.repeat(normals[row][..., 3:4], 3, axis=2), folder)
            height.image.colorspace_settings.name = "Non-Color"
            height.projection = "BOX"
            height.projection_blend = 0.25
            tree.links.new(mapping.outputs["Vector"], height.inputs["Vector"])
            bump = tree.nodes.new("ShaderNodeBump")
            bump.inputs["Strength"].default_value = float(rng.uniform(0.2, 0.8))
            tree.links.new(height.outputs["Color"], bump.inputs["Height"])
            tree.links.new(bump.outputs["Normal"], shader.inputs["Normal"])
            description["bump"] = True
    else:
        colour = _random_colour(rng)
        shader.inputs["Base Color"].default_value = (*colour, 1.0)
        description["colour"] = [round(c, 4) for c in colour]
    return material, description


def _displace(obj, rng, strength, subdivisions):
    subdivide = obj.modifiers.new("subdivide", "SUBSURF")
    subdivide.levels = subdivide.render_levels = subdivisions
    texture = bpy.data.textures.new(f"{obj.name}_noise", "CLOUDS")
    texture.noise_scale = float(rng.uniform(0.25, 0.8))
    displace = obj.modifiers.new("displace", "DISPLACE")
    displace.texture = texture
    displace.texture_coords = "OBJECT"
    displace.strength = strength
    displace.mid_level = 0.5


def add_shape(rng, shape, location, size):
    """One object of ``shape`` with its lowest point near the ground; returns the object."""
    x, y = location
    mesh = bpy.ops.mesh
    if shape == "sphere":
        mesh.primitive_uv_sphere_add(radius=size, location=(x, y, size), segments=32, ring_count=16)
    elif shape == "box":
        mesh.primitive_cube_add(size=size * 1.6, location=(x, y, size * 0.8))
        bevel = bpy.context.active_object.modifiers.new("bevel", "BEVEL")
        bevel.width, bevel.segments = float(rng.uniform(0.01, 0.15)) * size, 3
    elif shape == "cylinder":
        mesh.primitive_cylinder_add(radius=size * 0.7, depth=size * 2.0, location=(x, y, size), vertices=32)
    elif shape == "cone":
        mesh.primitive_cone_add(radius1=size * 0.8, depth=size * 2.0, location=(x, y, size), vertices=32)
    elif shape == "torus":
        mesh.primitive_torus_add(major_radius=size * 0.75, minor_radius=size * 0.3, location=(x, y, size * 0.8),
                                 rotation=(float(rng.uniform(0, math.pi)), 0.0, 0.0))
    elif shape == "monkey":
        mesh.primitive_monkey_add(size=size * 1.6, location=(x, y, size * 0.9))
        bpy.context.active_object.modifiers.new("smooth", "SUBSURF").levels = 1
    elif shape == "blob":
        mesh.primitive_ico_sphere_add(radius=size, subdivisions=3, location=(x, y, size))
        _displace(bpy.context.active_object, rng, float(rng.uniform(0.1, 0.4)) * size, 2)
    else:  # rock: a squashed, strongly displaced sphere
        mesh.primitive_ico_sphere_add(radius=size, subdivisions=2, location=(x, y, size * 0.7))
        bpy.context.active_object.scale = (1.0, float(rng.uniform(0.6, 1.0)), float(rng.uniform(0.5, 0.9)))
        _displace(bpy.context.active_object, rng, float(rng.uniform(0.3, 0.7)) * size, 2)
    obj = bpy.context.active_object
    obj.rotation_euler.z = float(rng.uniform(0.0, 2.0 * math.pi))
    for polygon in obj.data.polygons:
        polygon.use_smooth = shape not in ("box", "rock")
    return obj


def build_scene(seed, size=128, samples=8, textures=None, texture_folder=None, columns=16):
    """A new scene from ``seed`` (the same seed gives the same scene); returns (scene, description).

    The camera's azimuth is Blender's Front view (looking along +Y) turned by a whole number of the
    light grid's ``columns``: description["camera"]["column_shift"]. Rolling the captured lights by
    that many columns puts them in the camera's frame exactly -- the frame the network works in.
    """
    rng = np.random.default_rng(seed)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    _settings(scene, size, samples, seed)
    description = {"seed": int(seed), "objects": []}
    count = int(rng.integers(1, 5))
    spread = 0.0 if count == 1 else float(rng.uniform(0.5, 1.2))
    centres = []
    for index in range(count):
        shape = SHAPES[int(rng.integers(len(SHAPES)))]
        angle, radius = rng.uniform(0, 2 * math.pi), spread * math.sqrt(rng.random())
        location = (radius * math.cos(angle), radius * math.sin(angle))
        obj = add_shape(rng, shape, location, float(rng.uniform(0.3, 0.65)))
        material, look = make_material(rng, f"m{index}", textures, texture_folder)
        obj.data.materials.append(material)
        centres.append(Vector((location[0], location[1], 0.4)))
        description["objects"].append({"shape": shape, **look})
    if rng.random() < 0.7:
        bpy.ops.mesh.primitive_plane_add(size=30.0, location=(0.0, 0.0, 0.0))
        material, look = make_material(rng, "ground", textures, texture_folder)
        bpy.context.active_object.data.materials.append(material)
        description["ground"] = look
    target = sum(centres, Vector()) / len(centres)
    camera = bpy.data.objects.new("camera", bpy.data.cameras.new("camera"))
    camera.data.lens = float(rng.uniform(35.0, 60.0))
    scene.collection.objects.link(camera)
    shift = int(rng.integers(columns))
    azimuth = 1.5 * math.pi + 2.0 * math.pi * shift / columns  # camera at -Y looks along +Y when shift is 0
    elevation = math.radians(rng.uniform(5.0, 55.0))
    distance = (2.6 + 2.2 * spread) * camera.data.lens / 40.0
    camera.location = target + distance * Vector((math.cos(elevation) * math.cos(azimuth),
                                                  math.cos(elevation) * math.sin(azimuth), math.sin(elevation)))
    camera.rotation_euler = (target - camera.location).to_track_quat("-Z", "Y").to_euler()
    scene.camera = camera
    description["camera"] = {"column_shift": shift, "azimuth_deg": math.degrees(azimuth) % 360.0,
                             "elevation_deg": math.degrees(elevation),
                             "lens_mm": camera.data.lens}
    return scene, description
