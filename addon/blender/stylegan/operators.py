"""StyleGAN texture operators: train on a folder (worker job, modal with live preview), generate and
mix (worker job), project an image (worker job: its latent, the fitted texture and variations), and
Variations of This Texture (the projection wired into a material on the active object).

Each has a property per job parameter it sends (made from the StyleGAN specs), so a script may set
any of them; one left unset takes the panel's scene setting (the settings rule of
``spec_properties``), so ``bpy.ops.neural_render.stylegan_generate('EXEC_DEFAULT')`` makes what the
panel shows. Three specs share one panel: a parameter whose panel field belongs to another job
(training's Seed and Steps, projection's Seed) is the operator's own.
"""

import os
import tempfile

import bpy

from ...protocol.specs import stylegan as spec
from .. import datablocks, image_jobs, spec_properties
from ..gan import materials
from ..gan.live_preview import LivePreview, TrainingWithPreview
from ..job_operator import UserFacingError, WorkerJobOperator
from ..operators import find_image
from .model_files import model_stem, resolve_latent_path, resolve_model_path
from .settings import LATENT_PATH_HELP, MAKE_MATERIAL_HELP, MIX_HELP, MODEL_PATH_HELP, SHOWN_DEFAULTS

SETTINGS = "neural_render_stylegan"
TRAIN_PARAMS = ("folder", "minutes", "steps", "resume", "seed", "image_size", "texture_scale", "augment",
                "batch_size", "preview_every", "checkpoint_every")
TRAIN_OWN_PARAMS = ("seed", "steps")  # the panel's Seed is generation's, its Steps projection's
GENERATE_PARAMS = ("width", "height", "seed", "count", "psi", "tileable", "mix_seed", "mix_layer", "latent_path")
MIX_PARAMS = ("mix_seed", "mix_layer")
PROJECT_PARAMS = ("latent_path", "steps", "variations", "seed", "perceptual_weight", "noise_weight")
PROJECT_OWN_PARAMS = ("seed",)        # the panel's Seed is generation's


def _model_path_property():
    return bpy.props.StringProperty(name="Model", subtype="FILE_PATH", options={"SKIP_SAVE"},
                                    description=f"{MODEL_PATH_HELP} (default: the panel's)")


def _tiling_property(default):
    return bpy.props.FloatProperty(name="Tiling", default=default, min=0.01, max=1000.0, options={"SKIP_SAVE"},
                                   description="Repeats across the UVs when making a material of a tileable texture")


def _existing_model(operator, context):
    path = resolve_model_path(operator.setting(context, "model_path"))
    if not os.path.isfile(path):
        raise UserFacingError(f"No model file at {path}: train one first")
    return path


def _packed_result(handle, output, name):
    image = image_jobs.result_to_datablock(handle, output, name)
    datablocks.pack_image(image)  # generated pixels would be lost on save otherwise
    return image


def _material_on_active_object(context, image, tiling, name=None):
    """The GAN panel's Make Material for ``image``; the summary's clause about it."""
    material = materials.make_texture_material(image, name=name, tiling=tiling)
    assigned = materials.assign_to_object(material, context.active_object)
    return f"; material '{material.name}'" + (" on the active object" if assigned else "")


