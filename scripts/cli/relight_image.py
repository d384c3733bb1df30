"""``neural-render relight-image``: one image relit against an HDRI world by the network trained on
virtual light stages, without Blender.

    neural-render relight-image --in portrait.png --world studio.exr --rotation 37 --strength 1.5 --out relit.exr
    neural-render relight-image --in product.exr --matte product_matte.png --world sky.exr --background world --out relit.png
    neural-render relight-image --in plate.exr --source-world set.exr --world night.exr --out relit.exr

--rotation is the world's Mapping rotation about Z in degrees, exactly as in Blender's Mapping node;
the image is taken as seen from Blender's Front view. --source-world is the world the image was lit by,
when known (an HDRI shot on set): the network then uses it instead of its own estimate, which is much
more accurate. --matte is white where the subject is (its first channel, read as data, the image's
size; default: the image's alpha, else all of it). PNG/JPEG/TIFF alpha is straight, EXR alpha
premultiplied, in and out.
"""

import os

# The job parameters this subcommand offers; their flags, types, limits and help come from the spec.
OPTIONS = ("world", "rotation_deg", "strength", "source_world", "source_rotation_deg", "source_strength",
           "background", "network_side", "weights_path")
IMAGE_OUTPUTS = ("out",)  # checked by main before any work starts


def add_parser(subparsers):
    from neural_render.protocol.specs import relight_image as spec

    from . import spec_options
    parser = subparsers.add_parser("relight-image", help="relight one image against an HDRI world (learned)",
                                   description=" ".join(__doc__.split("\n\n")[0].split()))
    add_image_options(parser)
    spec_options.add(parser, spec.APPLY, OPTIONS)
    parser.add_argument("--out", required=True, metavar="OUT", help="EXR (linear) or PNG/JPEG/TIFF (sRGB)")
    spec_options.device_option(parser)
    return parser


def add_image_options(parser):
    """--in, --layer and --matte: the image to relight (shared with relight-image-sequence)."""
    parser.add_argument("--in", dest="input", required=True, metavar="IMG", help="the image to relight")
    parser.add_argument("--layer", metavar="NAME", help="the layer of a multilayer EXR --in to relight")
    parser.add_argument("--matte", metavar="M", help="white where the subject is (the image's size; default: its "
                                                     "alpha)")


def _is_exr(path):
    return os.path.splitext(path)[1].lower() == ".exr"


def read_inputs(args, params):
    """The job's inputs from --in/--layer/--matte, each checked; the world and model files checked first,
    so a mistyped path is refused before any image is read."""
    from neural_render.worker.imageio.files import read_image

    from .main import CliInputError
    for path, what in ((args.input, "image"), (args.matte, "matte"), (params.get("world"), "world image"),
                       (params.get("source_world"), "source world image"),
                       (params.get("weights_path"), "model file")):
        if path and os.path.isdir(path):
            raise CliInputError(f"the {what} '{path}' is a folder, not a file")
        if path and not os.path.isfile(path):
            raise CliInputError(f"no {what} at {path}")
    if not params.get("world"):
        raise CliInputError("--world is required: the equirectangular environment (EXR linear)")
    image = read_image(args.input, layer=args.layer)
    if image.ndim == 3 and image.shape[2] == 4 and not _is_exr(args.input):
        image[:, :, :3] *= image[:, :, 3:]  # the job takes premultiplied colour, as EXR and Blender hold it
    inputs = {"image": image}
    if args.matte:
        inputs["matte"] = read_image(args.matte, data=True)  # coverage is a number, not a colour
    return inputs


def straight_for(path, relit):
    """``relit`` (premultiplied) as the file at ``path`` holds it: EXR premultiplied, the rest straight."""
    if _is_exr(path):
        return relit
    import numpy as np
    alpha = relit[:, :, 3:]
    straight = relit.copy()
    straight[:, :, :3] = np.where(alpha > 0, relit[:, :, :3] / np.where(alpha > 0, alpha, 1.0), 0.0)
    return straight


def run(args):
    from neural_render.protocol.specs import relight_image as spec
    from neural_render.worker.imageio.files import write_image

    from . import spec_options
    from .engine import run_job

    params = spec_options.params(args, spec.APPLY)
    inputs = read_inputs(args, params)
    outputs = run_job(spec.APPLY.kind, params, inputs, device=args.device, label="relight-image")
    relit = outputs["relit"]
    write_image(args.out, straight_for(args.out, relit))
    print(f"wrote {args.out} ({relit.shape[1]}x{relit.shape[0]})")
    return 0
