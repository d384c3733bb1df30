"""Worker jobs ``stylize.image``, ``stylize.frame`` and ``stylize.sequence``.

Their parameters, inputs and outputs are declared in ``protocol/specs/stylize.py``; each job receives
its parameters checked against that spec, defaults filled in.
"""

import os
import time

import numpy as np

from ...protocol.frame_paths import complete_output, frame_path
from ...protocol.specs import stylize as spec
from ..jobs import JobInputError, job
from . import backbone, losses, masks, multiscale, pipeline, styles, temporal

MAX_SIDE = spec.MAX_SIDE
INSTANT = "instant"


# -- parameters ---------------------------------------------------------------------------------
def _checked_image(inputs, name, what):
    image = inputs.get(name)
    if image is None:
        raise JobInputError(f"the {what} is missing (input '{name}')")
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[2] not in (1, 2, 3, 4):
        raise JobInputError(f"the {what} must be an (H, W, 1-4) image, got shape {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise JobInputError(f"the {what} is empty ({image.shape[1]}x{image.shape[0]} px)")
    if max(image.shape[:2]) > MAX_SIDE:
        raise JobInputError(f"the {what} is {image.shape[1]}x{image.shape[0]} px; at most {MAX_SIDE} px a side")
    if image.dtype.kind not in "fiu":
        raise JobInputError(f"the {what} has unsupported pixel type {image.dtype}")
    if image.dtype.kind in "iu":  # integer pixels (16-bit files read raw): full scale is 1.0
        image = image.astype(np.float32) / float(np.iinfo(image.dtype).max)
    return image.astype(np.float32, copy=False)


def _numbered(inputs, stem):
    names = [stem] if stem in inputs else []
    names += sorted((name for name in inputs if name.startswith(stem + "_") and name[len(stem) + 1:].isdigit()),
                    key=lambda name: int(name[len(stem) + 1:]))
    return names


def _style_list(params, inputs, stem, weights_name):
    names = _numbered(inputs, stem)
    if not names:
        return []
    weights = params[weights_name]
    if weights is None:
        weights = [1.0] * len(names)
    if len(weights) != len(names):
        raise JobInputError(f"{weights_name} needs one weight per style image ({len(names)}), got {weights!r}")
    result = []
    for name, weight in zip(names, weights):
        image = _checked_image(inputs, name, f"style image '{name}'")
        result.append(styles.StyleImage(pipeline.style_display(image), float(weight)))
    if sum(style.weight for style in result) <= 0:
        raise JobInputError("the style weights add up to zero: give at least one style a positive weight")
    return result


def _schedule(params):
    if params["preset"] == INSTANT:  # no optimisation: the schedule is never used
        return multiscale.PRESETS["fast"]
    schedule = multiscale.PRESETS[params["preset"]]
    steps = params["steps"]
    if steps is not None:  # the coarsest pass gets `steps`; finer ones keep the preset's proportions
        ratio = steps / schedule.coarse_evaluations
        schedule = multiscale.Schedule(schedule.coarse_side, steps,
                                       max(1, round(schedule.middle_evaluations * ratio)),
                                       max(1, round(schedule.fine_evaluations * ratio)))
    return schedule


def _layer_weights(params):
    value = params["layer_weights"]
    try:
        losses.normalised_layer_weights(value)
    except (ValueError, TypeError, AttributeError) as error:
        raise JobInputError(str(error)) from None
    return dict(value)


def _mask(params, inputs, height, width):
    source = params["mask_source"]
    feather = params["feather"]
    try:
        if source == "alpha":
            image = _checked_image(inputs, "mask", "alpha mask") if "mask" in inputs else \
                _checked_image(inputs, "content", "content image")
            mask = masks.from_alpha(image)
        elif "mask" not in inputs:
            return None
        elif source == "object_index":
            indices = params["mask_indices"] or []
            mask = masks.from_object_index(_checked_image(inputs, "mask", "Object Index pass"), indices)
        else:
            mask = masks.from_image(_checked_image(inputs, "mask", "mask"))
        mask = masks.fit_size(mask, height, width, nearest=source == "object_index")
    except masks.MaskError as error:
        raise JobInputError(str(error)) from None
    return masks.feather(mask, feather)


def build_request(params, inputs, height, width):
    style_list = _style_list(params, inputs, "style", "style_weights")
    if not style_list:
        raise JobInputError("no style image: give at least one (input 'style')")
    background = _style_list(params, inputs, "background_style", "background_style_weights") or None
    weights = pipeline.default_weights(
        strength=params["strength"], content=params["content_weight"], tv=params["tv_weight"],
        temporal=params["temporal_weight"] or 0.0, layer_weights=_layer_weights(params))
    settings = multiscale.Settings(
        weights=weights, schedule=_schedule(params), optimizer=params["optimizer"], init=params["init"],
        seed=params["seed"], max_pixels=params["max_pixels"])
    request = pipeline.Request(
        styles=style_list, background_styles=background, style_scale=params["style_scale"],
        settings=settings, preserve_colors=params["preserve_colors"], view=params["view_transform"],
        exposure=params["exposure"], keep_highlights=params["keep_highlights"],
        premultiplied=params["premultiplied"])
    request.mask = _mask(params, inputs, height, width)
    if background and request.mask is None:
        raise JobInputError("a background style needs a mask (the foreground) to tell the two apart")
    return request


def _resized_content(params, content):
    """``size``: the long side the user asked for (explicit; never applied silently)."""
    size = params["size"]
    if size is None or size == max(content.shape[:2]):
        return content
    import torch
    import torch.nn.functional as F
    height, width = content.shape[:2]
    factor = size / max(height, width)
    new = (max(1, round(height * factor)), max(1, round(width * factor)))
    tensor = torch.from_numpy(np.ascontiguousarray(content)).permute(2, 0, 1)[None]
    mode = "area" if factor < 1 else "bicubic"
    resized = F.interpolate(tensor, size=new, mode=mode, **({} if mode == "area" else {"align_corners": False}))
    return resized[0].permute(1, 2, 0).numpy().astype(np.float32)


def _network(context, params):
    """(network, backbone name, note), kept warm between jobs."""
    name, path, allow = params["backbone"], params["weights_path"], params["allow_download"]
    if path is not None and not os.path.isfile(path):
        raise JobInputError(f"no VGG19 weights file at {path}")
    if path is not None:  # a VGG19 file named by the user is used, whatever the default backbone
        if name == "vgg16_hed":
            raise JobInputError("a weights file is for the VGG19 backbone, not the HED VGG16")
        name = "vgg19"
    try:
        return context.models.get(("stylize.backbone", name, path or "", allow, str(context.device)),
                                  lambda: backbone.load(context.device, name, path, allow))
    except backbone.ModelFileError as error:
        raise JobInputError(str(error)) from None


def _instant_style(context, params, request, content):
    """The feed-forward networks (kept warm between jobs) with this request's style vectors."""
    from ..model_store import ModelFileError
    from .instant import frame as instant_frame
    from .instant import weights as instant_weights
    try:
        networks = context.models.get(("stylize.instant", str(context.device)),
                                      lambda: instant_weights.load(context.device))
    except ModelFileError as error:
        raise JobInputError(str(error)) from None
    _, _, _, network_input = pipeline.prepare(content, request)
    return instant_frame.InstantStyle(networks, request, params["strength"], network_input)


def _instant_start(context, params, request, content):
    """The Instant result (display-referred) the optimisation starts from with init 'instant'."""
    context.progress(0.0, "instant style: the starting image")
    return _instant_style(context, params, request, content).stylize(content)[1]


# -- jobs -----------------------------------------------------------------------------------------
def _check_big_enough(image, what="content image"):
    height, width = image.shape[:2]
    if min(height, width) < spec.MIN_SIDE:
        raise JobInputError(f"the {what} is {width}x{height} px; stylize needs at least {spec.MIN_SIDE} px a side "
                            "(the network sees it at 1/16)")


@job(spec.IMAGE)
def stylize_image(context, params, inputs):
    content = _resized_content(params, _checked_image(inputs, "content", "content image"))
    _check_big_enough(content)
    height, width = content.shape[:2]
    request = build_request(params, inputs, height, width)
    if params["preset"] == INSTANT:
        started = time.monotonic()
        context.progress(0.0, "instant style: loading the networks")
        style = _instant_style(context, params, request, content)
        result, _ = style.stylize(content, context.stage(0.0, 1.0, "instant style: "))
        context.progress(1.0, f"stylized {width}x{height} px in Instant mode in {time.monotonic() - started:.1f} s")
        return {"result": result}
    context.progress(0.0, "loading the network")
    network, used, note = _network(context, params)
    previous = None
    if request.settings.init == "previous":
        earlier = _checked_image(inputs, "previous", "previous result")
        if earlier.shape[:2] != (height, width):
            raise JobInputError(f"the previous result is {earlier.shape[1]}x{earlier.shape[0]} px, the content "
                                f"{width}x{height} px")
        previous = _previous_display(earlier, request)
    start = None
    if request.settings.init == INSTANT:  # the coarsest scale starts from the feed-forward result
        start = _instant_start(context, params, request, content)
    started = time.monotonic()
    result, _, _ = pipeline.stylize(network, content, request, context.stage(0.0, 1.0, f"{used}: "), previous,
                                    start=start)
    context.progress(1.0, f"stylized {width}x{height} px with {used} in {time.monotonic() - started:.1f} s"
                     + (f" ({note})" if note else ""))
    return {"result": result}


def _previous_display(image, request, confidence=None):
    """A previous stylized result (linear) as the display-referred start and its confidence."""
    import torch
    _, _, display, _ = pipeline.prepare(image, request)
    if confidence is None:
        confidence = torch.ones_like(display[:, :1])
    return display, confidence


def _temporal_inputs(request, vector, previous_result, previous_vector):
    height, width = vector.shape[:2]
    to_previous = temporal.offsets_to_previous(vector)
    back = temporal.offsets_to_next(previous_vector) if previous_vector is not None else None
    confidence = temporal.confidence(to_previous, back)
    display, _ = _previous_display(previous_result, request)
    warped, _ = temporal.warp(display, to_previous)
    return warped, confidence


@job(spec.FRAME)
def stylize_frame(context, params, inputs):
    content = _checked_image(inputs, "content", "content image")
    _check_big_enough(content)
    height, width = content.shape[:2]
    request = build_request(params, inputs, height, width)
    if params["temporal_weight"] is None:
        request.settings.weights.temporal = spec.DEFAULT_TEMPORAL_WEIGHT
    previous = None
    if "previous_result" in inputs:
        vector = _checked_image(inputs, "vector", "Vector pass")
        earlier = _checked_image(inputs, "previous_result", "previous result")
        previous_vector = _checked_image(inputs, "previous_vector", "previous Vector pass") \
            if "previous_vector" in inputs else None
        for image, what in ((vector, "Vector pass"), (earlier, "previous result"), (previous_vector, "previous Vector pass")):
            if image is not None and image.shape[:2] != (height, width):
                raise JobInputError(f"the {what} is {image.shape[1]}x{image.shape[0]} px, the frame {width}x{height} px")
        if vector.shape[2] != 4 or (previous_vector is not None and previous_vector.shape[2] != 4):
            raise JobInputError("a Vector pass has 4 channels (to previous xy, to next zw)")
        previous = _temporal_inputs(request, vector, earlier, previous_vector)
    if params["preset"] == INSTANT:
        style = _instant_style(context, params, request, content)
        result, _ = style.stylize(content, context.stage(0.0, 1.0, "instant style: "), previous,
                                  params["temporal_blend"])
    else:
        context.progress(0.0, "loading the network")
        network, used, _ = _network(context, params)
        start = None
        if previous is None and request.settings.init == INSTANT:
            start = _instant_start(context, params, request, content)
        result, _, _ = pipeline.stylize(network, content, request, context.stage(0.0, 1.0, f"{used}: "), previous,
                                        start=start)
    confidence = np.ones((height, width, 1), np.float32) if previous is None else \
        previous[1][0].permute(1, 2, 0).numpy()
    context.progress(1.0, f"stylized frame {width}x{height} px")
    return {"result": result, "confidence": np.ascontiguousarray(confidence)}


def _read(path, layer, what):
    from ..imageio.errors import ImageFileError
    from ..imageio.exr import read_exr_part
    from ..imageio.files import read_image
    try:
        return read_image(path, layer=layer) if layer else read_image(path)
    except ImageFileError as error:
        found = read_exr_part(path, layer) if layer else None
        if found is None:
            raise JobInputError(f"{what}: {error}") from None
        return found


def _first_to_compute(outputs, warmup, skip_existing):
    """Index of the first frame this run must stylize, or None when every kept frame is already done.
    Warm-up frames are only stylized when the first kept frame itself needs doing."""
    todo = [index for index in range(warmup, len(outputs))
            if not (skip_existing and complete_output(outputs[index]))]
    if not todo:
        return None, set()
    return (0 if todo[0] == warmup else todo[0]), set(todo)


@job(spec.SEQUENCE)
def stylize_sequence(context, params, inputs):
    """Frames in order, each held to the previous stylized frame. With ``warmup`` the first frames are
    history only; with ``skip_existing`` finished outputs stay and, where the run resumes after one, the
    file itself is the history (an EXR output round-trips bit-exactly, so a resumed chunk continues
    exactly as an uninterrupted one would)."""
    from ..imageio.files import write_image

    frames = params["frames"]
    if not isinstance(frames, list) or not frames or not all(isinstance(frame, dict) for frame in frames):
        raise JobInputError("frames must be a non-empty list of {'content': path, 'vector': path}")
    pattern = params["output_pattern"]
    numbers = params["frame_numbers"] or list(range(1, len(frames) + 1))
    if len(numbers) != len(frames):
        raise JobInputError("frame_numbers needs one number per frame")
    warmup = params["warmup"]
    if warmup >= len(frames):
        raise JobInputError(f"warmup ({warmup}) must leave at least one of the {len(frames)} frames to write")
    use_temporal = params["temporal"]
    os.makedirs(os.path.dirname(os.path.abspath(pattern)), exist_ok=True)
    outputs = [frame_path(pattern, number) for number in numbers]
    begin, todo = _first_to_compute(outputs, warmup, params["skip_existing"])
    if begin is None:
        context.progress(1.0, f"all {len(frames) - warmup} frames were already written")
        return {"last": _read(outputs[-1], None, f"frame {numbers[-1]}")}

    def vector_of(index):
        frame = frames[index]
        if not frame.get("vector") and not frame.get("vector_layer"):
            raise JobInputError(f"frame {numbers[index]} has no Vector pass: enable the view layer's Vector pass "
                                "(Properties > View Layer > Passes > Data > Vector) or turn temporal off")
        vector = _read(frame.get("vector") or frame["content"], frame.get("vector_layer"),
                       f"Vector pass of frame {numbers[index]}")
        if vector.shape[:2] != (height_0, width_0) or vector.shape[2] != 4:
            raise JobInputError(f"the Vector pass of frame {numbers[index]} must be {width_0}x{height_0} px "
                                "with 4 channels")
        return vector

    network, used, request, targets, instant = None, None, None, None, None
    previous_result, previous_vector, last = None, None, None
    previous_on_disk = begin > 0 and begin >= warmup  # resuming after a finished frame: its file is the past
    computed = 0
    span = len(frames) - begin
    for index in range(begin, len(frames)):
        number = numbers[index]
        if index >= warmup and index not in todo:  # finished by an earlier run: the next frame reads it
            previous_on_disk, last = True, None
            continue
        content = _read(frames[index].get("content", ""), frames[index].get("layer"), f"frame {number}")
        height, width = content.shape[:2]
        if request is None:
            height_0, width_0 = height, width
            request = build_request(params, inputs, height, width)
            if use_temporal and params["temporal_weight"] is None:
                request.settings.weights.temporal = spec.DEFAULT_TEMPORAL_WEIGHT
            context.progress(0.0, "loading the network")
            if params["preset"] == INSTANT:
                used = "Instant mode"
                instant = _instant_style(context, params, request, content)
            else:
                network, used, _ = _network(context, params)
                _, _, _, network_input = pipeline.prepare(content, request)
                targets = pipeline.TargetCache(network, request, network_input)
        elif content.shape[:2] != (height_0, width_0):
            raise JobInputError(f"frame {number} is {width}x{height} px, the first frame {width_0}x{height_0} px")
        vector = vector_of(index) if use_temporal else None
        if use_temporal and previous_on_disk:
            previous_result = _read(outputs[index - 1], None, f"the finished frame {numbers[index - 1]}")
            previous_vector = vector_of(index - 1)
        previous_on_disk = False
        previous = None
        if use_temporal and previous_result is not None:
            previous = _temporal_inputs(request, vector, previous_result, previous_vector)
        kind = "warm-up " if index < warmup else ""
        report = context.stage(computed / span, 1.0 / span, f"{kind}frame {number} ({index - begin + 1}/{span}): ")
        if params["preset"] == INSTANT:
            result, _ = instant.stylize(content, report, previous, params["temporal_blend"])
        else:
            start = None
            if previous is None and request.settings.init == INSTANT:  # no earlier frame to start from
                start = _instant_start(context, params, request, content)
            result, _, _ = pipeline.stylize(network, content, request, report, previous, targets, start=start)
        if index >= warmup:
            write_image(outputs[index], result)
        computed += 1
        previous_result, previous_vector, last = result, vector, result
    if last is None:  # the last frames were finished before
        last = _read(outputs[-1], None, f"frame {numbers[-1]}")
    written = len(todo)
    context.progress(1.0, f"stylized {written} frame(s) with {used}"
                          + (f" after {warmup} warm-up frame(s)" if begin < warmup else ""))
    return {"last": last}
