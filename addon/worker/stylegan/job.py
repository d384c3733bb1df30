"""Worker jobs ``stylegan.train``, ``stylegan.generate`` and ``stylegan.project``.

Parameters, inputs and outputs are declared in ``protocol/specs/stylegan.py``; each job receives them
checked against that spec, defaults filled in. What the spec cannot say is checked here: the folder,
sizes against the model, the mix and latent options together, and how much one job may hold.
"""

import os
import time
from dataclasses import replace

from ...protocol.specs import stylegan as spec
from ..gan import training_loop
from ..gan.errors import GanInputError
from ..gan.folder_dataset import list_images
from ..gan.job_files import read_image, walk, warm_model, write_image
from ..jobs import JobInputError, job
from . import latent_file, projection, sampling
from .augment import POLICIES
from .model import StyleGan
from .network import StyleGanConfig

PREVIEW_SIZE = 256
MAX_TOTAL_PIXELS = 2 ** 28  # outputs a job returns are held in memory until it returns


def _path(value):
    return os.path.abspath(os.path.expanduser(value))


def _images(folder):
    return [read_image(path) for path in list_images(folder)]


def _preview(model):
    return sampling.generate(model.sampler, model.scale, PREVIEW_SIZE, PREVIEW_SIZE, seed=0, device=model.device)


def _new_model(params, device):
    try:
        config = StyleGanConfig(image_size=params["image_size"])
    except ValueError as error:
        raise JobInputError(str(error)) from error
    settings = StyleGan.default_settings()
    if params["batch_size"] is not None:
        settings = replace(settings, batch_size=params["batch_size"])
    data = {"texture_scale": params["texture_scale"], "augment": list(POLICIES) if params["augment"] else []}
    return StyleGan(config, settings, data, device, params["seed"])


@job(spec.TRAIN)
def train(context, params, inputs):
    path = _path(params["model_path"])
    minutes, steps = params["minutes"], params["steps"]
    if minutes is None and steps is None:
        minutes = spec.DEFAULT_MINUTES
    context.progress(0.0, "reading the texture set")
    try:
        images = _images(_path(params["folder"]))
        if params["resume"] and os.path.exists(path):
            model = StyleGan.load(path, context.device)
        else:
            model = _new_model(params, context.device)
        model.attach_images(images)
    except GanInputError as error:
        raise JobInputError(str(error)) from error
    preview_path = params["preview_path"]

    def write_preview(current):
        write_image(preview_path, _preview(current))

    try:
        summary = training_loop.train(
            model, seconds=None if minutes is None else minutes * 60, steps=steps,
            report=context.progress, report_interval=0, checkpoint_path=path,
            checkpoint_every=params["checkpoint_every"],
            on_preview=write_preview if preview_path else None, preview_every=params["preview_every"])
    except GanInputError as error:
        raise JobInputError(str(error)) from error
    preview = _preview(model)
    if preview_path:
        write_image(preview_path, preview)
    context.progress(1.0, f"trained {summary['steps']} steps on {len(images)} images; saved {os.path.basename(path)}")
    return {"preview": preview}


def _model(context, path):
    return warm_model(context, "stylegan", path, StyleGan.load)


def _check_generate(params, held, width, height):
    if params["output_pattern"] is not None and not params["walk_frames"]:
        raise JobInputError("output_pattern is for latent walks: give walk_frames too")
    if params["walk_range"] is not None and not params["walk_frames"]:
        raise JobInputError("walk_range is for latent walks: give walk_frames too")
    if params["walk_frames"] and (params["mix_seed"] is not None or params["latent_path"] is not None):
        raise JobInputError("a latent walk goes through seeds: leave out the mix seed and the latent")
    if params["mix_seed"] is not None and params["latent_path"] is not None:
        raise JobInputError("mix with a seed or generate from a projected latent, not both: the latent sets "
                            "every layer's style")
    if held * width * height > MAX_TOTAL_PIXELS:
        raise JobInputError(f"{held} images of {width}x{height} px are too much for one job (at most "
                            f"{MAX_TOTAL_PIXELS // 2 ** 20} megapixels in all): ask for fewer or smaller ones")


@job(spec.GENERATE)
def generate(context, params, inputs):
    width = spec.DEFAULT_WIDTH if params["width"] is None else params["width"]
    height = width if params["height"] is None else params["height"]
    seed, count, walk_frames = params["seed"], params["count"], params["walk_frames"]
    held = (1 if params["output_pattern"] else walk_frames * count) if walk_frames else count
    _check_generate(params, held, width, height)
    context.progress(0.0, "loading the model")
    try:
        model = _model(context, _path(params["model_path"]))
        sampling.layout(width, height, params["tileable"])  # refuses a bad size before any work
        ws = None
        if params["latent_path"] is not None:
            ws, _ = latent_file.load(_path(params["latent_path"]), model.model_config)
        seeds = [seed + index for index in range(count)]
        if walk_frames:
            def make_frames(indices):
                return sampling.latent_walk(model.sampler, model.scale, width, height, seeds, walk_frames,
                                            params["psi"], params["tileable"], context.device, indices)
            return walk(context, make_frames, sampling.walk_length(count, walk_frames), params)
        started, outputs = time.monotonic(), {}
        for index, current in enumerate(seeds):
            context.progress(index / count, f"texture {index + 1} of {count} ({width}x{height})")
            name = "texture" if count == 1 else f"texture_{index:03d}"
            outputs[name] = sampling.generate(
                model.sampler, model.scale, width, height, current, params["psi"], params["tileable"],
                params["mix_seed"], params["mix_layer"] if params["mix_seed"] is not None else None,
                context.device, ws=ws)
    except GanInputError as error:
        raise JobInputError(str(error)) from error
    context.progress(1.0, f"{count} texture(s) in {time.monotonic() - started:.1f} s")
    return outputs


@job(spec.PROJECT)
def project(context, params, inputs):
    if "image" not in inputs:
        raise JobInputError("give the texture to reproduce as the input 'image'")
    latent_path = _path(params["latent_path"])
    from ..imageio.atomic import check_writable
    from ..imageio.errors import ImageFileError
    try:
        check_writable(latent_path)  # before minutes of optimisation
    except ImageFileError as error:
        raise JobInputError(str(error)) from error
    context.progress(0.0, "loading the model")
    try:
        model_path = _path(params["model_path"])
        model = _model(context, model_path)
        vgg = None
        if params["perceptual_weight"] > 0:
            from ..backbones import registry
            vgg, _, _ = context.models.get(("vgg-default", str(context.device)),
                                           lambda: registry.load_default(context.device))
        ws, field, noises, (width, height) = projection.project(
            model.sampler, model.scale, inputs["image"], params["steps"], params["seed"],
            params["perceptual_weight"], params["noise_weight"], vgg, context.device,
            report=lambda fraction, text: context.progress(0.9 * fraction, text))
    except GanInputError as error:
        raise JobInputError(str(error)) from error
    latent_file.save(latent_path, ws, (width, height), model_path)
    outputs = {"reconstruction": sampling.render(model.sampler, model.scale, ws, field, noises, 0, width, height,
                                                 context.device)}
    for index in range(params["variations"]):
        context.progress(0.9 + 0.1 * index / params["variations"], f"variation {index + 1} of {params['variations']}")
        outputs[f"variation_{index:03d}"] = sampling.generate(
            model.sampler, model.scale, width, height, params["seed"], ws=ws, layout_seed=params["seed"] + 1 + index,
            device=context.device)
    context.progress(1.0, f"fitted {width}x{height} in {params['steps']} steps; saved {os.path.basename(latent_path)}")
    return outputs
