"""Worker job ``relight.apply``: a light-stage set relit against an environment.

Its parameters, inputs and outputs are declared in ``protocol/specs/relight.py``; the job receives its
parameters checked against that spec, defaults filled in. What the spec cannot say is checked here:
the structure of ``mapping`` and ``frames``, the rank against the set's size, the environment image.

Animation frames (``frames``) are relit in blocks of GEMMs (below) and returned as ``frame_0000``, ``frame_0001``...,
or, with ``output_pattern``, each written (atomically) to ``frame_path(pattern, number)`` as soon as
it is relit and only ``last`` returned: frames leave memory as they are done, in blocks of at most
``FRAME_BLOCK`` frames and ``FRAME_BATCH_BYTES``, and a crash keeps the finished ones. (A set streamed
from disk is the exception: all frames accumulate over one pass through its files, then are written.)

Written frames are bit-identical however a shot is cut into jobs (a farm's chunks): BLAS picks its
kernels by the matrix shapes, so a frame relit among 5 others can differ in the last bit from the same
frame relit among 12. Each block therefore has the same shape whatever the job -- FRAME_BLOCK rows, the
frames whose number // FRAME_BLOCK is the block's, at row number % FRAME_BLOCK, the other rows zero.
(Streamed sets are exact to float rounding, not bit-identical across cuts.)
"""

import math
import os

import numpy as np
import torch

from ...protocol.frame_paths import frame_path
from ...protocol.specs import ParamError
from ...protocol.specs import relight as spec
from ..imageio.errors import ImageFileError
from ..imageio.files import DISPLAY, EXR, read_image, write_image
from ..jobs import JobInputError, job
from . import engine, light_sets
from .weights import Environment, Mapping, light_weights

# Frames relit at once when they are written to files: their pixels (float32 RGBA out, RGB in the
# GEMM) stay under this, so a long 1080p animation never holds more than a few frames.
FRAME_BATCH_BYTES = 1 << 28
FRAME_BLOCK = 16  # rows of every GEMM that writes frames (see above): cheap padding, the set read once per block


