"""Relighting light-stage sets against an environment (the scene's HDRI world).

``directions`` (Blender's sphere conventions), ``light_sets`` (sets on disk), ``weights`` (world ->
per-light weights), ``engine`` (weights x images as one GEMM, low-rank previews); ``job`` registers
the worker jobs.
"""

from . import job  # noqa: F401  (registers relight.* jobs)
