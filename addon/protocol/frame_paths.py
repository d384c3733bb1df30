"""Frame-numbered file names, as both sides spell them: the worker writes a sequence, Blender loads it."""

import os


def frame_path(pattern, number):
    """The longest run of ``#`` in ``pattern`` -> the zero-padded frame number (Blender's convention);
    with no ``#``, four digits go before the extension."""
    run = _hash_run(pattern)
    if not run:
        stem, extension = os.path.splitext(pattern)
        return f"{stem}{number:04d}{extension}"
    return pattern.replace(run, f"{number:0{len(run)}d}", 1)


def _hash_run(text):
    """The longest run of ``#`` in ``text`` ('' when there is none)."""
    run = "#" * text.count("#")
    while run not in text:
        run = run[:-1]
    return run


IMAGE_EXTENSIONS = (".exr", ".png", ".jpg", ".jpeg", ".tif", ".tiff")


class FrameRangeError(ValueError):
    """A frame range or frame source that names no usable frames (the message says which)."""


def parse_frame_range(text):
    """'A-B' (or 'A' alone) -> (A, B), whole frame numbers with A <= B; frames start at 0 or more."""
    first, separator, last = str(text).strip().partition("-")
    try:
        first = int(first)
        last = int(last) if separator else first
    except ValueError:
        raise FrameRangeError(f"frame range '{text}' is not A-B (e.g. 1-48) or one frame number") from None
    if first < 0 or last < first:
        raise FrameRangeError(f"frame range '{text}': the first frame must be 0 or more and not after the last")
    return first, last


def _trailing_number(stem):
    digits = len(stem) - len(stem.rstrip("0123456789"))
    return int(stem[-digits:]) if digits else None


def numbered_frames(source):
    """{frame number: path} of a frame sequence given as a folder (the image files whose names end in
    a number: frame_0001.exr, 0002.exr...) or as a pattern with ``#`` (Blender's ``render_####.exr``).
    Two files with the same number in one folder (frame_1.exr, frame_0001.png) are refused."""
    if os.path.isdir(source):
        found = {}
        for name in sorted(os.listdir(source)):
            stem, extension = os.path.splitext(name)
            number = _trailing_number(stem)
            if extension.lower() not in IMAGE_EXTENSIONS or number is None or name.startswith("."):
                continue
            if number in found:
                raise FrameRangeError(f"folder '{source}' holds two files for frame {number}: "
                                      f"{os.path.basename(found[number])} and {name}; give a pattern instead")
            found[number] = os.path.join(source, name)
        return found
    if "#" not in source:
        raise FrameRangeError(f"frames '{source}': give a folder of numbered images or a pattern with # "
                              "(e.g. /shots/010/render_####.exr)")
    folder, name = os.path.split(source)
    folder = folder or "."
    if not os.path.isdir(folder):
        raise FrameRangeError(f"frames '{source}': the folder '{folder}' does not exist")
    run = _hash_run(name)
    before, _, after = name.partition(run)
    found = {}
    for candidate in os.listdir(folder):
        middle = candidate[len(before):len(candidate) - len(after)] if after else candidate[len(before):]
        if (candidate.startswith(before) and candidate.endswith(after) and middle.isdigit()
                and len(middle) >= len(run) and len(candidate) > len(before) + len(after)):
            found[int(middle)] = os.path.join(folder, candidate)
    return found


def frames_in_range(source, first, last):
    """The paths of frames ``first``..``last`` of ``source`` in order; every one must exist."""
    found = numbered_frames(source)
    missing = [number for number in range(first, last + 1) if number not in found]
    if missing:
        shown = ", ".join(str(number) for number in missing[:5]) + (" ..." if len(missing) > 5 else "")
        have = f"it has frames {min(found)}-{max(found)}" if found else "it has no numbered image files"
        raise FrameRangeError(f"frames '{source}': frame(s) {shown} of {first}-{last} missing ({have})")
    return [(number, found[number]) for number in range(first, last + 1)]


def complete_output(path):
    """True when ``path`` is a finished output: our writers rename a complete temporary file into
    place, so a file that exists (and is not empty) was written whole. A re-queued farm task skips it."""
    try:
        return os.path.getsize(path) > 0
    except OSError:
        return False
