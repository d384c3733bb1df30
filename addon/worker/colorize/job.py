"""Worker jobs ``colorize.auto``, ``colorize.reference`` and ``colorize.scribbles``.

Common to all three
    inputs: ``image`` (H, W, 1|2|3|4) float32, scene-linear; grey, grey+alpha, RGB or RGBA.
    params: ``premultiplied`` (default true: Blender's convention; false for straight-alpha files),
    ``decode_srgb`` (the input holds sRGB-encoded values, e.g. a Non-Color tagged greyscale texture).
    outputs: ``image`` (H, W, 3, or 4 with the input's alpha kept) scene-linear colour whose L* is
    exactly the input's; ``input_was_colour`` (1, 1, 1): 1.0 when the input already had colour (its
    luminance was colorized; the final progress message says so too).
    16-bit and float inputs keep their precision (the full-resolution L* is reused), HDR values
    above 1 keep their range; any size from 1x1 to 8K+ (the networks run at a bounded working size,
    full-resolution work happens in row strips).

colorize.auto
    params: ``weights_path`` (the release or a train_colorizer.py checkpoint), ``model``
    ('auto' | 'released' | 'bundled'), ``allow_download``, ``temperature`` (0..1, default 0.38; the
    "vibrancy": 0 = mode, 1 = mean), ``seamless`` (tileable input -> tileable output),
    ``network_size`` (override the working size).

colorize.reference
    inputs: ``reference`` (a colour image). params: ``method`` ('deep' default | 'global' = Reinhard).

colorize.scribbles
    inputs: ``hints`` (RGBA: painted where alpha > 0.5; RGB: coloured pixels are hints), any size.
    params: ``solve_size`` (working long side of the sparse solve, default 512).
"""

import os

import numpy as np

from ..job_params import number
from ..jobs import JobInputError, job
from . import decode, inference, reference, scribbles, weights
from .source_image import SourceError, SourceImage, has_colour


def _source(context, params, inputs):
    if "image" not in inputs:
        raise JobInputError("colorize needs an input image named 'image'")
    try:
        return SourceImage(inputs["image"], premultiplied=bool(params.get("premultiplied", True)),
                           decode_srgb=bool(params.get("decode_srgb", False)),
                           on_strip=_strip_progress(context, 0.0, 0.05, "reading the luminance"))
    except SourceError as error:
        raise JobInputError(str(error)) from error


def _outputs(context, source, fill, what):
    image = source.output(fill)
    note = " (the input already had colour: its luminance was colorized)" if source.was_colour else ""
    context.progress(1.0, f"{what}{note}")
    return {"image": image, "input_was_colour": np.full((1, 1, 1), float(source.was_colour), np.float32)}


def _strip_progress(context, start, span, label):
    return lambda fraction: context.progress(start + span * fraction, label)


# -- colorize.auto ----------------------------------------------------------------------------
def _cached_model(context, params):
    """Models stay loaded between jobs; a changed file (retrained, replaced) is reloaded."""
    path = params.get("weights_path") or None
    if path is not None and not isinstance(path, str):
        raise JobInputError("weights_path must be a file path")
    model_choice = params.get("model", "auto")
    stamp = None
    if path and os.path.isfile(path):
        stat = os.stat(path)
        stamp = (stat.st_mtime_ns, stat.st_size)
    key = ("colorize", path, model_choice, stamp, str(context.device),
           os.path.isfile(weights.released_path_in_store()))
    loaded = context.cache.get(key)
    if loaded is None:
        for stale in [entry for entry in context.cache if isinstance(entry, tuple) and entry[:1] == ("colorize",)]:
            del context.cache[stale]
        try:
            loaded = weights.choose_model(path, model_choice, bool(params.get("allow_download", False)),
                                          progress=context.progress)
        except weights.WeightsError as error:
            raise JobInputError(str(error)) from error
        loaded.model.to(context.device)
        context.cache[key] = loaded
    return loaded


