"""``neural-render stylegan-generate``: textures from a StyleGAN model: any size, seeded, tileable,
truncated, mixed, around a projected latent, or a latent walk.

    neural-render stylegan-generate --model wood.nrgan --size 2048 2048 --seed 7 --out wood.exr
    neural-render stylegan-generate --model wood.nrgan --size 512 512 --count 8 --psi 0.7 --out wood.png
    neural-render stylegan-generate --model wood.nrgan --size 512 512 --seed 3 --mix-with 9 --mix-layer 4 --out mixed.png
    neural-render stylegan-generate --model wood.nrgan --latent mine.nrlatent --count 4 --size 512 512 --out mine.png
    neural-render stylegan-generate --model wood.nrgan --size 512 512 --count 3 --walk 24 --out walk/frame.exr

Textures are seamlessly tileable unless ``--no-tileable`` (tileable sizes are multiples of 16 px).
With ``--count`` or ``--walk`` several files are written: OUT's name gets ``_000``, ``_001``, ...
"""

OPTIONS = ("model_path", "seed", "count", "psi", "tileable", "mix_seed", "mix_layer", "latent_path",
           "walk_frames")
IMAGE_OUTPUTS = ("out",)


def add_parser(subparsers):
    from neural_render.protocol.specs import stylegan as spec

    from . import gan_generate, spec_options
    parser = subparsers.add_parser("stylegan-generate", help="generate textures from a StyleGAN model",
                                   description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--size", type=int, nargs=2, metavar=("W", "H"),
                        help=f"output size in px (default {spec.DEFAULT_WIDTH} {spec.DEFAULT_WIDTH}; 1 to {spec.MAX_SIZE})")
    spec_options.add(parser, spec.GENERATE, OPTIONS)
    gan_generate.add_output_options(parser)
    spec_options.device_option(parser)
    return parser


def run(args):
    from neural_render.protocol.specs import stylegan as spec

    from .engine import run_job
    from .gan_generate import checked_params, write_results
    from .main import CliInputError

    params, walk = checked_params(args, spec)
    if "mix_layer" in params and "mix_seed" not in params:
        raise CliInputError("--mix-layer needs --mix-with (the seed whose fine layers are taken)")
    outputs = run_job("stylegan.generate", params, {}, device=args.device, label="stylegan-generate")
    return write_results(args, outputs, params, walk)
