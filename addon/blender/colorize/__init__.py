"""Colorize greyscale image textures inside Blender: an operator on an image datablock or the active
Image Texture node (new colour datablock, original untouched, optional rewire, re-run replaces), and
sidebar panels in the Image Editor and Shader Editor.
"""

from . import operators, panels, settings

# The scene property the panels edit, and its PropertyGroup (registration attaches it).
SETTINGS = ("neural_render_colorize", settings.NeuralRenderColorizeSettings)
CLASSES = (
    settings.NeuralRenderColorizeSettings,
    *operators.CLASSES,
    *panels.CLASSES,
)
