"""Relighting one image inside Blender: an image datablock (and its matte) relit against the scene's
world by the network trained on virtual light stages, into a float image + compositor node, or over
the frame range with the world's keyframed rotation into an EXR sequence.
"""

from . import operators, panels, settings

# The scene property the panels edit, and its PropertyGroup (registration attaches it).
SETTINGS = (operators.SETTINGS, settings.NeuralRenderRelightImageSettings)
CLASSES = (
    settings.NeuralRenderRelightImageSettings,
    *operators.CLASSES,
    *panels.CLASSES,
)
