"""Sidebar panels: the base every capability's panel builds on, and the foundation's own two panels.

``NeuralRenderPanel`` carries the common ``bl_*`` values (the *Neural Render* sidebar tab, closed by
default), draws the job status box first and finds the capability's scene settings; a panel only
implements ``draw_panel(layout, context, settings)``. ``NeuralRenderPropertiesPanel`` is the same for
the Properties editor's Render tab. Panels read data and draw it: they never write anything.
"""

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


class NeuralRenderPanel:
    """Mixin for a sidebar ``bpy.types.Panel`` (set ``bl_idname``, ``bl_label``, ``bl_space_type``)."""
    bl_category = "Neural Render"
    bl_region_type = "UI"
    bl_options = {"DEFAULT_CLOSED"}
    settings_attribute = None   # the capability's scene settings; None for panels without any

    def draw(self, context):
        layout = self.layout
        draw_job_status(layout, context)
        settings = None
        if self.settings_attribute:
            settings = getattr(context.scene, self.settings_attribute, None)
            if settings is None:
                layout.label(text=f"{self.bl_label} settings are not registered", icon="ERROR")
                return
        self.draw_panel(layout, context, settings)

    def draw_panel(self, layout, context, settings):
        raise NotImplementedError


class NeuralRenderPropertiesPanel(NeuralRenderPanel):
    """The same in the Properties editor's Render tab."""
    bl_space_type = "PROPERTIES"
    bl_region_type = "WINDOW"
    bl_context = "render"


class NEURALRENDER_PT_image_worker(NeuralRenderPanel, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_image_worker"
    bl_label = "Neural Render"
    bl_space_type = "IMAGE_EDITOR"
    bl_options = set()

    def draw_panel(self, layout, context, settings):
        column = layout.column(align=True)
        column.operator("neural_render.check_worker", icon="CHECKMARK")
        column.operator("neural_render.worker_roundtrip", icon="FILE_REFRESH")


class NEURALRENDER_PT_render_properties(NeuralRenderPropertiesPanel, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_render_properties"
    bl_label = "Neural Render"

    def draw_panel(self, layout, context, settings):
        layout.operator("neural_render.check_worker", icon="CHECKMARK")


CLASSES = (
    NEURALRENDER_PT_image_worker,
    NEURALRENDER_PT_render_properties,
)
