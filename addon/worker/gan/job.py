"""Worker jobs ``gan.train`` and ``gan.generate``.

gan.train
    inputs: ``exemplar`` (H, W, C) for an exemplar model; none for a folder model.
    params: ``model_path`` (required: where the model is saved, atomically, every
    ``checkpoint_every`` seconds, at the end and on cancel), ``folder`` (folder model), ``minutes``
    and/or ``steps`` (budget; default 10 minutes), ``resume`` (continue the model at model_path),
    ``seed``, ``crop_size``, ``periodic_channels`` (exemplar), ``batch_size``, ``d_steps``,
    ``image_size`` (folder), ``preview_path``
    (an image file rewritten every ``preview_every`` seconds with a sample of the current model).
    outputs: ``preview``, a 256 px sample (seed 0) of the trained model.

gan.generate
    params: ``model_path``, ``width``, ``height``, ``seed``, ``tileable``, ``count`` (textures
    seed, seed+1, ...), or ``walk_frames`` (> 0: a latent walk through ``count`` seeds, looping,
    with that many frames between seeds); ``variation`` (0-1, exemplar models: how far a seed may
    move the overall colour and brightness away from the exemplar's; see generate.py).
    outputs: ``texture`` (count 1) or ``texture_000``...; ``frame_0000``... for a walk.
    Folder (DCGAN) models produce images at their trained size; width/height must match or be omitted.
"""

import os
import time
from dataclasses import replace

from ..job_params import number
from ..jobs import JobInputError, job
from . import checkpoint, folder_gan, generate, training_loop
from .dcgan import DcganConfig
from .errors import GanInputError
from .exemplar_gan import ExemplarGan
from .folder_dataset import load_folder
from .folder_gan import FolderGan
from .psgan import PsganConfig

PREVIEW_SIZE = 256
MAX_COUNT = 64
MAX_WALK_FRAMES = 2000
# All outputs of a job are held in memory until it returns: 2**28 px is 3 GiB of float32 RGB.
MAX_TOTAL_PIXELS = 2 ** 28


# -- parameter checking ----------------------------------------------------------------------
def _model_path(params):
    path = params.get("model_path")
    if not isinstance(path, str) or not path:
        raise JobInputError("model_path is required: the file the model is saved to / read from")
    return os.path.abspath(os.path.expanduser(path))


def _read_image(path):
    from ..imageio.errors import ImageFileError
    from ..imageio.files import read_image
    try:
        return read_image(path)
    except ImageFileError as error:
        raise JobInputError(str(error)) from error


def _write_preview(path, image):
    from ..imageio.files import write_image
    write_image(path, image)  # atomic: the Blender side may be reading the previous one


# -- gan.train --------------------------------------------------------------------------------
def _settings(params, kind):
    """The model's default training settings with what the request overrides."""
    overrides = {name: number(params, name, None, low, high, int)
                 for name, low, high in (("batch_size", 1, 256), ("d_steps", 1, 10))}
    return replace(kind.default_settings(), **{name: value for name, value in overrides.items() if value is not None})


def _new_model(params, inputs, device, seed):
    if "exemplar" in inputs:
        crop = number(params, "crop_size", None, 16, 1024, int)
        data = {} if crop is None else {"crop_size": crop}
        periodic = number(params, "periodic_channels", None, 0, 8, int)
        config = PsganConfig() if periodic is None else PsganConfig(periodic_channels=periodic)
        model = ExemplarGan(config, _settings(params, ExemplarGan), data, device, seed)
        model.attach_exemplar(inputs["exemplar"])
        return model
    size = number(params, "image_size", 64, 32, 128, int)
    try:
        config = DcganConfig(image_size=size)
    except ValueError as error:
        raise JobInputError(str(error)) from error
    model = FolderGan(config, _settings(params, FolderGan), {}, device, seed)
    model.attach_images([image for _, image in load_folder(params["folder"], _read_image)])
    return model


def _resumed_model(path, params, inputs, device):
    payload = checkpoint.load(path)
    if payload["model_type"] == ExemplarGan.model_type:
        if "exemplar" not in inputs:
            raise JobInputError(f"{path} is an exemplar model: resuming it needs the exemplar image")
        model = ExemplarGan.from_payload(payload, device)
        model.attach_exemplar(inputs["exemplar"])
    else:
        if not params.get("folder"):
            raise JobInputError(f"{path} is a folder model: resuming it needs the folder")
        model = FolderGan.from_payload(payload, device)
        model.attach_images([image for _, image in load_folder(params["folder"], _read_image)])
    return model


def _preview(model):
    if isinstance(model, ExemplarGan):
        return generate.generate(model.sampler, model.scale, PREVIEW_SIZE, PREVIEW_SIZE, seed=0,
                                 tileable=True, device=model.device)
    return folder_gan.sample(model.sampler, model.scale, [0], model.device)[0]


