"""Relighting light-stage sets against the scene's world inside Blender: relight (still, low-rank
preview, animation via the world's keyframed rotation) into a float image + compositor node, and the
virtual light stage that captures a set from any scene with Cycles.
"""

from . import operators, panels, settings

# The scene property the panels edit, and its PropertyGroup (registration attaches it).
SETTINGS = ("neural_render_relight", settings.NeuralRenderRelightSettings)
CLASSES = (
    settings.NeuralRenderRelightSettings,
    *operators.CLASSES,
    *panels.CLASSES,
)
