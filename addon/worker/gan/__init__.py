"""GAN textures: learn a texture from one exemplar (periodic spatial GAN) or a folder of textures
(DCGAN), then generate variations of any size, tileable, from seeds.

The core (models, training loop, checkpoints, generation, metrics) is I/O-free and called by tests
directly; ``job.py`` exposes it as the worker jobs ``gan.train`` and ``gan.generate``.
"""

from . import job  # noqa: F401  (registers the jobs)
