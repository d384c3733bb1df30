"""The relighting panel's settings, stored per scene so they are saved with the .blend."""

import bpy

from ...protocol.specs import relight as spec
from .. import spec_properties


class NeuralRenderRelightSettings(bpy.types.PropertyGroup):
    """The panel's values. The job parameters it edits (strength, rotation, preview rank) are made from
    the relight spec by ``spec_properties.annotate`` below; the rest is Blender's own: the set and
    world to use, whether strength and rotation override the world's, the output, the capture."""
    set_dir: bpy.props.StringProperty(name="Light Set", subtype="DIR_PATH",
                                      description="Folder of a light-stage set (lights.csv or lightgrid.json)")
    world: bpy.props.PointerProperty(name="World", type=bpy.types.World,
                                     description="World to relight with; empty: the scene's world")
    use_strength: bpy.props.BoolProperty(name="Override Strength", default=False,
                                         description="Replace the world's Background strength")
    use_rotation: bpy.props.BoolProperty(name="Override Rotation", default=False,
                                         description="Replace the world Mapping node's Z rotation")
    output_path: bpy.props.StringProperty(name="Output", subtype="FILE_PATH",
                                          description="Also write the result as EXR here (a folder for animation)")
    capture_dir: bpy.props.StringProperty(name="Capture To", subtype="DIR_PATH",
                                          description="Folder the virtual light stage writes its set into")
    capture_columns: spec_properties.property_for(spec.CAPTURE_COLUMNS)
    capture_rows: spec_properties.property_for(spec.CAPTURE_ROWS)


PANEL_PARAMS = spec_properties.panel_names(spec.APPLY)
# The Preview button's rank starts at a useful preview (the job's own default is exact); the rotation
# slider spans a turn either way.
OVERRIDES = {"rank": {"default": spec.DEFAULT_PREVIEW_RANK},
             "rotation_deg": {"soft_min": -spec.APPLY["rotation_deg"].soft_high}}
spec_properties.annotate(NeuralRenderRelightSettings, spec.APPLY, PANEL_PARAMS, **OVERRIDES)
