"""Worker job ``relight.apply``: a light-stage set relit against an environment.

params
    ``set``       folder of the light set (lights.csv or lightgrid.json; see ``light_sets``)
    ``world``     path of an equirectangular environment image (EXR linear; PNG/TIFF/JPEG sRGB),
                  unless the input ``environment`` is given or ``colour`` [r, g, b] (plain background)
    ``strength``  Background strength (default 1)
    ``mapping``   the world's Mapping node {"type", "location", "rotation" (radians XYZ), "scale"}
    ``rotation_deg``  if given, replaces the mapping's Z rotation (turning the world about Z)
    ``frames``    optional list of per-frame overrides {"rotation": [x, y, z] radians, "strength": s}:
                  all frames are relit in one GEMM and returned as ``frame_0000``, ``frame_0001``...
    ``rank``      optional: relight through a rank-k factorisation of the set (interactive preview);
                  the progress message reports its relative error
    ``storage``   "float32" (default) or "float16" for the set held in memory
    ``memory_limit_mb``  a set larger than this is streamed from disk in chunks (default 4096)
inputs
    ``environment`` (optional) the equirectangular map, top row first, scene-linear
outputs
    ``relit`` (H, W, 4) -- or ``frame_NNNN`` for ``frames`` -- alpha taken from the set.
"""

import math
import time

import numpy as np
import torch

from ..imageio.errors import ImageFileError
from ..imageio.files import read_image
from ..job_params import number
from ..jobs import JobInputError, job
from . import engine, light_sets
from .weights import Environment, Mapping, light_weights

MAX_FRAMES = 10_000
DEFAULT_MEMORY_LIMIT_MB = 4096
_CACHE_KEY = "relight"


