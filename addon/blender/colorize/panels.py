"""Colorize panels in the Image Editor and Shader Editor sidebars: mode, vibrancy, reference picker,
hints image, and a before/after preview."""

import bpy

from .. import datablocks
from ..panels import NeuralRenderPanelMixin, draw_job_status
from .operators import RESULT_CAPABILITY, active_image_node, source_of_node


def _source(context):
    node = active_image_node(context)
    if node is not None:
        try:
            return source_of_node(node), node
        except ValueError:
            return None, node
    return getattr(getattr(context, "space_data", None), "image", None), None


def _preview(layout, image, label):
    column = layout.column(align=True)
    column.label(text=label)
    if image is not None and image.preview is not None:
        column.template_icon(icon_value=image.preview.icon_id, scale=5.0)
    else:
        column.label(text="—")


def draw_colorize(layout, context):
    settings = getattr(context.scene, "neural_render_colorize", None)
    draw_job_status(layout, context)
    if settings is None:
        layout.label(text="Colorize settings are not registered", icon="ERROR")
        return
    source, node = _source(context)
    if source is None:
        layout.label(text="Open an image or select an Image Texture node", icon="INFO")
        return
    layout.label(text=source.name, icon="IMAGE_DATA")
    layout.prop(settings, "mode", expand=True)
    if settings.mode == "AUTO":
        layout.prop(settings, "temperature")
        layout.prop(settings, "seamless")
        layout.prop(settings, "weights_path")
    elif settings.mode == "REFERENCE":
        layout.template_ID(settings, "reference", open="image.open")
    else:
        row = layout.row(align=True)
        row.prop(settings, "hints")
        row.operator("neural_render.colorize_new_hints", text="", icon="ADD")
    if node is not None:
        layout.prop(settings, "rewire")
    operator = layout.operator("neural_render.colorize", icon="COLOR")
    operator.image_name = "" if node is not None else source.name
    if node is not None:
        operator.material_name, operator.node_name = node.id_data.name, node.name
    result = bpy.data.images.get(datablocks.result_name(RESULT_CAPABILITY, source.name))
    row = layout.row()
    _preview(row, source, "Before")
    _preview(row, result, "After")


class NEURALRENDER_PT_colorize_image(NeuralRenderPanelMixin, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_colorize_image"
    bl_label = "Colorize"
    bl_space_type = "IMAGE_EDITOR"
    bl_region_type = "UI"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        draw_colorize(self.layout, context)


class NEURALRENDER_PT_colorize_shader(NeuralRenderPanelMixin, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_colorize_shader"
    bl_label = "Colorize"
    bl_space_type = "NODE_EDITOR"
    bl_region_type = "UI"
    bl_options = {"DEFAULT_CLOSED"}

    @classmethod
    def poll(cls, context):
        space = context.space_data
        return getattr(space, "tree_type", "") == "ShaderNodeTree"

    def draw(self, context):
        draw_colorize(self.layout, context)


CLASSES = (
    NEURALRENDER_PT_colorize_image,
    NEURALRENDER_PT_colorize_shader,
)
