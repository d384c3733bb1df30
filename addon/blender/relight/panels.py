"""Relighting panels in the Compositor and Image Editor sidebars (the same controls in both)."""

import bpy

from ..panels import NeuralRenderPanelMixin, draw_job_status


def _draw(layout, context):
    settings = getattr(context.scene, "neural_render_relight", None)
    draw_job_status(layout, context)
    if settings is None:
        layout.label(text="Relight settings are not registered", icon="ERROR")
        return
    layout.prop(settings, "set_dir")
    layout.prop(settings, "world", text="World (empty: scene's)")
    row = layout.row(align=True)
    row.prop(settings, "use_strength", text="")
    sub = row.row(align=True)
    sub.active = settings.use_strength
    sub.prop(settings, "strength")
    row = layout.row(align=True)
    row.prop(settings, "use_rotation", text="")
    sub = row.row(align=True)
    sub.active = settings.use_rotation
    sub.prop(settings, "rotation_deg")
    layout.prop(settings, "output_path")
    row = layout.row(align=True)
    for label, icon, rank, animation in (("Relight", "LIGHT_SUN", 0, False),
                                         ("Preview", "HIDE_OFF", settings.preview_rank, False),
                                         ("Animation", "RENDER_ANIMATION", 0, True)):
        op = row.operator("neural_render.relight", text=label, icon=icon)
        op.set_dir = settings.set_dir
        op.world_name = settings.world.name if settings.world else ""
        op.use_strength, op.strength = settings.use_strength, settings.strength
        op.use_rotation, op.rotation_deg = settings.use_rotation, settings.rotation_deg
        op.preview_rank, op.animation = rank, animation
        op.output_path = settings.output_path
    layout.prop(settings, "preview_rank")
    box = layout.box()
    box.label(text="Virtual light stage", icon="OUTLINER_OB_LIGHT")
    box.prop(settings, "capture_dir")
    row = box.row(align=True)
    row.prop(settings, "capture_columns")
    row.prop(settings, "capture_rows")
    op = box.operator("neural_render.relight_capture", icon="RENDER_STILL")
    op.folder, op.columns, op.rows = settings.capture_dir, settings.capture_columns, settings.capture_rows


class NEURALRENDER_PT_relight_compositor(NeuralRenderPanelMixin, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_relight_compositor"
    bl_label = "Relight Light Stage"
    bl_space_type = "NODE_EDITOR"
    bl_region_type = "UI"
    bl_options = {"DEFAULT_CLOSED"}

    @classmethod
    def poll(cls, context):
        return getattr(context.space_data, "tree_type", "") == "CompositorNodeTree"

    def draw(self, context):
        _draw(self.layout, context)


class NEURALRENDER_PT_relight_image(NeuralRenderPanelMixin, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_relight_image"
    bl_label = "Relight Light Stage"
    bl_space_type = "IMAGE_EDITOR"
    bl_region_type = "UI"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        _draw(self.layout, context)


CLASSES = (NEURALRENDER_PT_relight_compositor, NEURALRENDER_PT_relight_image)
