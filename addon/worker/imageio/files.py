"""Any supported image file in and out under the colour contract, chosen by file extension.

EXR is scene-linear and passes through; PNG/JPEG/TIFF are sRGB-encoded: decoded to linear on read,
encoded on write (alpha is never transformed). ``data=True`` is for maps that hold numbers, not
colour (normal, height and roughness maps: Blender's Non-Color): their values pass through unchanged.
"""

import os

import numpy as np

from . import colour, exr
from .atomic import write_atomically
from .errors import ImageFileError

EXR = (".exr",)
DISPLAY = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


def _extension(path):
    return os.path.splitext(str(path))[1].lower()


def read_image(path, layer=None, data=False):
    if os.path.isdir(path):
        raise ImageFileError(f"cannot read '{path}': it is a folder, not an image file")
    extension = _extension(path)
    if extension in EXR:
        return exr.read_exr(path, layer=layer)
    if extension not in DISPLAY:
        raise ImageFileError(f"cannot read '{path}': unsupported file type '{extension or '(none)'}'")
    return _read_display(str(path), data)


def _read_display(path, data=False):
    from PIL import Image, UnidentifiedImageError
    if not os.path.isfile(path):
        raise ImageFileError(f"cannot read '{path}': no such file")
    import warnings
    # Our limit (below) is checked on the header before decoding; Pillow's bomb check would fire
    # first with its own error for the largest sizes.
    Image.MAX_IMAGE_PIXELS = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's chatter; our own size check speaks instead
            with Image.open(path) as opened:
                width, height = opened.size  # from the header: nothing decoded yet
                if not (0 < width <= exr.MAX_SIDE and 0 < height <= exr.MAX_SIDE):
                    raise ImageFileError(f"cannot read '{path}': {width}x{height} is outside the supported "
                                         f"size (at most {exr.MAX_SIDE} px per side)")
                opened.load()
                pixels, scale = _as_array(opened)
    except ImageFileError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ImageFileError(f"cannot read '{path}': not a readable image (corrupt or truncated)") from None
    if pixels.size == 0:
        raise ImageFileError(f"cannot read '{path}': the image is empty")
    if pixels.dtype.kind == "i" and (pixels < 0).any():
        raise ImageFileError(f"cannot read '{path}': it has negative integer pixels, which no image "
                             "encoding means")
    image = pixels.astype(np.float32) / scale
    if image.ndim == 2:
        image = image[:, :, None]
    colour_channels = 3 if image.shape[2] >= 3 else 1
    with np.errstate(over="ignore", invalid="ignore"):  # huge float TIFF values: refused just below
        if not data:
            image[:, :, :colour_channels] = colour.srgb_to_linear(image[:, :, :colour_channels])
    if not np.isfinite(image).all():  # float TIFFs: the same refusal as EXR, after decoding
        raise ImageFileError(f"cannot read '{path}': it contains NaN, infinite or out-of-range pixels")
    return image


def _as_array(opened):
    """(pixels, full-scale value) keeping 16-bit precision where the file has it."""
    if opened.mode in ("I;16", "I;16B", "I;16L", "I"):
        return np.asarray(opened, dtype=np.int32 if opened.mode == "I" else np.uint16), 65535.0
    if opened.mode == "F":
        return np.asarray(opened, dtype=np.float32), 1.0
    if opened.mode not in ("L", "LA", "RGB", "RGBA"):
        opened = opened.convert("RGBA" if "A" in opened.getbands() or "transparency" in opened.info
                                else "RGB")
    return np.asarray(opened), 255.0


def write_image(path, array, bits=None, data=False):
    """Write a top-first linear (H, W, C) array; the extension picks the format, atomically. PNG
    takes ``bits`` 8 or 16 (16-bit colour PNGs are written by our own encoder, png16.py)."""
    extension = _extension(path)
    if extension in EXR:
        exr.write_exr(path, array)
        return
    if extension not in DISPLAY:
        raise ImageFileError(f"cannot write '{path}': unsupported file type '{extension or '(none)'}'")
    array = np.asarray(array, dtype=np.float32)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4) or 0 in array.shape:
        raise ImageFileError(f"cannot write '{path}': image of shape {array.shape} is not (H, W, 1|3|4)")
    bits = bits or (16 if extension in (".tif", ".tiff") else 8)
    if extension in (".jpg", ".jpeg"):
        array, bits = array[:, :, :3] if array.shape[2] >= 3 else array, 8
    encoded = np.array(array, dtype=np.float32)
    colour_channels = 3 if encoded.shape[2] >= 3 else 1
    if not data:
        encoded[:, :, :colour_channels] = colour.linear_to_srgb(np.clip(encoded[:, :, :colour_channels], 0, 1))
    encoded = np.clip(np.nan_to_num(encoded), 0.0, 1.0)
    write_atomically(str(path), lambda temporary: _save_display(temporary, encoded, bits))


def _save_display(path, encoded, bits):
    from PIL import Image
    if bits == 16 and encoded.shape[2] == 1:
        Image.fromarray((encoded[:, :, 0] * 65535 + 0.5).astype(np.uint16)).save(path)
        return
    if bits == 16 and _extension(path) == ".png":
        from .png16 import write_png16
        write_png16(path, (encoded * 65535 + 0.5).astype(np.uint16))
        return
    # Pillow writes 16-bit samples only for single-channel images: other colour output is 8-bit.
    data = (encoded * 255 + 0.5).astype(np.uint8)
    mode = {1: "L", 3: "RGB", 4: "RGBA"}[data.shape[2]]
    Image.fromarray(data[:, :, 0] if mode == "L" else data, mode).save(path)
