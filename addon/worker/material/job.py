"""Worker jobs ``material.from_photo`` and ``material.normal_to_height``.

Parameters, inputs and outputs are declared in ``protocol/specs/material.py``. Bad input is refused
before any work with a message that says what to do: not an image, too small or too large, not
finite, a normal map given as a photo (and a photo given as a normal map).
"""

import numpy as np

from ...protocol import model_cards
from ...protocol.specs import material as spec
from ..imageio.colour import linear_to_srgb
from ..jobs import JobInputError, file_stamp, job
from . import checkpoint, core
from . import normals as normal_maps

MAX_PIXELS = 8192 * 8192
BUNDLED_PATH = model_cards.BUNDLED_MODELS["material_maps"]


def _image(inputs, name, what):
    if name not in inputs:
        raise JobInputError(f"{what} needs an input image named '{name}'")
    array = np.asarray(inputs[name], dtype=np.float32)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in (1, 2, 3, 4):
        raise JobInputError(f"{name}: expected an (H, W, 1|2|3|4) image, got shape {array.shape}")
    height, width = array.shape[:2]
    if min(height, width) < spec.MIN_SIDE:
        raise JobInputError(f"{name} is {width}x{height}: too small to read a surface from (at least "
                            f"{spec.MIN_SIDE} px a side)")
    if height * width > MAX_PIXELS:
        raise JobInputError(f"{name} is {width}x{height}: larger than the 8192x8192 this job handles; "
                            "scale it down or split it")
    if not np.isfinite(array).all():
        raise JobInputError(f"{name} contains NaN or infinite pixels")
    return array


def _model(context, params):
    path = params["weights_path"] or BUNDLED_PATH
    key = ("material", path, file_stamp(path), str(context.device))

    def load():
        try:
            model = checkpoint.generator_from_checkpoint(checkpoint.load_checkpoint(path))
        except checkpoint.CheckpointError as error:
            if path == BUNDLED_PATH:
                raise JobInputError(f"the bundled material-maps model is not installed ({error})") from None
            raise JobInputError(str(error)) from None
        import torch
        return model.to(context.device).to(memory_format=torch.channels_last)

    return context.models.get(key, load)


@job(spec.FROM_PHOTO)
def material_from_photo(context, params, inputs):
    context.progress(0.0, "reading the photo")
    photo = _image(inputs, "image", "material maps")
    display, notes = core.display_photo(photo, params["photo_is_encoded"])
    if core.looks_like_normal_map(display):
        raise JobInputError("this image looks like a normal map already, not a photo: use Normal to Height "
                            "(material.normal_to_height) to make its height map")
    model = _model(context, params)
    vectors, surface = core.predict_maps(model, display, params["tileable"], params["tile_size"],
                                         params["height_source"], context.device, context.stage(0.02, 0.96))
    note = f" ({'; '.join(notes)})" if notes else ""
    context.progress(1.0, f"made normal and height maps{note}")
    return {"normal": normal_maps.encode(vectors).astype(np.float32),
            "height": surface[..., None].astype(np.float32)}


@job(spec.NORMAL_TO_HEIGHT)
def material_normal_to_height(context, params, inputs):
    context.progress(0.0, "reading the normal map")
    encoded = _image(inputs, "normal", "normal to height")
    if encoded.shape[2] < 3:
        raise JobInputError("normal: a normal map has three channels (X, Y, Z as red, green, blue); this "
                            "image has fewer")
    if params["colour_tagged"]:
        encoded = linear_to_srgb(np.clip(encoded[..., :3], 0.0, 1.0))
    vectors = normal_maps.decode(np.clip(encoded[..., :3], 0.0, 1.0))
    length = np.linalg.norm(encoded[..., :3] * 2.0 - 1.0, axis=-1)
    if np.mean(np.abs(length - 1.0) < 0.15) < 0.6 or np.mean(vectors[..., 2] > 0) < 0.9:
        raise JobInputError("normal: this does not look like a tangent-space normal map (its pixels are not "
                            "unit vectors facing out of the surface); if it is a photo, use Make Material "
                            "from Photo; if it is a normal map, check it is read as Non-Color data")
    if params["green"] == "directx":
        vectors = normal_maps.flip_green(vectors)
    context.progress(0.2, "integrating (Frankot–Chellappa)")
    surface = core.integrate_normals(vectors, params["tileable"])
    curl = normal_maps.curl_ratio(vectors)
    other = normal_maps.curl_ratio(normal_maps.flip_green(vectors))
    note = ""
    if curl > 0.5 and other < 0.8 * curl:
        note = (f" — the map is far from integrable ({curl:.2f}) and would be much closer read the other way "
                f"({other:.2f}): its green channel is probably {'DirectX' if params['green'] == 'opengl' else 'OpenGL'}")
    context.progress(1.0, f"made a height map{note}")
    return {"height": core.unit_range(surface)[..., None].astype(np.float32),
            "curl": np.full((1, 1, 1), curl, np.float32)}


