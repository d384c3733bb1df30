"""Operators of the foundation: check the worker, cancel jobs, send an image through the worker."""

import bpy
import numpy as np

from . import compositor, datablocks, image_jobs, worker_session
from .job_operator import UserFacingError, WorkerJobOperator, cancel_all_jobs


def find_image(context, image_name):
    """The image named by an operator property, else the one shown in the active Image Editor."""
    if image_name:
        image = bpy.data.images.get(image_name)
        if image is None:
            raise UserFacingError(f"No image datablock named '{image_name}'")
        return image
    space = getattr(context, "space_data", None)
    image = getattr(space, "image", None)
    if image is None:
        raise UserFacingError("No image: open one in the Image Editor or name it in the operator")
    return image


class NEURALRENDER_OT_check_worker(WorkerJobOperator, bpy.types.Operator):
    """Start the worker and run a tiny job through torch; report Python, torch and device"""
    bl_idname = "neural_render.check_worker"
    bl_label = "Check Worker"
    job_label = "Check worker"

    def submit_job(self, context, client):
        probe = np.linspace(0, 1, 8 * 8 * 4, dtype=np.float32).reshape(8, 8, 4)
        self._probe = probe
        return client.submit("torch_identity", {}, {"image": probe})

    def apply_result(self, context, handle):
        if not np.array_equal(handle.outputs()["image"], self._probe):
            raise UserFacingError("the worker answered but corrupted the test image")
        info = worker_session.client(context).worker_info
        note = f" ({info['device_note']})" if info.get("device_note") else ""
        return (f"Worker OK: Python {info.get('python', '?')}, torch {info.get('torch', '?')}, "
                f"device {handle.info.get('device', '?')}{note}")


class NEURALRENDER_OT_cancel_job(bpy.types.Operator):
    """Cancel the Neural Render job in progress"""
    bl_idname = "neural_render.cancel_job"
    bl_label = "Cancel Job"

    def execute(self, context):
        if not cancel_all_jobs():
            self.report({"INFO"}, "No job is running")
        return {"FINISHED"}


class NEURALRENDER_OT_worker_roundtrip(WorkerJobOperator, bpy.types.Operator):
    """Send an image through the worker's torch device and back as a float EXR datablock (a quick
    end-to-end test of the pipeline; capabilities use the same path)"""
    bl_idname = "neural_render.worker_roundtrip"
    bl_label = "Round Trip Through Worker"
    bl_options = {"REGISTER", "UNDO"}
    job_label = "Round trip"

    image_name: bpy.props.StringProperty(name="Image", description="Image datablock; empty: the active one")
    add_compositor_node: bpy.props.BoolProperty(
        name="Add Compositor Node", description="Wire the result into the scene's compositing node group",
        default=False)

    def submit_job(self, context, client):
        self._source = find_image(context, self.image_name)
        return image_jobs.submit_image_job(client, "torch_identity", {}, {"image": self._source})

    def apply_result(self, context, handle):
        name = datablocks.result_name("roundtrip", self._source.name)
        image = image_jobs.result_to_datablock(handle, "image", name)
        if self.add_compositor_node:
            compositor.add_image_node(context.scene, image, connect_to_output=True)
        return f"Round trip: wrote '{image.name}' ({image.size[0]}x{image.size[1]})"


CLASSES = (
    NEURALRENDER_OT_check_worker,
    NEURALRENDER_OT_cancel_job,
    NEURALRENDER_OT_worker_roundtrip,
)
