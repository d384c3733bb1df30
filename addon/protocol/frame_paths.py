"""Frame-numbered file names, as both sides spell them: the worker writes a sequence, Blender loads it."""

import os


def frame_path(pattern, number):
    """The longest run of ``#`` in ``pattern`` -> the zero-padded frame number (Blender's convention);
    with no ``#``, four digits go before the extension."""
    hashes = pattern.count("#")
    if not hashes:
        stem, extension = os.path.splitext(pattern)
        return f"{stem}{number:04d}{extension}"
    run = "#" * hashes
    while run not in pattern:
        run = run[:-1]
    return pattern.replace(run, f"{number:0{len(run)}d}", 1)