@job("relight.apply")
def apply(context, params, inputs):
    context.progress(0.0, "reading the light set")
    light_set = _light_set(params)
    environment = _environment(params, inputs)
    frames = _frame_environments(params, environment)
    storage = _storage(params)
    rank = params.get("rank")
    weights = []
    last = time.monotonic()
    for index, frame_environment in enumerate(frames):
        weights.append(light_weights(frame_environment, light_set.directions))
        if time.monotonic() - last > 0.3:
            context.progress(0.1 * (index + 1) / len(frames), f"weights for frame {index + 1} of {len(frames)}")
            last = time.monotonic()
    weights = np.stack(weights)
    limit = number(params, "memory_limit_mb", DEFAULT_MEMORY_LIMIT_MB, 0.001, 1 << 24) * 2 ** 20
    itemsize = 2 if storage == torch.float16 else 4
    if light_set.bytes_needed(itemsize) > limit:
        if rank is not None:
            raise JobInputError(f"the set needs {light_set.bytes_needed(itemsize) / 2**20:.0f} MB, more than "
                                f"memory_limit_mb: a low-rank preview needs it in memory")
        lights_per_chunk = max(1, int(limit // 4 // (light_set.pixels * 3 * itemsize)))
        relit = engine.relight_streaming(
            light_set, weights, context.device, lights_per_chunk,
            np.float16 if storage == torch.float16 else np.float32,
            progress=lambda fraction, message: context.progress(0.1 + 0.9 * fraction, message))
    else:
        loaded = _loaded_set(context, light_set, storage)
        if rank is not None:
            preview = _low_rank(context, loaded, light_set, storage, rank)
            context.progress(0.95, f"rank {preview.rank} preview: relative error of the set "
                                   f"{preview.relative_error():.4f}")
            relit = preview.relight(weights)
        else:
            context.progress(0.9, f"relighting {len(frames)} frame(s)")
            relit = engine.relight(loaded, weights)
    context.progress(1.0, "done")
    if "frames" in params:
        return {f"frame_{index:04d}": frame for index, frame in enumerate(relit)}
    return {"relit": relit[0]}


def _light_set(params):
    folder = params.get("set")
    if not isinstance(folder, str) or not folder:
        raise JobInputError("set is required: the folder of a light-stage set (with lights.csv or "
                            "lightgrid.json)")
    try:
        return light_sets.load_light_set(folder)
    except light_sets.LightSetError as error:
        raise JobInputError(str(error)) from None


def _environment(params, inputs):
    strength = number(params, "strength", 1.0, 0.0, 1e9)
    mapping = _mapping(params.get("mapping") or {})
    if params.get("rotation_deg") is not None:
        z = math.radians(number(params, "rotation_deg", 0.0, -1e6, 1e6))
        mapping = Mapping(mapping.kind, mapping.location, (mapping.rotation[0], mapping.rotation[1], z),
                          mapping.scale)
    if "environment" in inputs:
        image = inputs["environment"]
    elif params.get("world"):
        try:
            image = read_image(params["world"])
        except ImageFileError as error:
            raise JobInputError(str(error)) from None
    elif params.get("colour") is not None:
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
    frames = params.get("frames")
    if frames is None:
        return [environment]
    if not isinstance(frames, list) or not 1 <= len(frames) <= MAX_FRAMES:
        raise JobInputError(f"frames must be a list of 1 to {MAX_FRAMES} per-frame settings")
    out = []
    for index, frame in enumerate(frames):
        if not isinstance(frame, dict) or set(frame) - {"rotation", "strength"}:
            raise JobInputError(f"frames[{index}] must be {{'rotation': [x, y, z], 'strength': s}}")
        mapping = environment.mapping
        if "rotation" in frame:
            mapping = Mapping(mapping.kind, mapping.location, _vector(frame["rotation"], f"frames[{index}].rotation"),
                              mapping.scale)
        strength = number(frame, "strength", environment.strength, 0.0, 1e9)
        out.append(Environment(environment.image, environment.colour, strength, mapping))
    return out


def _mapping(spec):
    if not isinstance(spec, dict) or set(spec) - {"type", "location", "rotation", "scale"}:
        raise JobInputError("mapping must be {'type', 'location', 'rotation', 'scale'}")
    try:
        return Mapping(str(spec.get("type", "POINT")).upper(), _vector(spec.get("location", (0, 0, 0)), "location"),
                       _vector(spec.get("rotation", (0, 0, 0)), "rotation"),
                       _vector(spec.get("scale", (1, 1, 1)), "scale"))
    except ValueError as error:
        raise JobInputError(str(error)) from None


def _storage(params):
    name = params.get("storage", "float32")
    if name not in ("float32", "float16"):
        raise JobInputError(f"storage must be 'float32' or 'float16', got {name!r}")
    return torch.float16 if name == "float16" else torch.float32


def _loaded_set(context, light_set, storage):
    """The set's pixels on the device, kept in ``context.cache`` while its files do not change."""
    key = (light_set.signature(), str(context.device), str(storage))
    cached = context.cache.get(_CACHE_KEY)
    if cached is not None and cached["key"] == key:
        return cached["loaded"]
    context.cache.pop(_CACHE_KEY, None)  # free the previous set before reading the next
    try:
        loaded = engine.load_set(light_set, context.device, storage,
                                 progress=lambda fraction, message: context.progress(0.1 + 0.7 * fraction, message),
                                 lights_per_chunk=max(1, (1 << 22) // light_set.pixels))  # progress often
    except light_sets.LightSetError as error:
        raise JobInputError(str(error)) from None
    context.cache[_CACHE_KEY] = {"key": key, "loaded": loaded, "low_rank": {}}
    return loaded


def _low_rank(context, loaded, light_set, storage, rank):
    if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= light_set.count:
        raise JobInputError(f"rank must be a whole number from 1 to {light_set.count}, got {rank!r}")
    factorisations = context.cache[_CACHE_KEY]["low_rank"]
    if rank not in factorisations:
        context.progress(0.85, f"factorising the set to rank {rank}")
        factorisations[rank] = engine.LowRankSet(loaded, rank)
    return factorisations[rank]


def _vector(value, name):
    try:
        vector = tuple(float(component) for component in value)
    except (TypeError, ValueError):
        raise JobInputError(f"{name} must be three numbers, got {value!r}") from None
    if len(vector) != 3 or not all(math.isfinite(component) for component in vector):
        raise JobInputError(f"{name} must be three finite numbers, got {value!r}")
    return vector
