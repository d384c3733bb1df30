"""The GAN Textures panel in the Image Editor sidebar: train from the shown image, generate, make material."""

import bpy

from ..panels import NeuralRenderPanelMixin, draw_job_status


def _preview_image(context):
    space = getattr(context, "space_data", None)
    source = getattr(space, "image", None)
    if source is None:
        return None
    from .. import datablocks
    return bpy.data.images.get(datablocks.result_name("GAN preview", source.name))


class NEURALRENDER_PT_gan_textures(NeuralRenderPanelMixin, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_gan_textures"
    bl_label = "GAN Textures"
    bl_space_type = "IMAGE_EDITOR"
    bl_region_type = "UI"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        settings = getattr(context.scene, "neural_render_gan", None)
        draw_job_status(layout, context)
        if settings is None:
            layout.label(text="GAN settings are not registered", icon="ERROR")
            return
        layout.prop(settings, "model_path")

        box = layout.box()
        box.label(text="Train from this image", icon="TEXTURE")
        row = box.row(align=True)
        row.prop(settings, "minutes")
        row.prop(settings, "resume", toggle=True)
        box.prop(settings, "periodic_pattern")
        train = box.operator("neural_render.gan_train", icon="PLAY")
        for name in ("model_path", "minutes", "resume", "periodic_pattern"):
            setattr(train, name, getattr(settings, name))
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
        generate = box.operator("neural_render.gan_generate", icon="RENDER_RESULT")
        for name in ("model_path", "width", "height", "seed", "count", "variation", "tileable", "make_material"):
            setattr(generate, name, getattr(settings, name))
        layout.operator("neural_render.gan_make_material", icon="MATERIAL")


CLASSES = (
    NEURALRENDER_PT_gan_textures,
)
