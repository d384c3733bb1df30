"""Scene-linear pixels <-> the [-1, 1] range the networks work in.

The networks see sRGB-encoded values: texture detail lives in the darks, and a GAN trained on linear
values spends its capacity on the highlights. Exemplars brighter than 1 (scans, HDR renders) are
divided by a scale stored with the model, so generated textures come back at the exemplar's level.
"""

import numpy as np

from ..imageio.colour import linear_to_srgb, srgb_to_linear


def as_rgb(image):
    """(H, W, C) float image -> (H, W, 3): grey is repeated, alpha dropped."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 3 or image.shape[2] not in (1, 2, 3, 4):
        raise ValueError(f"expected an (H, W, C) image with 1 to 4 channels, got shape {image.shape}")
    if image.shape[2] <= 2:
        return np.repeat(image[:, :, :1], 3, axis=2)
    return image[:, :, :3]


def choose_scale(linear_rgb):
    """1 for ordinary textures; the 99.5th percentile for brighter ones (a few hot pixels must not
    squash the rest of the range)."""
    brightest = np.percentile(linear_rgb.max(axis=2), 99.5) if linear_rgb.size else 1.0
    return float(max(1.0, brightest))


def encode(linear_rgb, scale):
    srgb = linear_to_srgb(np.clip(linear_rgb / scale, 0.0, 1.0))
    return (np.asarray(srgb, dtype=np.float32) * 2.0 - 1.0)


def decode(network_rgb, scale):
    srgb = np.clip((np.asarray(network_rgb, dtype=np.float32) + 1.0) * 0.5, 0.0, 1.0)
    return (np.asarray(srgb_to_linear(srgb), dtype=np.float32) * np.float32(scale))
