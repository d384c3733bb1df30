"""Class-rebalancing weights for the multinomial colour loss (Zhang et al. 2016, eq. 3-4).

Natural images are dominated by low-saturation a*b* (skies, walls, ground); trained plainly, the
classifier learns to predict desaturated colour everywhere. Each pixel's loss is weighted by
w(q*) of its most likely true bin q*:

    p~ = prior p of the bins in the training data, smoothed by a Gaussian (sigma 5) over a*b*
    w  ∝ ((1 - lambda) p~ + lambda / Q) ** -1,     normalised so that  sum_q p~_q w_q = 1

lambda = 0.5 mixes in the uniform distribution so that never-seen bins do not get huge weights.
"""

import numpy as np

from .gamut_bins import nearest_bins

PRIOR_SIGMA = 5.0
UNIFORM_MIX = 0.5


def empirical_prior(ab_values, centres):
    """Fraction of pixels whose nearest bin is each bin: ab_values (..., 2) -> (Q,) float64 summing to 1."""
    counts = np.bincount(nearest_bins(ab_values, centres).reshape(-1), minlength=len(centres))
    total = counts.sum()
    if total == 0:
        raise ValueError("no a*b* values to estimate the bin prior from")
    return counts / total


def smooth_prior(prior, centres, sigma=PRIOR_SIGMA):
    """Gaussian smoothing of the prior over the a*b* plane (a kernel between bin centres), renormalised."""
    centres = np.asarray(centres, dtype=np.float64)
    squared = ((centres[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    kernel = np.exp(-squared / (2.0 * sigma ** 2))
    kernel /= kernel.sum(1, keepdims=True)  # each bin spreads exactly its own mass
    smoothed = np.asarray(prior, dtype=np.float64) @ kernel
    return smoothed / smoothed.sum()


def rebalancing_weights(prior, centres, mix=UNIFORM_MIX, sigma=PRIOR_SIGMA):
    """(Q,) float32 weights w with E_{p~}[w] = 1 (see the module docstring)."""
    smoothed = smooth_prior(prior, centres, sigma)
    weights = 1.0 / ((1.0 - mix) * smoothed + mix / len(smoothed))
    weights /= (smoothed * weights).sum()
    return weights.astype(np.float32)
