"""The Material Maps panel's settings, stored per scene so they are saved with the .blend."""

import bpy

from ...protocol.specs import material as spec
from .. import spec_properties

HEIGHT_USES = (
    ("BUMP", "Bump", "Height drives a Bump node on top of the normal map (shading only, any render engine)"),
    ("DISPLACEMENT", "Displacement", "Height drives the material's displacement (Cycles moves the surface; "
     "needs a finely subdivided mesh)"),
    ("NONE", "None", "Height is made but not wired"),
)


class NeuralRenderMaterialSettings(bpy.types.PropertyGroup):
    """The panel's values: the job parameters (tileable, height source, green convention) come from
    the material spec (``annotate`` below); how the material uses the maps is Blender's own."""
    height_use: bpy.props.EnumProperty(name="Height", items=HEIGHT_USES, default="BUMP",
                                       description="How the material uses the height map")
    bump_strength: bpy.props.FloatProperty(name="Bump Strength", default=0.3, min=0.0, max=1.0,
                                           description="The Bump node's strength (0: no effect)")
    bump_distance: bpy.props.FloatProperty(name="Bump Distance", default=0.02, min=0.0, max=10.0, unit="LENGTH",
                                           description="Height difference between the map's 0 and 1")
    displacement_scale: bpy.props.FloatProperty(name="Displacement Scale", default=0.05, min=0.0, max=10.0,
                                                unit="LENGTH", description="Displacement between the map's 0 and 1")
    normal_strength: bpy.props.FloatProperty(name="Normal Strength", default=1.0, min=0.0, max=10.0,
                                             description="The Normal Map node's strength")
    tiling: bpy.props.FloatProperty(name="Tiling", default=1.0, min=0.001, max=1000.0,
                                    description="Repeats of the maps across the UVs (Mapping node scale)")
    assign_to_active: bpy.props.BoolProperty(name="Assign to Active Object", default=True,
                                             description="From the Image Editor: put the new material on the "
                                             "active object when it has none")


PHOTO_PARAMS = spec_properties.panel_names(spec.FROM_PHOTO)
HEIGHT_PARAMS = [name for name in spec_properties.panel_names(spec.NORMAL_TO_HEIGHT) if name not in PHOTO_PARAMS]
spec_properties.annotate(NeuralRenderMaterialSettings, spec.FROM_PHOTO, PHOTO_PARAMS)
spec_properties.annotate(NeuralRenderMaterialSettings, spec.NORMAL_TO_HEIGHT, HEIGHT_PARAMS)
