"""``neural-render colorize-sequence``: colorize a range of greyscale frames -- one farm task's share of a
shot (a black-and-white plate, a baked greyscale texture sequence).

    neural-render colorize-sequence --frames plate/ --range 1-48 --out colour/frame_####.exr
    neural-render colorize-sequence --frames plate/grey_####.exr --range 49-96 --reference still.jpg --out colour/f_####.exr

Each frame is colorized on its own with the learned colorizer (or from --reference), with the network
loaded once per task; a frame depends only on its own pixels and the settings, so any chunking gives
bit-identical files. Finished frames are skipped unless --overwrite.
"""

from . import sequence_options

PATTERN_OUTPUTS = ("out",)
AUTO_OPTIONS = ("weights_path", "model", "temperature", "seamless")


def add_parser(subparsers):
    from neural_render.protocol.specs import colorize as spec

    from . import spec_options
    parser = subparsers.add_parser("colorize-sequence", help="colorize a range of greyscale frames",
                                   description=" ".join(__doc__.split("\n\n")[0].split()))
    sequence_options.add(parser, "greyscale frames")
    parser.add_argument("--layer", metavar="NAME", help="the layer of multilayer EXR frames to colorize")
    parser.add_argument("--reference", metavar="REF", help="take colours from this colour image instead")
    spec_options.add(parser, spec.AUTO, AUTO_OPTIONS)
    spec_options.add(parser, spec.REFERENCE, ("method",))
    spec_options.device_option(parser)
    return parser


def run(args):
    import os
    import sys

    from neural_render.protocol.specs import colorize as spec
    from neural_render.worker import jobs
    from neural_render.worker.imageio.files import read_image, write_image

    from . import spec_options
    from .colorize import _premultiplied
    from .engine import request_determinism, resolve_device, run_job
    from .main import CliInputError

    request_determinism()
    auto = spec_options.params(args, spec.AUTO)
    matching = spec_options.params(args, spec.REFERENCE)
    if matching and not args.reference:
        raise CliInputError(f"{spec.REFERENCE['method'].flag} needs --reference")
    if args.reference and auto:
        raise CliInputError(f"{', '.join(spec.AUTO[name].flag for name in auto)}: only for the learned "
                            "colorizer, not with --reference")
    if auto.get("weights_path") and not os.path.isfile(auto["weights_path"]):
        raise CliInputError(f"no weights file at {auto['weights_path']}")
    frames, _ = sequence_options.input_frames(args)
    numbers = [number for number, _ in frames]
    todo = set(sequence_options.still_to_do(args, numbers))
    outputs = sequence_options.output_paths(args, numbers)
    reference = read_image(args.reference) if args.reference else None
    _, note = resolve_device(args.device)  # once, not once a frame
    if note:
        print(f"neural-render: {note}", file=sys.stderr)
    models = jobs.ModelCache()  # the colorizer stays loaded from frame to frame
    done = 0
    for number, path in frames:
        if number not in todo:
            continue
        done += 1
        params = {"premultiplied": _premultiplied(path)}
        inputs = {"image": read_image(path, layer=args.layer)}
        if reference is not None:
            kind = "colorize.reference"
            inputs["reference"] = reference if _premultiplied(args.reference) == params["premultiplied"] \
                else reference[:, :, :3]
            params.update(matching)
        else:
            kind = "colorize.auto"
            params.update(auto)
        result = run_job(kind, params, inputs, device=args.device, quiet=True, models=models)
        write_image(outputs[number], result["image"])
        # One plain line per frame: what a farm log shows as the task's progress.
        print(f"colorize-sequence: frame {number} ({done}/{len(todo)}) -> {outputs[number]}", flush=True)
    sequence_options.report(args, numbers, sorted(todo), "colorized")
    return 0
