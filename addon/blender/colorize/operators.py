"""Colorize operators: colorize an image datablock or the active Image Texture node (worker job), and
make a transparent hints image to paint scribbles on."""

import bpy
import numpy as np

from ...protocol.specs import colorize as spec
from .. import datablocks, image_jobs, preferences, spec_properties
from ..job_operator import UserFacingError, WorkerJobOperator
from ..operators import find_image
from .settings import MODES, PANEL_PARAMS, SCRIBBLE_PARAMS

RESULT_CAPABILITY = "Colorize"
SOURCE_PROPERTY = "neural_render_colorize_source"   # on a rewired node: the original image's name


def _settings(context):
    return getattr(context.scene, "neural_render_colorize", None)


def active_image_node(context):
    """The active Image Texture node of the Shader Editor in ``context``, or None."""
    space = getattr(context, "space_data", None)
    tree = getattr(space, "edit_tree", None) if getattr(space, "type", "") == "NODE_EDITOR" else None
    node = tree.nodes.active if tree is not None else None
    return node if node is not None and node.bl_idname == "ShaderNodeTexImage" else None


def node_by_name(material_name, node_name):
    material = bpy.data.materials.get(material_name)
    if material is None or material.node_tree is None:
        raise UserFacingError(f"No material with nodes named '{material_name}'")
    node = material.node_tree.nodes.get(node_name)
    if node is None or node.bl_idname != "ShaderNodeTexImage":
        raise UserFacingError(f"Material '{material_name}' has no Image Texture node named '{node_name}'")
    return node


def material_of_node(node):
    """The material whose node tree holds ``node`` (``node.id_data`` is the embedded tree, named
    "Shader Nodetree", not the material), or None."""
    return next((material for material in bpy.data.materials if material.node_tree == node.id_data), None)


def source_of_node(node):
    """The image a node's colorization starts from: after a rewire, the original (re-runs replace)."""
    original = bpy.data.images.get(node.get(SOURCE_PROPERTY, "")) if SOURCE_PROPERTY in node else None
    if original is not None and node.image is not None and node.image.name == datablocks.result_name(RESULT_CAPABILITY, original.name):
        return original
    if node.image is None:
        raise UserFacingError(f"Image Texture node '{node.name}' has no image")
    return node.image


