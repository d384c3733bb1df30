"""Stylize: Gatys et al. neural style transfer for renders and animations.

The core (losses, objective with exact tiling, optimisers, coarse-to-fine schedule, colour handling,
style blending, masks, Vector-pass temporal consistency) is I/O-free and called by tests directly;
``job.py`` exposes it as the worker jobs ``stylize.image``, ``stylize.frame`` and ``stylize.sequence``.
"""

from . import job  # noqa: F401  (registers the jobs)
