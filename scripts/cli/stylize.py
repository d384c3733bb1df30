"""``neural-render stylize``: neural style transfer (Gatys et al.; or one feed-forward pass with --preset
instant) of an image or render, without Blender.

    neural-render stylize --content render.exr --style painting.jpg --out stylized.exr
    neural-render stylize --content render.exr --style painting.jpg --preset instant --out preview.exr
    neural-render stylize --content render.exr --style a.png --style b.png --style-weight 0.7 --style-weight 0.3 \
        --preserve-colors --mask objects.png --feather 8 --preset fast --out stylized.exr

EXR in/out is scene-linear; PNG/JPEG/TIFF are sRGB. The output has the content's size unless --size
asks for another long side.
"""

import os


# The job parameters this subcommand offers; their flags, types, limits and help come from the spec.
OPTIONS = ("size", "steps", "preset", "strength", "style_scale", "preserve_colors", "mask_source",
           "mask_indices", "feather", "optimizer", "init", "layer_weights", "tv_weight", "view_transform",
           "keep_highlights", "backbone", "weights_path", "seed", "style_weights")


IMAGE_OUTPUTS = ("out",)  # checked by main before any work starts

def add_parser(subparsers):
    from neural_render.protocol.specs import stylize as spec

    from . import spec_options
    parser = subparsers.add_parser("stylize", help="stylize an image with one or more style images",
                                   description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--content", required=True, metavar="IN", help="the image or render to stylize")
    parser.add_argument("--style", required=True, action="append", metavar="S", help="style image (repeatable)")
    parser.add_argument("--out", required=True, metavar="OUT", help="EXR (linear) or PNG/JPEG/TIFF (sRGB)")
    parser.add_argument("--layer", metavar="NAME",
                        help="the layer or pass of a multilayer EXR --content to stylize (e.g. Combined)")
    parser.add_argument("--mask", metavar="M", help="stylize only where this image is white (the content's aspect ratio; "
                        "resized to the working size: nearest for --mask-source object_index, averaged otherwise)")
    parser.add_argument("--background-style", action="append", metavar="S", help="style outside the mask")
    parser.add_argument("--init-image", metavar="IMG", help="start from this earlier result (same size as the output)")
    spec_options.add(parser, spec.IMAGE, OPTIONS)
    spec_options.device_option(parser)
    return parser


def _read(path, what, layer=None):
    from neural_render.worker.imageio.files import read_image

    from .main import CliInputError
    if os.path.isdir(path):
        raise CliInputError(f"{what} '{path}' is a folder, not an image file")
    if not os.path.isfile(path):
        raise CliInputError(f"{what} not found: {path}")
    return read_image(path, layer=layer)


def run(args):
    from neural_render.protocol.specs import stylize as spec
    from neural_render.worker.imageio.files import write_image

    from . import spec_options
    from .engine import run_job
    from .main import CliInputError

    extra = {"premultiplied": args.content.lower().endswith(".exr")}  # PNG/TIFF alpha is straight
    if args.init_image:
        extra["init"] = "previous"
    params = spec_options.params(args, spec.IMAGE, extra)
    if params.get("weights_path") and not os.path.isfile(params["weights_path"]):
        raise CliInputError(f"no VGG19 weights file at {args.param_weights_path}: name an existing file")
    if params.get("style_weights") and len(params["style_weights"]) != len(args.style):
        raise CliInputError(f"give one --style-weight per --style ({len(args.style)}), got {len(params['style_weights'])}")
    if args.background_style and not args.mask and params.get("mask_source") != "alpha":
        raise CliInputError("--background-style needs --mask (or --mask-source alpha)")
    content = _read(args.content, "content image", args.layer)
    inputs = {"content": content}
    for index, path in enumerate(args.style):
        inputs[f"style_{index}"] = _read(path, "style image")
    for index, path in enumerate(args.background_style or []):
        inputs[f"background_style_{index}"] = _read(path, "background style image")
    if args.mask:
        inputs["mask"] = _read(args.mask, "mask")
    if args.init_image:
        inputs["previous"] = _read(args.init_image, "init image")
    outputs = run_job("stylize.image", params, inputs, device=args.device, label="stylize")
    write_image(args.out, outputs["result"])
    height, width = outputs["result"].shape[:2]
    print(f"wrote {args.out} ({width}x{height})")
    return 0
