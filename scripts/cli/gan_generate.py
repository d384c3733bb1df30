"""``neural-render gan-generate``: textures from a trained GAN model, any size, seeded, tileable.

    neural-render gan-generate --model stones.nrgan --size 2048 2048 --seed 7 --tileable --out stones.exr
    neural-render gan-generate --model stones.nrgan --size 512 512 --count 4 --out variation.png
    neural-render gan-generate --model stones.nrgan --size 512 512 --count 3 --walk 24 --out frame.png

With ``--count`` or ``--walk`` several files are written: OUT's name gets ``_000``, ``_001``, ...
"""

import os


def add_parser(subparsers):
    parser = subparsers.add_parser("gan-generate", help="generate textures from a trained GAN model",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, metavar="MODEL", help="model file from gan-train")
    parser.add_argument("--size", type=int, nargs=2, metavar=("W", "H"),
                        help="output size in px (exemplar models; default 1024 1024)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tileable", action="store_true", help="seamlessly tileable output")
    parser.add_argument("--variation", type=float, default=0.0, metavar="V",
                        help="0-1 (exemplar models): how far a seed may move the overall colour and brightness "
                             "from the exemplar's; 0 (default) keeps the exemplar's look, seeds differ in layout")
    parser.add_argument("--count", type=int, default=1, help="textures with seeds SEED, SEED+1, ...")
    parser.add_argument("--walk", type=int, default=0, metavar="FRAMES",
                        help="an animated latent walk through COUNT seeds, FRAMES frames between seeds")
    parser.add_argument("--out", required=True, metavar="OUT", help="EXR (linear) or PNG/JPEG/TIFF (sRGB)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    return parser


def numbered(path, index):
    stem, extension = os.path.splitext(path)
    return f"{stem}_{index:03d}{extension}"


def run(args):
    from neural_render.worker.imageio.files import write_image

    from .engine import run_job
    from .main import CliInputError

    if not 0.0 <= args.variation <= 1.0:  # also refuses NaN
        raise CliInputError(f"--variation must be from 0 to 1, got {args.variation}")
    if args.walk and args.count < 2:
        raise CliInputError("--walk needs --count 2 or more (the seeds to walk through)")
    if not os.path.isfile(args.model):
        raise CliInputError(f"no model file at {args.model}")
    params = {"model_path": os.path.abspath(args.model), "seed": args.seed, "tileable": args.tileable,
              "count": args.count, "walk_frames": args.walk, "variation": args.variation}
    if args.size:
        params["width"], params["height"] = args.size
    outputs = run_job("gan.generate", params, {}, device=args.device, label="gan-generate")
    names = sorted(outputs)
    paths = [args.out] if len(names) == 1 else [numbered(args.out, index) for index in range(len(names))]
    for name, path in zip(names, paths):
        write_image(path, outputs[name])
    height, width = outputs[names[0]].shape[:2]
    print(f"wrote {len(paths)} file(s) of {width}x{height}: {', '.join(paths[:3])}{' ...' if len(paths) > 3 else ''}")
    return 0
