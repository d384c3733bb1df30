"""The GAN panel's settings, stored per scene so they are saved with the .blend."""

import bpy

from .model_files import MODEL_EXTENSION

PERIODIC_PATTERN_HELP = ("The exemplar repeats regularly (bricks, tiles, weaves): give the generator sinusoid "
                         "inputs to keep the period. Off for irregular textures (stones, bark, plaster), where "
                         "they can lay a grid over the result")


VARIATION_HELP = ("How far a seed may move the texture's overall colour and brightness from the exemplar's "
                  "(exemplar models). 0: every seed keeps the exemplar's look and differs in layout; "
                  "1: the full range the model learned, further from the exemplar")


class NeuralRenderGanSettings(bpy.types.PropertyGroup):
    model_path: bpy.props.StringProperty(
        name="Model", subtype="FILE_PATH",
        description=f"GAN model file ({MODEL_EXTENSION}). Empty: next to the .blend (or in the extension's "
                    "user folder for an unsaved file), named after the exemplar")
    minutes: bpy.props.FloatProperty(name="Minutes", default=10.0, min=0.1, max=24 * 60,
                                     description="Training time")
    resume: bpy.props.BoolProperty(name="Resume", default=False,
                                   description="Continue training the model file instead of starting over")
    periodic_pattern: bpy.props.BoolProperty(name="Periodic Pattern", default=False,
                                             description=PERIODIC_PATTERN_HELP)
    width: bpy.props.IntProperty(name="Width", default=1024, min=16, max=16384, step=16)
    height: bpy.props.IntProperty(name="Height", default=1024, min=16, max=16384, step=16)
    seed: bpy.props.IntProperty(name="Seed", default=0, min=0)
    count: bpy.props.IntProperty(name="Count", default=1, min=1, max=16)
    tileable: bpy.props.BoolProperty(name="Tileable", default=True)
    variation: bpy.props.FloatProperty(name="Variation", default=0.0, min=0.0, max=1.0, subtype="FACTOR",
                                       description=VARIATION_HELP)
    make_material: bpy.props.BoolProperty(name="Make Material", default=False,
                                          description="Wire the first texture into a material on the active object")


def attach():
    bpy.types.Scene.neural_render_gan = bpy.props.PointerProperty(type=NeuralRenderGanSettings)


def detach():
    del bpy.types.Scene.neural_render_gan
