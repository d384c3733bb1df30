"""Write a file so that no half-written output ever exists under its final name."""

import os
import tempfile

from .errors import ImageFileError


def write_atomically(path, write_to):
    """Call ``write_to(temporary_path)`` then rename it to ``path``; remove the temporary on failure."""
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise ImageFileError(f"cannot write '{path}': folder does not exist")
    suffix = os.path.splitext(path)[1]
    handle, temporary = tempfile.mkstemp(prefix=".partial-", suffix=suffix, dir=directory)
    os.close(handle)
    try:
        write_to(temporary)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