@job("gan.train")
def train(context, params, inputs):
    path = _model_path(params)
    has_folder = bool(params.get("folder"))
    if ("exemplar" in inputs) == has_folder:
        raise JobInputError("give either an exemplar image (input 'exemplar') or a folder (param 'folder')")
    minutes = number(params, "minutes", None if params.get("steps") else 10.0, 0.0, 24 * 60)
    steps = number(params, "steps", None, 1, 10_000_000, int)
    seed = number(params, "seed", 0, 0, 2**63 - 1, int)
    preview_path = params.get("preview_path") or None
    context.progress(0.0, "preparing the training data")
    try:
        if params.get("resume") and os.path.exists(path):
            model = _resumed_model(path, params, inputs, context.device)
        else:
            model = _new_model(params, inputs, context.device, seed)
    except GanInputError as error:
        raise JobInputError(str(error)) from error

    def write_preview(current):
        _write_preview(preview_path, _preview(current))

    try:
        summary = training_loop.train(
            model, seconds=None if minutes is None else minutes * 60, steps=steps,
            report=context.progress, checkpoint_path=path,
            checkpoint_every=number(params, "checkpoint_every", 60.0, 1.0, 86400.0),
            on_preview=write_preview if preview_path else None,
            preview_every=number(params, "preview_every", 15.0, 1.0, 86400.0))
    except GanInputError as error:  # e.g. the disk filled up while saving
        raise JobInputError(str(error)) from error
    preview = _preview(model)
    if preview_path:
        _write_preview(preview_path, preview)
    context.progress(1.0, f"trained {summary['steps']} steps; saved {os.path.basename(path)}")
    return {"preview": preview}


# -- gan.generate -----------------------------------------------------------------------------
def _load_cached(context, path):
    """Models stay loaded between jobs (generating many variations reloads nothing); a changed
    file (retrained, resumed) is noticed by its modification time and size."""
    if not os.path.isfile(path):
        raise JobInputError(f"no model file at {path}")
    stat = os.stat(path)
    key = ("gan", path, stat.st_mtime_ns, stat.st_size, str(context.device))
    model = context.cache.get(key)
    if model is None:
        for stale in [entry for entry in context.cache if entry[:2] == ("gan", path)]:
            del context.cache[stale]
        payload = checkpoint.load(path)
        kind = ExemplarGan if payload["model_type"] == ExemplarGan.model_type else FolderGan
        model = kind.from_payload(payload, context.device)
        context.cache[key] = model
    return model


@job("gan.generate")
def generate_textures(context, params, inputs):
    path = _model_path(params)
    count = number(params, "count", 1, 1, MAX_COUNT, int)
    seed = number(params, "seed", 0, 0, 2**63 - 1 - MAX_COUNT, int)
    walk_frames = number(params, "walk_frames", 0, 0, MAX_WALK_FRAMES, int)
    tileable = bool(params.get("tileable", True))
    variation = number(params, "variation", generate.DEFAULT_VARIATION, 0.0, 1.0)
    context.progress(0.0, "loading the model")
    try:
        model = _load_cached(context, path)
        if isinstance(model, ExemplarGan):
            return _generate_exemplar(context, model, params, seed, count, walk_frames, tileable, variation)
        return _generate_folder(context, model, params, seed, count, walk_frames)
    except GanInputError as error:
        raise JobInputError(str(error)) from error


def _generate_exemplar(context, model, params, seed, count, walk_frames, tileable, variation):
    width = number(params, "width", 1024, 1, generate.MAX_SIZE, int)
    height = number(params, "height", width, 1, generate.MAX_SIZE, int)
    generate.check_size(width, height, model.model_config.upsampling, tileable)
    images = walk_frames * count if walk_frames else count
    if images * width * height > MAX_TOTAL_PIXELS:
        raise JobInputError(f"{images} images of {width}x{height} px are too much for one job (at most "
                            f"{MAX_TOTAL_PIXELS // 2 ** 20} megapixels in all): ask for fewer or smaller ones")
    seeds = [seed + index for index in range(count)]
    outputs = {}
    if walk_frames:
        total = walk_frames * len(seeds)
        frames = generate.latent_walk(model.sampler, model.scale, width, height, seeds, walk_frames,
                                      tileable=tileable, loop=True, device=context.device, variation=variation)
        for index, frame in enumerate(frames):
            outputs[f"frame_{index:04d}"] = frame
            context.progress((index + 1) / total, f"frame {index + 1} of {total}")
        return outputs
    started = time.monotonic()
    for index, current in enumerate(seeds):
        context.progress(index / count, f"texture {index + 1} of {count} ({width}x{height})")
        name = "texture" if count == 1 else f"texture_{index:03d}"
        outputs[name] = generate.generate(model.sampler, model.scale, width, height, current, tileable,
                                          context.device, variation)
    context.progress(1.0, f"{count} texture(s) in {time.monotonic() - started:.1f} s")
    return outputs


def _generate_folder(context, model, params, seed, count, walk_frames):
    size = model.model_config.image_size
    for name in ("width", "height"):
        if params.get(name) not in (None, size):
            raise JobInputError(f"this folder model makes {size}x{size} px images; {name} must be {size} "
                                "or omitted")
    if walk_frames:
        frames = folder_gan.interpolate(model.sampler, model.scale, seed, seed + 1, walk_frames + 1,
                                        context.device)
        context.progress(1.0, f"{len(frames)} frames")
        return {f"frame_{index:04d}": frame for index, frame in enumerate(frames)}
    images = folder_gan.sample(model.sampler, model.scale, [seed + index for index in range(count)],
                               context.device)
    context.progress(1.0, f"{count} image(s)")
    if count == 1:
        return {"texture": images[0]}
    return {f"texture_{index:03d}": image for index, image in enumerate(images)}
