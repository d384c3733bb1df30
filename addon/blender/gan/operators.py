"""GAN texture operators: train (worker job, modal with live preview), generate (worker job),
make material (scene only).

Train and generate have a property per job parameter they send (made from the GAN specs), so a
script may set any of them; one left unset takes the panel's scene setting (the settings rule of
``spec_properties``), so ``bpy.ops.neural_render.gan_generate('EXEC_DEFAULT')`` makes what the panel
shows.
"""

import os
import tempfile

import bpy

from .. import datablocks, image_jobs, spec_properties
from ..job_operator import UserFacingError, WorkerJobOperator
from ..operators import find_image
from ...protocol.specs import gan as spec
from . import materials
from .live_preview import LivePreview, TrainingWithPreview
from .model_files import resolve_model_path
from .settings import MAKE_MATERIAL_HELP, MODEL_PATH_HELP, PERIODIC_PATTERN_HELP, SHOWN_DEFAULTS

SETTINGS = "neural_render_gan"
TRAIN_PARAMS = ("minutes", "steps", "resume", "seed", "crop_size", "batch_size", "d_steps", "preview_every",
                "checkpoint_every")
# The panel's Seed is the generated textures' (gan.generate's): a training seed is the operator's own.
TRAIN_OWN_PARAMS = ("seed",)
GENERATE_PARAMS = ("width", "height", "seed", "count", "tileable", "variation")


def _model_path_property():
    return bpy.props.StringProperty(name="Model", subtype="FILE_PATH", options={"SKIP_SAVE"},
                                    description=f"{MODEL_PATH_HELP} (default: the panel's)")


class NEURALRENDER_OT_gan_train(TrainingWithPreview, WorkerJobOperator, bpy.types.Operator):
    """Learn a texture GAN from an image (a photo, a scan, a render). Runs in the worker; Esc stops
    and keeps the model trained so far"""
    bl_idname = "neural_render.gan_train"
    bl_label = "Train GAN Texture"
    job_label = "GAN training"
    settings_attribute = SETTINGS

    image_name: bpy.props.StringProperty(name="Exemplar", description="Image datablock; empty: the active one",
                                         options={"SKIP_SAVE"})
    model_path: _model_path_property()
    periodic_pattern: bpy.props.BoolProperty(name="Periodic Pattern", default=False, options={"SKIP_SAVE"},
                                             description=f"{PERIODIC_PATTERN_HELP} (default: the panel's)")

    def submit_job(self, context, client):
        self._source = find_image(context, self.image_name)
        self._model_path = resolve_model_path(self.setting(context, "model_path"), self._source.name)
        params = self.job_params(context, spec.TRAIN,
                                 [name for name in TRAIN_PARAMS if name not in TRAIN_OWN_PARAMS])
        params.update(spec_properties.resolved_params(self, None, spec.TRAIN, TRAIN_OWN_PARAMS))
        if params["resume"] and not os.path.isfile(self._model_path):
            raise UserFacingError(f"Nothing to resume: no model file at {self._model_path}")
        if "minutes" not in params and "steps" not in params:
            raise UserFacingError("Give a training time (minutes) or a number of steps")
        folder = tempfile.mkdtemp(prefix="neural-render-gan-")
        self._preview = LivePreview(os.path.join(folder, "preview.exr"),
                                    datablocks.result_name("GAN preview", self._source.name))
        params.update(model_path=self._model_path, preview_path=self._preview.path,
                      periodic_channels=spec.PERIODIC_PATTERN_CHANNELS if self.setting(context, "periodic_pattern")
                      else 0)
        return image_jobs.submit_image_job(client, "gan.train", params, {"exemplar": self._source})


class NEURALRENDER_OT_gan_generate(WorkerJobOperator, bpy.types.Operator):
    """Generate textures from a trained GAN model: any size, seeded, optionally seamlessly tileable"""
    bl_idname = "neural_render.gan_generate"
    bl_label = "Generate GAN Texture"
    bl_options = {"REGISTER", "UNDO"}
    job_label = "GAN textures"
    settings_attribute = SETTINGS

    model_path: _model_path_property()
    make_material: bpy.props.BoolProperty(name="Make Material", default=False, options={"SKIP_SAVE"},
                                          description=f"{MAKE_MATERIAL_HELP} (default: the panel's)")
    tiling: bpy.props.FloatProperty(name="Tiling", default=1.0, min=0.01, max=1000.0,
                                    description="Repeats across the UVs when making a material of a tileable texture")

    def submit_job(self, context, client):
        self._model_path = resolve_model_path(self.setting(context, "model_path"))
        if not os.path.isfile(self._model_path):
            raise UserFacingError(f"No model file at {self._model_path}: train one first")
        params = self.job_params(context, spec.GENERATE)
        self._seed, self._tileable = params["seed"], params["tileable"]
        self._make_material = self.setting(context, "make_material")
        params["model_path"] = self._model_path
        return client.submit("gan.generate", params, output_origin="bottom")

    def apply_result(self, context, handle):
        stem = os.path.splitext(os.path.basename(self._model_path))[0]
        images = []
        for index, output in enumerate(sorted(handle.result_refs)):
            name = datablocks.result_name("GAN", f"{stem} seed {self._seed + index}")
            image = image_jobs.result_to_datablock(handle, output, name)
            datablocks.pack_image(image)  # generated pixels would be lost on save otherwise
            images.append(image)
        summary = f"GAN: {len(images)} texture(s) {images[0].size[0]}x{images[0].size[1]} ('{images[0].name}'...)"
        if self._make_material:
            material = materials.make_texture_material(
                images[0], tiling=(self.tiling, self.tiling) if self._tileable else None)
            assigned = materials.assign_to_object(material, context.active_object)
            summary += f"; material '{material.name}'" + (" on the active object" if assigned else "")
        return summary


class NEURALRENDER_OT_gan_make_material(bpy.types.Operator):
    """Make a material with this texture as base colour (Image Texture -> Principled BSDF), with an
    optional Mapping node to repeat a tileable texture, and put it on the active object"""
    bl_idname = "neural_render.gan_make_material"
    bl_label = "Make Material"
    bl_options = {"REGISTER", "UNDO"}

    image_name: bpy.props.StringProperty(name="Image", description="Image datablock; empty: the active one")
    use_mapping: bpy.props.BoolProperty(name="Mapping", default=True,
                                        description="Add Texture Coordinate -> Mapping to repeat the texture")
    tiling: bpy.props.FloatProperty(name="Tiling", default=2.0, min=0.01, max=1000.0)

    def execute(self, context):
        try:
            image = find_image(context, self.image_name)
        except UserFacingError as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        material = materials.make_texture_material(image, tiling=(self.tiling, self.tiling) if self.use_mapping else None)
        assigned = materials.assign_to_object(material, context.active_object)
        self.report({"INFO"}, f"Material '{material.name}'" + (" assigned to the active object" if assigned else ""))
        return {"FINISHED"}


spec_properties.annotate(NEURALRENDER_OT_gan_train, spec.TRAIN, TRAIN_PARAMS, operator=True, **SHOWN_DEFAULTS)
spec_properties.annotate(NEURALRENDER_OT_gan_generate, spec.GENERATE, GENERATE_PARAMS, operator=True,
                         **SHOWN_DEFAULTS)

CLASSES = (
    NEURALRENDER_OT_gan_train,
    NEURALRENDER_OT_gan_generate,
    NEURALRENDER_OT_gan_make_material,
)
