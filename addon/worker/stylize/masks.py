"""Where to stylize: masks from an Object Index pass, an alpha (or Cryptomatte-derived matte) pass or a
painted mask, with feathering.

A mask is an (H, W) float32 array in [0, 1], 1 = stylize (the foreground style), 0 = keep the content
(or use the background style when one is given). Feathering blurs the edge with a Gaussian so the
transition is soft; the blur is applied to the binary mask, so a feather of 0 is a hard edge.
"""

import numpy as np
import torch
import torch.nn.functional as F

from ...protocol.specs.stylize import IMAGE

SOURCES = IMAGE["mask_source"].values


class MaskError(ValueError):
    """The mask cannot be used with this image; the message says why."""


def from_object_index(index_pass, indices):
    """1 where the Object Index pass equals one of ``indices`` (the pass holds whole numbers)."""
    values = _single_channel(index_pass, "Object Index pass")
    if not indices:
        raise MaskError("give the object pass indices to stylize (e.g. 1 for objects with Pass Index 1)")
    rounded = np.rint(values)
    return np.isin(rounded, np.asarray(list(indices), dtype=np.float32)).astype(np.float32)


def from_alpha(image):
    """The alpha channel (an RGBA render with a transparent film, or a matte) as the mask."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 3 or image.shape[2] not in (2, 4):
        raise MaskError(f"an alpha mask needs an image with an alpha channel, got shape {image.shape}")
    return np.clip(image[:, :, -1], 0.0, 1.0)


def from_image(image, threshold=None):
    """A painted or exported mask: its first channel (grey or red), optionally thresholded."""
    values = np.clip(_single_channel(image, "mask image"), 0.0, 1.0)
    return (values > threshold).astype(np.float32) if threshold is not None else values


def _single_channel(image, what):
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 3:
        image = image[:, :, 0]
    if image.ndim != 2 or 0 in image.shape:
        raise MaskError(f"the {what} must be an (H, W) or (H, W, C) image, got shape {image.shape}")
    return np.nan_to_num(image)


def check_size(mask, height, width, what="mask"):
    """The mask exactly at the image's size (the pipeline's check; the job fits masks first)."""
    if mask.shape[:2] != (height, width):
        raise MaskError(f"the {what} is {mask.shape[1]}x{mask.shape[0]} px but the image is {width}x{height} px")
    return mask


def fit_size(mask, height, width, nearest=False, what="mask"):
    """The mask at the working size: a mask of the content's shape at another resolution (the content
    at ``--size``, a half-resolution matte) is resized -- nearest for an Object Index mask, whose
    values are labels, area/bilinear averaging for a soft one. A different aspect ratio is refused."""
    mask_height, mask_width = mask.shape[:2]
    if (mask_height, mask_width) == (height, width):
        return mask
    if abs(mask_width / mask_height - width / height) > max(1.0 / mask_height, 1.0 / height, 0.01) * (width / height):
        raise MaskError(f"the {what} is {mask_width}x{mask_height} px but the image is {width}x{height} px: "
                        "render or export it with the image's aspect ratio")
    tensor = torch.from_numpy(np.ascontiguousarray(mask, dtype=np.float32))[None, None]
    if nearest:
        resized = F.interpolate(tensor, size=(height, width), mode="nearest")
    elif height < mask_height:
        resized = F.interpolate(tensor, size=(height, width), mode="area")
    else:
        resized = F.interpolate(tensor, size=(height, width), mode="bilinear", align_corners=False)
    return resized[0, 0].numpy().clip(0.0, 1.0)


def feather(mask, radius):
    """Gaussian-blurred mask (sigma = radius / 2, so the edge ramps over about ``radius`` px each side)."""
    mask = np.asarray(mask, dtype=np.float32)
    if radius <= 0:
        return mask
    sigma = radius / 2.0
    half = int(np.ceil(3 * sigma))
    offsets = np.arange(-half, half + 1, dtype=np.float32)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = torch.from_numpy(kernel / kernel.sum())
    tensor = torch.from_numpy(mask)[None, None]
    # Replicate padding: a mask touching the frame edge stays 1 there instead of fading to 0.
    tensor = F.pad(tensor, (half, half, 0, 0), mode="replicate")
    tensor = F.conv2d(tensor, kernel.view(1, 1, 1, -1))
    tensor = F.pad(tensor, (0, 0, half, half), mode="replicate")
    tensor = F.conv2d(tensor, kernel.view(1, 1, -1, 1))
    return tensor[0, 0].numpy().clip(0.0, 1.0)


def composite(stylized, original, mask):
    """Stylized where the mask is 1, the original where it is 0 ((H, W, C) arrays, (H, W) mask)."""
    weight = mask[:, :, None]
    return stylized * weight + original * (1.0 - weight)
