"""The relighting panel's settings, stored per scene so they are saved with the .blend."""

import bpy


class NeuralRenderRelightSettings(bpy.types.PropertyGroup):
    set_dir: bpy.props.StringProperty(name="Light Set", subtype="DIR_PATH",
                                      description="Folder of a light-stage set (lights.csv or lightgrid.json)")
    world: bpy.props.PointerProperty(name="World", type=bpy.types.World,
                                     description="World to relight with; empty: the scene's world")
    use_strength: bpy.props.BoolProperty(name="Override Strength", default=False)
    strength: bpy.props.FloatProperty(name="Strength", default=1.0, min=0.0, soft_max=10.0)
    use_rotation: bpy.props.BoolProperty(name="Override Rotation", default=False,
                                         description="Replace the world Mapping node's Z rotation")
    rotation_deg: bpy.props.FloatProperty(name="Rotation", default=0.0, soft_min=-360.0, soft_max=360.0,
                                          description="World rotation about Z in degrees (as the Mapping node)")
    output_path: bpy.props.StringProperty(name="Output", subtype="FILE_PATH",
                                          description="Also write the result as EXR here (a folder for animation)")
    preview_rank: bpy.props.IntProperty(name="Preview Rank", default=16, min=1, max=4096,
                                        description="Rank of the fast low-rank preview")
    capture_dir: bpy.props.StringProperty(name="Capture To", subtype="DIR_PATH",
                                          description="Folder the virtual light stage writes its set into")
    capture_columns: bpy.props.IntProperty(name="Columns", default=32, min=1, max=256)
    capture_rows: bpy.props.IntProperty(name="Rows", default=16, min=1, max=128)


def attach():
    bpy.types.Scene.neural_render_relight = bpy.props.PointerProperty(type=NeuralRenderRelightSettings)


def detach():
    del bpy.types.Scene.neural_render_relight
