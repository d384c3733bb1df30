"""The quantised in-gamut a*b* bins the colorizer classifies into, and soft-encoding of true a*b*.

Zhang et al. (2016) quantise the a*b* plane on a grid of 10 and keep the bins that sRGB colours can
reach (Q = 313 in their release). The set is derived here, not copied: sample the surface of the sRGB
cube densely (its image bounds the gamut, so its a*b* shadow is the whole gamut's), convert to Lab and
keep every grid cell (centre k*10, half-width 5) some colour falls into. That gives 262 bins, fewer
than the paper's 313 — whose exact rule (a tolerance, a larger sampling gamut) is not published.
Models trained here use this set; the released model carries its own 313 centres in its final 1x1
convolution, so decoding it never depends on this derivation (see model.py).
"""

import functools

import numpy as np

from . import lab

GRID = 10.0
SOFT_NEIGHBOURS = 5      # the paper's soft-encoding: the 5 nearest bins ...
SOFT_SIGMA = 5.0         # ... weighted by a Gaussian of sigma 5 (in a*b* units) around the true value
_SURFACE_SAMPLES = 257   # per cube-face edge; 129 already finds all but one or two edge bins


def _cube_surface(samples):
    """sRGB-encoded colours on the six faces of the unit cube, (N, 3)."""
    line = np.linspace(0.0, 1.0, samples)
    u, v = (grid.reshape(-1) for grid in np.meshgrid(line, line, indexing="ij"))
    faces = []
    for axis in range(3):
        for value in (0.0, 1.0):
            face = np.empty((u.size, 3))
            others = [index for index in range(3) if index != axis]
            face[:, axis] = value
            face[:, others[0]], face[:, others[1]] = u, v
            faces.append(face)
    return np.concatenate(faces)


@functools.lru_cache(maxsize=None)
def _derived_bins(samples):
    ab = lab.srgb_to_lab(_cube_surface(samples))[:, 1:]
    cells = np.unique(np.round(ab / GRID).astype(np.int64), axis=0)
    # Sort by a then b, so a bin's index is stable and readable.
    order = np.lexsort((cells[:, 1], cells[:, 0]))
    centres = (cells[order] * GRID).astype(np.float32)
    centres.setflags(write=False)
    return centres


def in_gamut_bins(samples=_SURFACE_SAMPLES):
    """(Q, 2) float32 a*b* centres of the in-gamut bins, sorted by a then b (read-only, cached)."""
    return _derived_bins(int(samples))


def nearest_bins(ab, centres):
    """Index of the closest bin centre for each a*b* pair: ab (..., 2) numpy -> (...) int64.
    A k-d tree query: evaluations bin millions of pixels, which brute force does 100x slower."""
    from scipy.spatial import cKDTree
    ab = np.asarray(ab, dtype=np.float64)
    tree = cKDTree(np.asarray(centres, dtype=np.float64))
    _, best = tree.query(np.nan_to_num(ab.reshape(-1, 2)), k=1)
    return best.astype(np.int64).reshape(ab.shape[:-1])


def soft_encode(ab, centres, neighbours=SOFT_NEIGHBOURS, sigma=SOFT_SIGMA):
    """Soft target distribution Z over the bins for true a*b*: torch (N, 2, H, W) -> (N, Q, H, W).

    Each pixel's mass goes to its ``neighbours`` nearest bins with Gaussian weights exp(-d^2 / 2 sigma^2),
    normalised to sum to 1 — a smoother target than a one-hot of the nearest bin, and what the paper
    trains on.
    """
    import torch
    centres = torch.as_tensor(np.array(centres), dtype=ab.dtype, device=ab.device)
    batch, _, height, width = ab.shape
    flat = ab.permute(0, 2, 3, 1).reshape(-1, 2)
    squared = torch.cdist(flat, centres).pow(2)                       # (P, Q)
    nearest_squared, nearest = squared.topk(neighbours, dim=1, largest=False)
    weights = torch.exp(-nearest_squared / (2.0 * sigma ** 2))
    weights = weights / weights.sum(1, keepdim=True)
    encoded = torch.zeros_like(squared).scatter_(1, nearest, weights)
    return encoded.reshape(batch, height, width, -1).permute(0, 3, 1, 2).contiguous()
