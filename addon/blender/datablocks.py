"""Image datablocks <-> float32 numpy arrays, without per-pixel Python.

Arrays here are (H, W, 4) float32 with the **bottom row first**, Blender's own order; the transport
flips where needed. Colour: arrays are scene-linear Rec.709 for colour data. Blender hands float
images to ``pixels`` already linear, but byte images as their *encoded* values (an 8-bit sRGB 128
reads as 0.502), so byte images in an sRGB-like colour space are linearised here. Data images
(Non-Color) pass through untouched.
"""

import os

import bpy
import numpy as np

LINEAR_COLORSPACE = "Linear Rec.709"
DATA_COLORSPACE = "Non-Color"
_SRGB_ENCODED = {"sRGB", "Rec.1886", "Display P3"}  # byte colour spaces decoded with the sRGB curve


class DatablockError(ValueError):
    """An image datablock cannot be used as asked; the message is for the user."""


def result_name(capability, source_name):
    """The predictable name of a capability's result for a source image: re-runs reuse it."""
    return f"NR {capability} {source_name}"


def srgb_to_linear(values):
    values = np.asarray(values, dtype=np.float32)
    return np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4).astype(np.float32)


def image_to_array(image, out=None):
    """Pixels of ``image`` as (H, W, 4) float32, bottom row first, scene-linear for colour images.

    ``out`` may be a preallocated float32 buffer of that shape (e.g. a shared-memory slot): the
    pixels are read straight into it.
    """
    width, height = image.size
    if width == 0 or height == 0 or (not image.has_data and not _load(image)):
        raise DatablockError(f"Image '{image.name}' has no pixels (missing file or empty image)")
    if out is None:
        out = np.empty((height, width, 4), dtype=np.float32)
    elif out.shape != (height, width, 4) or out.dtype != np.float32:
        raise DatablockError(f"buffer of shape {out.shape} does not fit image '{image.name}'")
    flat = out.reshape(-1)
    image.pixels.foreach_get(flat)
    if not image.is_float and image.colorspace_settings.name in _SRGB_ENCODED:
        out[:, :, :3] = srgb_to_linear(out[:, :, :3])
    return out


def _load(image):
    try:
        if image.source == "FILE":
            image.reload()
        width, height = image.size
        return image.has_data and width > 0 and height > 0
    except RuntimeError:
        return False


def array_to_image(array, name, colorspace=LINEAR_COLORSPACE):
    """Create or refresh the float image datablock ``name`` from a bottom-first (H, W, 4) array.

    Re-running with the same name replaces the pixels (resizing if needed) instead of piling up
    ``name.001`` copies, so compositor nodes and materials that use the image follow it.
    """
    array = np.asarray(array, dtype=np.float32)
    if array.ndim != 3 or array.shape[2] != 4:
        raise DatablockError(f"expected an (H, W, 4) array, got {array.shape}")
    height, width = array.shape[:2]
    image = bpy.data.images.get(name)
    if image is not None and not image.is_float:
        bpy.data.images.remove(image)  # a byte image cannot hold the result losslessly
        image = None
    if image is None:
        image = bpy.data.images.new(name, width, height, alpha=True, float_buffer=True)
        # The colour space must be set before the pixels: setting it on a generated, unpacked image
        # regenerates (wipes) its buffer.
        image.colorspace_settings.name = colorspace
    elif tuple(image.size) != (width, height):
        image.scale(width, height)
    image.alpha_mode = "STRAIGHT"
    image.pixels.foreach_set(np.ascontiguousarray(array).reshape(-1))
    image.update()
    return image


def save_image_exr(image, filepath):
    """Write ``image`` as a 32-bit float ZIP OpenEXR with Blender's writer, atomically."""
    directory = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(directory):
        raise DatablockError(f"folder does not exist: {directory}")
    temporary = filepath + ".partial.exr"
    settings = bpy.context.scene.render.image_settings
    saved = (settings.file_format, settings.color_depth, settings.exr_codec, settings.color_mode)
    try:
        settings.file_format = "OPEN_EXR"
        settings.color_depth = "32"
        settings.exr_codec = "ZIP"
        settings.color_mode = "RGBA"
        image.save_render(temporary, scene=bpy.context.scene)
        os.replace(temporary, filepath)
    finally:
        settings.file_format, settings.color_depth, settings.exr_codec, settings.color_mode = saved
        if os.path.exists(temporary):
            os.remove(temporary)
    return filepath


def pack_image(image):
    """Keep a generated result inside the .blend (as float EXR data), so it survives save/reload."""
    image.file_format = "OPEN_EXR"
    image.pack()
    return image