class NEURALRENDER_OT_colorize(WorkerJobOperator, bpy.types.Operator):
    """Colorize a greyscale image texture into a new colour image (the original is kept): learned,
    from a reference image, or from painted scribbles"""
    bl_idname = "neural_render.colorize"
    bl_label = "Colorize"
    bl_options = {"REGISTER", "UNDO"}
    job_label = "Colorize"
    settings_attribute = "neural_render_colorize"

    image_name: bpy.props.StringProperty(
        name="Image", description="Image datablock; empty: the active Image Texture node, else the Image Editor's image",
        options={"SKIP_SAVE"})
    material_name: bpy.props.StringProperty(name="Material", description="With Node: the node's material",
                                            options={"SKIP_SAVE"})
    node_name: bpy.props.StringProperty(name="Node", description="An Image Texture node to colorize (and rewire)",
                                        options={"SKIP_SAVE"})
    mode: bpy.props.EnumProperty(name="Mode", items=MODES, default="AUTO", options={"SKIP_SAVE"})
    reference_name: bpy.props.StringProperty(name="Reference", description="Colour reference image (Reference mode)",
                                             options={"SKIP_SAVE"})
    hints_name: bpy.props.StringProperty(name="Hints", description="Painted hints image (Scribbles mode)",
                                         options={"SKIP_SAVE"})
    rewire: bpy.props.BoolProperty(name="Use in Node", default=True, options={"SKIP_SAVE"})

    def _image_setting(self, context, own, panel):
        """The settings rule for an image: the operator's name if the caller gave one, else the panel's."""
        if self.properties.is_property_set(own):
            return getattr(self, own)
        settings = self.panel_settings(context)
        image = getattr(settings, panel, None) if settings is not None else None
        return image.name if image is not None else ""

    def _resolve_source(self, context):
        node = None
        if self.image_name:
            return find_image(context, self.image_name), None
        if self.node_name:
            node = node_by_name(self.material_name, self.node_name)
        else:
            node = active_image_node(context)
        if node is not None:
            return source_of_node(node), node
        return find_image(context, ""), None

    def submit_job(self, context, client):
        source, node = self._resolve_source(context)
        if source.name.startswith(f"NR {RESULT_CAPABILITY} "):
            raise UserFacingError(f"'{source.name}' is already a colorized result: colorize its original instead")
        self._source_name = source.name
        self._node = (node.id_data, node.name) if node is not None else None
        params = {"premultiplied": True}
        if source.colorspace_settings.is_data:
            # A Non-Color greyscale texture holds encoded (display) values: decode them as sRGB,
            # as the same file would be decoded had it been tagged sRGB.
            params["decode_srgb"] = True
        inputs = {"image": source}
        mode = self.setting(context, "mode")
        self._rewire = self.setting(context, "rewire")
        if mode == "AUTO":
            kind = "colorize.auto"
            prefs = preferences.get(context)
            params.update(self.job_params(context, spec.AUTO),
                          allow_download=bool(getattr(prefs, "allow_downloads", False)))
            if "weights_path" not in params and getattr(prefs, "colorize_weights_path", ""):
                params["weights_path"] = bpy.path.abspath(prefs.colorize_weights_path)
        elif mode == "REFERENCE":
            kind = "colorize.reference"
            reference_name = self._image_setting(context, "reference_name", "reference")
            if not reference_name:
                raise UserFacingError("Pick a colour reference image")
            inputs["reference"] = find_image(context, reference_name)
        else:
            kind = "colorize.scribbles"
            hints_name = self._image_setting(context, "hints_name", "hints")
            if not hints_name:
                raise UserFacingError("Pick (or create) a hints image with painted colour strokes")
            inputs["hints"] = find_image(context, hints_name)
            params.update(self.job_params(context, spec.SCRIBBLES))
        return image_jobs.submit_image_job(client, kind, params, inputs)

    def apply_result(self, context, handle):
        name = datablocks.result_name(RESULT_CAPABILITY, self._source_name)
        image = image_jobs.result_to_datablock(handle, "image", name)
        datablocks.pack_image(image)  # computed pixels would be lost on save otherwise
        image.preview_ensure()
        outputs = handle.outputs(copy=True)
        was_colour = float(np.asarray(outputs["input_was_colour"]).ravel()[0]) > 0.5
        summary = f"Colorize: '{image.name}' ({image.size[0]}x{image.size[1]})"
        if self._node is not None and self._rewire:
            tree, node_name = self._node
            node = tree.nodes[node_name]
            node[SOURCE_PROPERTY] = self._source_name
            node.image = image
            summary += f"; node '{node_name}' now uses it"
        if was_colour:
            summary += "; the input already had colour: its luminance was colorized"
        if "learned_hints" in outputs:
            summary += ("; hints spread by the learned hint network" if float(np.asarray(outputs["learned_hints"]).ravel()[0])
                        else "; hints spread by the edge-aware solve")
        return summary


spec_properties.annotate(NEURALRENDER_OT_colorize, spec.AUTO, PANEL_PARAMS, operator=True)
spec_properties.annotate(NEURALRENDER_OT_colorize, spec.SCRIBBLES, SCRIBBLE_PARAMS, operator=True)


class NEURALRENDER_OT_colorize_new_hints(bpy.types.Operator):
    """Make a transparent image the size of the texture to paint colour strokes on (Texture Paint or
    the Image Editor's Paint mode), and select it as the hints"""
    bl_idname = "neural_render.colorize_new_hints"
    bl_label = "New Hints Image"
    bl_options = {"REGISTER", "UNDO"}

    image_name: bpy.props.StringProperty(name="Image", description="Texture the hints are for; empty: the active one")

    def execute(self, context):
        try:
            if self.image_name:
                source = find_image(context, self.image_name)
            else:
                node = active_image_node(context)
                source = source_of_node(node) if node is not None else find_image(context, "")
        except UserFacingError as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        width, height = source.size
        name = datablocks.result_name("Colorize hints", source.name)
        hints = bpy.data.images.get(name)
        if hints is None or tuple(hints.size) != (width, height):
            if hints is not None:
                bpy.data.images.remove(hints)
            hints = bpy.data.images.new(name, width, height, alpha=True)
            hints.generated_color = (0.0, 0.0, 0.0, 0.0)
        hints.use_fake_user = True
        settings = _settings(context)
        if settings is not None:
            settings.hints = hints
        self.report({"INFO"}, f"Paint colour strokes on '{hints.name}', then Colorize in Scribbles mode")
        return {"FINISHED"}


CLASSES = (
    NEURALRENDER_OT_colorize,
    NEURALRENDER_OT_colorize_new_hints,
)
