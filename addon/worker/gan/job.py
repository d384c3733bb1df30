"""Worker jobs ``gan.train`` and ``gan.generate``.

Their parameters, inputs and outputs are declared in ``protocol/specs/gan.py``; each job receives its
parameters checked against that spec, defaults filled in. What the spec cannot say is checked here:
which model a request trains (an exemplar image or a folder), sizes against the model, and how much
one job may hold in memory. Folder (DCGAN) models make images at their trained size; width and
height must match it or be omitted.

A latent walk with ``output_pattern`` writes each frame (atomically) as soon as it is generated and
returns only the last, so frames leave memory at once and a failed job keeps the finished ones.
"""

import os
import time
from dataclasses import replace

from ...protocol.specs import gan as spec
from ..jobs import JobInputError, job
from . import checkpoint, folder_gan, generate, training_loop
from .job_files import read_image, walk, warm_model, write_image
from .dcgan import DcganConfig
from .errors import GanInputError
from .exemplar_gan import ExemplarGan
from .folder_dataset import load_folder
from .folder_gan import FolderGan
from .psgan import PsganConfig

PREVIEW_SIZE = 256
# The outputs a job returns are held in memory until it returns: 2**28 px is 3 GiB of float32 RGB.
MAX_TOTAL_PIXELS = 2 ** 28


def _model_path(params):
    return os.path.abspath(os.path.expanduser(params["model_path"]))


# -- gan.train --------------------------------------------------------------------------------
def _settings(params, kind):
    """The model's default training settings with what the request overrides."""
    overrides = {name: params[name] for name in ("batch_size", "d_steps") if params[name] is not None}
    return replace(kind.default_settings(), **overrides)


def _folder_images(params):
    return [image for _, image in load_folder(params["folder"], read_image)]


def _new_model(params, inputs, device):
    if "exemplar" in inputs:
        crop, periodic = params["crop_size"], params["periodic_channels"]
        data = {} if crop is None else {"crop_size": crop}
        config = PsganConfig() if periodic is None else PsganConfig(periodic_channels=periodic)
        model = ExemplarGan(config, _settings(params, ExemplarGan), data, device, params["seed"])
        model.attach_exemplar(inputs["exemplar"])
        return model
    try:
        config = DcganConfig(image_size=params["image_size"])
    except ValueError as error:
        raise JobInputError(str(error)) from error
    model = FolderGan(config, _settings(params, FolderGan), {}, device, params["seed"])
    model.attach_images(_folder_images(params))
    return model


def _resumed_model(path, params, inputs, device):
    payload = checkpoint.load(path)
    if payload["model_type"] == ExemplarGan.model_type:
        if "exemplar" not in inputs:
            raise JobInputError(f"{path} is an exemplar model: resuming it needs the exemplar image")
        model = ExemplarGan.from_payload(payload, device)
        model.attach_exemplar(inputs["exemplar"])
    else:
        if params["folder"] is None:
            raise JobInputError(f"{path} is a folder model: resuming it needs the folder")
        model = FolderGan.from_payload(payload, device)
        model.attach_images(_folder_images(params))
    return model


def _preview(model):
    if isinstance(model, ExemplarGan):
        return generate.generate(model.sampler, model.scale, PREVIEW_SIZE, PREVIEW_SIZE, seed=0,
                                 tileable=True, device=model.device)
    return folder_gan.sample(model.sampler, model.scale, [0], model.device)[0]


@job(spec.TRAIN)
def train(context, params, inputs):
    path = _model_path(params)
    if ("exemplar" in inputs) == (params["folder"] is not None):
        raise JobInputError("give either an exemplar image (input 'exemplar') or a folder (param 'folder')")
    minutes, steps = params["minutes"], params["steps"]
    if minutes is None and steps is None:
        minutes = spec.DEFAULT_MINUTES
    preview_path = params["preview_path"]
    context.progress(0.0, "preparing the training data")
    try:
        if params["resume"] and os.path.exists(path):
            model = _resumed_model(path, params, inputs, context.device)
        else:
            model = _new_model(params, inputs, context.device)
    except GanInputError as error:
        raise JobInputError(str(error)) from error

    def write_preview(current):
        write_image(preview_path, _preview(current))

    try:
        summary = training_loop.train(
            model, seconds=None if minutes is None else minutes * 60, steps=steps,
            report=context.progress, report_interval=0,  # the context throttles
            checkpoint_path=path, checkpoint_every=params["checkpoint_every"],
            on_preview=write_preview if preview_path else None, preview_every=params["preview_every"])
    except GanInputError as error:  # e.g. the disk filled up while saving
        raise JobInputError(str(error)) from error
    preview = _preview(model)
    if preview_path:
        write_image(preview_path, preview)
    context.progress(1.0, f"trained {summary['steps']} steps; saved {os.path.basename(path)}")
    return {"preview": preview}


