"""How good a colorization is, measured so a mode-seeking decode is compared fairly.

- ``ab_accuracy_auc``: Zhang et al.'s "raw accuracy": the fraction of pixels whose predicted a*b* is
  within a threshold of the truth, averaged over thresholds 0..150. Greyish predictions score well
  on it because most true pixels are greyish.
- ``rebalanced_ab_accuracy_auc``: the same with each pixel weighted by the inverse frequency of its
  true colour bin, so getting rare saturated colours right counts as much as greys (the paper's
  class-balanced variant) — the measure that rewards a vivid decode for being right, not for being safe.
- ``colourfulness``: Hasler & Süsstrunk (2003) on sRGB-encoded values in [0, 255].
- ``psnr``: on sRGB-encoded values in [0, 1].
"""

import numpy as np

from . import lab
from .gamut_bins import nearest_bins

AUC_THRESHOLDS = np.arange(0, 151, 1.0)


def _accuracy_curve(error, weights):
    order = np.argsort(error)
    sorted_error = error[order]
    cumulative = np.concatenate([[0.0], np.cumsum(weights[order])]) / weights.sum()
    return cumulative[np.searchsorted(sorted_error, AUC_THRESHOLDS, side="right")]


def ab_accuracy_auc(predicted_ab, true_ab, weights=None):
    """Area under the accuracy-vs-threshold curve (0..150 a*b* units), in [0, 1]."""
    error = np.linalg.norm(np.asarray(predicted_ab, np.float64).reshape(-1, 2)
                           - np.asarray(true_ab, np.float64).reshape(-1, 2), axis=1)
    weights = np.ones_like(error) if weights is None else np.asarray(weights, np.float64).reshape(-1)
    return float(_accuracy_curve(error, weights).mean())


def rebalanced_ab_accuracy_auc(predicted_ab, true_ab, centres):
    """ab_accuracy_auc with pixels weighted 1 / (frequency of their true bin in this evaluation set)."""
    bins = nearest_bins(np.asarray(true_ab).reshape(-1, 2), centres)
    counts = np.bincount(bins, minlength=len(centres)).astype(np.float64)
    return ab_accuracy_auc(predicted_ab, true_ab, weights=1.0 / counts[bins])


def colourfulness(linear_rgb):
    """Hasler–Süsstrunk M = sqrt(s_rg² + s_yb²) + 0.3 sqrt(m_rg² + m_yb²), sRGB values in 0..255."""
    encoded = lab.srgb_encode(np.clip(np.asarray(linear_rgb, np.float64)[..., :3], 0.0, 1.0)) * 255.0
    red, green, blue = encoded[..., 0], encoded[..., 1], encoded[..., 2]
    rg = red - green
    yb = 0.5 * (red + green) - blue
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def psnr(linear_a, linear_b):
    """PSNR in dB between two linear RGB images, compared sRGB-encoded and clipped to [0, 1]."""
    a = lab.srgb_encode(np.clip(np.asarray(linear_a, np.float64)[..., :3], 0.0, 1.0))
    b = lab.srgb_encode(np.clip(np.asarray(linear_b, np.float64)[..., :3], 0.0, 1.0))
    mse = float(((a - b) ** 2).mean())
    return float("inf") if mse == 0 else float(10.0 * np.log10(1.0 / mse))
