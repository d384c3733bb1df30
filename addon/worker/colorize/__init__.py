"""Colorize greyscale textures: learned automatic colorization (ECCV16-style classification over
in-gamut a*b* bins), colour from a reference image, and colour from user scribbles.

Importing the package registers the worker jobs ``colorize.auto``, ``colorize.reference`` and
``colorize.scribbles`` (job.py). Every other module is I/O-free.
"""

from . import job  # noqa: F401  (registers the jobs)
