"""Relighting operators: relight a light-stage set against a world (a still, a low-rank preview, or
the frame range with the world's keyframed rotation), and capture a virtual light stage.

Both follow the settings rule (``spec_properties``): a property the caller leaves unset takes the
Relight panel's scene setting, so ``bpy.ops.neural_render.relight('EXEC_DEFAULT')`` relights exactly
what the panel's Relight button would, and a keyword given wins.
"""

import os

import bpy

from ...protocol import sphere
from ...protocol.specs import relight as spec
from .. import datablocks, image_jobs, spec_properties
from ..job_operator import UserFacingError, WorkerJobOperator
from . import capture
from .world_operator import WorldLitOperator
from .settings import OVERRIDES, PANEL_PARAMS

SETTINGS = "neural_render_relight"
OPERATOR_PARAMS = (*PANEL_PARAMS, "storage", "memory_limit_mb")


class NEURALRENDER_OT_relight(WorldLitOperator, WorkerJobOperator, bpy.types.Operator):
    """Relight a light-stage set against a world (default: the scene's): the result is a float image
    and an Image node in the compositor"""
    bl_idname = "neural_render.relight"
    bl_label = "Relight Set"
    job_label = "Relight"
    settings_attribute = SETTINGS

    set_dir: bpy.props.StringProperty(name="Light Set", subtype="DIR_PATH", options={"SKIP_SAVE"},
                                      description="Folder of a light-stage set (default: the panel's)")
    world_name: bpy.props.StringProperty(name="World", options={"SKIP_SAVE"},
                                         description="World datablock; empty: the panel's world, else the scene's")
    use_strength: bpy.props.BoolProperty(name="Override Strength", default=False, options={"SKIP_SAVE"},
                                         description="Use Strength instead of the world's (default: the panel's; "
                                                     "giving Strength implies it)")
    use_rotation: bpy.props.BoolProperty(name="Override Rotation", default=False, options={"SKIP_SAVE"},
                                         description="Use Rotation instead of the world Mapping node's Z rotation "
                                                     "(default: the panel's; giving Rotation implies it)")
    preview: bpy.props.BoolProperty(name="Preview", default=False, options={"SKIP_SAVE"},
                                    description="A fast low-rank preview at the panel's Preview Rank (a given "
                                                "Preview Rank wins)")
    animation: bpy.props.BoolProperty(name="Animation", default=False, options={"SKIP_SAVE"},
                                      description="Relight every frame of the scene's range with the world's "
                                                  "keyframed Mapping rotation, written as an EXR sequence")
    output_path: bpy.props.StringProperty(name="Output", subtype="FILE_PATH", options={"SKIP_SAVE"},
                                          description="EXR file (still) or folder (animation); default: the panel's")
    add_node: bpy.props.BoolProperty(name="Add Compositor Node", default=True)

    def submit_job(self, context, client):
        set_dir = self.setting(context, "set_dir")
        if not set_dir:
            raise UserFacingError("Choose a light-stage set folder")
        self._set_dir = bpy.path.abspath(set_dir)
        world, lighting, params = self.lighting_params(context, spec.APPLY)
        params.update({"set": self._set_dir, **self.job_params(context, spec.APPLY, ("storage", "memory_limit_mb"))})
        rank = self._rank(context)
        if rank is not None:
            params["rank"] = rank
        self.plan_output(context, world, params)
        inputs = {"environment": lighting.image} if lighting.image is not None else {}
        return image_jobs.submit_image_job(client, "relight.apply", params, inputs)

    def _rank(self, context):
        """The preview's rank: the caller's (0: exact), else with ``preview`` the panel's; None: exact."""
        if self.properties.is_property_set("rank"):
            value = self.rank
        elif self.preview:
            value = self.setting(context, "rank")
        else:
            return None
        return spec_properties.job_value(spec.APPLY, "rank", value)

    def apply_result(self, context, handle):
        base = os.path.basename(os.path.normpath(self._set_dir))
        if self._frames is not None:
            image = self.load_frames(datablocks.result_name("Relit", f"{base} animation"))
            summary = f"Relit {len(self._frames)} frames into {self._output}"
        else:
            image = image_jobs.result_to_datablock(handle, "relit", datablocks.result_name("Relit", base))
            summary = f"Relit '{base}' into image '{image.name}'"
            if self._output:
                datablocks.save_image_exr(image, self._output)
                summary += f" and {self._output}"
        self.add_result_node(context.scene, image, f"Relit {base}")
        return summary


spec_properties.annotate(NEURALRENDER_OT_relight, spec.APPLY, OPERATOR_PARAMS, operator=True,
                         rotation_deg=OVERRIDES["rotation_deg"])


class NEURALRENDER_OT_relight_capture(bpy.types.Operator):
    """Render the scene with Cycles once per light of a lat-long grid (sun lamps, black world) into a
    light-stage set; the scene's own lamps and world are restored afterwards"""
    bl_idname = "neural_render.relight_capture"
    bl_label = "Capture Light Stage"

    folder: bpy.props.StringProperty(name="Folder", subtype="DIR_PATH", options={"SKIP_SAVE"},
                                     description="Folder for the set (default: the panel's Capture To)")
    columns: spec_properties.property_for(spec.CAPTURE_COLUMNS, operator=True)
    rows: spec_properties.property_for(spec.CAPTURE_ROWS, operator=True)

    # The settings rule, for properties the panel names differently.
    _PANEL_NAMES = {"folder": "capture_dir", "columns": "capture_columns", "rows": "capture_rows"}

    def _setting(self, context, name):
        settings = getattr(context.scene, SETTINGS, None)
        if self.properties.is_property_set(name) or settings is None:
            return getattr(self, name)
        return getattr(settings, self._PANEL_NAMES[name])

    def execute(self, context):
        folder = self._setting(context, "folder")
        if not folder:
            self.report({"ERROR"}, "Choose a folder for the light set")
            return {"CANCELLED"}
        folder = bpy.path.abspath(folder)
        columns, rows = self._setting(context, "columns"), self._setting(context, "rows")
        wm = context.window_manager
        total = columns * rows
        wm.progress_begin(0, total)
        try:
            capture.capture_light_stage(context.scene, folder, sphere.latlong_grid_directions(columns, rows),
                                        progress=lambda done, _: wm.progress_update(done))
        except (capture.CaptureError, OSError, datablocks.DatablockError) as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        finally:
            wm.progress_end()
        self.report({"INFO"}, f"Captured {total} lights into {folder}")
        return {"FINISHED"}


CLASSES = (NEURALRENDER_OT_relight, NEURALRENDER_OT_relight_capture)