@job("colorize.auto")
def colorize_auto(context, params, inputs):
    temperature = number(params, "temperature", decode.DEFAULT_TEMPERATURE, 0, 1)
    seamless = bool(params.get("seamless", False))
    context.progress(0.0, "reading the image")
    source = _source(context, params, inputs)
    context.progress(0.05, "loading the colorizer")
    loaded = _cached_model(context, params)
    network_size = number(params, "network_size", loaded.network_size, 32, 2048, int)
    context.progress(0.2, "predicting colours")
    ab = inference.predict_ab(loaded.model, source.lightness, context.device, temperature, network_size, seamless)
    label = "recombining with the full-resolution luminance"

    def fill(rgb):
        decode.recombine(source.lightness, ab, wrap=seamless, out=rgb, on_strip=_strip_progress(context, 0.3, 0.7, label))

    return _outputs(context, source, fill, f"colorized with {loaded.description}, vibrancy T={temperature:g}")


# -- colorize.reference -----------------------------------------------------------------------
def _backbone(context):
    from ..backbones import vgg16
    from ..model_store import ModelFileError
    try:
        return vgg16.load(context.device)
    except ModelFileError as error:
        raise JobInputError(str(error)) from error


@job("colorize.reference")
def colorize_reference(context, params, inputs):
    method = params.get("method", "deep")
    if method not in ("deep", "global"):
        raise JobInputError(f"method must be 'deep' or 'global', got {method!r}")
    if "reference" not in inputs:
        raise JobInputError("reference colorization needs a colour image named 'reference'")
    context.progress(0.0, "reading the images")
    source = _source(context, params, inputs)
    reference_rgb = _reference_colour(inputs["reference"], bool(params.get("premultiplied", True)))
    if not has_colour(reference_rgb, None):
        raise JobInputError("the reference image has no colour: pick a colour image to take colours from")
    from . import lab
    reference_lab = lab.linear_rgb_to_lab(reference_rgb)
    if method == "global":
        target_lab = np.zeros(source.shape + (3,), np.float32)
        target_lab[:, :, 0] = source.lightness
        ab = reference.reinhard_ab(target_lab, reference_lab)
        strips = iter([(slice(0, source.shape[0]), ab)])
    else:
        context.progress(0.1, "matching deep features")
        strips = reference.deep_reference_strips(source.lightness, reference_lab, _backbone(context), context.device)
    label = "transferring colours"

    def fill(rgb):
        decode.recombine_strips(source.lightness, strips, out=rgb, on_strip=_strip_progress(context, 0.5, 0.5, label))

    return _outputs(context, source, fill, f"colorized from the reference ({'deep features' if method == 'deep' else 'global statistics'})")


def _reference_colour(array, premultiplied, long_side=512):
    """Un-premultiplied linear RGB of the reference, at most ``long_side`` px (only its statistics and
    a 256 px view are used)."""
    array = np.asarray(array, dtype=np.float32)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in (1, 2, 3, 4) or 0 in array.shape:
        raise JobInputError(f"reference: expected an (H, W, 1|2|3|4) image, got shape {array.shape}")
    step = max(1, int(np.ceil(max(array.shape[:2]) / long_side)))
    array = array[::step, ::step]
    channels = array.shape[2]
    colour = array[:, :, :3] if channels >= 3 else np.repeat(array[:, :, :1], 3, axis=2)
    if premultiplied and channels in (2, 4):
        alpha = array[:, :, -1:]
        colour = colour / np.where(alpha > 0, alpha, 1.0)
    return np.clip(np.nan_to_num(colour, nan=0.0, posinf=0.0), 0.0, None)


# -- colorize.scribbles -----------------------------------------------------------------------
@job("colorize.scribbles")
def colorize_scribbles(context, params, inputs):
    solve_size = number(params, "solve_size", scribbles.DEFAULT_SOLVE_SIZE, 64, 4096, int)
    if "hints" not in inputs:
        raise JobInputError("scribble colorization needs the painted hints as an image named 'hints'")
    context.progress(0.0, "reading the image and hints")
    source = _source(context, params, inputs)
    try:
        hint_ab, hint_mask = scribbles.hints_from_image(inputs["hints"], source.shape,
                                                        premultiplied=bool(params.get("premultiplied", True)))
        strips = scribbles.colorize_strips(source.lightness, hint_ab, hint_mask, solve_size,
                                           progress=lambda fraction, message: context.progress(0.05 + 0.6 * fraction, message))
    except scribbles.ScribbleError as error:
        raise JobInputError(str(error)) from error
    label = "recombining with the full-resolution luminance"

    def fill(rgb):
        decode.recombine_strips(source.lightness, strips, out=rgb, on_strip=_strip_progress(context, 0.65, 0.35, label))

    return _outputs(context, source, fill, f"colorized from {int(hint_mask.sum())} scribbled pixels")
