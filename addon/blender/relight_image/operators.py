"""Relight Image: one image relit against a world (default: the scene's) by the network trained on
virtual light stages -- a still into a float image and a compositor node, or the scene's frame range
with the world's keyframed rotation as an EXR sequence.

The world is read exactly as the light-stage relighting reads it (``relight/world_reader.py``: the
Environment Texture or plain colour, the Background strength, the Mapping node), and the settings
rule holds: a property the caller leaves unset takes the Relight Image panel's setting, so
``bpy.ops.neural_render.relight_image('EXEC_DEFAULT')`` relights what the panel's button would.
"""

import os

import bpy

from ...protocol.frame_paths import frame_path
from ...protocol.specs import relight_image as spec
from .. import compositor, datablocks, image_jobs, spec_properties
from ..job_operator import UserFacingError, WorkerJobOperator
from ..operators import find_image
from ..relight import world_reader
from ..relight.operators import FRAME_PATTERN
from .settings import OVERRIDES, PANEL_PARAMS

SETTINGS = "neural_render_relight_image"
RESULT_CAPABILITY = "Relit"          # results are named "NR Relit <image>" (datablocks.result_name)
# Sent as resolved; strength and rotation only when they override the world's (their toggles).
JOB_PARAMS = ("background", "network_side", "weights_path")
# Blender images with no pixels of their own to read (renders are read by render_capture, not here).
_WITHOUT_PIXELS = {"RENDER_RESULT", "COMPOSITING"}


def result_name(source_name):
    return datablocks.result_name(RESULT_CAPABILITY, source_name)


def panel_image(context):
    """The image the panel's button relights: the panel's choice, else the Image Editor's image."""
    settings = getattr(context.scene, SETTINGS, None)
    chosen = settings.image if settings is not None else None
    return chosen or getattr(getattr(context, "space_data", None), "image", None)


def refusal(context):
    """Why Relight Image cannot run at all in ``context``, or None. Only what no keyword could change
    is refused here (a file without an image to relight or a world to light it with); which image
    and which world is checked when the job is submitted, where the caller's keywords are known."""
    if getattr(context, "scene", None) is None:
        return "No scene to relight in"
    if not any(image.type not in _WITHOUT_PIXELS for image in bpy.data.images):
        return "No image to relight: open one in the Image Editor"
    if not bpy.data.worlds:
        return "No world to light the image with: add one in the World properties"
    return None


