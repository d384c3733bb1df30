"""The GAN panel's settings, stored per scene so they are saved with the .blend."""

import bpy

from ...protocol.specs import gan as spec
from .. import spec_properties
from .model_files import MODEL_EXTENSION

PERIODIC_PATTERN_HELP = ("The exemplar repeats regularly (bricks, tiles, weaves): give the generator "
                         f"{spec.PERIODIC_PATTERN_CHANNELS} sinusoid inputs to keep the period. Off for "
                         "irregular textures (stones, bark, plaster), where they can lay a grid over the result")
MODEL_PATH_HELP = (f"GAN model file ({MODEL_EXTENSION}). Empty: next to the .blend (or in the extension's user "
                   "folder for an unsaved file), named after the exemplar")
MAKE_MATERIAL_HELP = "Wire the first texture into a material on the active object"

# Blender shows what the worker does when a number is not given: explicit values a user can edit.
# (In a job request these parameters are optional: no minutes with steps means "until the steps",
# no width means a folder model's own size.) 0 in these fields still means "not given".
SHOWN_DEFAULTS = {"minutes": {"default": spec.DEFAULT_MINUTES}, "width": {"default": spec.DEFAULT_WIDTH}}


class NeuralRenderGanSettings(bpy.types.PropertyGroup):
    """The panel's values. The job parameters it edits (training minutes and resume; the generated
    textures' size, seed, count, tileability and variation) are made from the GAN specs below; the
    rest is Blender's own: the model file, the Periodic Pattern toggle, the material switch."""
    model_path: bpy.props.StringProperty(name="Model", subtype="FILE_PATH", description=MODEL_PATH_HELP)
    periodic_pattern: bpy.props.BoolProperty(name="Periodic Pattern", default=False,
                                             description=PERIODIC_PATTERN_HELP)
    make_material: bpy.props.BoolProperty(name="Make Material", default=False, description=MAKE_MATERIAL_HELP)


TRAIN_PANEL_PARAMS = spec_properties.panel_names(spec.TRAIN)
GENERATE_PANEL_PARAMS = spec_properties.panel_names(spec.GENERATE)
spec_properties.annotate(NeuralRenderGanSettings, spec.TRAIN, TRAIN_PANEL_PARAMS, **SHOWN_DEFAULTS)
spec_properties.annotate(NeuralRenderGanSettings, spec.GENERATE, GENERATE_PANEL_PARAMS, **SHOWN_DEFAULTS)
