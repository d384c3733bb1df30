"""Stylize panels: the Image Editor sidebar (stylize the shown image) and Render properties (render
result and animation). Both show the style images with thumbnails and the shared job status."""

import bpy

from .. import multilayer
from ..panels import NeuralRenderPanel, NeuralRenderPropertiesPanel


class NEURALRENDER_UL_styles(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_propname):
        row = layout.row(align=True)
        if item.image is not None:
            row.label(text=item.image.name, icon_value=layout.icon(item.image))
        else:
            row.label(text="(no image)", icon="IMAGE_DATA")
        row.prop(item, "weight", text="")


class NEURALRENDER_OT_stylize_style_add(bpy.types.Operator):
    """Add a style image slot"""
    bl_idname = "neural_render.stylize_style_add"
    bl_label = "Add Style"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        settings = context.scene.neural_render_stylize
        settings.styles.add()
        settings.active_style = len(settings.styles) - 1
        return {"FINISHED"}


class NEURALRENDER_OT_stylize_style_remove(bpy.types.Operator):
    """Remove the selected style image slot"""
    bl_idname = "neural_render.stylize_style_remove"
    bl_label = "Remove Style"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        settings = context.scene.neural_render_stylize
        if 0 <= settings.active_style < len(settings.styles):
            settings.styles.remove(settings.active_style)
            settings.active_style = max(0, settings.active_style - 1)
        return {"FINISHED"}


def draw_styles(layout, settings):
    box = layout.box()
    box.label(text="Style Images", icon="BRUSHES_ALL")
    row = box.row()
    row.template_list("NEURALRENDER_UL_styles", "", settings, "styles", settings, "active_style", rows=2)
    column = row.column(align=True)
    column.operator("neural_render.stylize_style_add", text="", icon="ADD")
    column.operator("neural_render.stylize_style_remove", text="", icon="REMOVE")
    if 0 <= settings.active_style < len(settings.styles):
        slot = settings.styles[settings.active_style]
        # template_ID: pick a datablock or open a file; the preview shows the thumbnail.
        box.template_ID(slot, "image", open="image.open")
        if slot.image is not None:
            box.template_ID_preview(slot, "image", rows=3, cols=4)
            multilayer.draw_layer_choice(box, slot.image)
        box.prop(slot, "weight")


def draw_options(layout, settings):
    column = layout.column()
    column.prop(settings, "preset")
    column.prop(settings, "strength")
    column.prop(settings, "style_scale")
    column.prop(settings, "preserve_colors")
    column.prop(settings, "keep_highlights")
    column.prop(settings, "mask_source")
    if settings.mask_source in ("IMAGE", "OBJECT_INDEX"):
        column.template_ID(settings, "mask_image", open="image.open")
    if settings.mask_source == "OBJECT_INDEX":
        column.prop(settings, "mask_indices")
    if settings.mask_source != "NONE":
        column.prop(settings, "feather")
        column.template_ID(settings, "background_style", open="image.open")
    if settings.preset == "instant":  # one network pass: no optimiser, smoothness or layer weights
        draw_instant_model(layout)
        return
    advanced = layout.box()
    advanced.label(text="Advanced", icon="PREFERENCES")
    advanced.prop(settings, "optimizer")
    advanced.prop(settings, "tv_weight")
    advanced.label(text="Style Layer Weights (relu1_1 ... relu5_1)")
    advanced.row(align=True).prop(settings, "layer_weights", text="")


def draw_instant_model(layout):
    """Which network Instant runs and under which licence (its model card)."""
    from ...protocol import model_cards
    card = model_cards.card("magenta_arbitrary_style")
    box = layout.box()
    if card is None:
        box.label(text="Instant: the network's weights are missing (reinstall the extension)", icon="ERROR")
        return
    box.label(text=card.get("title", "Instant style network"), icon="INFO")
    box.label(text=card.get("licence", ""))


class NEURALRENDER_PT_stylize_image(NeuralRenderPanel, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_stylize_image"
    bl_label = "Stylize"
    bl_space_type = "IMAGE_EDITOR"
    settings_attribute = "neural_render_stylize"

    def draw_panel(self, layout, context, settings):
        draw_styles(layout, settings)
        draw_options(layout, settings)
        image = getattr(context.space_data, "image", None)
        if image is not None and image.type == "RENDER_RESULT":
            layout.operator("neural_render.stylize_render", icon="RENDER_RESULT")
        else:
            multilayer.draw_layer_choice(layout, image)
            row = layout.row(align=True)
            row.operator("neural_render.stylize_image", icon="BRUSH_DATA")
            row.operator("neural_render.stylize_preview", icon="HIDE_OFF")
            draw_preview(layout)


def draw_preview(layout):
    """The last Preview Style result, as a thumbnail in the panel."""
    from .operators import PREVIEW_NAME
    preview = bpy.data.images.get(PREVIEW_NAME)
    if preview is not None:
        box = layout.box()
        box.label(text=f"Preview {preview.size[0]}x{preview.size[1]}", icon="IMAGE_DATA")
        box.template_icon(icon_value=layout.icon(preview), scale=8.0)


class NEURALRENDER_PT_stylize_render(NeuralRenderPropertiesPanel, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_stylize_render"
    bl_label = "Neural Render: Stylize"
    settings_attribute = "neural_render_stylize"

    def draw_panel(self, layout, context, settings):
        draw_styles(layout, settings)
        draw_options(layout, settings)
        layout.operator("neural_render.stylize_render", icon="RENDER_RESULT")
        box = layout.box()
        box.label(text="Animation", icon="RENDER_ANIMATION")
        box.prop(settings, "animation_preset")
        box.prop(settings, "temporal")
        box.prop(settings, "output_directory")
        if settings.temporal and not context.view_layer.use_pass_vector:
            box.label(text="Needs the Vector pass (View Layer > Passes > Vector)", icon="INFO")
            operator = box.operator("neural_render.stylize_animation", text="Enable Vector Pass and Stylize",
                                    icon="RENDER_ANIMATION")
            operator.enable_vector_pass = True  # what this button does, not a copy of a setting
        else:
            box.operator("neural_render.stylize_animation", icon="RENDER_ANIMATION")


CLASSES = (
    NEURALRENDER_UL_styles,
    NEURALRENDER_OT_stylize_style_add,
    NEURALRENDER_OT_stylize_style_remove,
    NEURALRENDER_PT_stylize_image,
    NEURALRENDER_PT_stylize_render,
)
