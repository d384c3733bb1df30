"""Relight Image: a U-Net trained on virtual light stages relights one image against a world.

The network (``network.py``) reads the image, its matte and the target world as a lat-long grid
(``environment_grid.py``), estimates the world the image was lit by, and predicts the shading ratio
that relights it; ``guided.py`` carries that ratio to full resolution; ``core.py`` runs it all on
arrays; ``checkpoint.py`` reads model files. Importing the package registers the worker job
``relight_image.apply`` (job.py). Every other module is I/O-free.
"""

from . import job  # noqa: F401  (registers the job)
