"""``neural-render stylize``: neural style transfer (Gatys et al.) of an image or render, without Blender.

    neural-render stylize --content render.exr --style painting.jpg --out stylized.exr
    neural-render stylize --content render.exr --style a.png --style b.png --style-weight 0.7 --style-weight 0.3 \
        --preserve-colors --mask objects.png --feather 8 --preset fast --out stylized.exr

EXR in/out is scene-linear; PNG/JPEG/TIFF are sRGB. The output has the content's size unless --size
asks for another long side.
"""

import os


def add_parser(subparsers):
    parser = subparsers.add_parser("stylize", help="stylize an image with one or more style images",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("--content", required=True, metavar="IN", help="the image or render to stylize")
    parser.add_argument("--style", required=True, action="append", metavar="S", help="style image (repeatable)")
    parser.add_argument("--style-weight", type=float, action="append", metavar="W",
                        help="blend weight of each --style, in order (default: equal)")
    parser.add_argument("--out", required=True, metavar="OUT", help="EXR (linear) or PNG/JPEG/TIFF (sRGB)")
    parser.add_argument("--size", type=int, metavar="PX", help="long side of the output (default: the content's)")
    parser.add_argument("--steps", type=int, help="evaluations at the coarsest scale (finer scales follow)")
    parser.add_argument("--preset", choices=("fast", "default", "quality"), default="default")
    parser.add_argument("--strength", type=float, default=1.0, help="style strength (beta/alpha relative to default)")
    parser.add_argument("--style-scale", type=float, default=1.0, help="style size relative to the output")
    parser.add_argument("--preserve-colors", action="store_true", help="transfer in luminance only")
    parser.add_argument("--mask", metavar="M", help="stylize only where this image is white (same size)")
    parser.add_argument("--mask-source", choices=("mask", "alpha", "object_index"), default="mask")
    parser.add_argument("--mask-index", type=int, action="append", help="Object Index pass value(s) to stylize")
    parser.add_argument("--feather", type=float, default=0.0, help="mask edge softness in px")
    parser.add_argument("--background-style", action="append", metavar="S", help="style outside the mask")
    parser.add_argument("--optimizer", choices=("lbfgs", "adam"), default="lbfgs")
    parser.add_argument("--init", choices=("content", "noise"), default="content")
    parser.add_argument("--init-image", metavar="IMG", help="start from this earlier result (same size as the output)")
    parser.add_argument("--layer-weight", action="append", metavar="LAYER=W",
                        help="style layer weight, e.g. relu1_1=0.5 (repeatable; unnamed layers get 0 once any is given)")
    parser.add_argument("--tv-weight", type=float, help="total-variation (smoothness) weight (default 2)")
    parser.add_argument("--view", choices=("standard", "compressed"), default="standard",
                        help="view transform for EXR input: standard (sRGB) or compressed (AgX/Filmic-like)")
    parser.add_argument("--clip-highlights", action="store_true", help="do not restore values above 1")
    parser.add_argument("--backbone", choices=("auto", "vgg19", "vgg16"), default="auto")
    parser.add_argument("--weights", metavar="PTH", help="VGG19 weights file (torchvision's vgg19-dcbb9e9d.pth)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    return parser


def _read(path, what):
    from neural_render.worker.imageio.files import read_image

    from .main import CliInputError
    if not os.path.isfile(path):
        raise CliInputError(f"{what} not found: {path}")
    return read_image(path)


def _layer_weights(pairs):
    from .main import CliInputError
    weights = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise CliInputError(f"--layer-weight takes LAYER=WEIGHT (e.g. relu1_1=0.5), got '{pair}'") from None
    return weights


def run(args):
    from neural_render.worker.imageio.files import write_image

    from .engine import run_job
    from .main import CliInputError

    if args.style_weight and len(args.style_weight) != len(args.style):
        raise CliInputError(f"give one --style-weight per --style ({len(args.style)}), got {len(args.style_weight)}")
    if args.background_style and not args.mask and args.mask_source != "alpha":
        raise CliInputError("--background-style needs --mask (or --mask-source alpha)")
    content = _read(args.content, "content image")
    inputs = {"content": content}
    for index, path in enumerate(args.style):
        inputs[f"style_{index}"] = _read(path, "style image")
    for index, path in enumerate(args.background_style or []):
        inputs[f"background_style_{index}"] = _read(path, "background style image")
    if args.mask:
        inputs["mask"] = _read(args.mask, "mask")
    if args.init_image:
        inputs["previous"] = _read(args.init_image, "init image")
    display_input = not args.content.lower().endswith(".exr")
    params = {"preset": args.preset, "strength": args.strength, "style_scale": args.style_scale,
              "preserve_colors": args.preserve_colors, "mask_source": args.mask_source,
              "mask_indices": args.mask_index or [], "feather": args.feather, "optimizer": args.optimizer,
              "init": args.init, "view_transform": args.view, "keep_highlights": not args.clip_highlights,
              "backbone": args.backbone, "seed": args.seed,
              # PNG/TIFF alpha is straight; EXR (and Blender) colour is premultiplied.
              "premultiplied": not display_input}
    if args.style_weight:
        params["style_weights"] = args.style_weight
    if args.init_image:
        params["init"] = "previous"
    if args.layer_weight:
        params["layer_weights"] = _layer_weights(args.layer_weight)
    if args.tv_weight is not None:
        params["tv_weight"] = args.tv_weight
    if args.steps:
        params["steps"] = args.steps
    if args.size:
        params["size"] = args.size
    if args.weights:
        params["weights_path"] = os.path.abspath(args.weights)
    outputs = run_job("stylize.image", params, inputs, device=args.device, label="stylize")
    write_image(args.out, outputs["result"])
    height, width = outputs["result"].shape[:2]
    print(f"wrote {args.out} ({width}x{height})")
    return 0
