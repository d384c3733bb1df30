"""Colorize panels in the Image Editor and Shader Editor sidebars: mode, vibrancy, reference picker,
hints image, and a before/after preview."""

import bpy

from ...protocol import model_cards
from .. import datablocks, multilayer, preferences
from ..panels import NeuralRenderPanel
from .operators import RESULT_CAPABILITY, active_image_node, material_of_node, source_of_node


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


def _card_lines(layout, name, missing):
    """The model's card, so the user sees which model colours their texture and what it learnt from."""
    found = model_cards.card(name)
    box = layout.box().column(align=True)
    if found is None:
        box.label(text=missing, icon="ERROR")
        return
    box.label(text=found.get("title", name), icon="INFO")
    for line in (found.get("trained_on", ""), found.get("licence", "")):
        if line:
            box.label(text=line)


def _model_in_use(layout, context, settings):
    prefs = preferences.get(context)
    path = settings.weights_path or getattr(prefs, "colorize_weights_path", "")
    if path:
        layout.box().label(text=f"Weights file: {bpy.path.basename(path)}", icon="FILE")
    elif settings.model == "released":
        layout.box().label(text="Zhang et al. 2016 release (ImageNet photos)", icon="INFO")
    else:
        _card_lines(layout, "texture_colorizer", missing="The bundled texture colorizer is missing: reinstall")


def draw_colorize(layout, context, settings):
    source, node = _source(context)
    if source is None:
        layout.label(text="Open an image or select an Image Texture node", icon="INFO")
        return
    layout.label(text=source.name, icon="IMAGE_DATA")
    multilayer.draw_layer_choice(layout, source)
    layout.prop(settings, "mode", expand=True)
    if settings.mode == "AUTO":
        layout.prop(settings, "temperature")
        layout.prop(settings, "seamless")
        layout.prop(settings, "model")
        layout.prop(settings, "weights_path")
        _model_in_use(layout, context, settings)
    elif settings.mode == "REFERENCE":
        layout.template_ID(settings, "reference", open="image.open")
    else:
        row = layout.row(align=True)
        row.prop(settings, "hints")
        row.operator("neural_render.colorize_new_hints", text="", icon="ADD")
        layout.prop(settings, "propagation")
        if settings.propagation == "network":
            _card_lines(layout, "hint_colorizer", missing="Learned model not installed: the edge-aware solve is used")
    if node is not None:
        layout.prop(settings, "rewire")
    operator = layout.operator("neural_render.colorize", icon="COLOR")
    operator.image_name = "" if node is not None else source.name
    if node is not None:
        owner = material_of_node(node)
        operator.material_name, operator.node_name = (owner.name if owner else ""), node.name
    result = bpy.data.images.get(datablocks.result_name(RESULT_CAPABILITY, source.name))
    row = layout.row()
    _preview(row, source, "Before")
    _preview(row, result, "After")


class NEURALRENDER_PT_colorize_image(NeuralRenderPanel, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_colorize_image"
    bl_label = "Colorize"
    bl_space_type = "IMAGE_EDITOR"
    settings_attribute = "neural_render_colorize"

    def draw_panel(self, layout, context, settings):
        draw_colorize(layout, context, settings)


class NEURALRENDER_PT_colorize_shader(NeuralRenderPanel, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_colorize_shader"
    bl_label = "Colorize"
    bl_space_type = "NODE_EDITOR"
    settings_attribute = "neural_render_colorize"

    @classmethod
    def poll(cls, context):
        return getattr(context.space_data, "tree_type", "") == "ShaderNodeTree"

    def draw_panel(self, layout, context, settings):
        draw_colorize(layout, context, settings)


CLASSES = (
    NEURALRENDER_PT_colorize_image,
    NEURALRENDER_PT_colorize_shader,
)
