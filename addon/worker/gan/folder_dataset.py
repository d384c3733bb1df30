"""A folder of texture images as one training tensor for the DCGAN."""

import os

import numpy as np
import torch
import torch.nn.functional as F

from . import encoding
from .errors import GanInputError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".exr", ".tif", ".tiff")


def list_images(folder):
    if not os.path.isdir(folder):
        raise GanInputError(f"no folder at {folder}")
    paths = sorted(os.path.join(folder, name) for name in os.listdir(folder)
                   if name.lower().endswith(IMAGE_EXTENSIONS) and not name.startswith("."))
    if not paths:
        raise GanInputError(f"{folder} has no images ({', '.join(IMAGE_EXTENSIONS)})")
    return paths


def check_same_size(named_images):
    """All images must share one size: a folder mixing sizes is usually a mistake (a thumbnail, a
    stray render), and silently rescaling it would train on mismatched texture scales."""
    first_name, first = named_images[0]
    for name, image in named_images[1:]:
        if image.shape[:2] != first.shape[:2]:
            raise GanInputError(
                f"the images have different sizes ({os.path.basename(first_name)} is "
                f"{first.shape[1]}x{first.shape[0]}, {os.path.basename(name)} is {image.shape[1]}x{image.shape[0]}): "
                "use a folder of images of one size")


def load_folder(folder, read_image):
    """[(path, linear (H, W, C) image)] for every image in ``folder``, all of one size."""
    named = [(path, read_image(path)) for path in list_images(folder)]
    check_same_size(named)
    return named


def to_training_tensor(linear_images, size, scale):
    """Centre-crop each image to a square, area-resample to ``size`` (in linear light, where
    averaging is physically right), encode for the networks: (N, 3, size, size) float32."""
    height, width = linear_images[0].shape[:2]
    side = min(height, width)
    if side < size:
        raise GanInputError(f"the images are {width}x{height} px; this model needs at least {size} px")
    top, left = (height - side) // 2, (width - side) // 2
    batch = np.stack([encoding.as_rgb(image)[top:top + side, left:left + side] for image in linear_images])
    tensor = torch.from_numpy(np.ascontiguousarray(batch.transpose(0, 3, 1, 2)))
    if side != size:
        tensor = F.interpolate(tensor, size=(size, size), mode="area")
    encoded = encoding.encode(tensor.numpy().transpose(0, 2, 3, 1), scale)
    return torch.from_numpy(np.ascontiguousarray(encoded.transpose(0, 3, 1, 2)))
