"""``neural-render stylegan-project``: find the latent of a StyleGAN model that reproduces a texture,
then make variations of it (the same look, other layouts).

    neural-render stylegan-project --model wood.nrgan --image my_wood.png --out my_wood.nrlatent --variations 4

Writes the latent (for ``stylegan-generate --latent``), the fitted texture as ``--images`` (default:
the latent's name as .exr) and the variations beside it, numbered _000, _001, ...
"""

import os

OPTIONS = ("model_path", "latent_path", "steps", "variations", "seed", "perceptual_weight", "noise_weight")
IMAGE_OUTPUTS = ("images",)


def add_parser(subparsers):
    from neural_render.protocol.specs import stylegan as spec

    from . import spec_options
    parser = subparsers.add_parser("stylegan-project", help="fit a StyleGAN latent to a texture, then vary it",
                                   description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--image", required=True, metavar="IMG", help="the texture (EXR linear; PNG/JPEG/TIFF sRGB)")
    parser.add_argument("--layer", metavar="NAME", help="the layer of a multilayer EXR --image")
    spec_options.add(parser, spec.PROJECT, OPTIONS)
    parser.add_argument("--images", metavar="OUT", help="the fitted texture (default: the latent's name as .exr); "
                        "variations as OUT_000, OUT_001, ...")
    spec_options.device_option(parser)
    return parser


def run(args):
    from neural_render.protocol.specs import stylegan as spec
    from neural_render.worker.imageio.atomic import check_writable
    from neural_render.worker.imageio.files import read_image, write_image

    from . import spec_options
    from .engine import run_job
    from .gan_generate import numbered
    from .main import CliInputError

    params = spec_options.params(args, spec.PROJECT)
    if not os.path.isfile(params["model_path"]):
        raise CliInputError(f"no model file at {getattr(args, spec_options.dest(spec.PROJECT['model_path']))}")
    images = args.images or os.path.splitext(params["latent_path"])[0] + ".exr"
    check_writable(images)
    outputs = run_job("stylegan.project", params, {"image": read_image(args.image, layer=args.layer)},
                      device=args.device, label="stylegan-project")
    write_image(images, outputs["reconstruction"])
    variations = sorted(name for name in outputs if name.startswith("variation_"))
    for index, name in enumerate(variations):
        write_image(numbered(images, index), outputs[name])
    print(f"wrote {params['latent_path']}, {images}" + (f" and {len(variations)} variation(s)" if variations else ""))
    return 0
