"""GAN textures inside Blender: train from an image datablock (modal, progress, ETA, live preview,
Esc keeps the last checkpoint), generate textures as float datablocks, wire one into a material.

``CLASSES`` lists what to register; ``attach_properties``/``detach_properties`` add and remove the
per-scene settings the panel edits (``scene.neural_render_gan``).
"""

from . import operators, panels, settings

CLASSES = (
    settings.NeuralRenderGanSettings,
    *operators.CLASSES,
    *panels.CLASSES,
)

attach_properties = settings.attach
detach_properties = settings.detach
