"""Stylize inside Blender: an image datablock, the Render Result, or every frame of an animation render
(with the Vector pass for temporal consistency) -> float EXR datablocks / an EXR sequence, plus an Image
node in the compositor.

``CLASSES`` lists what to register; ``attach_properties``/``detach_properties`` add and remove the
per-scene settings the panels edit (``scene.neural_render_stylize``).
"""

from . import operators, panels, settings

CLASSES = (
    settings.NeuralRenderStyleSlot,
    settings.NeuralRenderStylizeSettings,
    *operators.CLASSES,
    *panels.CLASSES,
)

attach_properties = settings.attach
detach_properties = settings.detach
