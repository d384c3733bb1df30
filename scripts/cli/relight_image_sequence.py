"""``neural-render relight-image-sequence``: one image relit for a range of frames of an animated world
-- one farm task's share of a shot.

    neural-render relight-image-sequence --in product.exr --world sky.exr --turntable 96 --range 0-47 --out relit/frame_####.exr
    neural-render relight-image-sequence --in product.exr --world sky.exr --animation world.json --out relit/f_####.exr

The world of each frame is worked out as relight-sequence does it: --turntable N, one full turn every N
frames starting at --rotation; --animation, a JSON list or CSV of frame, rotation[, strength] with
the frames between interpolated. The job writes each frame as soon as it is relit; finished frames are
skipped unless --overwrite.
"""

import math
import os

from . import relight_image, relight_sequence, sequence_options

PATTERN_OUTPUTS = ("out",)


def add_parser(subparsers):
    from neural_render.protocol.specs import relight_image as spec

    from . import spec_options
    parser = subparsers.add_parser("relight-image-sequence", help="relight one image over a range of frames of "
                                   "an animated world", description=" ".join(__doc__.split("\n\n")[0].split()))
    relight_image.add_image_options(parser)
    spec_options.add(parser, spec.APPLY, relight_image.OPTIONS)
    animated = parser.add_mutually_exclusive_group(required=True)
    animated.add_argument("--turntable", type=int, metavar="N", help="one full world turn every N frames")
    animated.add_argument("--animation", metavar="FILE", help="per-frame rotation/strength (JSON or CSV)")
    sequence_options.add_range_and_output(parser, "a turntable's 0 to N-1, an animation file's listed span")
    spec_options.device_option(parser)
    return parser


def run(args):
    from neural_render.protocol.specs import relight_image as spec

    from . import spec_options
    from .engine import request_determinism, run_job

    request_determinism()
    params = spec_options.params(args, spec.APPLY)
    inputs = relight_image.read_inputs(args, params)
    rotation = params.pop("rotation_deg", None) or 0.0
    first, last, worlds = relight_sequence.world_per_frame(args, rotation, params.get("strength", 1.0))
    numbers = list(range(first, last + 1))
    todo = sequence_options.still_to_do(args, numbers)
    if todo:
        params.update(frames=[{"rotation": [0.0, 0.0, math.radians(worlds[number][0])], "strength": worlds[number][1]}
                              for number in todo],
                      frame_numbers=todo, output_pattern=os.path.abspath(args.out))
        run_job(spec.APPLY.kind, params, inputs, device=args.device, label="relight-image-sequence")
    sequence_options.report(args, numbers, todo, "relit")
    return 0
