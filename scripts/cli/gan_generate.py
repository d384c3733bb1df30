"""``neural-render gan-generate``: textures from a trained GAN model, any size, seeded, tileable.

    neural-render gan-generate --model stones.nrgan --size 2048 2048 --seed 7 --out stones.exr
    neural-render gan-generate --model stones.nrgan --size 512 512 --count 4 --no-tileable --out variation.png
    neural-render gan-generate --model stones.nrgan --size 512 512 --count 3 --walk 24 --out frame.png
    neural-render gan-generate --model stones.nrgan --size 512 512 --count 3 --walk 24 --range 24-47 --out walk/f.exr

Textures are seamlessly tileable unless ``--no-tileable``. With ``--count`` or ``--walk`` several files
are written: OUT's name gets ``_000``, ``_001``, ...; a walk's frames are written one by one as they
are generated. --range A-B makes only frames A to B of the walk (indices from 0; a farm task's share,
each frame identical to the whole walk's) and skips frames already written unless --overwrite.
"""

import os

# The job parameters this subcommand offers; their flags, types, limits and help come from the spec.
# Width and height are set by --size W H.
OPTIONS = ("model_path", "seed", "tileable", "variation", "count", "walk_frames")


IMAGE_OUTPUTS = ("out",)  # checked by main before any work starts

def add_parser(subparsers):
    from neural_render.protocol.specs import gan as spec

    from . import spec_options
    parser = subparsers.add_parser("gan-generate", help="generate textures from a trained GAN model",
                                   description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--size", type=int, nargs=2, metavar=("W", "H"),
                        help=f"output size in px (exemplar models; default {spec.DEFAULT_WIDTH} "
                             f"{spec.DEFAULT_WIDTH}; 1 to {spec.MAX_SIZE})")
    spec_options.add(parser, spec.GENERATE, OPTIONS)
    add_output_options(parser)
    spec_options.device_option(parser)
    return parser


def add_output_options(parser):
    """--out, and --range/--overwrite for a farm task's share of a walk (both generate subcommands)."""
    parser.add_argument("--out", required=True, metavar="OUT", help="EXR (linear) or PNG/JPEG/TIFF (sRGB)")
    parser.add_argument("--range", dest="frame_range", metavar="A-B",
                        help="with --walk: only the walk's frames A to B (from 0), finished ones skipped")
    parser.add_argument("--overwrite", action="store_true", help="with --range: redo frames already written")


def numbered(path, index):
    stem, extension = os.path.splitext(path)
    return f"{stem}_{index:03d}{extension}"


def walk_pattern(path):
    """The frame pattern whose frame N is ``numbered(path, N)``: OUT_stem_###.ext."""
    stem, extension = os.path.splitext(path)
    return f"{stem}_###{extension}"


def checked_params(args, spec):
    """(params, walk) of a generate subcommand: --size, the spec's options, a walk's frame pattern and
    --range, all checked before any work starts."""
    from . import spec_options
    from .main import CliInputError

    extra = dict(zip(("width", "height"), args.size)) if args.size else {}
    params = spec_options.params(args, spec.GENERATE, extra)
    walk = params.get("walk_frames", 0) > 0
    if walk and params.get("count", 1) < 2:
        raise CliInputError("--walk needs --count 2 or more (the seeds to walk through)")
    if not os.path.isfile(params["model_path"]):
        raise CliInputError(f"no model file at {getattr(args, spec_options.dest(spec.GENERATE['model_path']))}")
    if args.frame_range and not walk:
        raise CliInputError("--range is for latent walks: give --walk too")
    if walk:
        params["output_pattern"] = walk_pattern(os.path.abspath(args.out))
    if args.frame_range:
        from . import sequence_options
        from .engine import request_determinism
        params["walk_range"] = list(sequence_options.parsed_range(args.frame_range))
        params["skip_existing"] = not args.overwrite
        request_determinism()
    return params, walk


def write_results(args, outputs, params, walk):
    """Write what a generate job returned (a walk's frames are already on disk) and say so."""
    from neural_render.worker.imageio.files import write_image
    if walk:  # the job wrote each frame as it was generated
        height, width = outputs["last"].shape[:2]
        first, last = params.get("walk_range") or (0, None)
        span = f"{numbered(args.out, first)} to {numbered(args.out, last)}" if last is not None else \
            f"{numbered(args.out, 0)}, {numbered(args.out, 1)} ..."
        print(f"wrote the latent walk's frames of {width}x{height}: {span}")
        return 0
    names = sorted(outputs)
    paths = [args.out] if len(names) == 1 else [numbered(args.out, index) for index in range(len(names))]
    for name, path in zip(names, paths):
        write_image(path, outputs[name])
    height, width = outputs[names[0]].shape[:2]
    print(f"wrote {len(paths)} file(s) of {width}x{height}: {', '.join(paths[:3])}{' ...' if len(paths) > 3 else ''}")
    return 0


def run(args):
    from neural_render.protocol.specs import gan as spec

    from .engine import run_job

    params, walk = checked_params(args, spec)
    outputs = run_job("gan.generate", params, {}, device=args.device, label="gan-generate")
    return write_results(args, outputs, params, walk)
