"""``neural-render colorize``: colour for a greyscale image — learned, from a reference, or from scribbles.

    neural-render colorize --in old_scan.png --out coloured.png
    neural-render colorize --in bricks_grey.exr --out bricks.exr --seamless --temperature 0.2
    neural-render colorize --in grey.png --out out.png --weights colorization_release_v2-9b330a0b.pth
    neural-render colorize --in grey.png --out out.png --reference photo.jpg [--method global]
    neural-render colorize --in grey.png --out out.png --hints strokes.png

Without --reference/--hints the learned colorizer runs: the bundled texture colorizer (trained on
thousands of real material textures), or the released ECCV16 weights with --model released or
--weights. --hints spreads the strokes with the learned hint network (--propagation levin: the
edge-aware solve).
Hints: an RGBA image where painted pixels are opaque (or an RGB image whose coloured pixels are the
strokes), any size. PNG/JPEG/TIFF alpha is straight; EXR alpha is premultiplied.
"""

import os

EXR_EXTENSIONS = (".exr",)


IMAGE_OUTPUTS = ("out",)  # checked by main before any work starts

def add_parser(subparsers):
    from neural_render.protocol.specs import colorize as spec

    from . import spec_options
    parser = subparsers.add_parser("colorize", help="colorize a greyscale image (learned, reference or scribbles)",
                                   description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--in", dest="input", required=True, metavar="GRAY", help="image to colorize")
    parser.add_argument("--out", required=True, metavar="OUT", help="EXR (linear) or PNG/JPEG/TIFF (sRGB)")
    parser.add_argument("--layer", metavar="NAME", help="the layer of a multilayer EXR --in to colorize")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--reference", metavar="REF", help="take colours from this colour image")
    mode.add_argument("--hints", metavar="H", help="propagate the colour strokes painted in this image")
    spec_options.add(parser, spec.AUTO, ("weights_path", "model", "temperature", "seamless", "allow_download"))
    spec_options.add(parser, spec.REFERENCE, ("method",))
    spec_options.add(parser, spec.SCRIBBLES, ("propagation",))
    spec_options.device_option(parser)
    return parser


def _premultiplied(path):
    return os.path.splitext(path)[1].lower() in EXR_EXTENSIONS


def run(args):
    from neural_render.protocol.specs import colorize as spec
    from neural_render.worker.imageio.files import read_image, write_image

    from . import spec_options
    from .engine import run_job
    from .main import CliInputError

    auto = spec_options.params(args, spec.AUTO)
    matching = spec_options.params(args, spec.REFERENCE)
    propagation = spec_options.params(args, spec.SCRIBBLES)
    if matching and not args.reference:
        raise CliInputError(f"{spec.REFERENCE['method'].flag} needs --reference")
    if propagation and not args.hints:
        raise CliInputError(f"{spec.SCRIBBLES['propagation'].flag} needs --hints")
    if (args.reference or args.hints) and auto:
        raise CliInputError(f"{', '.join(spec.AUTO[name].flag for name in auto)}: only for the learned "
                            "colorizer, not with --reference or --hints")
    if auto.get("weights_path") and not os.path.isfile(auto["weights_path"]):
        raise CliInputError(f"no weights file at {getattr(args, spec_options.dest(spec.AUTO['weights_path']))}")
    image = read_image(args.input, layer=args.layer)
    inputs = {"image": image}
    params = {"premultiplied": _premultiplied(args.input)}
    if args.reference:
        if _premultiplied(args.reference) != params["premultiplied"]:
            # One flag covers all inputs: bring the reference to the input's alpha convention.
            inputs["reference"] = read_image(args.reference)[:, :, :3]
        else:
            inputs["reference"] = read_image(args.reference)
        kind = "colorize.reference"
        params.update(matching)
    elif args.hints:
        hints = read_image(args.hints)
        if hints.shape[2] == 4 and _premultiplied(args.hints) != params["premultiplied"]:
            alpha = hints[:, :, 3:]
            hints[:, :, :3] = hints[:, :, :3] * alpha if params["premultiplied"] else \
                hints[:, :, :3] / (alpha + (alpha == 0))
        inputs["hints"] = hints
        kind = "colorize.scribbles"
        params.update(propagation)
    else:
        kind = "colorize.auto"
        params.update(auto)
    outputs = run_job(kind, params, inputs, device=args.device, label="colorize")
    write_image(args.out, outputs["image"])
    height, width = outputs["image"].shape[:2]
    note = " (the input already had colour: its luminance was colorized)" if outputs["input_was_colour"].item() else ""
    if "learned_hints" in outputs:
        note += (", hints spread by the learned hint network" if outputs["learned_hints"].item() else
                 ", hints spread by the edge-aware solve")
    print(f"wrote {args.out} ({width}x{height}){note}")
    return 0
