"""``neural-render material-maps``: normal and height maps from a photographed texture.

    neural-render material-maps --in bricks.jpg --out-normal bricks_normal.png --out-height bricks_height.exr
    neural-render material-maps --in bricks.jpg --out-normal n.png --bits 16 --tileable
    neural-render material-maps --in bricks.jpg --out-height h.png --height-source integrated

Every output is optional but at least one is needed; the format follows the extension. Normals are
Blender's OpenGL tangent-space encoding 0.5·n + 0.5 (PNG 8 or 16 bit, or float EXR), written as data,
not colour; heights run from 0 (lowest) to 1 (highest). The photo is read as colour (sRGB PNG/JPEG/
TIFF, linear EXR).
"""

# The job parameters this subcommand offers; their flags, types, limits and help come from the spec.
OPTIONS = ("tileable", "height_source", "weights_path")
IMAGE_OUTPUTS = ("out_normal", "out_height")  # checked by main before any work starts


def add_parser(subparsers):
    from neural_render.protocol.specs import material as spec

    from . import spec_options
    parser = subparsers.add_parser("material-maps", help="normal and height maps from a photographed texture",
                                   description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--in", dest="input", required=True, metavar="PHOTO", help="the photographed texture")
    parser.add_argument("--out-normal", metavar="N", help="normal map: PNG (8/16-bit) or EXR")
    parser.add_argument("--out-height", metavar="H", help="height map: PNG (8/16-bit), TIFF or EXR")
    parser.add_argument("--bits", type=int, choices=(8, 16), default=16,
                        help="PNG sample depth of the maps (default 16)")
    spec_options.add(parser, spec.FROM_PHOTO, OPTIONS)
    spec_options.device_option(parser)
    return parser


def check_inputs(args, spec, weights_name):
    import os

    from . import spec_options
    from .main import CliInputError
    if not os.path.isfile(args.input):
        raise CliInputError(f"no such file: {args.input}")
    weights = getattr(args, spec_options.dest(spec[weights_name]), None) if weights_name else None
    if weights and not os.path.isfile(weights):
        raise CliInputError(f"no model file at {weights}")


def run(args):
    from neural_render.protocol.specs import material as spec
    from neural_render.worker.imageio.files import read_image, write_image

    from . import spec_options
    from .engine import run_job
    from .main import CliInputError

    if not (args.out_normal or args.out_height):
        raise CliInputError("nothing to write: give --out-normal and/or --out-height")
    check_inputs(args, spec.FROM_PHOTO, "weights_path")
    params = spec_options.params(args, spec.FROM_PHOTO)
    outputs = run_job("material.from_photo", params, {"image": read_image(args.input)}, device=args.device,
                      label="material-maps")
    written = []
    for path, name in ((args.out_normal, "normal"), (args.out_height, "height")):
        if path:
            write_image(path, outputs[name], bits=args.bits, data=True)
            written.append(path)
    height, width = outputs["normal"].shape[:2]
    print(f"wrote {', '.join(written)} ({width}x{height})")
    return 0
