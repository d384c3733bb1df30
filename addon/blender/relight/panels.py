"""Relighting panels in the Compositor and Image Editor sidebars (the same controls in both).

The buttons carry no settings: each operator reads the panel's settings when it runs (the settings
rule); a button only says which action it is (a preview, an animation).
"""

import bpy

from ..panels import NeuralRenderPanel


class _RelightPanel(NeuralRenderPanel):
    bl_label = "Relight Light Stage"
    settings_attribute = "neural_render_relight"

    def draw_panel(self, layout, context, settings):
        layout.prop(settings, "set_dir")
        layout.prop(settings, "world", text="World (empty: scene's)")
        for toggle, name in (("use_strength", "strength"), ("use_rotation", "rotation_deg")):
            row = layout.row(align=True)
            row.prop(settings, toggle, text="")
            sub = row.row(align=True)
            sub.active = getattr(settings, toggle)
            sub.prop(settings, name)
        layout.prop(settings, "output_path")
        row = layout.row(align=True)
        row.operator("neural_render.relight", text="Relight", icon="LIGHT_SUN")
        row.operator("neural_render.relight", text="Preview", icon="HIDE_OFF").preview = True
        row.operator("neural_render.relight", text="Animation", icon="RENDER_ANIMATION").animation = True
        layout.prop(settings, "rank")
        box = layout.box()
        box.label(text="Virtual light stage", icon="OUTLINER_OB_LIGHT")
        box.prop(settings, "capture_dir")
        row = box.row(align=True)
        row.prop(settings, "capture_columns")
        row.prop(settings, "capture_rows")
        box.operator("neural_render.relight_capture", icon="RENDER_STILL")


class NEURALRENDER_PT_relight_compositor(_RelightPanel, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_relight_compositor"
    bl_space_type = "NODE_EDITOR"

    @classmethod
    def poll(cls, context):
        return getattr(context.space_data, "tree_type", "") == "CompositorNodeTree"


class NEURALRENDER_PT_relight_image(_RelightPanel, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_relight_image"
    bl_space_type = "IMAGE_EDITOR"


CLASSES = (NEURALRENDER_PT_relight_compositor, NEURALRENDER_PT_relight_image)