# -- gan.generate -----------------------------------------------------------------------------
def _load(path, device):
    payload = checkpoint.load(path)
    kind = ExemplarGan if payload["model_type"] == ExemplarGan.model_type else FolderGan
    return kind.from_payload(payload, device)


def _model(context, path):
    return warm_model(context, "gan", path, _load)


@job(spec.GENERATE)
def generate_textures(context, params, inputs):
    path = _model_path(params)
    if params["output_pattern"] is not None and not params["walk_frames"]:
        raise JobInputError("output_pattern is for latent walks: give walk_frames too")
    if params["walk_range"] is not None and not params["walk_frames"]:
        raise JobInputError("walk_range is for latent walks: give walk_frames too")
    context.progress(0.0, "loading the model")
    try:
        model = _model(context, path)
        if isinstance(model, ExemplarGan):
            return _generate_exemplar(context, model, params)
        return _generate_folder(context, model, params)
    except GanInputError as error:
        raise JobInputError(str(error)) from error


def _generate_exemplar(context, model, params):
    width = spec.DEFAULT_WIDTH if params["width"] is None else params["width"]
    height = width if params["height"] is None else params["height"]
    seed, count, walk_frames = params["seed"], params["count"], params["walk_frames"]
    tileable, variation, pattern = params["tileable"], params["variation"], params["output_pattern"]
    generate.check_size(width, height, model.model_config.upsampling, tileable)
    held = (1 if pattern else walk_frames * count) if walk_frames else count
    if held * width * height > MAX_TOTAL_PIXELS:
        raise JobInputError(f"{held} images of {width}x{height} px are too much for one job (at most "
                            f"{MAX_TOTAL_PIXELS // 2 ** 20} megapixels in all): ask for fewer or smaller ones"
                            + ("" if pattern or not walk_frames else ", or write the walk's frames to "
                               "files (output_pattern)"))
    seeds = [seed + index for index in range(count)]
    if walk_frames:
        def make_frames(indices):
            return generate.latent_walk(model.sampler, model.scale, width, height, seeds, walk_frames, tileable=tileable,
                                        loop=True, device=context.device, variation=variation, indices=indices)
        return walk(context, make_frames, generate.walk_length(count, walk_frames), params)
    started = time.monotonic()
    outputs = {}
    for index, current in enumerate(seeds):
        context.progress(index / count, f"texture {index + 1} of {count} ({width}x{height})")
        name = "texture" if count == 1 else f"texture_{index:03d}"
        outputs[name] = generate.generate(model.sampler, model.scale, width, height, current, tileable,
                                          context.device, variation)
    context.progress(1.0, f"{count} texture(s) in {time.monotonic() - started:.1f} s")
    return outputs


def _generate_folder(context, model, params):
    size = model.model_config.image_size
    for name in ("width", "height"):
        if params[name] not in (None, size):
            raise JobInputError(f"this folder model makes {size}x{size} px images; {name} must be {size} "
                                "or omitted")
    seed, count, walk_frames = params["seed"], params["count"], params["walk_frames"]
    if walk_frames:
        def make_frames(indices):
            return folder_gan.interpolate(model.sampler, model.scale, seed, seed + 1, walk_frames + 1,
                                          context.device, indices=indices)
        return walk(context, make_frames, walk_frames + 1, params)
    images = folder_gan.sample(model.sampler, model.scale, [seed + index for index in range(count)],
                               context.device)
    context.progress(1.0, f"{count} image(s)")
    if count == 1:
        return {"texture": images[0]}
    return {f"texture_{index:03d}": image for index, image in enumerate(images)}
