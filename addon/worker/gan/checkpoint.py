"""Model files: one ``torch.save`` dictionary of tensors and plain values, written atomically.

Atomic: the file is written under a temporary name in the same folder, flushed to disk, then renamed
over the old one (``os.replace`` is atomic on one file system). A full disk, a crash or a killed
worker therefore leaves either the previous model or the new one, never half a file.

Loading uses ``weights_only=True``: a model file someone sends you cannot run code when opened.
"""

import io
import os
import pickle
import tempfile
import zipfile

import torch

from .errors import CheckpointError

FORMAT = "neural-render-gan"
FORMAT_VERSION = 1
MODEL_DESCRIPTIONS = {
    "psgan": "an exemplar texture model (periodic spatial GAN)",
    "dcgan": "a folder model (DCGAN)",
    "stylegan": "a StyleGAN texture-set model",
}


def save(path, payload):
    """Write ``payload`` to ``path`` atomically; raise ``CheckpointError`` (old file intact) on failure."""
    payload = dict(payload, format=FORMAT, format_version=FORMAT_VERSION)
    # Serialise in memory first: a model is a few MB, and torch.save writing to a file that fails
    # half-way reports the disk error as an unrelated RuntimeError from its zip writer.
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    folder = os.path.dirname(os.path.abspath(path))
    temporary = None
    try:
        os.makedirs(folder, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=folder)
        with os.fdopen(handle, "wb") as file:
            file.write(buffer.getbuffer())
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except OSError as error:
        _remove_quietly(temporary)
        raise CheckpointError(f"could not save the model to {path}: {error.strerror or error} (is the disk "
                              "full?); the previous model file, if any, is unchanged") from error
    except BaseException:
        _remove_quietly(temporary)
        raise


def _remove_quietly(path):
    if path is not None:
        try:
            os.remove(path)
        except OSError:
            pass


def _first_line(error):
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0][:120]}" if text else type(error).__name__


def load(path, expected_type=None):
    """Read a model file; raise ``CheckpointError`` with a readable reason for anything else."""
    if not os.path.isfile(path):
        raise CheckpointError(f"no model file at {path}")
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic != b"PK\x03\x04":  # torch.save writes a zip archive: anything else is some other file
        raise CheckpointError(f"{path} is not a model of this product (a Neural Render GAN model is a "
                              "file written by gan-train)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError) as error:
        raise CheckpointError(f"{path} is damaged or not a Neural Render GAN model ({_first_line(error)})") from error
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a Neural Render GAN model")
    if payload.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{path} was written by another version of Neural Render "
                              f"(model format {payload.get('format_version')}, this one reads {FORMAT_VERSION})")
    model_type = payload.get("model_type")
    if model_type not in MODEL_DESCRIPTIONS:
        raise CheckpointError(f"{path} holds an unknown model type {model_type!r}")
    if expected_type is not None and model_type != expected_type:
        raise CheckpointError(f"{path} holds {MODEL_DESCRIPTIONS[model_type]}, but "
                              f"{MODEL_DESCRIPTIONS[expected_type]} is needed here")
    return payload
