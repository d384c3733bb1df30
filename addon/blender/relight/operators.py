"""Relighting operators: relight a light-stage set against a world (a still, a low-rank preview, or
the frame range with the world's keyframed rotation), and capture a virtual light stage."""

import os

import bpy

from .. import compositor, datablocks, image_jobs
from ..job_operator import UserFacingError, WorkerJobOperator
from . import capture, cells, world_reader


def _settings(context):
    return getattr(context.scene, "neural_render_relight", None)


class NEURALRENDER_OT_relight(WorkerJobOperator, bpy.types.Operator):
    """Relight a light-stage set against a world (default: the scene's): the result is a float image
    and an Image node in the compositor"""
    bl_idname = "neural_render.relight"
    bl_label = "Relight Set"
    job_label = "Relight"

    set_dir: bpy.props.StringProperty(name="Light Set", subtype="DIR_PATH")
    world_name: bpy.props.StringProperty(name="World", description="Empty: the scene's world")
    use_strength: bpy.props.BoolProperty(name="Override Strength", default=False)
    strength: bpy.props.FloatProperty(name="Strength", default=1.0, min=0.0)
    use_rotation: bpy.props.BoolProperty(name="Override Rotation", default=False)
    rotation_deg: bpy.props.FloatProperty(name="Rotation (Z, degrees)", default=0.0)
    preview_rank: bpy.props.IntProperty(name="Preview Rank", default=0, min=0,
                                        description="0: exact; else relight through a rank-k factorisation")
    animation: bpy.props.BoolProperty(name="Animation", default=False,
                                      description="Relight every frame of the scene's range with the world's "
                                                  "keyframed Mapping rotation, written as an EXR sequence")
    output_path: bpy.props.StringProperty(name="Output", subtype="FILE_PATH",
                                          description="EXR file (still) or folder (animation)")
    add_node: bpy.props.BoolProperty(name="Add Compositor Node", default=True)

    def submit_job(self, context, client):
        scene = context.scene
        if not self.set_dir:
            raise UserFacingError("Choose a light-stage set folder")
        self._set_dir = bpy.path.abspath(self.set_dir)
        world = bpy.data.worlds.get(self.world_name) if self.world_name else scene.world
        if self.world_name and world is None:
            raise UserFacingError(f"No world named '{self.world_name}'")
        lighting = world_reader.read_world(world)
        params = {"set": self._set_dir, **lighting.params()}
        if self.use_strength:
            params["strength"] = self.strength
        if self.use_rotation:
            params["rotation_deg"] = self.rotation_deg
        if self.preview_rank > 0:
            params["rank"] = self.preview_rank
        self._frames = None
        if self.animation:
            if not self.output_path:
                raise UserFacingError("An animation needs an output folder for its EXR sequence")
            self._frames = list(range(scene.frame_start, scene.frame_end + 1))
            params["frames"] = self._frame_overrides(scene, world)
        inputs = {"environment": lighting.image} if lighting.image is not None else {}
        return image_jobs.submit_image_job(client, "relight.apply", params, inputs)

    def _frame_overrides(self, scene, world):
        """Per frame: the world's Mapping rotation (and strength) as animated, evaluated frame by frame."""
        current = scene.frame_current
        frames = []
        try:
            for frame in self._frames:
                scene.frame_set(frame)
                lighting = world_reader.read_world(world)
                override = {"strength": self.strength if self.use_strength else lighting.strength}
                if lighting.mapping is not None:
                    override["rotation"] = lighting.mapping.get("rotation", [0.0, 0.0, 0.0])
                frames.append(override)
        finally:
            scene.frame_set(current)
        return frames

    def apply_result(self, context, handle):
        scene = context.scene
        base = os.path.basename(os.path.normpath(self._set_dir))
        if self._frames is not None:
            folder = bpy.path.abspath(self.output_path)
            os.makedirs(folder, exist_ok=True)
            image = None
            for index, frame in enumerate(self._frames):
                image = image_jobs.result_to_datablock(handle, f"frame_{index:04d}",
                                                       datablocks.result_name("Relit", base))
                datablocks.save_image_exr(image, os.path.join(folder, f"relit_{frame:04d}.exr"))
            summary = f"Relit {len(self._frames)} frames into {folder}"
        else:
            image = image_jobs.result_to_datablock(handle, "relit", datablocks.result_name("Relit", base))
            summary = f"Relit '{base}' into image '{image.name}'"
            if self.output_path:
                path = bpy.path.abspath(self.output_path)
                datablocks.save_image_exr(image, path)
                summary += f" and {path}"
        if self.add_node:
            compositor.add_image_node(scene, image, label=f"Relit {base}")
        return summary


class NEURALRENDER_OT_relight_capture(bpy.types.Operator):
    """Render the scene with Cycles once per light of a lat-long grid (sun lamps, black world) into a
    light-stage set; the scene's own lamps and world are restored afterwards"""
    bl_idname = "neural_render.relight_capture"
    bl_label = "Capture Light Stage"

    folder: bpy.props.StringProperty(name="Folder", subtype="DIR_PATH")
    columns: bpy.props.IntProperty(name="Columns", default=32, min=1, max=256)
    rows: bpy.props.IntProperty(name="Rows", default=16, min=1, max=128)

    def execute(self, context):
        if not self.folder:
            self.report({"ERROR"}, "Choose a folder for the light set")
            return {"CANCELLED"}
        folder = bpy.path.abspath(self.folder)
        wm = context.window_manager
        total = self.columns * self.rows
        wm.progress_begin(0, total)
        try:
            capture.capture_light_stage(context.scene, folder, cells.latlong_grid_directions(self.columns, self.rows),
                                        progress=lambda done, _: wm.progress_update(done))
        except (capture.CaptureError, OSError, datablocks.DatablockError) as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        finally:
            wm.progress_end()
        self.report({"INFO"}, f"Captured {total} lights into {folder}")
        return {"FINISHED"}


CLASSES = (NEURALRENDER_OT_relight, NEURALRENDER_OT_relight_capture)
