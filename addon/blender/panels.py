"""Sidebar panels. Capabilities add their own panels next to these; all share the job status box."""

import bpy


def draw_job_status(layout, context):
    """Progress of the job in flight with a cancel button; nothing when idle."""
    status = getattr(context.window_manager, "neural_render_job", None)
    if status is None or not status.running:
        return
    box = layout.box()
    row = box.row(align=True)
    row.progress(factor=status.fraction, text=f"{status.label}: {status.message}")
    row.operator("neural_render.cancel_job", text="", icon="CANCEL")


class NeuralRenderPanelMixin:
    bl_category = "Neural Render"


class NEURALRENDER_PT_image_worker(NeuralRenderPanelMixin, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_image_worker"
    bl_label = "Neural Render"
    bl_space_type = "IMAGE_EDITOR"
    bl_region_type = "UI"

    def draw(self, context):
        layout = self.layout
        draw_job_status(layout, context)
        column = layout.column(align=True)
        column.operator("neural_render.check_worker", icon="CHECKMARK")
        column.operator("neural_render.worker_roundtrip", icon="FILE_REFRESH")


class NEURALRENDER_PT_render_properties(bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_render_properties"
    bl_label = "Neural Render"
    bl_space_type = "PROPERTIES"
    bl_region_type = "WINDOW"
    bl_context = "render"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        draw_job_status(layout, context)
        layout.operator("neural_render.check_worker", icon="CHECKMARK")


CLASSES = (
    NEURALRENDER_PT_image_worker,
    NEURALRENDER_PT_render_properties,
)
