"""Write Farm Job: the scene's shot as a job a TD submits with their farm's own tools -- an Open Job
Description bundle (``deadline bundle submit``, ``openjd run``) and a Flamenco job (the shipped job type
scripts) -- from the render passes already on disk and the capability panel's settings."""

import os

import bpy

from ...protocol.farm import bundles, flamenco
from ..job_operator import UserFacingError
from . import job_files
from .settings import CAPABILITY_ITEMS


class NEURALRENDER_OT_write_farm_job(bpy.types.Operator):
    """Write the shot as a farm job: an Open Job Description bundle (Deadline Cloud) and a Flamenco job,
    from the rendered frames on disk and the panel's settings"""
    bl_idname = "neural_render.write_farm_job"
    bl_label = "Write Farm Job"
    bl_options = {"REGISTER"}

    capability: bpy.props.EnumProperty(name="Job", items=CAPABILITY_ITEMS, options={"SKIP_SAVE"},
                                       description="Which capability (default: the Farm panel's)")
    directory: bpy.props.StringProperty(name="Job Folder", subtype="DIR_PATH", options={"SKIP_SAVE"},
                                        description="Where the job is written (default: the Farm panel's)")

    def execute(self, context):
        settings = context.scene.neural_render_farm
        capability = self.capability if self.properties.is_property_set("capability") else settings.capability
        base = self.directory if self.properties.is_property_set("directory") else settings.directory
        if not base:
            self.report({"ERROR"}, "Choose a job folder")
            return {"CANCELLED"}
        if base.startswith("//") and not bpy.data.filepath:
            self.report({"ERROR"}, "Save the .blend first (the job folder is relative to it), or choose an absolute folder")
            return {"CANCELLED"}
        folder = os.path.join(os.path.normpath(bpy.path.abspath(base)), capability.lower())
        try:
            farm_job, values = job_files.collect(context, capability, folder)
            bundles.write_deadline_bundle(os.path.join(folder, "deadline"), farm_job, values)
            name = f"{os.path.splitext(os.path.basename(bpy.data.filepath))[0] or 'shot'} {farm_job.title}"
            bundles.write_flamenco_job(folder, farm_job, flamenco.settings_from_values(farm_job, values), name)
        except UserFacingError as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        except OSError as error:
            self.report({"ERROR"}, f"Cannot write the farm job into {folder}: {error.strerror or error}")
            return {"CANCELLED"}
        note = "" if "NeuralRenderCli" in values else " (give the neural-render path when submitting)"
        self.report({"INFO"}, f"Wrote the {farm_job.title} job for frames {values['FrameStart']}-{values['FrameEnd']} "
                              f"to {folder}{note}")
        return {"FINISHED"}


CLASSES = (NEURALRENDER_OT_write_farm_job,)
