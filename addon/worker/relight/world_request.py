"""The world a relighting job is asked for, read from its parameters: the image (an input, a file or a
plain colour), the Background strength, the Mapping node and a Z rotation, per-frame overrides for
animations, and where the frames go. ``relight.apply`` and ``relight_image.apply`` declare these
parameters once (``protocol/specs/relight.py``) and read them here, so both read a world the same way.
"""

import math
import os

import numpy as np

from ...protocol.specs import ParamError
from ...protocol.specs import relight as spec
from ..imageio.errors import ImageFileError
from ..imageio.files import DISPLAY, EXR, read_image
from ..jobs import JobInputError
from .weights import Environment, Mapping


def environment(params, inputs, prefix="", required=True):
    """The world named by ``params``' ``{prefix}world``/``colour``/``strength``/``mapping``/``rotation_deg``
    (or the input ``{prefix}environment``). Relight Image's known source world is the same declaration
    with the prefix ``source_``; it is optional (None when not given), the world to light with is not."""
    strength = params[prefix + "strength"]
    mapping = mapping_of(params[prefix + "mapping"] or {})
    if params[prefix + "rotation_deg"] is not None:
        z = math.radians(params[prefix + "rotation_deg"])
        mapping = Mapping(mapping.kind, mapping.location, (mapping.rotation[0], mapping.rotation[1], z),
                          mapping.scale)
    what = prefix.replace("_", " ") + "world"
    if prefix + "environment" in inputs:
        image = inputs[prefix + "environment"]
    elif params[prefix + "world"]:
        try:
            image = read_image(params[prefix + "world"])
        except ImageFileError as error:
            raise JobInputError(f"the {what}: {error}") from None
    elif params[prefix + "colour"] is not None:
        return Environment(None, vector(params[prefix + "colour"], prefix + "colour"), strength, mapping)
    elif not required:
        return None
    else:
        raise JobInputError(f"give the {what}: an '{prefix}environment' image input, a '{prefix}world' image "
                            f"path or a plain background '{prefix}colour'")
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4) or image.shape[0] < 2 or image.shape[1] < 2:
        raise JobInputError(f"the {what}'s environment must be an (H, W, 1|3|4) image, got shape {image.shape}")
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    if abs(image.shape[1] - 2 * image.shape[0]) > 1:
        raise JobInputError(f"the {what} is {image.shape[1]}x{image.shape[0]}: an equirectangular "
                            "map is twice as wide as high")
    return Environment(image[:, :, :3], (0.0, 0.0, 0.0), strength, mapping)


def frame_environments(params, environment):
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
            mapping = Mapping(mapping.kind, mapping.location, vector(frame["rotation"], f"frames[{index}].rotation"),
                              mapping.scale)
        strength = environment.strength
        if frame.get("strength") is not None:
            try:
                strength = spec.APPLY["strength"].check(frame["strength"], f"frames[{index}].strength")
            except ParamError as error:
                raise JobInputError(str(error)) from None
        out.append(Environment(environment.image, environment.colour, strength, mapping))
    return out


def output(params, frames):
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


def mapping_of(value):
    if not isinstance(value, dict) or set(value) - {"type", "location", "rotation", "scale"}:
        raise JobInputError("mapping must be {'type', 'location', 'rotation', 'scale'}")
    try:
        return Mapping(str(value.get("type", "POINT")).upper(), vector(value.get("location", (0, 0, 0)), "location"),
                       vector(value.get("rotation", (0, 0, 0)), "rotation"),
                       vector(value.get("scale", (1, 1, 1)), "scale"))
    except ValueError as error:
        raise JobInputError(str(error)) from None


def vector(value, name):
    try:
        vector = tuple(float(component) for component in value)
    except (TypeError, ValueError):
        raise JobInputError(f"{name} must be three numbers, got {value!r}") from None
    if len(vector) != 3 or not all(math.isfinite(component) for component in vector):
        raise JobInputError(f"{name} must be three finite numbers, got {value!r}")
    return vector
