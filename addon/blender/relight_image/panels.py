"""Relight Image panels in the Image Editor and Compositor sidebars (the same controls in both): the
image and its matte, the world and its overrides, how the network runs, the model's card, the two
buttons and a thumbnail of the result.

The buttons carry no settings: the operator reads the panel's settings when it runs (the settings
rule); the Animation button only says which action it is.
"""

import bpy

from ...protocol import model_cards
from .. import multilayer
from ..panels import NeuralRenderPanel
from .operators import SETTINGS, panel_image, result_name


def _draw_image_choice(layout, settings, image):
    layout.template_ID(settings, "image", open="image.open")
    if settings.image is None:
        text = f"Image Editor's: {image.name}" if image is not None else "Pick an image or show one in the Image Editor"
        layout.label(text=text, icon="IMAGE_DATA" if image is not None else "INFO")
    if image is not None:
        multilayer.draw_layer_choice(layout, image)
    layout.template_ID(settings, "matte", open="image.open")
    if settings.matte is None:
        layout.label(text="No matte: the image's alpha", icon="INFO")
    else:
        multilayer.draw_layer_choice(layout, settings.matte)


def _draw_world(layout, context, settings):
    layout.prop(settings, "world", text="World (empty: scene's)")
    if settings.world is None and context.scene.world is None:
        layout.label(text="The scene has no world to light the image with", icon="ERROR")
    for toggle, name in (("use_strength", "strength"), ("use_rotation", "rotation_deg")):
        row = layout.row(align=True)
        row.prop(settings, toggle, text="")
        sub = row.row(align=True)
        sub.active = getattr(settings, toggle)
        sub.prop(settings, name)
    layout.prop(settings, "source_world", text="Source World (empty: estimated)")


def _draw_model(layout, settings):
    """The model in use: a chosen file, else the bundled model's card (what it learnt from, its licence)."""
    layout.prop(settings, "weights_path")
    box = layout.box().column(align=True)
    card = model_cards.card("relight_image")
    if settings.weights_path:
        box.label(text=f"Model file: {bpy.path.basename(settings.weights_path)}", icon="FILE")
    elif card is None:
        box.label(text="The bundled relighting model is missing: reinstall", icon="ERROR")
    else:
        box.label(text=card.get("title", "Relight Image"), icon="INFO")
        for line in (card.get("trained_on", ""), card.get("licence", "")):
            if line:
                box.label(text=line)


def _draw_result(layout, image):
    result = bpy.data.images.get(result_name(image.name)) if image is not None else None
    if result is not None and result.preview is not None:
        column = layout.column(align=True)
        column.label(text=result.name)
        column.template_icon(icon_value=result.preview.icon_id, scale=5.0)


def draw_relight_image(layout, context, settings):
    image = panel_image(context)
    _draw_image_choice(layout, settings, image)
    _draw_world(layout, context, settings)
    layout.prop(settings, "background")
    layout.prop(settings, "network_side")
    _draw_model(layout, settings)
    layout.prop(settings, "output_path")
    row = layout.row(align=True)
    row.operator("neural_render.relight_image", text="Relight", icon="LIGHT_SUN")
    row.operator("neural_render.relight_image", text="Animation", icon="RENDER_ANIMATION").animation = True
    _draw_result(layout, image)


class _RelightImagePanel(NeuralRenderPanel):
    bl_label = "Relight Image"
    settings_attribute = SETTINGS

    def draw_panel(self, layout, context, settings):
        draw_relight_image(layout, context, settings)


class NEURALRENDER_PT_relight_image_compositor(_RelightImagePanel, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_relight_image_compositor"
    bl_space_type = "NODE_EDITOR"

    @classmethod
    def poll(cls, context):
        return getattr(context.space_data, "tree_type", "") == "CompositorNodeTree"


class NEURALRENDER_PT_relight_image_editor(_RelightImagePanel, bpy.types.Panel):
    bl_idname = "NEURALRENDER_PT_relight_image_editor"
    bl_space_type = "IMAGE_EDITOR"


CLASSES = (NEURALRENDER_PT_relight_image_compositor, NEURALRENDER_PT_relight_image_editor)
