"""``neural-render stylegan-train``: learn a StyleGAN from a texture set, a folder or a category of the
texture library.

    neural-render stylegan-train --folder stones/ --out stones.nrgan --minutes 60
    neural-render stylegan-train --category wood --out wood.nrgan --minutes 60 --texture-scale 4
    neural-render stylegan-train --category wood --out wood.nrgan --resume --minutes 30

The model is saved atomically every minute, at the end and on Ctrl-C, so an interrupted run keeps
what it learned; ``--resume`` continues it (on another machine too). A category is one of the texture
library's (stone is 'rock'): its training crops, written once as PNG files beside the library.
"""

import os

OPTIONS = ("model_path", "minutes", "steps", "resume", "seed", "image_size", "texture_scale", "augment",
           "batch_size", "preview_path", "preview_every")
DEFAULT_LIBRARY = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                               ".cache", "textures")


def add_parser(subparsers):
    from neural_render.protocol.specs import stylegan as spec

    from . import spec_options
    parser = subparsers.add_parser("stylegan-train", help="train a StyleGAN on a folder or library category",
                                   description=" ".join(__doc__.split("\n\n")[0].split()))
    source = parser.add_mutually_exclusive_group(required=True)
    spec_options.add(source, spec.TRAIN, ("folder",))
    source.add_argument("--category", metavar="NAME",
                        help="a category of the texture library (rock, wood, grass, brick, metal, ...)")
    parser.add_argument("--library", metavar="DIR", default=DEFAULT_LIBRARY,
                        help="the texture library for --category (default: .cache/textures)")
    spec_options.add(parser, spec.TRAIN, OPTIONS)
    spec_options.device_option(parser)
    return parser


def category_folder(library_folder, category, split="train"):
    """A folder of the category's crops as PNG files (written once, beside the library)."""
    from training.textures.shards import LibraryError, TextureLibrary

    from .main import CliInputError
    try:
        library = TextureLibrary(library_folder)
    except LibraryError as error:
        raise CliInputError(str(error)) from None
    known = sorted({item["category"] for item in library.items()})
    if category not in known:
        raise CliInputError(f"no category '{category}' in the texture library (it has {', '.join(known)})")
    folder = os.path.join(library_folder, "categories", f"{category}-{split}")
    stamp = os.path.join(folder, ".built")
    if os.path.isfile(stamp) and open(stamp).read() == library.index.get("built", ""):
        return folder
    import numpy as np
    from PIL import Image
    items, crops = library.load(split)
    os.makedirs(folder, exist_ok=True)
    for item, crop in zip(items, crops):
        if item["category"] == category:
            name = item["key"].replace(":", "_").replace("/", "_") + f"_{item['crop']}.png"
            Image.fromarray(np.asarray(crop)).save(os.path.join(folder, name))
    with open(stamp, "w") as file:
        file.write(library.index.get("built", ""))
    return folder


def run(args):
    from neural_render.protocol.specs import stylegan as spec

    from . import spec_options
    from .engine import run_job
    from .main import CliInputError

    extra = {"folder": category_folder(args.library, args.category)} if args.category else {}
    params = spec_options.params(args, spec.TRAIN, extra)
    if not os.path.isdir(params["folder"]):
        raise CliInputError(f"no folder at {params['folder']}")
    run_job("stylegan.train", params, {}, device=args.device, label="stylegan-train")
    print(f"wrote {getattr(args, spec_options.dest(spec.TRAIN['model_path']))}")
    return 0
