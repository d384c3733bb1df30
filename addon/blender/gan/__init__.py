"""GAN textures inside Blender: train from an image datablock (modal, progress, ETA, live preview,
Esc keeps the last checkpoint), generate textures as float datablocks, wire one into a material.
"""

from . import operators, panels, settings

# The scene property the panels edit, and its PropertyGroup (registration attaches it).
SETTINGS = ("neural_render_gan", settings.NeuralRenderGanSettings)
CLASSES = (
    settings.NeuralRenderGanSettings,
    *operators.CLASSES,
    *panels.CLASSES,
)
