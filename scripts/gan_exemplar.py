"""A procedural exemplar texture rendered with Blender, for GAN benchmarks and slow tests.

Cobblestones: Voronoi cells with random stone colours, dark mortar along the cell edges (Voronoi
distance to edge) and fine noise on the surface, rendered flat through an orthographic camera by
Cycles. Deterministic, needs nothing but the ``bpy`` module, and has what makes a texture hard to
fake: structure at several scales, sharp edges and colour variation.

    python scripts/gan_exemplar.py OUT.exr [--size 256]
"""

import os
import sys
import tempfile

import numpy as np


def _link(tree, source, output, target, input_):
    tree.links.new(source.outputs[output], target.inputs[input_])


def _stone_material():
    import bpy
    material = bpy.data.materials.new("NR exemplar stones")
    material.use_nodes = True
    tree = material.node_tree
    tree.nodes.clear()
    nodes = tree.nodes
    coords = nodes.new("ShaderNodeTexCoord")
    warp = nodes.new("ShaderNodeTexNoise")
    warp.inputs["Scale"].default_value = 3.0
    mix_coords = nodes.new("ShaderNodeMix")
    mix_coords.data_type = "VECTOR"
    mix_coords.inputs["Factor"].default_value = 0.04  # wobbly, not perfectly straight, stone edges
    _link(tree, coords, "Object", warp, "Vector")
    _link(tree, coords, "Object", mix_coords, 4)
    _link(tree, warp, "Color", mix_coords, 5)

    cells = nodes.new("ShaderNodeTexVoronoi")
    cells.voronoi_dimensions = "2D"  # in 3D the plane would cut cells near their faces: smudges
    cells.inputs["Scale"].default_value = 5.0
    _link(tree, mix_coords, 1, cells, "Vector")
    edges = nodes.new("ShaderNodeTexVoronoi")
    edges.feature = "DISTANCE_TO_EDGE"
    edges.voronoi_dimensions = "2D"
    edges.inputs["Scale"].default_value = 5.0
    _link(tree, mix_coords, 1, edges, "Vector")

    stone_colour = nodes.new("ShaderNodeValToRGB")  # random cell value -> a palette of stone colours
    ramp = stone_colour.color_ramp
    ramp.elements[0].color = (0.20, 0.13, 0.08, 1)
    ramp.elements[1].color = (0.55, 0.50, 0.42, 1)
    middle = ramp.elements.new(0.5)
    middle.color = (0.42, 0.25, 0.14, 1)
    separate = nodes.new("ShaderNodeSeparateColor")
    _link(tree, cells, "Color", separate, "Color")
    _link(tree, separate, 0, stone_colour, "Fac")

    mortar = nodes.new("ShaderNodeMapRange")  # 0 in the mortar joint, 1 inside a stone
    mortar.inputs["From Min"].default_value = 0.02
    mortar.inputs["From Max"].default_value = 0.08
    _link(tree, edges, "Distance", mortar, "Value")

    grain = nodes.new("ShaderNodeTexNoise")
    grain.inputs["Scale"].default_value = 60.0
    grain.inputs["Detail"].default_value = 6.0
    grain_level = nodes.new("ShaderNodeMapRange")
    grain_level.inputs["To Min"].default_value = 0.6
    grain_level.inputs["To Max"].default_value = 1.3
    _link(tree, coords, "Object", grain, "Vector")
    _link(tree, grain, "Fac", grain_level, "Value")

    shade = nodes.new("ShaderNodeMix")
    shade.data_type = "RGBA"
    shade.blend_type = "MULTIPLY"
    shade.inputs["Factor"].default_value = 1.0
    _link(tree, stone_colour, "Color", shade, 6)
    _link(tree, grain_level, "Result", shade, 7)

    joint = nodes.new("ShaderNodeMix")
    joint.data_type = "RGBA"
    joint.inputs["B"].default_value = (1, 1, 1, 1)
    _link(tree, mortar, "Result", joint, "Factor")
    joint.inputs[6].default_value = (0.03, 0.03, 0.03, 1)
    _link(tree, shade, 2, joint, 7)

    emission = nodes.new("ShaderNodeEmission")
    _link(tree, joint, 2, emission, "Color")
    output = nodes.new("ShaderNodeOutputMaterial")
    _link(tree, emission, "Emission", output, "Surface")
    return material


def render_exemplar(size=256, samples=16):
    """(size, size, 3) float32 scene-linear, top row first."""
    import bpy
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = samples
    scene.cycles.use_denoising = False
    scene.render.resolution_x = scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.view_settings.view_transform = "Standard"
    bpy.ops.mesh.primitive_plane_add(size=2.0)
    bpy.context.object.data.materials.append(_stone_material())
    bpy.ops.object.camera_add(location=(0, 0, 2))
    camera = bpy.context.object
    camera.data.type = "ORTHO"
    camera.data.ortho_scale = 2.0
    scene.camera = camera
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "exemplar.exr")
        scene.render.image_settings.file_format = "OPEN_EXR"
        scene.render.image_settings.color_depth = "32"
        scene.render.filepath = path
        bpy.ops.render.render(write_still=True)
        image = bpy.data.images.load(path)
        pixels = np.empty(size * size * 4, dtype=np.float32)
        image.pixels.foreach_get(pixels)
        bpy.data.images.remove(image)
    return np.ascontiguousarray(pixels.reshape(size, size, 4)[::-1, :, :3])


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="EXR (linear) or PNG (sRGB) file to write")
    parser.add_argument("--size", type=int, default=256)
    arguments = parser.parse_args()
    exemplar = render_exemplar(arguments.size)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from cli.main import bootstrap_addon_packages
    bootstrap_addon_packages()
    from neural_render.worker.imageio import files
    files.write_image(arguments.out, exemplar)