@job(spec.APPLY)
def apply(context, params, inputs):
    context.progress(0.0, "reading the light set")
    light_set = _light_set(params)
    rank = params["rank"]
    if rank is not None and rank > light_set.count:
        raise JobInputError(f"rank must be a whole number from 1 to {light_set.count} (the set's lights), "
                            f"got {rank}")
    storage = torch.float16 if params["storage"] == "float16" else torch.float32
    limit = params["memory_limit_mb"] * 2 ** 20
    itemsize = 2 if storage == torch.float16 else 4
    streaming = light_set.bytes_needed(itemsize) > limit
    if streaming and rank is not None:
        raise JobInputError(f"the set needs {light_set.bytes_needed(itemsize) / 2**20:.0f} MB, more than "
                            f"memory_limit_mb: a low-rank preview needs it in memory")
    environment = _environment(params, inputs)
    frames = _frame_environments(params, environment)
    output = _output(params, frames)  # last: it creates the output folder
    report = context.stage(0.0, 0.1)
    weights = []
    for index, frame_environment in enumerate(frames):
        weights.append(light_weights(frame_environment, light_set.directions))
        report((index + 1) / len(frames), f"weights for frame {index + 1} of {len(frames)}")
    weights = np.stack(weights)
    if streaming:
        lights_per_chunk = max(1, int(limit // 4 // (light_set.pixels * 3 * itemsize)))
        try:
            streamed = engine.relight_streaming(
                light_set, weights, context.device, lights_per_chunk,
                np.float16 if storage == torch.float16 else np.float32,
                progress=context.stage(0.1, 0.8 if output else 0.9))
        except light_sets.LightSetError as error:  # a light image unreadable half-way through
            raise JobInputError(str(error)) from None
        relight, batch = (lambda batch_weights: streamed), None  # noqa: E731 (one pass, no blocks)
    else:
        resident = _resident_set(context, light_set, storage)
        if rank is not None:
            preview = _low_rank(context, resident, rank)
            context.progress(0.85, f"rank {preview.rank} preview: relative error of the set "
                                   f"{preview.relative_error():.4f}")
            relight = preview.relight
        else:
            context.progress(0.9, f"relighting {len(frames)} frame(s)")
            relight = lambda batch_weights: engine.relight(resident.loaded, batch_weights)  # noqa: E731
        # The block depends on the set's size only, so every job of a shot uses the same one.
        batch = min(FRAME_BLOCK, max(1, FRAME_BATCH_BYTES // (light_set.pixels * 7 * 4)))
    if output is None and params["frames"] is None:
        relit = relight(weights)
        context.progress(1.0, "done")
        return {"relit": relit[0]}
    if output is None:  # frames returned: relit in the same blocks as written frames, so they are the same
        numbers = list(range(len(frames)))
        returned = {f"frame_{position:04d}": frame
                    for position, frame in _relit_in_blocks(context, weights, numbers, relight, batch)}
        context.progress(1.0, "done")
        return returned
    return {"last": _write_frames(context, output, weights, relight, batch)}


def _blocks(numbers, block):
    """[(block index, [(position in numbers, row)])] in order: frame ``number`` goes to block
    number // block, row number % block."""
    grouped = {}
    for position, number in enumerate(numbers):
        grouped.setdefault(number // block, []).append((position, number % block))
    return sorted(grouped.items())


def _relit_in_blocks(context, weights, numbers, relight, block):
    """Yield (position in numbers, frame), block by block (all at once when ``block`` is None)."""
    if block is None:
        groups, rows = [(0, list(enumerate(range(len(numbers)))))], len(numbers)
    else:
        groups, rows = _blocks(numbers, block), block
    for _, members in groups:
        context.check_cancelled()
        block_weights = np.zeros((rows,) + weights.shape[1:], np.float32)
        for position, row in members:
            block_weights[row] = weights[position]
        relit = relight(block_weights)
        for position, row in members:
            yield position, relit[row]
        del relit


def _write_frames(context, output, weights, relight, block):
    """Relight the frames block by block and write each as soon as its block is done; the last."""
    pattern, numbers = output
    report = context.stage(0.9, 0.1)
    last = None
    for done, (position, frame) in enumerate(_relit_in_blocks(context, weights, numbers, relight, block), 1):
        try:
            write_image(frame_path(pattern, numbers[position]), frame)
        except (ImageFileError, OSError) as error:
            raise JobInputError(f"cannot write frame {numbers[position]}: {error}") from None
        last = frame
        report(done / len(numbers), f"relit and wrote {done} of {len(numbers)} frames")
    return last


def _output(params, frames):
    """(pattern, frame numbers) when the frames go to files, else None; refused before any work."""
    pattern, numbers = params["output_pattern"], params["frame_numbers"]
    if pattern is None:
        if numbers is not None:
            raise JobInputError("frame_numbers name the files of output_pattern: give output_pattern too")
        return None
    if params["frames"] is None:
        raise JobInputError("output_pattern is for animations: give frames too (a still comes back as 'relit')")
    numbers = list(numbers) if numbers is not None else list(range(len(frames)))
    if len(numbers) != len(frames):
        raise JobInputError(f"frame_numbers needs one number per frame ({len(frames)}), got {len(numbers)}")
    extension = os.path.splitext(pattern)[1].lower()
    if extension not in EXR + DISPLAY:
        raise JobInputError(f"output_pattern '{pattern}': unsupported image type '{extension or '(none)'}' "
                            f"(one of {', '.join(EXR + DISPLAY)})")
    folder = os.path.dirname(os.path.abspath(pattern))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise JobInputError(f"cannot create the output folder {folder}: {error}") from None
    return pattern, numbers


def _light_set(params):
    try:
        return light_sets.load_light_set(params["set"])
    except light_sets.LightSetError as error:
        raise JobInputError(str(error)) from None


def _environment(params, inputs):
    strength = params["strength"]
    mapping = _mapping(params["mapping"] or {})
    if params["rotation_deg"] is not None:
        z = math.radians(params["rotation_deg"])
        mapping = Mapping(mapping.kind, mapping.location, (mapping.rotation[0], mapping.rotation[1], z),
                          mapping.scale)
    if "environment" in inputs:
        image = inputs["environment"]
    elif params["world"]:
        try:
            image = read_image(params["world"])
        except ImageFileError as error:
            raise JobInputError(str(error)) from None
    elif params["colour"] is not None:
        return Environment(None, _vector(params["colour"], "colour"), strength, mapping)
    else:
        raise JobInputError("give the world: an 'environment' image input, a 'world' image path or a "
                            "plain background 'colour'")
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4) or image.shape[0] < 2 or image.shape[1] < 2:
        raise JobInputError(f"the environment must be an (H, W, 1|3|4) image, got shape {image.shape}")
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    if abs(image.shape[1] - 2 * image.shape[0]) > 1:
        raise JobInputError(f"the environment is {image.shape[1]}x{image.shape[0]}: an equirectangular "
                            "map is twice as wide as high")
    return Environment(image[:, :, :3], (0.0, 0.0, 0.0), strength, mapping)


def _frame_environments(params, environment):
    frames = params["frames"]
    if frames is None:
        return [environment]
    if not isinstance(frames, list) or not 1 <= len(frames) <= spec.MAX_FRAMES:
        raise JobInputError(f"frames must be a list of 1 to {spec.MAX_FRAMES} per-frame settings")
    out = []
    for index, frame in enumerate(frames):
        if not isinstance(frame, dict) or set(frame) - {"rotation", "strength"}:
            raise JobInputError(f"frames[{index}] must be {{'rotation': [x, y, z], 'strength': s}}")
        mapping = environment.mapping
        if "rotation" in frame:
            mapping = Mapping(mapping.kind, mapping.location, _vector(frame["rotation"], f"frames[{index}].rotation"),
                              mapping.scale)
        strength = environment.strength
        if frame.get("strength") is not None:
            try:
                strength = spec.APPLY["strength"].check(frame["strength"], f"frames[{index}].strength")
            except ParamError as error:
                raise JobInputError(str(error)) from None
        out.append(Environment(environment.image, environment.colour, strength, mapping))
    return out


def _mapping(value):
    if not isinstance(value, dict) or set(value) - {"type", "location", "rotation", "scale"}:
        raise JobInputError("mapping must be {'type', 'location', 'rotation', 'scale'}")
    try:
        return Mapping(str(value.get("type", "POINT")).upper(), _vector(value.get("location", (0, 0, 0)), "location"),
                       _vector(value.get("rotation", (0, 0, 0)), "rotation"),
                       _vector(value.get("scale", (1, 1, 1)), "scale"))
    except ValueError as error:
        raise JobInputError(str(error)) from None


class _Resident:
    """A set's pixels on the device and the low-rank factorisations made of them (by rank)."""

    def __init__(self, loaded):
        self.loaded = loaded
        self.low_rank = {}


def _resident_set(context, light_set, storage):
    """The set on the device, kept warm in ``context.models`` while its files do not change (the key
    holds every file's size and modification time); another set or device replaces it."""
    def load():
        try:
            return _Resident(engine.load_set(light_set, context.device, storage, progress=context.stage(0.1, 0.7),
                                             lights_per_chunk=max(1, (1 << 22) // light_set.pixels)))
        except light_sets.LightSetError as error:
            raise JobInputError(str(error)) from None

    return context.models.get(("relight.set", light_set.signature(), str(context.device), str(storage)), load)


def _low_rank(context, resident, rank):
    if rank not in resident.low_rank:
        context.progress(0.8, f"factorising the set to rank {rank}")
        resident.low_rank[rank] = engine.LowRankSet(resident.loaded, rank)
    return resident.low_rank[rank]


def _vector(value, name):
    try:
        vector = tuple(float(component) for component in value)
    except (TypeError, ValueError):
        raise JobInputError(f"{name} must be three numbers, got {value!r}") from None
    if len(vector) != 3 or not all(math.isfinite(component) for component in vector):
        raise JobInputError(f"{name} must be three finite numbers, got {value!r}")
    return vector
