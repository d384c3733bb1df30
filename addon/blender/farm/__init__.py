"""Farm jobs from Blender: the Write Farm Job operator and its panel. The templates and the job bundle
format are pure and shared (protocol/farm); this side reads the scene."""

from . import operators, panels, settings

SETTINGS = ("neural_render_farm", settings.NeuralRenderFarmSettings)
CLASSES = (
    settings.NeuralRenderFarmSettings,
    *operators.CLASSES,
    *panels.CLASSES,
)
