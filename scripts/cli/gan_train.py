"""``neural-render gan-train``: learn a texture GAN from one exemplar image or a folder of textures.

    neural-render gan-train --exemplar stones.png --out stones.nrgan --minutes 10
    neural-render gan-train --folder textures/ --out textures.nrgan --minutes 30
    neural-render gan-train --exemplar stones.png --out stones.nrgan --resume --minutes 5

The model is saved atomically every minute, at the end and on Ctrl-C, so an interrupted run keeps
what it learned; ``--resume`` continues it.
"""

import os

# The job parameters this subcommand offers; their flags, types, limits and help come from the spec.
OPTIONS = ("model_path", "minutes", "steps", "resume", "seed", "crop_size", "periodic_channels", "batch_size",
           "d_steps", "image_size", "preview_path", "preview_every")


def add_parser(subparsers):
    from neural_render.protocol.specs import gan as spec

    from . import spec_options
    parser = subparsers.add_parser("gan-train", help="train a texture GAN on an exemplar image or a folder",
                                   description=" ".join(__doc__.split("\n\n")[0].split()))
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--exemplar", metavar="IMG", help="one texture image (EXR linear; PNG/JPEG/TIFF sRGB)")
    spec_options.add(source, spec.TRAIN, ("folder",))
    spec_options.add(parser, spec.TRAIN, OPTIONS)
    spec_options.device_option(parser)
    return parser


def run(args):
    from neural_render.protocol.specs import gan as spec
    from neural_render.worker.imageio.files import read_image

    from . import spec_options
    from .engine import run_job
    from .main import CliInputError

    params = spec_options.params(args, spec.TRAIN)
    inputs = {}
    if args.exemplar:
        inputs["exemplar"] = read_image(args.exemplar)
    elif not os.path.isdir(params["folder"]):
        raise CliInputError(f"no folder at {params['folder']}")
    run_job("gan.train", params, inputs, device=args.device, label="gan-train")
    print(f"wrote {getattr(args, spec_options.dest(spec.TRAIN['model_path']))}")
    return 0
