"""``neural-render demo``: render a sample scene and run every capability on it, as a user would.

Everything goes through the add-on's real operators (in this process, with the ``bpy`` module) and
its real worker process. Writes ``render.exr``, one EXR per capability result, and
``contact_sheet.png`` into the output folder.
"""

import os
import sys
import time

import numpy as np

# Each capability contributes (title, function(scene, render_image, options) -> result image
# datablock), defined at the end of this file. The foundation's round trip runs first.


def add_parser(subparsers):
    parser = subparsers.add_parser("demo", help="render a sample scene and run every capability on it",
                                   description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--out", default="demo_output", help="output folder (created)")
    parser.add_argument("--size", type=int, nargs=2, default=(480, 270), metavar=("W", "H"))
    parser.add_argument("--samples", type=int, default=16, help="Cycles samples of the sample render")
    from neural_render.protocol.specs.stylize import PRESET_CHOICES
    parser.add_argument("--stylize-preset", choices=[choice.value for choice in PRESET_CHOICES], default="fast",
                        help="stylize preset (default: fast, about a minute on 2 CPU cores at 480x270; "
                             "instant: under a second)")
    parser.add_argument("--gan-minutes", type=float, default=1.0,
                        help="GAN training time on the render (10 gives the quality in docs/BENCHMARKS.md)")
    return parser


def build_sample_scene(width, height, samples):
    """A small still life lit by one of the HDRIs that ship with Blender."""
    import bpy

    from fixtures.cycles_scene import new_cycles_scene
    scene = new_cycles_scene(width, height, samples)

    def material(name, colour, roughness, metallic=0.0):
        mat = bpy.data.materials.new(name)
        mat.use_nodes = True
        bsdf = mat.node_tree.nodes["Principled BSDF"]
        bsdf.inputs["Base Color"].default_value = (*colour, 1.0)
        bsdf.inputs["Roughness"].default_value = roughness
        bsdf.inputs["Metallic"].default_value = metallic
        return mat

    bpy.ops.mesh.primitive_plane_add(size=12)
    bpy.context.object.data.materials.append(material("Floor", (0.55, 0.5, 0.45), 0.8))
    bpy.ops.mesh.primitive_monkey_add(location=(-0.9, 0, 1.0), rotation=(0, 0, 0.5))
    bpy.ops.object.shade_smooth()
    bpy.context.object.data.materials.append(material("Gold", (0.9, 0.6, 0.2), 0.25, 1.0))
    bpy.ops.mesh.primitive_uv_sphere_add(location=(1.1, 0.3, 0.7), radius=0.7)
    bpy.ops.object.shade_smooth()
    bpy.context.object.data.materials.append(material("Blue", (0.1, 0.25, 0.8), 0.4))

    bpy.ops.object.camera_add(location=(0, -8.5, 3.0), rotation=(np.radians(74), 0, 0))
    scene.camera = bpy.context.object

    world = bpy.data.worlds.new("Sample World")
    scene.world = world
    world.use_nodes = True
    nodes, links = world.node_tree.nodes, world.node_tree.links
    environment = nodes.new("ShaderNodeTexEnvironment")
    hdri = os.path.join(bpy.utils.system_resource("DATAFILES", path="studiolights/world"), "forest.exr")
    environment.image = bpy.data.images.load(hdri)
    links.new(environment.outputs["Color"], nodes["Background"].inputs["Color"])
    return scene


def tone_map(array_bottom_first, data=False):
    """Linear RGBA (bottom row first) -> 8-bit sRGB RGB (top row first), for the contact sheet only;
    ``data`` (a normal map) is shown as its values, as Blender shows Non-Color images."""
    from neural_render.worker.imageio.colour import linear_to_srgb
    rgb = np.clip(array_bottom_first[::-1, :, :3], 0.0, 1.0)
    return ((rgb if data else linear_to_srgb(rgb)) * 255 + 0.5).astype(np.uint8)


def write_contact_sheet(path, tiles):
    """``tiles`` is a list of (title, uint8 RGB array); lays them out in a row with captions."""
    from PIL import Image, ImageDraw
    caption = 22
    height = max(tile.shape[0] for _, tile in tiles)
    width = sum(tile.shape[1] for _, tile in tiles) + 8 * (len(tiles) + 1)
    sheet = Image.new("RGB", (width, height + caption + 16), (30, 30, 30))
    draw = ImageDraw.Draw(sheet)
    x = 8
    for title, tile in tiles:
        sheet.paste(Image.fromarray(tile), (x, caption + 8))
        draw.text((x, 6), title, fill=(230, 230, 230))
        x += tile.shape[1] + 8
    temporary = path + ".tmp.png"
    sheet.save(temporary)
    os.replace(temporary, path)


def run(args):
    import bpy
    from neural_render.blender import datablocks, registration, render_capture

    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    started = time.perf_counter()
    scene = build_sample_scene(args.size[0], args.size[1], args.samples)
    print(f"rendering the sample scene ({args.size[0]}x{args.size[1]}, {args.samples} samples)...")
    rendered = render_capture.render_to_array(scene)
    render_image = datablocks.array_to_image(rendered, "NR demo render")
    datablocks.save_image_exr(render_image, os.path.join(out, "render.exr"))
    tiles = [("render", tone_map(rendered))]

    registration.register()
    try:
        for title, function in CAPABILITY_DEMOS:
            print(f"{title}...", flush=True)
            result = function(scene, render_image, args)
            filename = title.replace(" ", "_") + ".exr"
            datablocks.save_image_exr(result, os.path.join(out, filename))
            tiles.append((title, tone_map(datablocks.image_to_array(result), result.colorspace_settings.is_data)))
    finally:
        registration.unregister()
    write_contact_sheet(os.path.join(out, "contact_sheet.png"), tiles)
    print(f"wrote {len(tiles)} images and contact_sheet.png to {out} in {time.perf_counter() - started:.0f} s")
    bpy.ops.wm.read_factory_settings(use_empty=True)
    return 0


def _run_operator(operator, **properties):
    result = operator("EXEC_DEFAULT", **properties)
    if result != {"FINISHED"}:
        raise RuntimeError(f"{operator.idname_py()} failed (see the messages above)")


def _round_trip(scene, render_image, options):
    import bpy
    result = bpy.ops.neural_render.worker_roundtrip("EXEC_DEFAULT", image_name=render_image.name,
                                                    add_compositor_node=True)
    if result != {"FINISHED"}:
        raise RuntimeError("the worker round trip failed (see the messages above)")
    from neural_render.blender import datablocks
    return bpy.data.images[datablocks.result_name("roundtrip", render_image.name)]


def _gan_texture(scene, render_image, options):
    """Learn the render as a texture exemplar, then grow a new tileable texture twice its size."""
    import bpy
    model_path = os.path.join(os.path.abspath(options.out), "render_texture.nrgan")
    _run_operator(bpy.ops.neural_render.gan_train, image_name=render_image.name, model_path=model_path,
                  minutes=options.gan_minutes)
    height = max(64, render_image.size[1] // 8 * 8)  # tileable textures are whole multiples of 8 px
    _run_operator(bpy.ops.neural_render.gan_generate, model_path=model_path, width=2 * height, height=height,
                  seed=1, tileable=True)
    from neural_render.blender import datablocks
    return bpy.data.images[datablocks.result_name("GAN", "render_texture seed 1")]


def _stylegan_texture(scene, render_image, options):
    """A texture set from four quarters of the render (a real set is a folder of textures): train
    StyleGAN briefly, then generate a tileable texture, its fine layers mixed in from another seed."""
    import bpy
    from neural_render.blender import datablocks
    from neural_render.worker.imageio.exr import write_exr
    folder = os.path.join(os.path.abspath(options.out), "stylegan_set")
    os.makedirs(folder, exist_ok=True)
    pixels = datablocks.image_to_array(render_image)[::-1, :, :3]
    half_h, half_w = pixels.shape[0] // 2, pixels.shape[1] // 2
    for index, (top, left) in enumerate(((0, 0), (0, half_w), (half_h, 0), (half_h, half_w))):
        write_exr(os.path.join(folder, f"quarter_{index}.exr"), pixels[top:top + half_h, left:left + half_w])
    model_path = os.path.join(os.path.abspath(options.out), "render_set_stylegan.nrgan")
    _run_operator(bpy.ops.neural_render.stylegan_train, folder=folder, model_path=model_path, image_size=32,
                  minutes=options.gan_minutes)
    _run_operator(bpy.ops.neural_render.stylegan_generate, model_path=model_path, width=256, height=128, seed=1,
                  count=1, tileable=True)
    return next(image for image in bpy.data.images if image.name.startswith("NR StyleGAN render_set_stylegan"))


def _stylize(scene, render_image, options):
    """Stylize the render with a painting of brush strokes, opened from a file as a user would."""
    import bpy
    from PIL import Image
    from fixtures.sample_styles import brush_painting
    style_path = os.path.join(os.path.abspath(options.out), "style_painting.png")
    Image.fromarray((brush_painting(256, 256, seed=0) * 255 + 0.5).astype(np.uint8)).save(style_path)
    style = bpy.data.images.load(style_path, check_existing=True)
    _run_operator(bpy.ops.neural_render.stylize_image, image_name=render_image.name, style_name=style.name,
                  preset=options.stylize_preset)
    from neural_render.blender import datablocks
    return bpy.data.images[datablocks.result_name("Stylized", render_image.name)]


def _relight(scene, render_image, options):
    """Capture the scene as a virtual light stage (8 x 4 suns), then relight the capture against its
    own world turned 120 degrees."""
    import bpy
    set_dir = os.path.join(os.path.abspath(options.out), "lightstage")
    _run_operator(bpy.ops.neural_render.relight_capture, folder=set_dir, columns=8, rows=4)
    _run_operator(bpy.ops.neural_render.relight, set_dir=set_dir, use_rotation=True, rotation_deg=120.0,
                  add_node=False)
    from neural_render.blender import datablocks
    return bpy.data.images[datablocks.result_name("Relit", "lightstage")]


def _colorize(scene, render_image, options):
    """Colorize a greyscale copy of the render, taking colours region by region from a reference: the
    world's HDRI (forest), a photo the render never saw whole."""
    import bpy
    from neural_render.blender import datablocks
    rgba = datablocks.image_to_array(render_image)
    grey = rgba.copy()
    grey[:, :, :3] = (rgba[:, :, :3] @ np.array([0.2126, 0.7152, 0.0722], np.float32))[:, :, None]
    grey_image = datablocks.array_to_image(grey, "NR demo grey")
    reference = next(image for image in bpy.data.images if image.filepath.endswith("forest.exr"))
    _run_operator(bpy.ops.neural_render.colorize, image_name=grey_image.name, mode="REFERENCE",
                  reference_name=reference.name)
    from neural_render.blender.colorize.operators import RESULT_CAPABILITY
    return bpy.data.images[datablocks.result_name(RESULT_CAPABILITY, grey_image.name)]


def _material_maps(scene, render_image, options):
    """Normal and height maps of the render read as a photographed texture, wired into a material on
    the scene's first mesh; the demo shows the normal map."""
    import bpy
    from neural_render.blender import datablocks
    _run_operator(bpy.ops.neural_render.material_from_photo, image_name=render_image.name)
    return bpy.data.images[datablocks.result_name("Normal", render_image.name)]


def _relight_image(scene, render_image, options):
    """The render relit as a single image, without its scene: the network trained on virtual light
    stages, against the scene's world turned 200 degrees."""
    import bpy
    from neural_render.blender import datablocks
    _run_operator(bpy.ops.neural_render.relight_image, image_name=render_image.name, use_rotation=True,
                  rotation_deg=200.0, add_node=False)
    return bpy.data.images[datablocks.result_name("Relit", render_image.name)]


def _farm_turntable(scene, render_image, options):
    """The relight on a farm: the world keyframed through a turn over 8 frames, Write Farm Job, then the
    written Open Job Description bundle run by ``openjd run`` in two chunks (what Deadline Cloud would
    run); shows frame 3 of the turntable."""
    import json
    import subprocess

    import bpy
    from neural_render.blender import datablocks
    world = scene.world
    nodes, links = world.node_tree.nodes, world.node_tree.links
    mapping, coordinates = nodes.new("ShaderNodeMapping"), nodes.new("ShaderNodeTexCoord")
    environment = next(node for node in nodes if node.bl_idname == "ShaderNodeTexEnvironment")
    links.new(coordinates.outputs["Generated"], mapping.inputs["Vector"])
    links.new(mapping.outputs["Vector"], environment.inputs["Vector"])
    rotation = mapping.inputs["Rotation"]
    bpy.context.preferences.edit.keyframe_new_interpolation_type = "LINEAR"  # a steady turn
    for frame, degrees in ((1, 0.0), (9, 360.0)):  # one turn, frame 9 = frame 1
        rotation.default_value = (0.0, 0.0, np.radians(degrees))
        rotation.keyframe_insert("default_value", frame=frame)
    scene.frame_start, scene.frame_end = 1, 8
    scene.neural_render_relight.set_dir = os.path.join(os.path.abspath(options.out), "lightstage")
    farm = scene.neural_render_farm
    farm.python, farm.neural_render_cli, farm.chunk_size = sys.executable, os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "neural-render"), 4
    folder = os.path.join(os.path.abspath(options.out), "farm")
    _run_operator(bpy.ops.neural_render.write_farm_job, capability="RELIGHT", directory=folder)
    bundle = os.path.join(folder, "relight", "deadline")
    with open(os.path.join(bundle, "parameter_values.json"), encoding="utf-8") as handle:
        values = {entry["name"]: entry["value"] for entry in json.load(handle)["parameterValues"]}
    subprocess.run([sys.executable, "-m", "openjd", "run", os.path.join(bundle, "template.json"),
                    "--job-param", json.dumps(values)], check=True, capture_output=True)
    frame = bpy.data.images.load(os.path.join(values["OutputDir"], "frame_0003.exr"))
    return datablocks.array_to_image(datablocks.image_to_array(frame), "NR demo farm turntable")


CAPABILITY_DEMOS = [
    ("worker round trip", _round_trip),
    ("stylized render", _stylize),
    ("relit world turned 120 deg", _relight),
    ("colorized grey render", _colorize),
    ("GAN texture", _gan_texture),
    ("StyleGAN texture", _stylegan_texture),
    ("material normal map", _material_maps),
    ("render relit as an image", _relight_image),
    ("farm relight turntable frame 3", _farm_turntable),
]
