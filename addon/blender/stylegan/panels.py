"""The StyleGAN Textures panel in the Image Editor sidebar: train on a folder, generate and mix, project
the shown image and make variations of it.

The buttons carry no copies of the settings: the operators take every value they are not given
from these scene settings when they run (the settings rule of ``spec_properties``)."""

import bpy

from .. import datablocks, multilayer
from ..panels import NeuralRenderPanel
from .model_files import model_stem


def _preview_image(settings):
    """The training preview of the panel's model, if one was trained in this file."""
    if not settings.model_path:
        return None
    stem = model_stem(bpy.path.abspath(settings.model_path))
    return bpy.data.images.get(datablocks.result_name("StyleGAN preview", stem))


def _draw_train(box, settings):
    box.label(text="Train on a folder of textures", icon="FILE_FOLDER")
    box.prop(settings, "folder")
    row = box.row(align=True)
    row.prop(settings, "minutes")
    row.prop(settings, "resume", toggle=True)
    box.operator("neural_render.stylegan_train", icon="PLAY")
    preview = _preview_image(settings)
    if preview is not None and preview.preview is not None:
        box.template_icon(icon_value=preview.preview.icon_id, scale=8.0)


def _draw_generate(box, settings):
    box.label(text="Generate", icon="IMAGE_DATA")
    row = box.row(align=True)
    row.prop(settings, "width")
    row.prop(settings, "height")
    row = box.row(align=True)
    row.prop(settings, "seed")
    row.prop(settings, "count")
    box.prop(settings, "psi", slider=True)
    row = box.row(align=True)
    row.prop(settings, "tileable")
    row.prop(settings, "make_material")
    mix = box.box()
    mix.prop(settings, "mix", icon="MOD_MASK")
    column = mix.column(align=True)
    column.active = settings.mix
    column.prop(settings, "mix_seed")
    column.prop(settings, "mix_layer")
    box.operator("neural_render.stylegan_generate", icon="RENDER_RESULT")


def _draw_project(box, context, settings):
    box.label(text="Project this image", icon="IMAGE_REFERENCE")
    image = getattr(getattr(context, "space_data", None), "image", None)
    if image is None:
        box.label(text="Open your texture in the Image Editor", icon="INFO")
    else:
        multilayer.draw_layer_choice(box, image)
    row = box.row(align=True)
    row.prop(settings, "steps")
    row.prop(settings, "variations")
    box.operator("neural_render.stylegan_project", icon="VIEWZOOM")
    box.operator("neural_render.stylegan_variations", icon="MATERIAL")


class NEURALRENDER_PT_stylegan_textures(NeuralRenderPanel, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_stylegan_textures"
    bl_label = "StyleGAN Textures"
    bl_space_type = "IMAGE_EDITOR"
    settings_attribute = "neural_render_stylegan"

    def draw_panel(self, layout, context, settings):
        layout.prop(settings, "model_path")
        _draw_train(layout.box(), settings)
        _draw_generate(layout.box(), settings)
        _draw_project(layout.box(), context, settings)


CLASSES = (
    NEURALRENDER_PT_stylegan_textures,
)
