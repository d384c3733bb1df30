"""Colour images -> Lab training arrays for the colorizer.

Any colour image works: PNG/JPEG/TIFF (sRGB) and EXR. HDR images (the bundled studio HDRIs) are
exposed so their median luminance is mid-grey and then clipped to [0, 1] — a photo of the scene, which
is what the colorizer will be asked to colour. Images are resized so the long side is ``long_side`` px
(the network's working size) and converted to Lab once; training takes random crops of these.
"""

import os

import numpy as np
import torch
import torch.nn.functional as F

from neural_render.worker.colorize import lab

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".exr")
HDR_THRESHOLD = 1.5          # a linear maximum above this marks a scene-referred (HDR) image
MID_GREY = 0.18
MIN_CHROMA_FOR_COLOUR = 2.0  # images whose 99th-percentile chroma is below this teach nothing


class TrainingDataError(ValueError):
    pass


def image_paths(folder):
    if not os.path.isdir(folder):
        raise TrainingDataError(f"no folder {folder}")
    paths = sorted(os.path.join(root, name) for root, _, names in os.walk(folder) for name in names
                   if name.lower().endswith(IMAGE_EXTENSIONS) and not name.startswith("."))
    if not paths:
        raise TrainingDataError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) in {folder}")
    return paths


def read_colour_image(path):
    """Linear RGB (H, W, 3) of a file; multi-layer EXRs (Blender matcaps) use their first layer."""
    from neural_render.worker.imageio import exr
    from neural_render.worker.imageio.errors import ImageFileError
    from neural_render.worker.imageio.files import read_image
    try:
        image = read_image(path)
    except ImageFileError:
        if not path.lower().endswith(".exr"):
            raise
        layers = exr.list_layers(path)
        image = read_image(path, layer=layers[0])
    if image.shape[2] < 3:
        image = np.repeat(image[:, :, :1], 3, axis=2)
    return np.nan_to_num(image[:, :, :3].astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)


def display_referred(rgb):
    """HDR scenes exposed to a mid-grey median and clipped; LDR images clipped to [0, 1]."""
    rgb = np.maximum(rgb, 0.0)
    if rgb.max() > HDR_THRESHOLD:
        median = float(np.median(rgb @ lab.LUMINANCE_WEIGHTS.astype(np.float32)))
        rgb = rgb * (MID_GREY / max(median, 1e-6))
    return np.clip(rgb, 0.0, 1.0)


def resize_long_side(rgb, long_side):
    height, width = rgb.shape[:2]
    scale = long_side / max(height, width)
    if scale >= 1.0:
        return rgb
    shape = (max(1, round(height * scale)), max(1, round(width * scale)))
    tensor = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))[None]
    return F.interpolate(tensor, size=shape, mode="area")[0].numpy().transpose(1, 2, 0)


def to_lab_arrays(images, long_side=256):
    """Linear RGB images -> list of (H, W, 3) float32 Lab arrays (greyscale images are skipped)."""
    arrays = []
    for rgb in images:
        lab_image = lab.linear_rgb_to_lab(resize_long_side(display_referred(rgb), long_side)).astype(np.float32)
        chroma = np.hypot(lab_image[:, :, 1], lab_image[:, :, 2])
        if np.percentile(chroma, 99) >= MIN_CHROMA_FOR_COLOUR:
            arrays.append(lab_image)
    return arrays


def load_folder(folder, long_side=256, report=None):
    paths = image_paths(folder)
    images = []
    for index, path in enumerate(paths):
        if report is not None:
            report(index / len(paths), f"reading {os.path.basename(path)}")
        images.append(read_colour_image(path))
    arrays = to_lab_arrays(images, long_side)
    if not arrays:
        raise TrainingDataError(f"no colour images in {folder} (all are greyscale)")
    return arrays


def library_lab_arrays(library, split):
    """(items, Lab arrays) of one split of a texture library (training.textures.shards.TextureLibrary):
    its diffuse crops are sRGB uint8, decoded and converted once."""
    items, diffuse = library.load(split)
    arrays = [lab.srgb_to_lab(crop.astype(np.float32) / 255.0).astype(np.float32) for crop in diffuse]
    return items, arrays
