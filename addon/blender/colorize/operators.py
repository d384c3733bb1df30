"""Colorize operators: colorize an image datablock or the active Image Texture node (worker job), and
make a transparent hints image to paint scribbles on."""

import bpy
import numpy as np

from .. import datablocks, image_jobs, preferences
from ..job_operator import UserFacingError, WorkerJobOperator
from ..operators import find_image
from .settings import MODES

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

    image_name: bpy.props.StringProperty(
        name="Image", description="Image datablock; empty: the active Image Texture node, else the Image Editor's image")
    material_name: bpy.props.StringProperty(name="Material", description="With Node: the node's material")
    node_name: bpy.props.StringProperty(name="Node", description="An Image Texture node to colorize (and rewire)")
    mode: bpy.props.EnumProperty(name="Mode", items=MODES, default="AUTO")
    temperature: bpy.props.FloatProperty(name="Vibrancy", default=0.38, min=0.0, max=1.0, subtype="FACTOR")
    seamless: bpy.props.BoolProperty(name="Seamless", default=False)
    reference_name: bpy.props.StringProperty(name="Reference", description="Colour reference image (Reference mode)")
    hints_name: bpy.props.StringProperty(name="Hints", description="Painted hints image (Scribbles mode)")
    rewire: bpy.props.BoolProperty(name="Use in Node", default=True)
    weights_path: bpy.props.StringProperty(name="Weights", subtype="FILE_PATH")

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
        if self.mode == "AUTO":
            kind = "colorize.auto"
            prefs = preferences.get(context)
            weights = self.weights_path or getattr(prefs, "colorize_weights_path", "")
            params.update(temperature=self.temperature, seamless=self.seamless,
                          allow_download=bool(getattr(prefs, "allow_downloads", False)))
            if weights:
                params["weights_path"] = bpy.path.abspath(weights)
        elif self.mode == "REFERENCE":
            kind = "colorize.reference"
            if not self.reference_name:
                raise UserFacingError("Pick a colour reference image")
            inputs["reference"] = find_image(context, self.reference_name)
        else:
            kind = "colorize.scribbles"
            if not self.hints_name:
                raise UserFacingError("Pick (or create) a hints image with painted colour strokes")
            inputs["hints"] = find_image(context, self.hints_name)
        return image_jobs.submit_image_job(client, kind, params, inputs)

    def apply_result(self, context, handle):
        name = datablocks.result_name(RESULT_CAPABILITY, self._source_name)
        image = image_jobs.result_to_datablock(handle, "image", name)
        datablocks.pack_image(image)  # computed pixels would be lost on save otherwise
        image.preview_ensure()
        was_colour = float(np.asarray(handle.outputs(copy=True)["input_was_colour"]).ravel()[0]) > 0.5
        summary = f"Colorize: '{image.name}' ({image.size[0]}x{image.size[1]})"
        if self._node is not None and self.rewire:
            tree, node_name = self._node
            node = tree.nodes[node_name]
            node[SOURCE_PROPERTY] = self._source_name
            node.image = image
            summary += f"; node '{node_name}' now uses it"
        if was_colour:
            summary += "; the input already had colour: its luminance was colorized"
        return summary

    def invoke(self, context, event):
        settings = _settings(context)
        if settings is not None:  # the panel's settings, unless the caller set the operator's own
            for name in ("mode", "temperature", "seamless", "rewire"):
                if not self.properties.is_property_set(name):
                    setattr(self, name, getattr(settings, name))
            if not self.properties.is_property_set("reference_name") and settings.reference is not None:
                self.reference_name = settings.reference.name
            if not self.properties.is_property_set("hints_name") and settings.hints is not None:
                self.hints_name = settings.hints.name
            if not self.properties.is_property_set("weights_path"):
                self.weights_path = settings.weights_path
        return super().invoke(context, event)


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
