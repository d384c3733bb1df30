"""The Stylize panel's settings, stored per scene so they are saved with the .blend."""

import bpy

from ...protocol.specs import stylize as spec
from .. import spec_properties


# Stylize Animation has a preset of its own, from the same choices as the job's: Instant by default, so
# a first look at a shot takes seconds a frame, not minutes.
ANIMATION_PRESET_ITEMS = [(choice.value, choice.label, choice.description) for choice in spec.PRESET_CHOICES]
ANIMATION_PRESET_DEFAULT = "instant"


class NeuralRenderStyleSlot(bpy.types.PropertyGroup):
    """One style image: a datablock (shown with its thumbnail) and its blend weight."""
    image: bpy.props.PointerProperty(name="Style", type=bpy.types.Image)
    weight: bpy.props.FloatProperty(name="Weight", default=1.0, min=0.0, max=10.0)


class NeuralRenderStylizeSettings(bpy.types.PropertyGroup):
    """The panel's values. The job parameters it edits (preset, strength, style scale, colours,
    highlights, feather, optimiser, smoothness, layer weights) are made from the stylize spec by
    ``spec_properties.annotate`` below; the rest is Blender's own: images, mask choice, animation."""
    styles: bpy.props.CollectionProperty(type=NeuralRenderStyleSlot)
    active_style: bpy.props.IntProperty(default=0)
    background_style: bpy.props.PointerProperty(
        name="Background Style", type=bpy.types.Image,
        description="With a mask: the style outside it (empty: the render stays as it is there)")
    mask_source: bpy.props.EnumProperty(name="Mask", items=(
        ("NONE", "None", "Stylize everything"),
        ("IMAGE", "Image", "A mask image (white = stylize)"),
        ("ALPHA", "Alpha", "The render's alpha (transparent film)"),
        ("OBJECT_INDEX", "Object Index", "An Object Index pass image: stylize the objects with the given pass indices")),
        default="NONE")
    mask_indices: bpy.props.StringProperty(name="Pass Indices", default="1",
                                           description="Object pass indices to stylize, comma separated (e.g. 1, 3)")
    mask_image: bpy.props.PointerProperty(name="Mask Image", type=bpy.types.Image)
    temporal: bpy.props.BoolProperty(name="Temporal Consistency", default=True,
                                     description="Animations: warp the previous frame with the Vector pass")
    output_directory: bpy.props.StringProperty(name="Output", subtype="DIR_PATH", default="//stylized/",
                                               description="Folder of the stylized EXR sequence")
    animation_preset: bpy.props.EnumProperty(
        name="Animation Preset", items=ANIMATION_PRESET_ITEMS, default=ANIMATION_PRESET_DEFAULT,
        description="The preset of Stylize Animation (Instant: about a second a frame, for previews)")


PANEL_PARAMS = spec_properties.panel_names(spec.IMAGE)
spec_properties.annotate(NeuralRenderStylizeSettings, spec.IMAGE, PANEL_PARAMS)