class NEURALRENDER_OT_relight_image(WorkerJobOperator, bpy.types.Operator):
    """Relight an image against a world (default: the scene's, its Mapping rotation and strength
    included) with the network trained on virtual light stages: the result is a float image and an
    Image node in the compositor"""
    bl_idname = "neural_render.relight_image"
    bl_label = "Relight Image"
    bl_options = {"REGISTER", "UNDO"}
    job_label = "Relight Image"
    settings_attribute = SETTINGS

    image_name: bpy.props.StringProperty(name="Image", options={"SKIP_SAVE"},
                                         description="Image datablock; empty: the panel's image, else the "
                                                     "Image Editor's")
    matte_name: bpy.props.StringProperty(name="Matte", options={"SKIP_SAVE"},
                                         description="Matte image datablock, white where the subject is (default: "
                                                     "the panel's; empty when given: the image's alpha)")
    world_name: bpy.props.StringProperty(name="World", options={"SKIP_SAVE"},
                                         description="World datablock; empty: the panel's world, else the scene's")
    use_strength: bpy.props.BoolProperty(name="Override Strength", default=False, options={"SKIP_SAVE"},
                                         description="Use Strength instead of the world's (default: the panel's; "
                                                     "giving Strength implies it)")
    use_rotation: bpy.props.BoolProperty(name="Override Rotation", default=False, options={"SKIP_SAVE"},
                                         description="Use Rotation instead of the world Mapping node's Z rotation "
                                                     "(default: the panel's; giving Rotation implies it)")
    animation: bpy.props.BoolProperty(name="Animation", default=False, options={"SKIP_SAVE"},
                                      description="Relight the image for every frame of the scene's range with "
                                                  "the world's keyframed Mapping rotation, written as an EXR "
                                                  "sequence")
    output_path: bpy.props.StringProperty(name="Output", subtype="FILE_PATH", options={"SKIP_SAVE"},
                                          description="EXR file (still) or folder (animation); default: the panel's")
    add_node: bpy.props.BoolProperty(name="Add Compositor Node", default=True)

    @classmethod
    def poll(cls, context):
        reason = refusal(context)
        if reason is not None:
            cls.poll_message_set(reason)
        return reason is None

    def submit_job(self, context, client):
        scene = context.scene
        source = self._image(context)
        if source.type in _WITHOUT_PIXELS:
            raise UserFacingError(f"'{source.name}' has no pixels to read here: save it as an image file and "
                                  "relight that")
        self._source_name = source.name
        world = self._world(context)
        lighting = world_reader.read_world(world)
        params = {**lighting.params(), **self.job_params(context, spec.APPLY, JOB_PARAMS)}
        for toggle, name in (("use_strength", "strength"), ("use_rotation", "rotation_deg")):
            if self._overrides(context, toggle, name):
                params.update(self.job_params(context, spec.APPLY, (name,)))
        output = self.setting(context, "output_path")
        self._output = bpy.path.abspath(output) if output else ""
        self._frames = None
        if self.animation:
            if not self._output:
                raise UserFacingError("An animation needs an output folder for its EXR sequence")
            self._frames = list(range(scene.frame_start, scene.frame_end + 1))
            if self._frames[0] < 0:
                raise UserFacingError(f"The frame range starts at {self._frames[0]}: an animation's frames are "
                                      "numbered from 0")
            self._pattern = os.path.join(self._output, FRAME_PATTERN)
            params.update(frames=world_reader.frame_overrides(scene, world, self._frames, params.get("strength")),
                          output_pattern=self._pattern, frame_numbers=self._frames)
        inputs = {"image": source}
        matte = self._matte(context)
        if matte is not None:
            inputs["matte"] = matte
        if lighting.image is not None:
            inputs["environment"] = lighting.image
        return image_jobs.submit_image_job(client, spec.APPLY.kind, params, inputs)

    def _image(self, context):
        if self.image_name:
            return find_image(context, self.image_name)
        image = panel_image(context)
        if image is None:
            raise UserFacingError("No image to relight: pick one in the Relight Image panel, show one in the "
                                  "Image Editor or name it in the operator")
        return image

    def _matte(self, context):
        """The caller's matte (an empty name: none, the image's alpha), else the panel's."""
        if self.properties.is_property_set("matte_name"):
            return find_image(context, self.matte_name) if self.matte_name else None
        settings = self.panel_settings(context)
        return settings.matte if settings is not None else None

    def _world(self, context):
        if self.world_name:
            world = bpy.data.worlds.get(self.world_name)
            if world is None:
                raise UserFacingError(f"No world named '{self.world_name}'")
            return world
        settings = self.panel_settings(context)
        return settings.world if settings is not None and settings.world is not None else context.scene.world

    def _overrides(self, context, toggle, name):
        """Whether ``name`` replaces the world's value: the caller's toggle, else a value the caller
        gave, else the panel's toggle (as the light-stage Relight operator decides)."""
        if self.properties.is_property_set(toggle):
            return getattr(self, toggle)
        return self.properties.is_property_set(name) or self.setting(context, toggle)

    def apply_result(self, context, handle):
        scene = context.scene
        name = self._source_name
        if self._frames is not None:
            image = datablocks.load_exr_sequence(frame_path(self._pattern, self._frames[0]),
                                                 result_name(f"{name} animation"))
            summary = f"Relit '{name}' for {len(self._frames)} frames into {self._output}"
        else:
            image = image_jobs.result_to_datablock(handle, "relit", result_name(name))
            datablocks.pack_image(image)  # computed pixels would be lost on save otherwise
            image.preview_ensure()
            summary = f"Relit '{name}' into image '{image.name}' ({image.size[0]}x{image.size[1]})"
            if self._output:
                datablocks.save_image_exr(image, self._output)
                summary += f" and {self._output}"
        if self.add_node:
            node = compositor.add_image_node(scene, image, label=f"Relit {name}")
            if self._frames is not None:
                node.frame_start = self._frames[0]
                node.frame_duration = len(self._frames)
                node.frame_offset = self._frames[0] - 1  # scene frame f shows file number f
        return summary


spec_properties.annotate(NEURALRENDER_OT_relight_image, spec.APPLY, PANEL_PARAMS, operator=True, **OVERRIDES)

CLASSES = (NEURALRENDER_OT_relight_image,)
