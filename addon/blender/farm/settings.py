"""The Farm panel's settings, stored per scene: which capability's job to write, where, and what the
farm's worker hosts run it with."""

import bpy

from ...protocol.farm import job_types

CAPABILITY_ITEMS = [(farm_job.name.upper(), farm_job.title, farm_job.summary) for farm_job in job_types.FARM_JOBS]


class NeuralRenderFarmSettings(bpy.types.PropertyGroup):
    capability: bpy.props.EnumProperty(name="Job", items=CAPABILITY_ITEMS, default=CAPABILITY_ITEMS[0][0],
                                       description="Which capability the farm job runs over the scene's frame range")
    directory: bpy.props.StringProperty(name="Job Folder", subtype="DIR_PATH", default="//farm/",
                                        description="Where the job bundle is written (a folder per capability inside)")
    python: bpy.props.StringProperty(name="Worker Python", default="python3",
                                     description="The Python with torch on the farm's worker hosts")
    neural_render_cli: bpy.props.StringProperty(
        name="neural-render", subtype="FILE_PATH",
        description="The neural-render script on the worker hosts (scripts/neural-render of a Neural Render "
                    "checkout); empty: given when the job is submitted")
    chunk_size: bpy.props.IntProperty(name="Chunk Size", default=0, min=0, max=100000,
                                      description="Frames per task (0: the job's default)")
