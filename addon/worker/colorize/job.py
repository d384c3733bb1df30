"""Worker jobs ``colorize.auto``, ``colorize.reference`` and ``colorize.scribbles``.

Parameters, inputs and outputs are declared in ``protocol/specs/colorize.py``. Common to all three:
the output's L* is exactly the input's; 16-bit and float inputs keep their precision (the
full-resolution L* is reused), HDR values above 1 keep their range; any size (the networks run at a
bounded working size, full-resolution work happens in row strips). ``input_was_colour`` is 1.0 when
the input already had colour (its luminance was colorized; the final progress message says so too).
"""

import numpy as np

from ...protocol.specs import colorize as spec
from ..jobs import JobInputError, file_stamp, job
from . import decode, hint_inference, inference, reference, scribbles, weights
from .source_image import SourceError, SourceImage, has_colour


def _source(context, params, inputs):
    if "image" not in inputs:
        raise JobInputError("colorize needs an input image named 'image'")
    try:
        return SourceImage(inputs["image"], premultiplied=params["premultiplied"], decode_srgb=params["decode_srgb"],
                           on_strip=context.stage(0.0, 0.05, "reading the luminance"))
    except SourceError as error:
        raise JobInputError(str(error)) from error


def _outputs(context, source, fill, what):
    image = source.output(fill)
    note = " (the input already had colour: its luminance was colorized)" if source.was_colour else ""
    context.progress(1.0, f"{what}{note}")
    return {"image": image, "input_was_colour": np.full((1, 1, 1), float(source.was_colour), np.float32)}


# -- colorize.auto ----------------------------------------------------------------------------
def _cached(context, key, load, to_device):
    """A model kept loaded between jobs under ``key`` (which holds the files' stamps, so a retrained
    or replaced file is reloaded); weights problems become the job's input errors."""
    def load_on_device():
        try:
            loaded = load()
        except weights.WeightsError as error:
            raise JobInputError(str(error)) from error
        if loaded is not None:
            to_device(loaded).to(context.device)
        return loaded

    return context.models.get(key, load_on_device)


def _cached_model(context, params):
    path, model_choice = params["weights_path"], params["model"]
    released = weights.released_path_in_store()
    key = ("colorize", path, file_stamp(path) if path else None, model_choice, str(context.device),
           file_stamp(released))
    return _cached(context, key,
                   lambda: weights.choose_model(path, model_choice, params["allow_download"], progress=context.progress),
                   lambda loaded: loaded.model)


@job(spec.AUTO)
def colorize_auto(context, params, inputs):
    temperature, seamless = params["temperature"], params["seamless"]
    context.progress(0.0, "reading the image")
    source = _source(context, params, inputs)
    context.progress(0.05, "loading the colorizer")
    loaded = _cached_model(context, params)
    network_size = params["network_size"] or loaded.network_size
    context.progress(0.2, "predicting colours")
    ab = inference.predict_ab(loaded.model, source.lightness, context.device, temperature, network_size, seamless)
    label = "recombining with the full-resolution luminance"

    def fill(rgb):
        decode.recombine(source.lightness, ab, wrap=seamless, out=rgb, on_strip=context.stage(0.3, 0.7, label))

    return _outputs(context, source, fill, f"colorized with {loaded.description}, vibrancy T={temperature:g}")


# -- colorize.reference -----------------------------------------------------------------------
def _backbone(context):
    from ..backbones import registry
    from ..model_store import ModelFileError
    try:  # kept per process by the backbone modules, shared with stylize
        return registry.load_default(context.device)[0]
    except ModelFileError as error:
        raise JobInputError(str(error)) from error


@job(spec.REFERENCE)
def colorize_reference(context, params, inputs):
    method = params["method"]
    if "reference" not in inputs:
        raise JobInputError("reference colorization needs a colour image named 'reference'")
    context.progress(0.0, "reading the images")
    source = _source(context, params, inputs)
    reference_rgb = _reference_colour(inputs["reference"], params["premultiplied"])
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
        decode.recombine_strips(source.lightness, strips, out=rgb, on_strip=context.stage(0.5, 0.5, label))

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
def _cached_hint_model(context):
    """(hint network, its working size), or None when it is not installed."""
    key = ("colorize-hints", weights.HINT_MODEL_PATH, file_stamp(weights.HINT_MODEL_PATH), str(context.device))
    return _cached(context, key, weights.load_hint_model, lambda loaded: loaded[0])


@job(spec.SCRIBBLES)
def colorize_scribbles(context, params, inputs):
    solve_size = params["solve_size"]
    if "hints" not in inputs:
        raise JobInputError("scribble colorization needs the painted hints as an image named 'hints'")
    context.progress(0.0, "reading the image and hints")
    source = _source(context, params, inputs)
    hint_model = _cached_hint_model(context) if params["propagation"] == "network" else None
    try:
        hint_ab, hint_mask = scribbles.hints_from_image(inputs["hints"], source.shape,
                                                        premultiplied=params["premultiplied"])
        if hint_model is not None:
            context.progress(0.1, "predicting colours from the hints")
            strips = hint_inference.colorize_strips(hint_model[0], source.lightness, hint_ab, hint_mask,
                                                    context.device, network_size=hint_model[1])
            how = "the learned hint network"
        else:
            strips = scribbles.colorize_strips(source.lightness, hint_ab, hint_mask, solve_size,
                                               progress=context.stage(0.05, 0.6))
            how = "the edge-aware solve" + (" (the learned hint network is not installed)"
                                            if params["propagation"] == "network" else "")
    except scribbles.ScribbleError as error:
        raise JobInputError(str(error)) from error
    label = "recombining with the full-resolution luminance"

    def fill(rgb):
        decode.recombine_strips(source.lightness, strips, out=rgb, on_strip=context.stage(0.65, 0.35, label))

    outputs = _outputs(context, source, fill, f"colorized from {int(hint_mask.sum())} scribbled pixels with {how}")
    outputs["learned_hints"] = np.full((1, 1, 1), float(hint_model is not None), np.float32)
    return outputs
