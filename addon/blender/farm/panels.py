"""The Farm panel (Properties > Output): which capability's job to write, where, and the button."""

import bpy

from ..panels import NeuralRenderPanel


class NEURALRENDER_PT_farm(NeuralRenderPanel, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_farm"
    bl_label = "Neural Render: Farm"
    bl_space_type = "PROPERTIES"
    bl_region_type = "WINDOW"
    bl_context = "output"
    settings_attribute = "neural_render_farm"

    def draw_panel(self, layout, context, settings):
        layout.prop(settings, "capability")
        layout.prop(settings, "directory")
        column = layout.column(align=True)
        column.prop(settings, "python")
        column.prop(settings, "neural_render_cli")
        layout.prop(settings, "chunk_size")
        scene = context.scene
        layout.label(text=f"Frames {scene.frame_start}-{scene.frame_end}", icon="RENDER_ANIMATION")
        layout.operator("neural_render.write_farm_job", icon="NETWORK_DRIVE")


CLASSES = (NEURALRENDER_PT_farm,)
