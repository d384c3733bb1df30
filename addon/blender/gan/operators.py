"""GAN texture operators: train (worker job, modal with live preview), generate (worker job),
make material (scene only)."""

import os
import tempfile

import bpy

from .. import datablocks, image_jobs
from ..job_operator import UserFacingError, WorkerJobOperator
from ..operators import find_image
from ...protocol import messages
from . import materials
from .model_files import resolve_model_path
from .settings import PERIODIC_PATTERN_HELP, VARIATION_HELP

PERIODIC_CHANNELS = 2  # "Periodic Pattern": one sinusoid per direction of a brick or tile lattice


def _scene_settings(context):
    return getattr(context.scene, "neural_render_gan", None)


class NEURALRENDER_OT_gan_train(WorkerJobOperator, bpy.types.Operator):
    """Learn a texture GAN from an image (a photo, a scan, a render). Runs in the worker; Esc stops
    and keeps the model trained so far"""
    bl_idname = "neural_render.gan_train"
    bl_label = "Train GAN Texture"
    job_label = "GAN training"

    image_name: bpy.props.StringProperty(name="Exemplar", description="Image datablock; empty: the active one")
    model_path: bpy.props.StringProperty(name="Model", subtype="FILE_PATH",
                                         description="Model file to write; empty: next to the .blend")
    minutes: bpy.props.FloatProperty(name="Minutes", default=10.0, min=0.0, max=24 * 60)
    steps: bpy.props.IntProperty(name="Steps", default=0, min=0, description="Stop after this many steps (0: no limit)")
    resume: bpy.props.BoolProperty(name="Resume", default=False)
    crop_size: bpy.props.IntProperty(name="Crop Size", default=0, min=0, max=1024,
                                     description="Training crop in px, a multiple of 8 (0: the model's default)")
    periodic_pattern: bpy.props.BoolProperty(name="Periodic Pattern", default=False, description=PERIODIC_PATTERN_HELP)
    batch_size: bpy.props.IntProperty(name="Batch Size", default=0, min=0, max=64,
                                      description="Crops per step (0: the model's default)")
    preview_every: bpy.props.FloatProperty(name="Preview Every", default=15.0, min=1.0, subtype="TIME_ABSOLUTE",
                                           unit="TIME_ABSOLUTE")

    def submit_job(self, context, client):
        self._source = find_image(context, self.image_name)
        self._model_path = resolve_model_path(self.model_path, self._source.name)
        if self.resume and not os.path.isfile(self._model_path):
            raise UserFacingError(f"Nothing to resume: no model file at {self._model_path}")
        folder = tempfile.mkdtemp(prefix="neural-render-gan-")
        self._preview_path = os.path.join(folder, "preview.exr")
        self._preview_stamp = None
        params = {"model_path": self._model_path, "resume": self.resume,
                  "preview_path": self._preview_path, "preview_every": self.preview_every,
                  "periodic_channels": PERIODIC_CHANNELS if self.periodic_pattern else 0}
        if self.batch_size:
            params["batch_size"] = self.batch_size
        if self.minutes > 0:
            params["minutes"] = self.minutes
        if self.steps > 0:
            params["steps"] = self.steps
        if self.minutes <= 0 and self.steps <= 0:
            raise UserFacingError("Give a training time (minutes) or a number of steps")
        if self.crop_size:
            params["crop_size"] = self.crop_size
        return image_jobs.submit_image_job(client, "gan.train", params, {"exemplar": self._source})

    def modal(self, context, event):
        result = super().modal(context, event)
        if event.type == "TIMER":
            self._show_preview()
        return result

    def _show_preview(self):
        """Reload the preview the worker rewrites (atomically) every few seconds of training."""
        try:
            stamp = os.stat(self._preview_path).st_mtime_ns
        except OSError:
            return
        if stamp == self._preview_stamp:
            return
        self._preview_stamp = stamp
        name = datablocks.result_name("GAN preview", self._source.name)
        image = bpy.data.images.get(name)
        if image is None or bpy.path.abspath(image.filepath) != self._preview_path:
            if image is not None:
                bpy.data.images.remove(image)
            image = bpy.data.images.load(self._preview_path)
            image.name = name
        else:
            image.reload()
        image.preview_ensure()

    def _finish(self, context, handle):
        outcome = super()._finish(context, handle)
        if handle.error is not None and handle.error.code == messages.CANCELLED and os.path.isfile(self._model_path):
            self.report({"INFO"}, f"GAN training stopped; the model trained so far is kept in {self._model_path}")
        return outcome

    def apply_result(self, context, handle):
        image = image_jobs.result_to_datablock(handle, "preview", datablocks.result_name("GAN preview", self._source.name))
        settings = _scene_settings(context)
        if settings is not None:
            settings.model_path = self._model_path
        return f"GAN training: model saved to {self._model_path} (preview '{image.name}')"


class NEURALRENDER_OT_gan_generate(WorkerJobOperator, bpy.types.Operator):
    """Generate textures from a trained GAN model: any size, seeded, optionally seamlessly tileable"""
    bl_idname = "neural_render.gan_generate"
    bl_label = "Generate GAN Texture"
    bl_options = {"REGISTER", "UNDO"}
    job_label = "GAN textures"

    model_path: bpy.props.StringProperty(name="Model", subtype="FILE_PATH")
    width: bpy.props.IntProperty(name="Width", default=1024, min=1, max=16384)
    height: bpy.props.IntProperty(name="Height", default=1024, min=1, max=16384)
    seed: bpy.props.IntProperty(name="Seed", default=0, min=0)
    count: bpy.props.IntProperty(name="Count", default=1, min=1, max=16)
    variation: bpy.props.FloatProperty(name="Variation", default=0.0, min=0.0, max=1.0, subtype="FACTOR",
                                       description=VARIATION_HELP)
    tileable: bpy.props.BoolProperty(name="Tileable", default=True)
    make_material: bpy.props.BoolProperty(name="Make Material", default=False,
                                          description="Wire the first texture into a material on the active object")
    tiling: bpy.props.FloatProperty(name="Tiling", default=1.0, min=0.01, max=1000.0,
                                    description="Repeats across the UVs when making a material of a tileable texture")

    def submit_job(self, context, client):
        self._model_path = resolve_model_path(self.model_path)
        if not os.path.isfile(self._model_path):
            raise UserFacingError(f"No model file at {self._model_path}: train one first")
        params = {"model_path": self._model_path, "width": self.width, "height": self.height, "seed": self.seed,
                  "count": self.count, "tileable": self.tileable, "variation": self.variation}
        return client.submit("gan.generate", params, output_origin="bottom")

    def apply_result(self, context, handle):
        stem = os.path.splitext(os.path.basename(self._model_path))[0]
        images = []
        for index, output in enumerate(sorted(handle.result_refs)):
            name = datablocks.result_name("GAN", f"{stem} seed {self.seed + index}")
            image = image_jobs.result_to_datablock(handle, output, name)
            datablocks.pack_image(image)  # generated pixels would be lost on save otherwise
            images.append(image)
        summary = f"GAN: {len(images)} texture(s) {images[0].size[0]}x{images[0].size[1]} ('{images[0].name}'...)"
        if self.make_material:
            material = materials.make_texture_material(
                images[0], tiling=(self.tiling, self.tiling) if self.tileable else None)
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


CLASSES = (
    NEURALRENDER_OT_gan_train,
    NEURALRENDER_OT_gan_generate,
    NEURALRENDER_OT_gan_make_material,
)
