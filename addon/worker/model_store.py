"""Where the worker keeps model files, and how it fetches and verifies them.

The folder comes from ``NEURAL_RENDER_MODELS_DIR`` (the add-on sets it to the extension's user
directory; the command line may too), else a per-user cache folder. Every file that is downloaded or
that the user points to is checked against a known SHA-256 before torch reads it, and torch reads
it with ``weights_only=True``: a model file can never run code.
"""

import hashlib
import os
import urllib.request


from .imageio.atomic import write_atomically


class ModelFileError(Exception):
    """A model file is missing, corrupt or not the one expected: the message says what to do."""


def models_dir(create=True):
    """The folder for downloaded and converted model files."""
    path = os.environ.get("NEURAL_RENDER_MODELS_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "neural_render", "models")
    if create:
        os.makedirs(path, exist_ok=True)
    return path


def sha256_of(path, chunk=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path, sha256_prefix=None, size=None):
    """Raise ModelFileError unless ``path`` exists with the expected size and hash prefix."""
    if not os.path.isfile(path):
        raise ModelFileError(f"model file not found: {path}")
    if size is not None and os.path.getsize(path) != size:
        raise ModelFileError(f"{path} has {os.path.getsize(path):,} bytes, expected {size:,}: "
                             "an incomplete download or a different file")
    if sha256_prefix:
        actual = sha256_of(path)
        if not actual.startswith(sha256_prefix.lower()):
            raise ModelFileError(f"{path} is not the expected file (SHA-256 {actual[:12]}…, expected "
                                 f"{sha256_prefix}…)")
    return path


def download(url, path, sha256_prefix=None, size=None, allow_network=False, progress=None):
    """Fetch ``url`` to ``path`` atomically and verify it; only when the user allowed the network."""
    if not allow_network:
        raise ModelFileError(f"{os.path.basename(path)} is not on this computer and downloading is not "
                             f"allowed: download {url} yourself and set its path, or allow downloads in "
                             "the add-on preferences")

    def fetch(temporary):
        with urllib.request.urlopen(url, timeout=60) as response, open(temporary, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
                done += len(block)
                if progress and total:
                    progress(done / total, f"downloading {os.path.basename(path)}")
        verify(temporary, sha256_prefix, size)  # a bad download never takes the final name

    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_atomically(path, fetch)
    return path


def load_state_dict(path, sha256_prefix=None, size=None):
    import torch
    verify(path, sha256_prefix, size)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a truncated or foreign file: say which, not a pickle traceback
        raise ModelFileError(f"cannot read the model file {path}: {error}") from error
