"""Relight Image: one image relit against a world (default: the scene's) by the network trained on
virtual light stages -- a still into a float image and a compositor node, or the scene's frame range
with the world's keyframed rotation as an EXR sequence.

The world is read exactly as the light-stage relighting reads it (``relight/world_reader.py``: the
Environment Texture or plain colour, the Background strength, the Mapping node), and the settings
rule holds: a property the caller leaves unset takes the Relight Image panel's setting, so
``bpy.ops.neural_render.relight_image('EXEC_DEFAULT')`` relights what the panel's button would.
"""

import bpy

from ...protocol.specs import relight_image as spec
from .. import datablocks, image_jobs, spec_properties
from ..job_operator import UserFacingError, WorkerJobOperator
from ..operators import find_image
from ..relight import world_reader
from ..relight.world_operator import WorldLitOperator, named_world
from .settings import OVERRIDES, PANEL_PARAMS

SETTINGS = "neural_render_relight_image"
RESULT_CAPABILITY = "Relit"          # results are named "NR Relit <image>" (datablocks.result_name)
# Sent as resolved; strength and rotation only when they override the world's (their toggles).
JOB_PARAMS = ("background", "network_side", "weights_path")
# Blender images with no pixels of their own to read (renders are read by render_capture, not here).
_WITHOUT_PIXELS = {"RENDER_RESULT", "COMPOSITING"}


def result_name(source_name):
    return datablocks.result_name(RESULT_CAPABILITY, source_name)


def lit_by_name(source_name):
    """The datablock of the world the network estimated the image was lit by."""
    return datablocks.result_name("Lit By", source_name)


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


class NEURALRENDER_OT_relight_image(WorldLitOperator, WorkerJobOperator, bpy.types.Operator):
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
    source_world_name: bpy.props.StringProperty(name="Source World", options={"SKIP_SAVE"},
                                                description="The world the image was lit by (default: the "
                                                            "panel's; empty when given: estimated from the image)")
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
        source = self._image(context)
        if source.type in _WITHOUT_PIXELS:
            raise UserFacingError(f"'{source.name}' has no pixels to read here: save it as an image file and "
                                  "relight that")
        self._source_name = source.name
        world, lighting, params = self.lighting_params(context, spec.APPLY)
        params.update(self.job_params(context, spec.APPLY, JOB_PARAMS))
        self.plan_output(context, world, params)
        inputs = {"image": source}
        matte = self._matte(context)
        if matte is not None:
            inputs["matte"] = matte
        if lighting.image is not None:
            inputs["environment"] = lighting.image
        source_world = self._source_world(context)
        if source_world is not None:
            source = world_reader.read_world(source_world)
            params.update({f"source_{name}": value for name, value in source.params().items()})
            if source.image is not None:
                inputs["source_environment"] = source.image
        return image_jobs.submit_image_job(client, spec.APPLY.kind, params, inputs)

    def _image(self, context):
        if self.image_name:
            return find_image(context, self.image_name)
        image = panel_image(context)
        if image is None:
            raise UserFacingError("No image to relight: pick one in the Relight Image panel, show one in the "
                                  "Image Editor or name it in the operator")
        return image

    def _source_world(self, context):
        """The caller's source world (an empty name: none, estimate it), else the panel's."""
        if self.properties.is_property_set("source_world_name"):
            return named_world(self.source_world_name, "the source world") if self.source_world_name else None
        settings = self.panel_settings(context)
        return settings.source_world if settings is not None else None

    def _matte(self, context):
        """The caller's matte (an empty name: none, the image's alpha), else the panel's."""
        if self.properties.is_property_set("matte_name"):
            return find_image(context, self.matte_name) if self.matte_name else None
        settings = self.panel_settings(context)
        return settings.matte if settings is not None else None

    def apply_result(self, context, handle):
        name = self._source_name
        if self._frames is not None:
            image = self.load_frames(result_name(f"{name} animation"))
            summary = f"Relit '{name}' for {len(self._frames)} frames into {self._output}"
        else:
            image = image_jobs.result_to_datablock(handle, "relit", result_name(name))
            datablocks.pack_image(image)  # computed pixels would be lost on save otherwise
            image.preview_ensure()
            # The lighting the network read from the image: a 16 x 8 lat-long map, usable as a world.
            lit_by = image_jobs.result_to_datablock(handle, "source_environment", lit_by_name(name))
            datablocks.pack_image(lit_by)
            summary = (f"Relit '{name}' into image '{image.name}' ({image.size[0]}x{image.size[1]}); the "
                       f"lighting it was estimated to have is '{lit_by.name}'")
            if self._output:
                datablocks.save_image_exr(image, self._output)
                summary += f" and {self._output}"
        self.add_result_node(context.scene, image, f"Relit {name}")
        return summary


spec_properties.annotate(NEURALRENDER_OT_relight_image, spec.APPLY, PANEL_PARAMS, operator=True, **OVERRIDES)

CLASSES = (NEURALRENDER_OT_relight_image,)
