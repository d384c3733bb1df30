"""``neural-render convert IN OUT``: re-encode an image under the colour contract (EXR linear,
PNG/JPEG/TIFF sRGB-encoded). Handy for preparing inputs, and the simplest test of the contract."""


IMAGE_OUTPUTS = ("output",)  # checked by main before any work starts

def add_parser(subparsers):
    parser = subparsers.add_parser("convert", help="convert an image between EXR and PNG/JPEG/TIFF",
                                   description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("input", help="image file to read")
    parser.add_argument("output", help="file to write; its extension picks the format")
    parser.add_argument("--layer", help="EXR layer or pass to read (e.g. Combined, Vector)")
    return parser


def run(args):
    from neural_render.worker.imageio import files
    image = files.read_image(args.input, layer=args.layer)
    files.write_image(args.output, image)
    height, width, channels = image.shape
    print(f"wrote {args.output} ({width}x{height}, {channels} channels)")
    return 0
