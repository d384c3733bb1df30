"""What every ``*-sequence`` subcommand shares: a frame source and range in, a frame pattern out, and
the farm's contract -- a task is idempotent (finished frames are skipped, every file is written
atomically), so a re-queued or duplicated task is harmless.

    --frames DIR_OR_PATTERN   a folder of numbered images or shot/render_####.exr
    --range A-B               the frames this task does (default: every frame found)
    --out PATTERN             where they go: out/frame_####.exr (#### = the frame number)
"""

import os

from .main import CliInputError

PATTERN_HELP = "where the frames go, e.g. out/stylized_####.exr (#### = the frame number; the folder is created)"


def add(parser, what):
    parser.add_argument("--frames", required=True, metavar="DIR_OR_PATTERN",
                        help=f"the {what}: a folder of numbered images, or a pattern such as shot/render_####.exr")
    add_range_and_output(parser, "every frame found")


def add_range_and_output(parser, default_range):
    """--range, --out PATTERN and --overwrite: what every sequence subcommand takes."""
    parser.add_argument("--range", dest="frame_range", metavar="A-B",
                        help=f"the frames to do, e.g. 1-48 (default: {default_range})")
    parser.add_argument("--out", required=True, metavar="PATTERN", help=PATTERN_HELP)
    parser.add_argument("--overwrite", action="store_true",
                        help="redo frames whose output exists (default: skip them, so a re-queued task is harmless)")


def parsed_range(text):
    """(first, last) of a ``--range`` value, or a one-line refusal naming the flag."""
    from neural_render.protocol.frame_paths import FrameRangeError, parse_frame_range
    try:
        return parse_frame_range(text)
    except FrameRangeError as error:
        raise CliInputError(f"--range: {error}") from None


def frame_range(args, available):
    """(first, last) of ``--range``, or the whole of ``available`` frame numbers."""
    if args.frame_range:
        return parsed_range(args.frame_range)
    if not available:
        raise CliInputError(f"--frames '{args.frames}' holds no numbered image files")
    return min(available), max(available)


def input_frames(args, source=None):
    """[(number, path)] of the frames in range, every one present; and all the source's frames."""
    from neural_render.protocol.frame_paths import FrameRangeError, frames_in_range, numbered_frames
    source = source or args.frames
    try:
        available = numbered_frames(source)
        first, last = frame_range(args, available)
        return frames_in_range(source, first, last), available
    except FrameRangeError as error:
        raise CliInputError(str(error)) from None


def numbered(source, flag):
    """{number: path} of a folder or ``#`` pattern, or a one-line refusal naming ``flag``."""
    from neural_render.protocol.frame_paths import FrameRangeError, numbered_frames
    try:
        return numbered_frames(source)
    except FrameRangeError as error:
        raise CliInputError(f"{flag}: {error}") from None


def output_paths(args, numbers):
    from neural_render.protocol.frame_paths import frame_path
    return {number: frame_path(os.path.abspath(args.out), number) for number in numbers}


def still_to_do(args, numbers):
    """The frame numbers whose output is not finished yet (all of them with --overwrite)."""
    from neural_render.protocol.frame_paths import complete_output
    if args.overwrite:
        return list(numbers)
    paths = output_paths(args, numbers)
    return [number for number in numbers if not complete_output(paths[number])]


def report(args, numbers, todo, verb):
    """The closing line a farm log shows: what was done, what was already there."""
    skipped = len(numbers) - len(todo)
    done = f"{verb} {len(todo)} frame(s)" if todo else "nothing to do"
    extra = f"; {skipped} already finished" if skipped else ""
    print(f"{done} of {numbers[0]}-{numbers[-1]} -> {args.out}{extra}")
