"""Colorize greyscale image textures inside Blender: an operator on an image datablock or the active
Image Texture node (new colour datablock, original untouched, optional rewire, re-run replaces), and
sidebar panels in the Image Editor and Shader Editor.

``CLASSES`` lists what to register; ``attach_properties``/``detach_properties`` add and remove the
per-scene settings the panels edit (``scene.neural_render_colorize``).
"""

from . import operators, panels, settings

CLASSES = (
    settings.NeuralRenderColorizeSettings,
    *operators.CLASSES,
    *panels.CLASSES,
)

attach_properties = settings.attach
detach_properties = settings.detach
