"""Carrying the network's low-resolution shading ratio to full resolution (the fast guided filter,
He & Sun 2015): at low resolution fit, in every window, the ratio as a linear function of a guide
(the image's log luminance) -- ratio ~ a * guide + b -- then upsample a and b smoothly and apply them
to the full-resolution guide. Where the ratio follows the image's edges (a shadow on a textured
wall) the edges come back sharp; where it does not, the upsampled ratio is simply smooth. Either way
the input's own detail is kept, because the ratio multiplies the full-resolution input.
"""

import torch
from torch.nn import functional as F

RADIUS = 2        # low-resolution pixels: the window is (2 r + 1) squared
EPSILON = 1e-2    # regularises a where the guide is flat (guide in log units)


def _box(x, radius):
    """Mean over (2r+1)^2 windows, the same size output, windows clipped at the border."""
    return F.avg_pool2d(x, 2 * radius + 1, 1, radius, count_include_pad=False)


def guide_of(image):
    """(N, 1, H, W) log(1 + luminance) of (N, 3, H, W) linear RGB: the guide both resolutions use."""
    luminance = 0.2126 * image[:, 0:1] + 0.7152 * image[:, 1:2] + 0.0722 * image[:, 2:3]
    return torch.log1p(luminance.clamp_min(0.0))


def upsample(low_values, low_guide, full_guide, radius=RADIUS, epsilon=EPSILON):
    """(N, C, H, W) ``low_values`` (N, C, h, w) transferred to the size of ``full_guide`` (N, 1, H, W)."""
    mean_guide = _box(low_guide, radius)
    mean_values = _box(low_values, radius)
    covariance = _box(low_guide * low_values, radius) - mean_guide * mean_values
    variance = _box(low_guide * low_guide, radius) - mean_guide * mean_guide
    a = covariance / (variance + epsilon)
    b = mean_values - a * mean_guide
    a, b = _box(a, radius), _box(b, radius)
    size = full_guide.shape[-2:]
    a = F.interpolate(a, size=size, mode="bilinear", align_corners=False)
    b = F.interpolate(b, size=size, mode="bilinear", align_corners=False)
    return a * full_guide + b
