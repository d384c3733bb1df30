"""``neural-render normal-to-height``: a height map from a tangent-space normal map.

    neural-render normal-to-height --in bricks_normal.png --out bricks_height.exr
    neural-render normal-to-height --in unreal_normal.png --out h.png --green directx --tileable

The normal map is read as data (0.5·n + 0.5, not colour); the height is its Frankot–Chellappa
integral, from 0 (lowest) to 1 (highest). A map that looks read with the wrong green convention is
reported.
"""

OPTIONS = ("tileable", "green")
IMAGE_OUTPUTS = ("out",)  # checked by main before any work starts


def add_parser(subparsers):
    from neural_render.protocol.specs import material as spec

    from . import spec_options
    parser = subparsers.add_parser("normal-to-height", help="a height map from a tangent-space normal map",
                                   description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--in", dest="input", required=True, metavar="NORMAL", help="the normal map")
    parser.add_argument("--out", required=True, metavar="H", help="height map: PNG (8/16-bit), TIFF or EXR")
    parser.add_argument("--bits", type=int, choices=(8, 16), default=16, help="PNG sample depth (default 16)")
    spec_options.add(parser, spec.NORMAL_TO_HEIGHT, OPTIONS)
    spec_options.device_option(parser)
    return parser


def run(args):
    from neural_render.protocol.specs import material as spec
    from neural_render.worker.imageio.files import read_image, write_image

    from . import spec_options
    from .engine import run_job
    from .material_maps import check_inputs

    check_inputs(args, spec.NORMAL_TO_HEIGHT, None)
    params = spec_options.params(args, spec.NORMAL_TO_HEIGHT)
    outputs = run_job("material.normal_to_height", params, {"normal": read_image(args.input, data=True)},
                      device=args.device, label="normal-to-height")
    write_image(args.out, outputs["height"], bits=args.bits, data=True)
    height, width = outputs["height"].shape[:2]
    print(f"wrote {args.out} ({width}x{height})")
    return 0
