"""Stylize inside Blender: an image datablock, the Render Result, or every frame of an animation render
(with the Vector pass for temporal consistency) -> float EXR datablocks / an EXR sequence, plus an Image
node in the compositor.
"""

from . import operators, panels, settings

# The scene property the panels edit, and its PropertyGroup (registration attaches it).
SETTINGS = ("neural_render_stylize", settings.NeuralRenderStylizeSettings)
CLASSES = (
    settings.NeuralRenderStyleSlot,
    settings.NeuralRenderStylizeSettings,
    *operators.CLASSES,
    *panels.CLASSES,
)
