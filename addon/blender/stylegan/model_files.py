"""Where StyleGAN files go when the user did not choose: a model next to the saved .blend (else in the
extension's user folder, which survives add-on upgrades), named after its texture folder; a projected
latent next to its model, named after the model and the image it reproduces."""

import os

import bpy

from .. import worker_session
from ..gan.model_files import MODEL_EXTENSION  # one model file type: the worker tells the kinds apart

LATENT_EXTENSION = ".nrlatent"
# A GAN exemplar model of the same name lands in the same folder: the suffix keeps them apart.
MODEL_SUFFIX = "_stylegan"


def _stem(name, fallback):
    return bpy.path.clean_name(os.path.splitext(name)[0]) or fallback


def model_stem(model_path):
    """The model's file name without extension: what its results are named after."""
    return os.path.splitext(os.path.basename(model_path))[0]


def default_model_path(folder):
    name = f"{_stem(os.path.basename(os.path.normpath(folder)), 'textures')}{MODEL_SUFFIX}{MODEL_EXTENSION}"
    if bpy.data.filepath:
        return os.path.join(os.path.dirname(bpy.data.filepath), name)
    return os.path.join(worker_session.user_dir("stylegan_models"), name)


def resolve_model_path(path, folder=None):
    """Absolute path for ``path`` (``//`` is relative to the .blend); the default for ``folder`` if empty."""
    if path:
        return os.path.abspath(bpy.path.abspath(path))
    if folder is None:
        raise ValueError("Choose a StyleGAN model file")
    return default_model_path(folder)


def resolve_latent_path(path, model_path, image_name):
    """Absolute path for ``path``; if empty, ``<model>_<image>.nrlatent`` beside the model."""
    if path:
        return os.path.abspath(bpy.path.abspath(path))
    name = f"{model_stem(model_path)}_{_stem(image_name, 'image')}{LATENT_EXTENSION}"
    return os.path.join(os.path.dirname(model_path), name)
