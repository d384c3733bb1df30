"""Stylize operators: an image datablock, the Render Result, every frame of an animation render.

All run the worker jobs of ``addon/worker/stylize``; a failed or cancelled job leaves the scene as it was
(WorkerJobOperator applies results only on success). The animation operator renders first (with a
temporary compositor File Output node that writes each frame's Combined and Vector passes: a headless
multilayer render in bpy 5.0.1 may hold only Combined), then stylizes the frames in order in one job.
"""

import glob
import os
import tempfile

import bpy

from ...protocol.frame_paths import frame_path
from ...protocol.specs import stylize as spec
from .. import compositor, datablocks, image_jobs, multilayer, preferences, render_capture, render_hook, spec_properties
from ..job_operator import UserFacingError, WorkerJobOperator
from ..operators import find_image
from .settings import ANIMATION_PRESET_DEFAULT, ANIMATION_PRESET_ITEMS, PANEL_PARAMS

TEMPORARY_NODE = "NR Stylize passes"
SETTINGS = "neural_render_stylize"


def parse_indices(text):
    """'1, 3' -> [1, 3]; a clear error for anything else."""
    try:
        indices = [int(part) for part in text.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        raise UserFacingError(f"Pass Indices must be whole numbers separated by commas, got '{text}'") from None
    if not indices:
        raise UserFacingError("Give at least one object pass index to stylize")
    return indices


def _settings(context):
    return getattr(context.scene, SETTINGS, None)


def _style_images(context, style_name):
    """(images, weights): the named image, else the panel's style slots."""
    if style_name:
        image = bpy.data.images.get(style_name)
        if image is None:
            raise UserFacingError(f"No style image named '{style_name}'")
        return [image], [1.0]
    settings = _settings(context)
    slots = [slot for slot in (settings.styles if settings else []) if slot.image is not None]
    if not slots:
        raise UserFacingError("No style image: add one in the Stylize panel (or name it in the operator)")
    return [slot.image for slot in slots], [slot.weight for slot in slots]


class _StylizeOptions:
    """What the three operators share: the style, the panel's job parameters under the settings rule
    (each an operator property too, so a script may override any), and the compositor node."""
    settings_attribute = SETTINGS
    style_name: bpy.props.StringProperty(name="Style", description="Style image datablock; empty: the panel's styles",
                                         options={"SKIP_SAVE"})
    add_compositor_node: bpy.props.BoolProperty(name="Add Compositor Node", default=True)

    def _params(self, context):
        params = self.job_params(context, spec.IMAGE)
        if not any(params["layer_weights"].values()):
            raise UserFacingError("All style layer weights are zero: give at least one layer a weight")
        view = context.scene.view_settings.view_transform
        params["view_transform"] = "standard" if view in ("Standard", "Raw") else "compressed"
        params["exposure"] = float(context.scene.view_settings.exposure)
        prefs = preferences.get(context)
        params["allow_download"] = bool(prefs.allow_downloads)
        if prefs.vgg19_weights_path:
            params["weights_path"] = bpy.path.abspath(prefs.vgg19_weights_path)
        return params

    def _style_inputs(self, context, params):
        images, weights = _style_images(context, self.style_name)
        inputs = {f"style_{index}": image for index, image in enumerate(images)}
        params["style_weights"] = weights
        settings = _settings(context)
        if settings is not None and settings.mask_source != "NONE":
            if settings.mask_source == "IMAGE":
                if settings.mask_image is None:
                    raise UserFacingError("Mask is set to Image but no mask image is chosen")
                inputs["mask"] = settings.mask_image
                params["mask_source"] = "mask"
            elif settings.mask_source == "OBJECT_INDEX":
                if settings.mask_image is None:
                    raise UserFacingError("Mask is set to Object Index but no Object Index pass image is chosen")
                inputs["mask"] = settings.mask_image
                params["mask_source"] = "object_index"
                params["mask_indices"] = parse_indices(settings.mask_indices)
            else:
                params["mask_source"] = "alpha"
            if settings.background_style is not None:
                inputs["background_style"] = settings.background_style
        return inputs


    def _image_inputs(self, context, params):
        """The source datablock (``self._source``) with the styles and mask, each checked for pixels."""
        inputs = {"content": self._source, **self._style_inputs(context, params)}
        for image in inputs.values():
            if multilayer.is_multilayer(image):
                continue  # its layer is read from the file by the worker
            if image.size[0] == 0 or image.size[1] == 0 or not image.has_data:
                raise UserFacingError(f"Image '{image.name}' has no pixels (missing or unreadable file?)")
        return inputs


OPERATOR_PARAMS = (*PANEL_PARAMS, "steps")


class NEURALRENDER_OT_stylize_image(_StylizeOptions, WorkerJobOperator, bpy.types.Operator):
    """Stylize an image datablock with the style image(s): the result is a float EXR datablock"""
    bl_idname = "neural_render.stylize_image"
    bl_label = "Stylize Image"
    bl_options = {"REGISTER", "UNDO"}
    job_label = "Stylize"

    image_name: bpy.props.StringProperty(name="Image", description="Image datablock; empty: the active one")

    def submit_job(self, context, client):
        self._source = find_image(context, self.image_name)
        if self._source.type == "RENDER_RESULT":
            raise UserFacingError("This is the Render Result: use Stylize Render Result")
        params = self._params(context)
        return image_jobs.submit_image_job(client, "stylize.image", params, self._image_inputs(context, params))

    def apply_result(self, context, handle):
        image = image_jobs.result_to_datablock(handle, "result", datablocks.result_name("Stylized", self._source.name))
        datablocks.pack_image(image)
        if self.add_compositor_node:
            compositor.add_image_node(context.scene, image, label="Stylized")
        return f"Stylize: '{image.name}' {image.size[0]}x{image.size[1]}"


class NEURALRENDER_OT_stylize_render(_StylizeOptions, WorkerJobOperator, bpy.types.Operator):
    """Stylize the current Render Result (render first with F12)"""
    bl_idname = "neural_render.stylize_render"
    bl_label = "Stylize Render Result"
    bl_options = {"REGISTER", "UNDO"}
    job_label = "Stylize"

    def submit_job(self, context, client):
        try:
            pixels = render_capture.render_result_to_array(context.scene)
        except datablocks.DatablockError as error:
            raise UserFacingError(str(error)) from None
        params = self._params(context)
        style_inputs = self._style_inputs(context, params)
        # The render is bottom-first like a datablock; arrays travel top-first.
        return image_jobs.submit_image_job(client, "stylize.image", params, style_inputs,
                                           extra_arrays={"content": pixels[::-1].copy()})

    def apply_result(self, context, handle):
        image = image_jobs.result_to_datablock(handle, "result", datablocks.result_name("Stylized", "Render"))
        datablocks.pack_image(image)
        if self.add_compositor_node:
            compositor.add_image_node(context.scene, image, label="Stylized render")
        return f"Stylize: '{image.name}' {image.size[0]}x{image.size[1]}"


class NEURALRENDER_OT_stylize_animation(_StylizeOptions, WorkerJobOperator, bpy.types.Operator):
    """Render the animation and stylize every frame, keeping strokes steady with the Vector pass; the
    result is an EXR sequence shown by an Image node in the compositor"""
    bl_idname = "neural_render.stylize_animation"
    bl_label = "Stylize Animation"
    job_label = "Stylize animation"

    enable_vector_pass: bpy.props.BoolProperty(
        name="Enable Vector Pass", default=False,
        description="Turn on the view layer's Vector pass (needed for temporal consistency) before rendering")
    temporal: bpy.props.BoolProperty(name="Temporal Consistency", default=True, options={"SKIP_SAVE"},
                                     description="Warp the previous frame with the Vector pass (default: the panel's)")
    animation_preset: bpy.props.EnumProperty(name="Animation Preset", items=ANIMATION_PRESET_ITEMS,
                                             default=ANIMATION_PRESET_DEFAULT, options={"SKIP_SAVE"},
                                             description="The preset for the frames (default: the panel's; "
                                                         "a 'preset' given by the caller wins)")

    def submit_job(self, context, client):
        scene = context.scene
        view_layer = context.view_layer
        self._temporal = self.setting(context, "temporal")
        if self._temporal and not view_layer.use_pass_vector:
            if not self.enable_vector_pass:
                raise UserFacingError(
                    f"View layer '{view_layer.name}' has no Vector pass. Stylize uses it to carry each stylized "
                    "frame to the next (without it, frame-by-frame stylization flickers). Enable it in View Layer "
                    "Properties > Passes > Data > Vector, tick 'Enable Vector Pass' in this operator, or turn "
                    "Temporal Consistency off")
            view_layer.use_pass_vector = True
        if self._temporal and scene.render.engine == "CYCLES" and scene.render.use_motion_blur:
            raise UserFacingError("Cycles writes no Vector pass while motion blur is on: turn motion blur off "
                                  "for the stylized render (or turn Temporal Consistency off)")
        params = self._params(context)
        if not self.properties.is_property_set("preset"):
            params["preset"] = self.setting(context, "animation_preset")
        style_inputs = self._style_inputs(context, params)
        folder = tempfile.mkdtemp(prefix="neural-render-stylize-")
        frames = self._render_passes(scene, folder)
        settings = _settings(context)
        output = bpy.path.abspath(settings.output_directory if settings else "//stylized/") or folder
        self._pattern = os.path.join(output, "stylized_####.exr")
        params.update(frames=[{"content": path, "layer": "Image", "vector_layer": "Vector" if self._temporal else None}
                              for _, path in frames],
                      frame_numbers=[number for number, _ in frames], output_pattern=self._pattern,
                      temporal=self._temporal)
        self._first = frames[0][0]
        self._count = len(frames)
        return image_jobs.submit_image_job(client, "stylize.sequence", params, style_inputs)

    def _render_passes(self, scene, folder):
        """Render the animation with a temporary File Output node writing Image + Vector per frame."""
        created = compositor.get_compositor_tree(scene, create=False) is None
        tree = compositor.get_compositor_tree(scene, create=True)
        saved_compositing = scene.render.use_compositing
        nodes = []
        written = []

        def record(_scene, frame, _path):
            written.append(frame)

        try:
            layers = tree.nodes.new("CompositorNodeRLayers")
            nodes.append(layers)
            output = tree.nodes.new("CompositorNodeOutputFile")
            output.name = TEMPORARY_NODE
            nodes.append(output)
            output.directory = folder + os.sep
            output.file_name = "frame_"
            for name in ("Image", "Vector") if self._temporal else ("Image",):
                output.file_output_items.new("RGBA", name)
                tree.links.new(layers.outputs[name], output.inputs[name])
            if created:  # a fresh tree must still pass the render through to the written frames
                socket = compositor.output_socket(tree, create=True)
                tree.links.new(layers.outputs["Image"], socket)
            scene.render.use_compositing = True
            render_hook.enable(record)
            try:
                bpy.ops.render.render(animation=True, scene=scene.name)
            except RuntimeError as error:
                raise UserFacingError(f"Rendering the animation failed: {error}") from None
            finally:
                render_hook.disable(record)
        finally:
            for node in nodes:
                tree.nodes.remove(node)
            scene.render.use_compositing = saved_compositing
            if created:
                scene.compositing_node_group = None
                bpy.data.node_groups.remove(tree)
        numbers = written or list(range(scene.frame_start, scene.frame_end + 1, scene.frame_step))
        frames = [(number, os.path.join(folder, f"frame_{number:04d}.exr")) for number in numbers]
        missing = [path for _, path in frames if not os.path.isfile(path)]
        if missing:
            found = sorted(glob.glob(os.path.join(folder, "*.exr")))
            raise UserFacingError(f"The render wrote no pass file for {len(missing)} frame(s) (found {len(found)})")
        return frames

    def apply_result(self, context, handle):
        first = frame_path(self._pattern, self._first)
        image = datablocks.load_exr_sequence(first, datablocks.result_name("Stylized", "animation"))
        node = compositor.add_image_node(context.scene, image, label="Stylized animation")
        node.frame_duration = self._count
        node.frame_start = self._first
        node.frame_offset = self._first - 1  # scene frame f shows file number f
        return f"Stylize: {self._count} frames -> {os.path.dirname(first)}"


PREVIEW_NAME = "NR Style Preview"
PREVIEW_SIDE = 512


class NEURALRENDER_OT_stylize_preview(_StylizeOptions, WorkerJobOperator, bpy.types.Operator):
    """Stylize the shown image in Instant mode at preview size (about a second): the result is the
    'NR Style Preview' datablock, shown in the panel"""
    bl_idname = "neural_render.stylize_preview"
    bl_label = "Preview Style"
    bl_options = {"REGISTER", "UNDO"}
    job_label = "Preview style"

    image_name: bpy.props.StringProperty(name="Image", description="Image datablock; empty: the shown one")
    long_side: bpy.props.IntProperty(name="Size", default=PREVIEW_SIDE, min=64, max=2048, options={"SKIP_SAVE"},
                                     description="Long side of the preview")

    @classmethod
    def poll(cls, context):
        image = getattr(getattr(context, "space_data", None), "image", None)
        return image is None or image.type != "RENDER_RESULT"  # the Render Result has Stylize Render Result

    def submit_job(self, context, client):
        self._source = find_image(context, self.image_name)
        params = self._params(context)
        params["preset"] = "instant"
        if max(self._source.size) > self.long_side:  # never larger than the image itself
            params["size"] = self.long_side
        return image_jobs.submit_image_job(client, "stylize.image", params, self._image_inputs(context, params))

    def apply_result(self, context, handle):
        image = image_jobs.result_to_datablock(handle, "result", PREVIEW_NAME)
        datablocks.pack_image(image)
        return f"Preview: '{image.name}' {image.size[0]}x{image.size[1]}"


for _operator in (NEURALRENDER_OT_stylize_image, NEURALRENDER_OT_stylize_render, NEURALRENDER_OT_stylize_animation,
                  NEURALRENDER_OT_stylize_preview):
    spec_properties.annotate(_operator, spec.IMAGE, OPERATOR_PARAMS, operator=True)

CLASSES = (
    NEURALRENDER_OT_stylize_image,
    NEURALRENDER_OT_stylize_render,
    NEURALRENDER_OT_stylize_animation,
    NEURALRENDER_OT_stylize_preview,
)
