"""``neural-render relight``: a light-stage set relit against an HDRI world, without Blender.

    neural-render relight --set scans/actor --world studio.exr --rotation 37 --strength 1.5 --out relit.exr
    neural-render relight --set scans/actor --world sky.exr --turntable 48 --out turn.exr   (turn_0000.exr ...)

--rotation is the world's Mapping rotation about Z in degrees, exactly as in Blender's Mapping node.
A turntable's frames are written by the job as each is relit (turn_0000.exr, turn_0001.exr, ...).
"""

import os

# The job parameters this subcommand offers; their flags, types, limits and help come from the spec.
OPTIONS = ("set", "world", "rotation_deg", "strength", "rank", "storage", "memory_limit_mb")


IMAGE_OUTPUTS = ("out",)  # checked by main before any work starts

def add_parser(subparsers):
    from neural_render.protocol.specs import relight as spec

    from . import spec_options
    parser = subparsers.add_parser("relight", help="relight a light-stage set against an HDRI world",
                                   description=" ".join(__doc__.split("\n\n")[0].split()))
    spec_options.add(parser, spec.APPLY, OPTIONS)
    storage = spec.APPLY["storage"]
    parser.add_argument("--float16", dest=spec_options.dest(storage), action="store_const", const="float16",
                        help="the same as --storage float16 (half the memory)")
    rank = next(action for action in parser._actions if action.dest == spec_options.dest(spec.APPLY["rank"]))
    rank.help += "; 0: exact (the same as not giving it)"
    parser.add_argument("--turntable", type=int, default=0, metavar="FRAMES",
                        help="relight FRAMES frames of a full world turn, each written as soon as it is done: OUT gets "
                             "_0000, _0001...")
    parser.add_argument("--out", required=True, metavar="OUT", help="EXR (linear) or PNG/JPEG/TIFF (sRGB)")
    spec_options.device_option(parser)
    return parser


def run(args):
    import math

    from neural_render.protocol.frame_paths import frame_path
    from neural_render.protocol.specs import relight as spec
    from neural_render.worker.imageio.files import write_image

    from . import spec_options
    from .engine import run_job
    from .main import CliInputError

    rank = spec_options.dest(spec.APPLY["rank"])
    if getattr(args, rank) == 0:  # --rank 0 has always meant exact
        setattr(args, rank, None)
    if args.turntable < 0:
        raise CliInputError("--turntable must be 0 or more frames")
    extra = {}
    if args.turntable:
        start = math.radians(getattr(args, spec_options.dest(spec.APPLY["rotation_deg"])) or 0.0)
        stem, extension = os.path.splitext(args.out)
        extra = {"frames": [{"rotation": [0.0, 0.0, start + 2 * math.pi * index / args.turntable]}
                            for index in range(args.turntable)],
                 "output_pattern": f"{stem}_####{extension}", "frame_numbers": list(range(args.turntable))}
    params = spec_options.params(args, spec.APPLY, extra)
    if not os.path.isdir(params["set"]):
        raise CliInputError(f"no light set folder at {params['set']}")
    if not params.get("world"):
        raise CliInputError("--world is required: the equirectangular environment (EXR linear)")
    if not os.path.isfile(params["world"]):
        raise CliInputError(f"no world image at {params['world']}")
    outputs = run_job("relight.apply", params, {}, device=args.device, label="relight")
    if args.turntable:
        paths = [frame_path(extra["output_pattern"], number) for number in extra["frame_numbers"]]
    else:
        paths = [args.out]
        write_image(args.out, outputs["relit"])
    print(f"wrote {len(paths)} file(s): {', '.join(paths[:3])}{' ...' if len(paths) > 3 else ''}")
    return 0
