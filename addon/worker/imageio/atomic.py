"""Write a file so that no half-written output ever exists under its final name."""

import errno
import glob
import os
import tempfile

from ...protocol.arena import process_alive
from .errors import ImageFileError

PARTIAL_PREFIX = ".partial-"


def _umask_mode():
    """The mode a plain ``open()`` would give a new file (0666 less the umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def check_writable(path):
    """Refuse, before any work, an output path that cannot be written: a folder, a missing or
    read-only folder. Returns the absolute path."""
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    if os.path.isdir(path):
        raise ImageFileError(f"cannot write '{path}': it is a folder, not a file name")
    if not os.path.isdir(directory):
        raise ImageFileError(f"cannot write '{path}': folder does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ImageFileError(f"cannot write '{path}': the folder is not writable")
    return path


def _remove_orphaned_partials(directory, stem, suffix):
    """Partial files of this output whose writer process is gone (killed mid-write). A partial of a
    live process is another writer's file in progress (a duplicated farm task): it stays."""
    pattern = os.path.join(glob.escape(directory), f"{PARTIAL_PREFIX}{glob.escape(stem)}-*{suffix}")
    for stale in glob.glob(pattern):
        owner = os.path.basename(stale)[len(PARTIAL_PREFIX) + len(stem) + 1:].split("-", 1)[0]
        if owner.isdigit() and process_alive(int(owner)):
            continue
        try:
            os.remove(stale)
        except OSError:
            pass


_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def is_disk_full(error):
    """Whether ``error`` says the device is full. Pillow and torch raise OSError(ENOSPC); the OpenEXR
    library raises a RuntimeError carrying the system's message, so the message is read too."""
    if isinstance(error, OSError) and error.errno in _DISK_FULL:
        return True
    text = str(error)
    return isinstance(error, Exception) and any(os.strerror(code) in text for code in _DISK_FULL)


def write_atomically(path, write_to):
    """Call ``write_to(temporary_path)`` then rename it to ``path``; remove the temporary on failure.

    The result gets the user's normal file mode (not the temporary's private 0600). Partial files a
    killed earlier run left beside this output are removed first.
    """
    path = check_writable(path)
    directory = os.path.dirname(path)
    stem, suffix = os.path.splitext(os.path.basename(path))
    _remove_orphaned_partials(directory, stem, suffix)
    handle, temporary = tempfile.mkstemp(prefix=f"{PARTIAL_PREFIX}{stem}-{os.getpid()}-", suffix=suffix,
                                         dir=directory)
    os.close(handle)
    try:
        write_to(temporary)
        os.chmod(temporary, _umask_mode())
        os.replace(temporary, path)
    except BaseException as error:
        if os.path.exists(temporary):
            os.remove(temporary)
        if is_disk_full(error):
            raise ImageFileError(f"cannot write '{path}': no space left on the device (nothing was "
                                 "written)") from None
        raise
