"""Relighting light-stage sets against an environment (the scene's HDRI world).

``light_sets`` (sets on disk), ``weights`` (world -> per-light weights), ``engine`` (weights x images
as one GEMM, low-rank previews); ``job`` registers the worker job. The sphere's conventions and the
lights' cells are ``protocol/sphere.py``, shared with the Blender side's virtual light stage.
"""

from . import job  # noqa: F401  (registers relight.* jobs)
