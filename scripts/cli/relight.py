"""``neural-render relight``: a light-stage set relit against an HDRI world, without Blender.

    neural-render relight --set scans/actor --world studio.exr --rotation 37 --strength 1.5 --out relit.exr
    neural-render relight --set scans/actor --world sky.exr --turntable 48 --out turn.exr   (turn_0000.exr ...)

--rotation is the world's Mapping rotation about Z in degrees, exactly as in Blender's Mapping node.
"""

import os


def add_parser(subparsers):
    parser = subparsers.add_parser("relight", help="relight a light-stage set against an HDRI world",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("--set", required=True, metavar="DIR", help="light set folder (lights.csv or lightgrid.json)")
    parser.add_argument("--world", required=True, metavar="HDR", help="equirectangular environment (EXR linear)")
    parser.add_argument("--rotation", type=float, default=0.0, metavar="DEG", help="world rotation about Z")
    parser.add_argument("--strength", type=float, default=1.0, metavar="S", help="Background strength")
    parser.add_argument("--turntable", type=int, default=0, metavar="FRAMES",
                        help="relight FRAMES frames of a full world turn (one GEMM); OUT gets _0000, _0001...")
    parser.add_argument("--rank", type=int, default=0, help="low-rank preview of this rank (0: exact)")
    parser.add_argument("--float16", action="store_true", help="hold the set as float16 (half the memory)")
    parser.add_argument("--memory-limit-mb", type=float, default=4096, help="stream sets larger than this")
    parser.add_argument("--out", required=True, metavar="OUT", help="EXR (linear) or PNG/JPEG/TIFF (sRGB)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    return parser


def run(args):
    import math

    from neural_render.worker.imageio.files import write_image

    from .engine import run_job
    from .main import CliInputError

    if not os.path.isdir(args.set):
        raise CliInputError(f"no light set folder at {args.set}")
    if not os.path.isfile(args.world):
        raise CliInputError(f"no world image at {args.world}")
    if args.turntable < 0:
        raise CliInputError("--turntable must be 0 or more frames")
    params = {"set": os.path.abspath(args.set), "world": os.path.abspath(args.world),
              "strength": args.strength, "rotation_deg": args.rotation,
              "storage": "float16" if args.float16 else "float32", "memory_limit_mb": args.memory_limit_mb}
    if args.rank:
        params["rank"] = args.rank
    if args.turntable:
        start = math.radians(args.rotation)
        params["frames"] = [{"rotation": [0.0, 0.0, start + 2 * math.pi * index / args.turntable]}
                            for index in range(args.turntable)]
    outputs = run_job("relight.apply", params, {}, device=args.device, label="relight")
    if args.turntable:
        stem, extension = os.path.splitext(args.out)
        paths = [f"{stem}_{index:04d}{extension}" for index in range(args.turntable)]
        for index, path in enumerate(paths):
            write_image(path, outputs[f"frame_{index:04d}"])
    else:
        paths = [args.out]
        write_image(args.out, outputs["relit"])
    print(f"wrote {len(paths)} file(s): {', '.join(paths[:3])}{' ...' if len(paths) > 3 else ''}")
    return 0
