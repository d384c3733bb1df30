"""``neural-render stylize-sequence``: stylize a range of rendered frames, each held to the previous one
by Blender's Vector pass -- one farm task's share of a shot.

    neural-render stylize-sequence --frames shot/ --range 1-24 --style painting.jpg --out styl/frame_####.exr
    neural-render stylize-sequence --frames shot/render_####.exr --range 25-48 --warmup 4 --style painting.jpg \
        --preset instant --out styl/frame_####.exr

Frames are Blender's EXRs: multilayer (the Combined or Image pass, and the Vector pass) or single-layer
with the Vector passes in their own files (--vectors). A range that starts after the shot's first frame
re-stylizes --warmup earlier frames first and discards them, so the first written frame has a history
and chunk boundaries do not jump. Finished frames are skipped unless --overwrite.
"""

from . import sequence_options

OPTIONS = ("preset", "steps", "size", "strength", "style_scale", "preserve_colors", "optimizer", "init",
           "layer_weights", "tv_weight", "view_transform", "keep_highlights", "backbone", "weights_path", "seed",
           "style_weights", "temporal", "temporal_weight", "temporal_blend", "warmup")

PATTERN_OUTPUTS = ("out",)  # main creates the folder and checks it before any work starts


def add_parser(subparsers):
    from neural_render.protocol.specs import stylize as spec

    from . import spec_options
    parser = subparsers.add_parser("stylize-sequence", help="stylize a range of rendered frames (temporal, farm-ready)",
                                   description=" ".join(__doc__.split("\n\n")[0].split()))
    sequence_options.add(parser, "rendered frames")
    parser.add_argument("--style", required=True, action="append", metavar="S", help="style image (repeatable)")
    parser.add_argument("--layer", metavar="NAME", help="the pass to stylize in multilayer EXRs (default: Combined, "
                        "or the file's only layer)")
    parser.add_argument("--vector-layer", default="Vector", metavar="NAME",
                        help="the Vector pass's layer in the frames' EXRs (default Vector)")
    parser.add_argument("--vectors", metavar="DIR_OR_PATTERN",
                        help="the Vector passes as their own files, numbered like the frames")
    spec_options.add(parser, spec.SEQUENCE, OPTIONS)
    warmup = next(action for action in parser._actions if action.dest == spec_options.dest(spec.SEQUENCE["warmup"]))
    warmup.help += f" (here: default {spec.DEFAULT_CHUNK_WARMUP}; frames before the shot's first are not invented)"
    parser.add_argument("--shot-start", type=int, metavar="N",
                        help="the shot's first frame: the warm-up never reaches before it (default: the first "
                             "frame found), so every chunking of a shot starts from the same place")
    spec_options.device_option(parser)
    return parser


def _warmup_frames(available, first, count):
    """The up to ``count`` frames just before ``first`` that the source holds, without gaps."""
    numbers = []
    for number in range(first - 1, first - 1 - count, -1):
        if number not in available:
            break
        numbers.insert(0, number)
    return numbers


def run(args):
    import os

    from neural_render.protocol.specs import stylize as spec
    from neural_render.worker.imageio.files import read_image

    from . import spec_options
    from .engine import request_determinism, run_job
    from .main import CliInputError

    request_determinism()
    # The frames and pattern are filled in below, once the source is read; the options are checked now.
    params = spec_options.params(args, spec.SEQUENCE, extra={"frames": [], "output_pattern": os.path.abspath(args.out)})
    if params.get("style_weights") and len(params["style_weights"]) != len(args.style):
        raise CliInputError(f"give one --style-weight per --style ({len(args.style)}), got {len(params['style_weights'])}")
    if params.get("weights_path") and not os.path.isfile(params["weights_path"]):
        raise CliInputError(f"no VGG19 weights file at {params['weights_path']}: name an existing file")
    frames, available = sequence_options.input_frames(args)
    numbers = [number for number, _ in frames]
    todo = sequence_options.still_to_do(args, numbers)
    if not todo:
        sequence_options.report(args, numbers, todo, "stylized")
        return 0
    temporal = params.get("temporal", True)
    warmup = params.get("warmup", spec.DEFAULT_CHUNK_WARMUP) if temporal else 0
    if args.shot_start is not None:
        if args.shot_start > numbers[0]:
            raise CliInputError(f"--shot-start {args.shot_start} is after the range's first frame {numbers[0]}")
        available = {number: path for number, path in available.items() if number >= args.shot_start}
    history = _warmup_frames(available, numbers[0], warmup)
    vectors = {}
    if temporal and args.vectors:
        vectors = sequence_options.numbered(args.vectors, "--vectors")
        missing = [number for number in numbers if number not in vectors]
        if missing:
            raise CliInputError(f"--vectors '{args.vectors}' has no Vector pass for frame(s) "
                                f"{', '.join(map(str, missing[:5]))}")
        history = _warmup_frames(set(available) & set(vectors), numbers[0], warmup)
    described = []
    for number in history + numbers:
        frame = {"content": available[number], "layer": args.layer}
        if temporal:
            frame.update({"vector": vectors[number], "vector_layer": None} if args.vectors else
                         {"vector_layer": args.vector_layer})
        described.append(frame)
    styles = {f"style_{index}": read_image(path) for index, path in enumerate(args.style)}
    params.update(frames=described, frame_numbers=history + numbers, warmup=len(history),
                  output_pattern=os.path.abspath(args.out), skip_existing=not args.overwrite)
    run_job("stylize.sequence", params, styles, device=args.device, label="stylize-sequence")
    sequence_options.report(args, numbers, todo, "stylized")
    return 0
