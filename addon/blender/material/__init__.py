"""Material maps inside Blender: Make Material from Photo (normal and height datablocks and a
Principled material wired to them; re-runs replace) and Normal to Height, with sidebar panels in the
Image Editor and the Shader Editor.
"""

from . import operators, panels, settings

# The scene property the panels edit, and its PropertyGroup (registration attaches it).
SETTINGS = ("neural_render_material", settings.NeuralRenderMaterialSettings)
CLASSES = (
    settings.NeuralRenderMaterialSettings,
    *operators.CLASSES,
    *panels.CLASSES,
)