class NEURALRENDER_OT_stylegan_train(TrainingWithPreview, WorkerJobOperator, bpy.types.Operator):
    """Learn a StyleGAN from a folder of textures (a texture set: stone, wood, ...). Runs in the worker;
    Esc stops and keeps the model trained so far"""
    bl_idname = "neural_render.stylegan_train"
    bl_label = "Train StyleGAN"
    job_label = "StyleGAN training"
    settings_attribute = SETTINGS

    model_path: _model_path_property()

    def submit_job(self, context, client):
        params = self.job_params(context, spec.TRAIN, [name for name in TRAIN_PARAMS if name not in TRAIN_OWN_PARAMS])
        params.update(spec_properties.resolved_params(self, None, spec.TRAIN, TRAIN_OWN_PARAMS))
        folder = params.get("folder")
        if not folder:
            raise UserFacingError("Choose a folder of texture images to train on")
        folder = params["folder"] = os.path.abspath(folder)
        if not os.path.isdir(folder):
            raise UserFacingError(f"No folder at {folder}")
        self._model_path = resolve_model_path(self.setting(context, "model_path"), folder)
        if params["resume"] and not os.path.isfile(self._model_path):
            raise UserFacingError(f"Nothing to resume: no model file at {self._model_path}")
        if "minutes" not in params and "steps" not in params:
            raise UserFacingError("Give a training time (minutes) or a number of steps")
        preview_folder = tempfile.mkdtemp(prefix="neural-render-stylegan-")
        self._preview = LivePreview(os.path.join(preview_folder, "preview.exr"),
                                    datablocks.result_name("StyleGAN preview", model_stem(self._model_path)))
        params.update(model_path=self._model_path, preview_path=self._preview.path)
        return client.submit("stylegan.train", params, output_origin="bottom")


class NEURALRENDER_OT_stylegan_generate(WorkerJobOperator, bpy.types.Operator):
    """Generate textures from a StyleGAN model: any size, seeded, seamlessly tileable, truncated; with
    Mix, the fine layers (colour, grain) come from another seed"""
    bl_idname = "neural_render.stylegan_generate"
    bl_label = "Generate StyleGAN Texture"
    bl_options = {"REGISTER", "UNDO"}
    job_label = "StyleGAN textures"
    settings_attribute = SETTINGS

    model_path: _model_path_property()
    mix: bpy.props.BoolProperty(name="Mix", default=False, options={"SKIP_SAVE"},
                                description=f"{MIX_HELP} (default: the panel's; on when a Mix Seed is given)")
    make_material: bpy.props.BoolProperty(name="Make Material", default=False, options={"SKIP_SAVE"},
                                          description=f"{MAKE_MATERIAL_HELP} (default: the panel's)")
    tiling: _tiling_property(1.0)

    def mixing(self, context):
        """Whether to mix: the caller's Mix if given; a caller naming a Mix Seed means to mix; else the panel's."""
        if not self.properties.is_property_set("mix") and self.properties.is_property_set("mix_seed"):
            return True
        return self.setting(context, "mix")

    def submit_job(self, context, client):
        self._model_path = _existing_model(self, context)
        params = self.job_params(context, spec.GENERATE)
        if not self.mixing(context):
            for name in MIX_PARAMS:
                params.pop(name, None)
        elif "latent_path" in params:
            # The latent replaces every layer's style: nothing would be left to take from the mix seed.
            raise UserFacingError("Mix or a projected latent, not both: the latent sets every layer's style")
        if "latent_path" in params and not os.path.isfile(params["latent_path"]):
            raise UserFacingError(f"No latent file at {params['latent_path']}: project an image first")
        self._params = params
        self._make_material = self.setting(context, "make_material")
        params["model_path"] = self._model_path
        return client.submit("stylegan.generate", params, output_origin="bottom")

    def _result_name(self, index):
        params = self._params
        look = model_stem(self._model_path)
        if "latent_path" in params:
            look += f" {os.path.splitext(os.path.basename(params['latent_path']))[0]}"
        mix = f" mix {params['mix_seed']}" if "mix_seed" in params else ""
        return datablocks.result_name("StyleGAN", f"{look} seed {params['seed'] + index}{mix}")

    def apply_result(self, context, handle):
        images = [_packed_result(handle, output, self._result_name(index))
                  for index, output in enumerate(sorted(handle.result_refs))]
        summary = (f"StyleGAN: {len(images)} texture(s) {images[0].size[0]}x{images[0].size[1]} "
                   f"('{images[0].name}'...)")
        if self._make_material:
            tiling = (self.tiling, self.tiling) if self._params["tileable"] else None
            summary += _material_on_active_object(context, images[0], tiling)
        return summary


