"""Edge-aware upsampling of chroma with the full-resolution L* as the guide (fast guided filter).

Chroma solved or predicted at a low resolution and upsampled bilinearly bleeds across edges. The
guided filter (He, Sun, Tang 2010) models the output locally as a linear function of the guide,
q = A * L + B; fitting A, B at low resolution and upsampling only them (He & Sun 2015, "fast guided
filter") makes chroma edges follow the full-resolution luminance edges at almost no cost.
"""

import numpy as np
from scipy import ndimage

from . import decode


def _box(array, radius, wrap):
    return ndimage.uniform_filter(array, size=(2 * radius + 1, 2 * radius + 1) + (1,) * (array.ndim - 2),
                                  mode="wrap" if wrap else "reflect")


def guided_coefficients(guide, source, radius=2, epsilon=4.0, wrap=False):
    """Per-pixel (A, B) so that source ≈ A * guide + B locally: guide (h, w), source (h, w, C).

    ``epsilon`` is in guide units squared (L*: 4 means edges weaker than ~2 L* are smoothed over).
    """
    guide = np.asarray(guide, np.float64)[:, :, None]
    source = np.asarray(source, np.float64)
    mean_guide = _box(guide, radius, wrap)
    mean_source = _box(source, radius, wrap)
    covariance = _box(guide * source, radius, wrap) - mean_guide * mean_source
    variance = _box(guide * guide, radius, wrap) - mean_guide ** 2
    slope = covariance / (variance + epsilon)
    offset = mean_source - slope * mean_guide
    return _box(slope, radius, wrap).astype(np.float32), _box(offset, radius, wrap).astype(np.float32)


def guided_upsample_strips(guide_full, guide_low, source_low, radius=2, epsilon=4.0, wrap=False):
    """Yield (rows, (rows, W, C) float32) of ``source_low`` upsampled to ``guide_full``'s size, edges
    following ``guide_full``."""
    slope, offset = guided_coefficients(guide_low, source_low, radius, epsilon, wrap)
    height, width = guide_full.shape
    channels = source_low.shape[2]
    coefficients = np.concatenate([slope, offset], axis=2)
    for rows, strip in decode.upsample_strips(coefficients, height, width, wrap):
        yield rows, strip[:, :, :channels] * guide_full[rows, :, None] + strip[:, :, channels:]
