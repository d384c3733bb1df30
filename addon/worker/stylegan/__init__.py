"""StyleGAN textures: a style-based generator for texture sets (StyleGAN2 with a spatial input that
extends to any size and wraps for exact tiling, DiffAugment for small sets), style mixing, truncation,
latent walks and projection of the user's own texture.

The core (network, training through the shared GAN trainer, sampling, projection) is I/O-free and
called by tests directly; ``job.py`` exposes it as the worker jobs ``stylegan.train``,
``stylegan.generate`` and ``stylegan.project``.
"""

from . import job  # noqa: F401  (registers the jobs)
