"""OpenEXR reading and writing with the ``openexr`` package.

Reads RGB/RGBA/Y, half or float, any compression, and Blender's multi-layer files, whose channels
are named ``<view layer>.<pass>.<channel>`` (e.g. ``ViewLayer.Combined.R``, ``ViewLayer.Vector.X``).
"""

import os

import numpy as np

from ...protocol.exr_layers import ExrHeaderError, group_layers, layer_letters, pick_layer
from .atomic import write_atomically
from .errors import ImageFileError

MAX_SIDE = 16384
_COMPRESSIONS = ("NO", "ZIP", "ZIPS", "PIZ", "RLE", "PXR24", "B44", "B44A", "DWAA", "DWAB")


def _open(path, header_only=False):
    import OpenEXR
    if not os.path.isfile(path):
        raise ImageFileError(f"cannot read '{path}': no such file")
    if os.path.getsize(path) == 0:
        raise ImageFileError(f"cannot read '{path}': the file is empty")
    try:
        return OpenEXR.File(str(path), separate_channels=True, header_only=header_only)
    except Exception:
        raise ImageFileError(f"cannot read '{path}': not a readable OpenEXR file (corrupt or truncated)") \
            from None


def _channels_of_every_part(exr_file):
    """{full channel name: channel} over all parts. Blender 5.0 writes a multilayer render as one part
    per pass (``ViewLayer.Vector`` holding ``ViewLayer.Vector.X`` ...), so part 0 alone has only Combined;
    a part's bare channel names (R, G, ...) are prefixed with the part's name when there are several."""
    parts = exr_file.parts
    if len(parts) == 1:
        return exr_file.channels()
    merged = {}
    for part in parts:
        for name, channel in part.channels.items():
            merged.setdefault(name if "." in name else f"{part.name()}.{name}", channel)
    return merged


def list_layers(path):
    with _open(path) as exr_file:
        return sorted(group_layers(_channels_of_every_part(exr_file)))


def _pick_layer(path, layers, layer):
    try:
        return pick_layer(layers, layer)
    except ExrHeaderError as error:
        raise ImageFileError(f"cannot read '{path}': {error}") from None


def read_exr(path, layer=None, allow_nonfinite=False):
    """(H, W, C) float32, top row first. Non-finite pixels are refused unless ``allow_nonfinite``,
    in which case NaN becomes 0 and ±Inf the largest half value (what an EXR pipeline can carry)."""
    path = str(path)
    # The header alone first: an absurd data window is refused before any pixel is allocated.
    with _open(path, header_only=True) as exr_file:
        try:
            (x_min, y_min), (x_max, y_max) = exr_file.header()["dataWindow"]
        except Exception:
            raise ImageFileError(f"cannot read '{path}': corrupt or truncated header") from None
    width, height = int(x_max - x_min + 1), int(y_max - y_min + 1)
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise ImageFileError(f"cannot read '{path}': {width}x{height} is outside the supported "
                             f"size (at most {MAX_SIDE} per side)")
    with _open(path) as exr_file:
        try:
            channels = _channels_of_every_part(exr_file)
            layers = group_layers(channels)
        except Exception:
            raise ImageFileError(f"cannot read '{path}': corrupt or truncated pixel data") from None
        chosen = layers[_pick_layer(path, layers, layer)]
        if {"RY", "BY"} & set(chosen):  # reading Y alone would silently drop the colour
            raise ImageFileError(f"cannot read '{path}': it stores luminance and chroma (Y, RY, BY), which is "
                                 "not supported; save it with RGB channels")
        if len({channels[name].pixels.shape for name in chosen.values()}) > 1:
            raise ImageFileError(f"cannot read '{path}': its channels have different resolutions (subsampled "
                                 "channels are not supported; convert it to full-resolution channels)")
        letters = layer_letters(chosen, explicit=bool(layer))
        planes = [np.asarray(channels[chosen[letter]].pixels, dtype=np.float32) for letter in letters]
    image = np.stack(planes, axis=-1) if len(planes) > 1 else planes[0][:, :, None]
    if not np.isfinite(image).all():
        if not allow_nonfinite:
            raise ImageFileError(f"cannot read '{path}': it contains NaN or infinite pixels")
        image = np.nan_to_num(image, nan=0.0, posinf=65504.0, neginf=-65504.0)
    return image


def write_exr(path, array, half=False, compression="ZIP"):
    """Write an (H, W, C) array (C = 1, 3 or 4, top row first) as OpenEXR, atomically."""
    import OpenEXR
    array = np.asarray(array, dtype=np.float32)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4) or 0 in array.shape:
        raise ImageFileError(f"cannot write '{path}': image of shape {array.shape} is not (H, W, 1|3|4)")
    if not np.isfinite(array).all():
        raise ImageFileError(f"cannot write '{path}': the image contains NaN or infinite pixels")
    if compression.upper() not in _COMPRESSIONS:
        raise ImageFileError(f"unknown EXR compression {compression!r}")
    names = {1: "Y", 3: "RGB", 4: "RGBA"}[array.shape[2]]
    dtype = np.float16 if half else np.float32
    channels = {name: np.ascontiguousarray(array[:, :, index].astype(dtype))
                for index, name in enumerate(names)}
    header = {"compression": getattr(OpenEXR, compression.upper() + "_COMPRESSION"),
              "type": OpenEXR.scanlineimage}

    def write_to(temporary):
        with OpenEXR.File(header, channels) as exr_file:
            exr_file.write(temporary)

    write_atomically(str(path), write_to)


def read_exr_part(path, layer):
    """A layer stored as its own *part* of a multi-part EXR, as Blender 5.0's compositor File Output node
    writes them (part 'Vector' with channels Vector.R/G/B/A); ``read_exr`` reads single-part files.
    None when the file has no such part or cannot be read (the caller reports its own error)."""
    try:
        import OpenEXR
        opened = OpenEXR.File(path, separate_channels=True)
    except Exception:
        return None
    for part in opened.parts:
        if part.name() != layer:
            continue
        channels = part.channels
        order = sorted(channels, key=lambda name: "RGBAXYZWV".find(name.rsplit(".", 1)[-1][:1]))
        return np.ascontiguousarray(np.stack([np.asarray(channels[name].pixels, np.float32) for name in order], -1))
    return None
