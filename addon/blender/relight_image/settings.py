"""The Relight Image panel's settings, stored per scene so they are saved with the .blend."""

import bpy

from ...protocol.specs import relight_image as spec
from .. import spec_properties
from ..relight.settings import OVERRIDES as RELIGHT_OVERRIDES


class NeuralRenderRelightImageSettings(bpy.types.PropertyGroup):
    """The panel's values. The job parameters it edits (strength, rotation, background, network
    resolution, model) are made from the relight_image spec by ``spec_properties.annotate`` below;
    the rest is Blender's own: the image, its matte, the world to use and the one it was lit by,
    whether strength and rotation override the world's, and where an animation goes."""
    image: bpy.props.PointerProperty(name="Image", type=bpy.types.Image,
                                     description="The image to relight; empty: the Image Editor's image")
    matte: bpy.props.PointerProperty(name="Matte", type=bpy.types.Image,
                                     description="White where the subject is, the image's size: its first "
                                                 "channel is the coverage, read in its colour space (Non-Color: "
                                                 "as stored); empty: the image's alpha")
    world: bpy.props.PointerProperty(name="World", type=bpy.types.World,
                                     description="World to light the image with; empty: the scene's world")
    source_world: bpy.props.PointerProperty(name="Source World", type=bpy.types.World,
                                            description="The world the image was lit by, if known (e.g. the "
                                                        "HDRI shot on set): used instead of the network's "
                                                        "estimate, which is much more accurate; empty: estimated")
    use_strength: bpy.props.BoolProperty(name="Override Strength", default=False,
                                         description="Replace the world's Background strength")
    use_rotation: bpy.props.BoolProperty(name="Override Rotation", default=False,
                                         description="Replace the world Mapping node's Z rotation")
    output_path: bpy.props.StringProperty(name="Output", subtype="FILE_PATH",
                                          description="Also write the result as EXR here (a folder for animation)")


PANEL_PARAMS = spec_properties.panel_names(spec.APPLY)
# The rotation slider spans a turn either way, as the light-stage relighting's does.
OVERRIDES = {"rotation_deg": RELIGHT_OVERRIDES["rotation_deg"]}
spec_properties.annotate(NeuralRenderRelightImageSettings, spec.APPLY, PANEL_PARAMS, **OVERRIDES)
