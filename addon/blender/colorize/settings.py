"""The Colorize panel's settings, stored per scene so they are saved with the .blend."""

import bpy

MODES = (
    ("AUTO", "Automatic", "Learned colorization: colours predicted from the luminance"),
    ("REFERENCE", "Reference", "Take colours from a colour reference image, region by region"),
    ("SCRIBBLES", "Scribbles", "Spread the colour strokes painted in a hints image along luminance edges"),
)


class NeuralRenderColorizeSettings(bpy.types.PropertyGroup):
    mode: bpy.props.EnumProperty(name="Mode", items=MODES, default="AUTO")
    temperature: bpy.props.FloatProperty(
        name="Vibrancy", default=0.38, min=0.0, max=1.0, subtype="FACTOR",
        description="Annealing temperature of the learned colorizer: 0 = the most likely colour per pixel "
                    "(vivid, can be patchy), 1 = the average colour (muted); 0.38 is the paper's choice")
    seamless: bpy.props.BoolProperty(name="Seamless", default=False,
                                     description="The texture tiles: keep the colorized result tileable")
    reference: bpy.props.PointerProperty(name="Reference", type=bpy.types.Image,
                                         description="Colour image to take colours from")
    hints: bpy.props.PointerProperty(name="Hints", type=bpy.types.Image,
                                     description="Image with colour strokes painted on transparency")
    rewire: bpy.props.BoolProperty(name="Use in Node", default=True,
                                   description="Make the Image Texture node use the colorized image (the original is kept)")
    weights_path: bpy.props.StringProperty(
        name="Weights", subtype="FILE_PATH",
        description="colorization_release_v2-9b330a0b.pth or a checkpoint of train_colorizer.py. Empty: the "
                    "add-on preference, the released weights in the models folder, else the small bundled model")


def attach():
    bpy.types.Scene.neural_render_colorize = bpy.props.PointerProperty(type=NeuralRenderColorizeSettings)


def detach():
    del bpy.types.Scene.neural_render_colorize
