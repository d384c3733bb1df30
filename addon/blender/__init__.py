"""Everything that runs inside Blender: preferences, operators, panels, datablock I/O, worker client.

Modules here never import torch. This ``__init__`` imports nothing, so the bpy-free modules (the
worker client, the worker environment setup) can be used by command-line tools and tests;
``registration.py`` lists and registers the Blender classes.
"""

# The add-on's top-level package: ``bl_ext.<repo>.neural_render_suite`` when installed as an extension.
ADDON_PACKAGE = __package__.rpartition(".")[0]
