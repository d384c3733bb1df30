"""The StyleGAN panel's settings, stored per scene so they are saved with the .blend."""

import bpy

from ...protocol.specs import stylegan as spec
from .. import spec_properties
from .model_files import LATENT_EXTENSION, MODEL_EXTENSION

MODEL_PATH_HELP = (f"StyleGAN model file ({MODEL_EXTENSION}). Empty: next to the .blend (or in the extension's "
                   "user folder for an unsaved file), named after the texture folder")
LATENT_PATH_HELP = f"Empty: next to the model, named after the model and the image ({LATENT_EXTENSION})"
MIX_HELP = ("Style mixing: the coarse layers (layout, big shapes) from Seed, the fine layers (from Mix Layer "
            "on: colour, grain) from Mix Seed")
MAKE_MATERIAL_HELP = "Wire the first texture into a material on the active object"

# Blender shows what the worker does when a number is not given: explicit values a user can edit
# (0 still means "not given"). The spec's mix seed has no default (no mixing): the Mix toggle says
# whether to mix, and its seed starts one above Seed's 0 so that turning Mix on changes something.
SHOWN_DEFAULTS = {"minutes": {"default": spec.DEFAULT_MINUTES}, "width": {"default": spec.DEFAULT_WIDTH},
                  "mix_seed": {"default": 1}, "folder": {"subtype": "DIR_PATH"}}


class NeuralRenderStyleGanSettings(bpy.types.PropertyGroup):
    """The panel's values. The job parameters it edits (the texture folder, training minutes and
    resume; the generated textures' size, seed, count, truncation, tileability and mixing; the
    projection's steps and variations) are made from the StyleGAN specs below; the rest is Blender's
    own: the model file, the Mix toggle and the material switch."""
    model_path: bpy.props.StringProperty(name="Model", subtype="FILE_PATH", description=MODEL_PATH_HELP)
    mix: bpy.props.BoolProperty(name="Mix", default=False, description=MIX_HELP)
    make_material: bpy.props.BoolProperty(name="Make Material", default=False, description=MAKE_MATERIAL_HELP)


TRAIN_PANEL_PARAMS = spec_properties.panel_names(spec.TRAIN)
GENERATE_PANEL_PARAMS = spec_properties.panel_names(spec.GENERATE)
PROJECT_PANEL_PARAMS = spec_properties.panel_names(spec.PROJECT)
spec_properties.annotate(NeuralRenderStyleGanSettings, spec.TRAIN, TRAIN_PANEL_PARAMS, **SHOWN_DEFAULTS)
spec_properties.annotate(NeuralRenderStyleGanSettings, spec.GENERATE, GENERATE_PANEL_PARAMS, **SHOWN_DEFAULTS)
spec_properties.annotate(NeuralRenderStyleGanSettings, spec.PROJECT, PROJECT_PANEL_PARAMS, **SHOWN_DEFAULTS)
