"""The GAN Textures panel in the Image Editor sidebar: train from the shown image, generate, make material.

The buttons carry no copies of the settings: the operators take every value they are not given
from these scene settings when they run (the settings rule of ``spec_properties``)."""

import bpy

from .. import datablocks, multilayer
from ..panels import NeuralRenderPanel


def _preview_image(context):
    space = getattr(context, "space_data", None)
    source = getattr(space, "image", None)
    if source is None:
        return None
    return bpy.data.images.get(datablocks.result_name("GAN preview", source.name))


class NEURALRENDER_PT_gan_textures(NeuralRenderPanel, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_gan_textures"
    bl_label = "GAN Textures"
    bl_space_type = "IMAGE_EDITOR"
    settings_attribute = "neural_render_gan"

    def draw_panel(self, layout, context, settings):
        layout.prop(settings, "model_path")

        box = layout.box()
        box.label(text="Train from this image", icon="TEXTURE")
        row = box.row(align=True)
        row.prop(settings, "minutes")
        row.prop(settings, "resume", toggle=True)
        box.prop(settings, "periodic_pattern")
        multilayer.draw_layer_choice(box, getattr(context.space_data, "image", None))
        box.operator("neural_render.gan_train", icon="PLAY")
        preview = _preview_image(context)
        if preview is not None and preview.preview is not None:
            box.template_icon(icon_value=preview.preview.icon_id, scale=8.0)

        box = layout.box()
        box.label(text="Generate", icon="IMAGE_DATA")
        row = box.row(align=True)
        row.prop(settings, "width")
        row.prop(settings, "height")
        row = box.row(align=True)
        row.prop(settings, "seed")
        row.prop(settings, "count")
        box.prop(settings, "variation", slider=True)
        row = box.row(align=True)
        row.prop(settings, "tileable")
        row.prop(settings, "make_material")
        box.operator("neural_render.gan_generate", icon="RENDER_RESULT")
        layout.operator("neural_render.gan_make_material", icon="MATERIAL")


CLASSES = (
    NEURALRENDER_PT_gan_textures,
)
