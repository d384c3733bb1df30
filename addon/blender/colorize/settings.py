"""The Colorize panel's settings, stored per scene so they are saved with the .blend."""

import bpy

from ...protocol.specs import colorize as spec
from .. import spec_properties

MODES = (
    ("AUTO", "Automatic", "Learned colorization: colours predicted from the luminance"),
    ("REFERENCE", "Reference", "Take colours from a colour reference image, region by region"),
    ("SCRIBBLES", "Scribbles", "Spread the colour strokes painted in a hints image along luminance edges"),
)


class NeuralRenderColorizeSettings(bpy.types.PropertyGroup):
    """The panel's values: the learned colorizer's parameters (vibrancy, seamless, weights) come from
    the colorize spec (``annotate`` below); mode, images and rewiring are Blender's own."""
    mode: bpy.props.EnumProperty(name="Mode", items=MODES, default="AUTO")
    reference: bpy.props.PointerProperty(name="Reference", type=bpy.types.Image,
                                         description="Colour image to take colours from")
    hints: bpy.props.PointerProperty(name="Hints", type=bpy.types.Image,
                                     description="Image with colour strokes painted on transparency")
    rewire: bpy.props.BoolProperty(name="Use in Node", default=True,
                                   description="Make the Image Texture node use the colorized image (the original is kept)")


PANEL_PARAMS = spec_properties.panel_names(spec.AUTO)
SCRIBBLE_PARAMS = spec_properties.panel_names(spec.SCRIBBLES)
spec_properties.annotate(NeuralRenderColorizeSettings, spec.AUTO, PANEL_PARAMS)
spec_properties.annotate(NeuralRenderColorizeSettings, spec.SCRIBBLES, SCRIBBLE_PARAMS)
