"""Relighting light-stage sets against the scene's world inside Blender: relight (still, low-rank
preview, animation via the world's keyframed rotation) into a float image + compositor node, and the
virtual light stage that captures a set from any scene with Cycles.

``CLASSES`` lists what to register; ``attach_properties``/``detach_properties`` add and remove the
per-scene settings the panels edit (``scene.neural_render_relight``).
"""

from . import operators, panels, settings

CLASSES = (
    settings.NeuralRenderRelightSettings,
    *operators.CLASSES,
    *panels.CLASSES,
)

attach_properties = settings.attach
detach_properties = settings.detach