class _ProjectJob:
    """Projection of an image datablock: the parts Project Image and Variations of This Texture share."""
    bl_options = {"REGISTER", "UNDO"}
    job_label = "StyleGAN projection"
    settings_attribute = SETTINGS
    least_variations = 0

    image_name: bpy.props.StringProperty(name="Image", description="Image datablock; empty: the active one",
                                         options={"SKIP_SAVE"})
    model_path: _model_path_property()

    def submit_job(self, context, client):
        source = find_image(context, self.image_name)
        self._source_name = source.name
        model_path = _existing_model(self, context)
        params = self.job_params(context, spec.PROJECT,
                                 [name for name in PROJECT_PARAMS if name not in PROJECT_OWN_PARAMS])
        params.update(spec_properties.resolved_params(self, None, spec.PROJECT, PROJECT_OWN_PARAMS))
        params["variations"] = max(self.least_variations, params["variations"])
        self._latent_path = resolve_latent_path(params.get("latent_path"), model_path, source.name)
        params.update(model_path=model_path, latent_path=self._latent_path)
        return image_jobs.submit_image_job(client, "stylegan.project", params, {"image": source})

    def bring_back(self, handle):
        """The fitted texture and the variations as packed float datablocks named after the source."""
        fit = _packed_result(handle, "reconstruction", datablocks.result_name("StyleGAN fit", self._source_name))
        variations = [_packed_result(handle, output, datablocks.result_name("StyleGAN variation",
                                                                            f"{self._source_name} {output[-3:]}"))
                      for output in sorted(handle.result_refs) if output.startswith("variation_")]
        summary = (f"StyleGAN: fitted '{self._source_name}' ({fit.size[0]}x{fit.size[1]}) as '{fit.name}'"
                   + (f" and {len(variations)} variation(s)" if variations else "")
                   + f"; latent saved to {self._latent_path}")
        return fit, variations, summary


class NEURALRENDER_OT_stylegan_project(_ProjectJob, WorkerJobOperator, bpy.types.Operator):
    """Find the look in a StyleGAN model that reproduces this image (your own texture): saves its latent,
    brings back the fitted texture and variations of it with other layouts"""
    bl_idname = "neural_render.stylegan_project"
    bl_label = "Project Image"

    def apply_result(self, context, handle):
        return self.bring_back(handle)[2]


class NEURALRENDER_OT_stylegan_variations(_ProjectJob, WorkerJobOperator, bpy.types.Operator):
    """Variations of this texture: project it into a StyleGAN model, then put the first variation (the
    same look, another layout) into a material on the active object, repeated by a Mapping node"""
    bl_idname = "neural_render.stylegan_variations"
    bl_label = "Variations of This Texture"
    least_variations = 1  # the material shows one

    tiling: _tiling_property(2.0)

    def apply_result(self, context, handle):
        _, variations, summary = self.bring_back(handle)
        name = datablocks.result_name("StyleGAN", self._source_name)
        return summary + _material_on_active_object(context, variations[0], (self.tiling, self.tiling), name)


spec_properties.annotate(NEURALRENDER_OT_stylegan_train, spec.TRAIN, TRAIN_PARAMS, operator=True, **SHOWN_DEFAULTS)
spec_properties.annotate(NEURALRENDER_OT_stylegan_generate, spec.GENERATE, GENERATE_PARAMS, operator=True,
                         **SHOWN_DEFAULTS)
spec_properties.annotate(_ProjectJob, spec.PROJECT, PROJECT_PARAMS, operator=True,
                         latent_path={"description": f"{spec.PROJECT['latent_path'].description}. {LATENT_PATH_HELP}"})

CLASSES = (
    NEURALRENDER_OT_stylegan_train,
    NEURALRENDER_OT_stylegan_generate,
    NEURALRENDER_OT_stylegan_project,
    NEURALRENDER_OT_stylegan_variations,
)
