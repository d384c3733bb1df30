"""Material Maps panels in the Image Editor and Shader Editor sidebars: the photo, how the maps are
made and used, the two operators, and previews of the maps."""

import bpy

from ...protocol import model_cards
from .. import datablocks, multilayer
from ..colorize.operators import active_image_node, material_of_node
from ..panels import NeuralRenderPanel


def _source(context):
    node = active_image_node(context)
    if node is not None:
        return node.image, node
    return getattr(getattr(context, "space_data", None), "image", None), None


def _preview(layout, image, label):
    column = layout.column(align=True)
    column.label(text=label)
    if image is not None and image.preview is not None:
        column.template_icon(icon_value=image.preview.icon_id, scale=4.0)
    else:
        column.label(text="—")


def draw_material(layout, context, settings):
    source, node = _source(context)
    if source is None:
        layout.label(text="Open a photo or select an Image Texture node", icon="INFO")
        return
    layout.label(text=source.name, icon="IMAGE_DATA")
    multilayer.draw_layer_choice(layout, source)
    layout.prop(settings, "tileable")
    layout.prop(settings, "height_source")
    column = layout.column(align=True)
    column.prop(settings, "height_use")
    if settings.height_use == "BUMP":
        column.prop(settings, "bump_strength")
        column.prop(settings, "bump_distance")
    elif settings.height_use == "DISPLACEMENT":
        column.prop(settings, "displacement_scale")
    column.prop(settings, "normal_strength")
    column.prop(settings, "tiling")
    if node is None:
        layout.prop(settings, "assign_to_active")
    layout.prop(settings, "weights_path")
    card = model_cards.card("material_maps")
    box = layout.box().column(align=True)
    if settings.weights_path:
        box.label(text=f"Model file: {bpy.path.basename(settings.weights_path)}", icon="FILE")
    elif card is None:
        box.label(text="The bundled material-maps model is missing: reinstall", icon="ERROR")
    else:
        box.label(text=card.get("title", "Material maps"), icon="INFO")
        for line in (card.get("trained_on", ""), card.get("licence", "")):
            if line:
                box.label(text=line)
    operator = layout.operator("neural_render.material_from_photo", icon="MATERIAL")
    operator.image_name = "" if node is not None else source.name
    if node is not None:
        owner = material_of_node(node)
        operator.material_name, operator.node_name = (owner.name if owner else ""), node.name
    row = layout.row(align=True)
    row.prop(settings, "green", text="")
    convert = row.operator("neural_render.normal_to_height", text="Normal to Height", icon="MOD_DISPLACE")
    convert.image_name = source.name
    row = layout.row()
    _preview(row, bpy.data.images.get(datablocks.result_name("Normal", source.name)), "Normal")
    _preview(row, bpy.data.images.get(datablocks.result_name("Height", source.name)), "Height")


class NEURALRENDER_PT_material_image(NeuralRenderPanel, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_material_image"
    bl_label = "Material Maps"
    bl_space_type = "IMAGE_EDITOR"
    settings_attribute = "neural_render_material"

    def draw_panel(self, layout, context, settings):
        draw_material(layout, context, settings)


class NEURALRENDER_PT_material_shader(NeuralRenderPanel, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_material_shader"
    bl_label = "Material Maps"
    bl_space_type = "NODE_EDITOR"
    settings_attribute = "neural_render_material"

    @classmethod
    def poll(cls, context):
        return getattr(context.space_data, "tree_type", "") == "ShaderNodeTree"

    def draw_panel(self, layout, context, settings):
        draw_material(layout, context, settings)


CLASSES = (
    NEURALRENDER_PT_material_image,
    NEURALRENDER_PT_material_shader,
)
