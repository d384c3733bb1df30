"""``neural-render relight-sequence``: relight a light-stage set for a range of frames of an animated
world -- one farm task's share of a shot.

    neural-render relight-sequence --set scans/actor --world sky.exr --turntable 96 --range 0-47 --out relit/frame_####.exr
    neural-render relight-sequence --set scans/actor --world sky.exr --animation world.json --range 1-120 --out relit/f_####.exr

--turntable N: one full turn of the world every N frames; frame F's rotation is --rotation + 360 F / N
degrees (frame 0 at --rotation), whatever the range, so every chunk agrees. --animation: a JSON list
[{"frame": 1, "rotation": 0, "strength": 1.0}, ...] or a CSV with the header frame,rotation[,strength]
(degrees about Z, as the Mapping node's); frames between the listed ones are interpolated linearly,
frames outside hold the nearest. Each frame depends only on its own world, so any chunking gives
bit-identical files. Finished frames are skipped unless --overwrite.
"""

import math
import os

from . import sequence_options

OPTIONS = ("set", "world", "rotation_deg", "strength", "rank", "storage", "memory_limit_mb")

PATTERN_OUTPUTS = ("out",)


def add_parser(subparsers):
    from neural_render.protocol.specs import relight as spec

    from . import spec_options
    parser = subparsers.add_parser("relight-sequence", help="relight a light-stage set over a range of frames",
                                   description=" ".join(__doc__.split("\n\n")[0].split()))
    spec_options.add(parser, spec.APPLY, OPTIONS)
    animated = parser.add_mutually_exclusive_group(required=True)
    animated.add_argument("--turntable", type=int, metavar="N", help="one full world turn every N frames")
    animated.add_argument("--animation", metavar="FILE", help="per-frame rotation/strength (JSON or CSV)")
    sequence_options.add_range_and_output(parser, "a turntable's 0 to N-1, an animation file's listed span")
    spec_options.device_option(parser)
    return parser


def read_animation(path):
    """[(frame, rotation_deg, strength or None)] sorted by frame, from a JSON list or a CSV file."""
    import csv
    import json

    from .main import CliInputError
    if not os.path.isfile(path):
        raise CliInputError(f"--animation: no file at {path}")
    rows = []
    try:
        with open(path, encoding="utf-8") as handle:
            if path.lower().endswith(".json"):
                entries = json.load(handle)
            else:
                entries = list(csv.DictReader(handle))
        if not isinstance(entries, list) or not entries:
            raise ValueError("it must list at least one frame")
        for line, entry in enumerate(entries, 1):
            if not isinstance(entry, dict) or "frame" not in entry or "rotation" not in entry:
                raise ValueError(f"entry {line} needs 'frame' and 'rotation'")
            frame, rotation = int(entry["frame"]), float(entry["rotation"])
            strength = entry.get("strength")
            strength = None if strength in (None, "") else float(strength)
            if not (math.isfinite(rotation) and (strength is None or (math.isfinite(strength) and strength >= 0))):
                raise ValueError(f"entry {line}: rotation must be finite, strength finite and 0 or more")
            rows.append((frame, rotation, strength))
    except (ValueError, TypeError, json.JSONDecodeError, csv.Error, UnicodeDecodeError) as error:
        raise CliInputError(f"--animation '{path}': {error}") from None
    frames = [row[0] for row in rows]
    if len(set(frames)) != len(frames):
        raise CliInputError(f"--animation '{path}': a frame is listed twice")
    return sorted(rows)


def _interpolated(rows, number, column, fallback):
    import numpy as np
    keys = [(row[0], row[column]) for row in rows if row[column] is not None]
    if not keys:
        return fallback
    return float(np.interp(number, [key[0] for key in keys], [key[1] for key in keys]))


def world_per_frame(args, base_rotation, base_strength):
    """(first, last, {frame: (rotation_deg, strength)}) for the range asked for."""
    from .main import CliInputError
    rows = None
    if args.turntable is not None:
        if args.turntable < 1:
            raise CliInputError("--turntable must be 1 or more frames per turn")
        first, last = 0, args.turntable - 1
    else:
        rows = read_animation(args.animation)
        first, last = rows[0][0], rows[-1][0]
    if args.frame_range:
        first, last = sequence_options.parsed_range(args.frame_range)
    worlds = {}
    for number in range(first, last + 1):
        if rows is None:
            worlds[number] = (base_rotation + 360.0 * number / args.turntable, base_strength)
        else:
            worlds[number] = (_interpolated(rows, number, 1, base_rotation),
                              _interpolated(rows, number, 2, base_strength))
    return first, last, worlds


def run(args):
    from neural_render.protocol.specs import relight as spec

    from . import spec_options
    from .engine import request_determinism, run_job
    from .main import CliInputError

    request_determinism()
    params = spec_options.params(args, spec.APPLY)
    if not os.path.isdir(params["set"]):
        raise CliInputError(f"no light set folder at {params['set']}")
    if not params.get("world") or not os.path.isfile(params["world"]):
        raise CliInputError(f"--world: no environment image at {params.get('world')}")
    rotation = params.pop("rotation_deg", None) or 0.0
    first, last, worlds = world_per_frame(args, rotation, params.get("strength", 1.0))
    numbers = list(range(first, last + 1))
    todo = sequence_options.still_to_do(args, numbers)
    if todo:
        params.update(frames=[{"rotation": [0.0, 0.0, math.radians(worlds[number][0])], "strength": worlds[number][1]}
                              for number in todo],
                      frame_numbers=todo, output_pattern=os.path.abspath(args.out))
        run_job("relight.apply", params, {}, device=args.device, label="relight-sequence")
    sequence_options.report(args, numbers, todo, "relit")
    return 0
