"""Colorization by optimization (Levin, Lischinski, Weiss 2004): propagate scribbled colours along L*.

Neighbouring pixels with similar luminance should get similar chroma. With affinities
    w_rs = exp(-(L_r - L_s)^2 / s_r),   s_r = 0.6 x the L* variance in r's 3x3 window (floored),
over the 8-neighbourhood, each chroma channel U minimises  sum_{r~s} w_rs (U_r - U_s)^2  with U fixed
to the scribble's a*b* where the user painted: a sparse symmetric positive-definite system
(graph Laplacian, scribbled pixels eliminated) — Levin's objective with symmetrised weights.

Speed (2K in a few seconds on a CPU): the system is solved at a working resolution (long side
``solve_size``) by a cascade — a direct sparse solve on a coarse grid, then conjugate gradients
warm-started from the upsampled coarser solution on each finer grid (cascadic multigrid: the
long-range propagation that makes plain CG slow is done where it is cheap). The result is brought to
full resolution with a guided filter on the full-resolution L* (guided.py), so chroma edges follow
luminance edges there too.
"""

import numpy as np
from scipy import sparse
from scipy.sparse import linalg as sparse_linalg

from ...protocol.specs import colorize as spec
from . import guided

DEFAULT_SOLVE_SIZE = spec.DEFAULT_SOLVE_SIZE   # declared once, in the job spec
COARSEST_SIZE = 96
CG_ITERATIONS = 40          # on the coarser grids (cheap)
FINEST_CG_ITERATIONS = 15   # on the working grid, which starts from a nearly converged guess
MIN_SCALE = 0.02     # L*^2 (Levin's 2e-6 in 0..1 luminance units)
ISOLATION_WEIGHT = 1e-9   # numerical safety only: affinities are never 0, so one scribble reaches everywhere


class ScribbleError(ValueError):
    pass


def _neighbour_offsets():
    return [(0, 1), (1, -1), (1, 0), (1, 1)]   # each undirected 8-neighbour pair once


def affinity_laplacian(lightness):
    """Symmetric graph Laplacian (n x n CSR) of the 8-neighbour luminance affinities of (h, w) L*."""
    height, width = lightness.shape
    lightness = lightness.astype(np.float64)
    padded = np.pad(lightness, 1, mode="edge")
    window_sum = np.zeros_like(lightness)
    window_squares = np.zeros_like(lightness)
    smallest_step = np.full_like(lightness, np.inf)
    for dy in range(3):
        for dx in range(3):
            neighbour = padded[dy:dy + height, dx:dx + width]
            window_sum += neighbour
            window_squares += neighbour * neighbour
            if (dy, dx) != (1, 1):
                np.minimum(smallest_step, (neighbour - lightness) ** 2, out=smallest_step)
    variance = np.maximum(window_squares / 9.0 - (window_sum / 9.0) ** 2, 0.0)
    # Levin et al.'s scale per pixel: 0.6 x the window variance, but at least so large that the most
    # similar neighbour keeps a weight of 0.01 (texture and noise never cut a pixel off entirely).
    scale = np.maximum(np.maximum(0.6 * variance, smallest_step / -np.log(0.01)), MIN_SCALE)
    index = np.arange(height * width).reshape(height, width)
    rows, columns, weights = [], [], []
    for dy, dx in _neighbour_offsets():
        y0, y1 = 0, height - dy
        x0, x1 = max(0, -dx), width - max(0, dx)
        here = (slice(y0, y1), slice(x0, x1))
        there = (slice(y0 + dy, y1 + dy), slice(x0 + dx, x1 + dx))
        squared = (lightness[here] - lightness[there]) ** 2
        # The directed weights w_rs (scale of r) and w_sr (scale of s), averaged: a symmetric system.
        weight = 0.5 * (np.exp(-squared / scale[here]) + np.exp(-squared / scale[there]))
        rows.append(index[here].ravel())
        columns.append(index[there].ravel())
        weights.append(weight.ravel())
    rows, columns, weights = (np.concatenate(part) for part in (rows, columns, weights))
    n = height * width
    adjacency = sparse.coo_matrix((np.concatenate([weights, weights]),
                                   (np.concatenate([rows, columns]), np.concatenate([columns, rows]))), shape=(n, n))
    adjacency = adjacency.tocsr()
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    return (sparse.diags(degree) - adjacency).tocsr()


def _area_resize(array, shape):
    """Average (h, w[, C]) down to ``shape`` (torch's area interpolation: fast, and the worker has
    torch loaded anyway)."""
    import torch
    import torch.nn.functional as F
    array = np.atleast_3d(np.asarray(array, dtype=np.float32))
    tensor = torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))[None]
    return F.interpolate(tensor, size=tuple(shape), mode="area")[0].numpy().transpose(1, 2, 0)


def _level_shape(height, width, long_side):
    scale = min(1.0, long_side / max(height, width))
    return max(2, int(round(height * scale))), max(2, int(round(width * scale)))


