"""Where GAN model files go when the user did not choose: next to the saved .blend, else in the
extension's user folder (which survives add-on upgrades)."""

import os

import bpy

from .. import worker_session

MODEL_EXTENSION = ".nrgan"


def default_model_path(source_name):
    stem = bpy.path.clean_name(os.path.splitext(source_name)[0]) or "texture"
    if bpy.data.filepath:
        return os.path.join(os.path.dirname(bpy.data.filepath), f"{stem}{MODEL_EXTENSION}")
    return os.path.join(worker_session.user_dir("gan_models"), f"{stem}{MODEL_EXTENSION}")


def resolve_model_path(path, source_name=None):
    """Absolute path for ``path`` (``//`` is relative to the .blend); the default if empty."""
    if path:
        return os.path.abspath(bpy.path.abspath(path))
    if source_name is None:
        raise ValueError("Choose a model file")
    return default_model_path(source_name)
