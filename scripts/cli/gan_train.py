"""``neural-render gan-train``: learn a texture GAN from one exemplar image or a folder of textures.

    neural-render gan-train --exemplar stones.png --out stones.nrgan --minutes 10
    neural-render gan-train --folder textures/ --out textures.nrgan --minutes 30
    neural-render gan-train --exemplar stones.png --out stones.nrgan --resume --minutes 5

The model is saved atomically every minute, at the end and on Ctrl-C, so an interrupted run keeps
what it learned; ``--resume`` continues it.
"""

import os


def add_parser(subparsers):
    parser = subparsers.add_parser("gan-train", help="train a texture GAN on an exemplar image or a folder",
                                   description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--exemplar", metavar="IMG", help="one texture image (EXR linear; PNG/JPEG/TIFF sRGB)")
    source.add_argument("--folder", metavar="DIR", help="a folder of same-sized texture images (DCGAN)")
    parser.add_argument("--out", metavar="MODEL", required=True, help="model file to write (e.g. stones.nrgan)")
    parser.add_argument("--minutes", type=float, help="training time (default 10, or until --steps)")
    parser.add_argument("--steps", type=int, help="stop after this many steps")
    parser.add_argument("--resume", action="store_true", help="continue training the model in --out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--crop-size", type=int, help="exemplar training crop in px (a multiple of 8; default 64)")
    parser.add_argument("--periodic-channels", type=int, metavar="N",
                        help="exemplar models: sinusoid noise channels for regular patterns (bricks, tiles, "
                             "weaves); 0 for irregular textures (default: the model's)")
    parser.add_argument("--batch-size", type=int, help="crops or images per step (default: the model's)")
    parser.add_argument("--d-steps", type=int, help="discriminator steps per generator step (default 1)")
    parser.add_argument("--image-size", type=int, default=64, choices=(32, 64, 128),
                        help="folder models: the size they learn and generate")
    parser.add_argument("--preview", metavar="IMG", help="rewrite this image with a sample as training goes")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    return parser


def run(args):
    from neural_render.worker.imageio.files import read_image

    from .engine import run_job
    from .main import CliInputError

    params = {"model_path": os.path.abspath(args.out), "resume": args.resume, "seed": args.seed,
              "image_size": args.image_size}
    for name in ("minutes", "steps", "crop_size", "periodic_channels", "batch_size", "d_steps"):
        if getattr(args, name) is not None:
            params[name] = getattr(args, name)
    if args.preview:
        params["preview_path"] = os.path.abspath(args.preview)
    inputs = {}
    if args.exemplar:
        inputs["exemplar"] = read_image(args.exemplar)
    else:
        if not os.path.isdir(args.folder):
            raise CliInputError(f"no folder at {args.folder}")
        params["folder"] = os.path.abspath(args.folder)
    run_job("gan.train", params, inputs, device=args.device, label="gan-train")
    print(f"wrote {args.out}")
    return 0