def hints_at(lightness, hint_ab, hint_mask, shape):
    """L*, hint a*b* and hint mask at ``shape``: a cell is a hint if any hint pixel falls in it,
    with the mean a*b* of its hint pixels."""
    if shape == lightness.shape:
        return lightness, hint_ab, hint_mask
    stacked = np.concatenate([lightness[:, :, None], hint_mask[:, :, None], hint_ab * hint_mask[:, :, None]], axis=2)
    small = _area_resize(stacked, shape)
    small_l, coverage, weighted = small[:, :, 0], small[:, :, 1], small[:, :, 2:]
    mask = coverage > 1e-6
    ab = np.where(mask[:, :, None], weighted / np.maximum(coverage, 1e-6)[:, :, None], 0.0)
    return small_l, ab.astype(np.float32), mask


def _solve_level(lightness, hint_ab, hint_mask, initial=None, iterations=CG_ITERATIONS):
    laplacian = affinity_laplacian(lightness)
    n = laplacian.shape[0]
    known = hint_mask.ravel()
    unknown = ~known
    system = laplacian[unknown][:, unknown] + ISOLATION_WEIGHT * sparse.identity(int(unknown.sum()), format="csr")
    coupling = laplacian[unknown][:, known]
    solution = np.zeros((n, 2), dtype=np.float64)
    solution[known] = hint_ab.reshape(-1, 2)[known]
    right = -coupling @ solution[known]
    if initial is None:
        solved = sparse_linalg.spsolve(system.tocsc(), right)
        solution[unknown] = np.asarray(solved).reshape(-1, 2)
    else:
        diagonal = system.diagonal()
        preconditioner = sparse_linalg.LinearOperator(system.shape, matvec=lambda v: v / diagonal)
        start = initial.reshape(-1, 2)[unknown]
        for channel in range(2):
            solved, _ = sparse_linalg.cg(system, right[:, channel], x0=start[:, channel], M=preconditioner,
                                         maxiter=iterations, rtol=1e-6)
            solution[unknown, channel] = solved
    return solution.reshape(lightness.shape + (2,)).astype(np.float32)


def solve_chroma(lightness, hint_ab, hint_mask, solve_size=DEFAULT_SOLVE_SIZE, progress=None):
    """a*b* (h, w, 2) at the working resolution, plus that resolution's L*: (ab, lightness_working)."""
    if not hint_mask.any():
        raise ScribbleError("the hints image has no painted pixels (opaque or coloured strokes)")
    height, width = lightness.shape
    shapes = [_level_shape(height, width, solve_size)]
    while max(shapes[-1]) / 2 >= COARSEST_SIZE:
        shapes.append(_level_shape(height, width, max(shapes[-1]) // 2))
    # One pass over the full-resolution inputs; coarser levels are made from the working level.
    levels = [hints_at(lightness, hint_ab, hint_mask, shapes[0])]
    for shape in shapes[1:]:
        levels.append(hints_at(*levels[0], shape))
    solution = None
    for step, (level_l, level_ab, level_mask) in enumerate(reversed(levels)):
        initial = None if solution is None else _area_or_bilinear(solution, level_l.shape)
        iterations = FINEST_CG_ITERATIONS if step == len(levels) - 1 else CG_ITERATIONS
        solution = _solve_level(level_l, level_ab, level_mask, initial, iterations)
        if progress is not None:
            progress((step + 1) / len(levels), f"propagating scribbles at {level_l.shape[1]}x{level_l.shape[0]}")
    return solution, levels[0][0]


def _area_or_bilinear(ab, shape):
    from .decode import upsample
    return upsample(ab, shape[0], shape[1])


def hints_from_image(hints, shape, premultiplied=True):
    """(hint a*b* (H, W, 2), mask (H, W) bool) from a hints image of any size (resized nearest).

    With alpha, painted = alpha > 0.5; without, painted = visibly coloured (C*ab > 5) pixels.
    """
    from . import lab
    hints = np.asarray(hints, dtype=np.float32)
    if hints.ndim == 2:
        hints = hints[:, :, None]
    if hints.shape[2] not in (3, 4):
        raise ScribbleError(f"the hints image must be RGB or RGBA, got {hints.shape[2]} channel(s)")
    if hints.shape[:2] != tuple(shape):  # painted at another resolution: nearest keeps strokes crisp
        rows = (np.arange(shape[0]) * hints.shape[0] // shape[0])
        columns = (np.arange(shape[1]) * hints.shape[1] // shape[1])
        hints = hints[rows][:, columns]
    colour = np.maximum(np.nan_to_num(hints[:, :, :3]), 0.0)
    if hints.shape[2] == 4:
        alpha = hints[:, :, 3]
        mask = alpha > 0.5
        if premultiplied:
            colour = colour / np.where(alpha > 0, alpha, 1.0)[:, :, None]
    ab = lab.linear_rgb_to_lab(colour)[:, :, 1:]
    if hints.shape[2] == 3:
        mask = np.hypot(ab[:, :, 0], ab[:, :, 1]) > 5.0
    return np.where(mask[:, :, None], ab, 0.0).astype(np.float32), mask


def colorize_strips(lightness, hint_ab, hint_mask, solve_size=DEFAULT_SOLVE_SIZE, progress=None):
    """Full-resolution a*b* as (rows, strip) pairs for decode.recombine_strips."""
    ab, working_lightness = solve_chroma(lightness, hint_ab, hint_mask, solve_size, progress)
    if working_lightness.shape == lightness.shape:
        return iter([(slice(0, lightness.shape[0]), ab)])
    return guided.guided_upsample_strips(lightness, working_lightness, ab)
