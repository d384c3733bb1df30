"""Temporal consistency for animations from Blender's Vector pass (Ruder et al.'s scheme, with the exact
motion Blender knows instead of estimated optical flow).

Blender's Vector pass has 4 channels in pixels, in Blender's raster axes (x right, y *up*). Measured
on bpy 5.0.1 / Cycles (a cube moving +6.4 px right and +3.2 px up per frame reads (-6.4, -3.2, -6.4, -3.2)
on the cube, 0 elsewhere; test_stylize_blender checks it on a render):

- (x, y): where the surface point was in the *previous* frame, relative to here: p_prev = p + (x, y);
- (z, w): minus where it will be in the *next* frame: p_next = p - (z, w).

The arrays here are top-first (row 0 is the top), so y flips sign: in (column, row) terms the offset to
the previous frame is (x, -y) and to the next frame (-z, +w).

Occlusion: a pixel of frame t whose point was hidden (or outside the frame) in t-1 must not be pulled
towards what t-1 shows there. Forward/backward consistency finds them: following the offset to t-1 and
then t-1's offset to the next frame must come back (|a + b|^2 <= 0.01 (|a|^2 + |b|^2) + 0.5, Sundaram et
al.'s test as used by Ruder et al.); pixels that land outside the frame and, when depth passes are
given, pixels whose depth disagrees are occluded too. The confidence is 1 where consistent, else 0.
"""

import numpy as np
import torch
import torch.nn.functional as F


def offsets_to_previous(vector_pass):
    """(H, W, 4) top-first Vector pass -> (1, 2, H, W) tensor of (column, row) offsets to frame t-1."""
    vector = _checked(vector_pass)
    return torch.from_numpy(np.stack([vector[:, :, 0], -vector[:, :, 1]], 0)[None].copy())


def offsets_to_next(vector_pass):
    """(H, W, 4) top-first Vector pass -> (1, 2, H, W) tensor of (column, row) offsets to frame t+1."""
    vector = _checked(vector_pass)
    return torch.from_numpy(np.stack([-vector[:, :, 2], vector[:, :, 3]], 0)[None].copy())


def _checked(vector_pass):
    vector = np.nan_to_num(np.asarray(vector_pass, dtype=np.float32))
    if vector.ndim != 3 or vector.shape[2] < 4:
        raise ValueError(f"a Vector pass has 4 channels (H, W, 4), got shape {vector.shape}")
    return vector


def warp(image, offsets):
    """Sample ``image`` (N, C, H, W) at p + offsets(p) (bilinear): pulls frame t-1 into frame t's pixels.

    Returns (warped, inside) where ``inside`` (N, 1, H, W) is 1 where the sample fell inside the frame.
    """
    n, _, height, width = image.shape
    rows, columns = torch.meshgrid(torch.arange(height, dtype=image.dtype), torch.arange(width, dtype=image.dtype),
                                   indexing="ij")
    x = columns[None] + offsets[:, 0]
    y = rows[None] + offsets[:, 1]
    # align_corners=True: -1 and 1 are the centres of the first and last pixels, so integer offsets
    # sample pixel centres exactly (a pure translation warps with no blur).
    grid = torch.stack([2.0 * x / max(width - 1, 1) - 1.0, 2.0 * y / max(height - 1, 1) - 1.0], dim=-1)
    warped = F.grid_sample(image, grid.to(image), mode="bilinear", padding_mode="border", align_corners=True)
    inside = ((x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)).to(image.dtype)[:, None]
    return warped, inside


def confidence(to_previous, previous_to_next=None, depth=None, previous_depth=None, depth_tolerance=0.05):
    """(1, 1, H, W) weights: 1 where frame t-1's pixel is the same surface point, 0 at disocclusions.

    ``to_previous``: frame t's offsets to t-1; ``previous_to_next``: frame t-1's offsets to t (its
    Vector pass's z, w). Depths (H, W) arrays are an optional extra check (relative tolerance).
    """
    _, inside = warp(torch.zeros_like(to_previous[:, :1]), to_previous)
    valid = inside
    if previous_to_next is not None:
        back, _ = warp(previous_to_next, to_previous)  # t-1's offset to t, read where we land in t-1
        round_trip = (to_previous + back).square().sum(1, keepdim=True)
        scale = to_previous.square().sum(1, keepdim=True) + back.square().sum(1, keepdim=True)
        valid = valid * (round_trip <= 0.01 * scale + 0.5).to(valid.dtype)
    if depth is not None and previous_depth is not None:
        current = torch.from_numpy(np.asarray(depth, np.float32).reshape(1, 1, *to_previous.shape[-2:]))
        earlier = torch.from_numpy(np.asarray(previous_depth, np.float32).reshape(1, 1, *to_previous.shape[-2:]))
        seen, _ = warp(earlier, to_previous)
        valid = valid * ((seen - current).abs() <= depth_tolerance * current.abs().clamp_min(1e-6)).to(valid.dtype)
    return valid


def flicker(current, previous, to_previous, weights=None):
    """Mean absolute difference between frame t and frame t-1 warped onto it, where valid.

    The standard short-term temporal error: 0 for perfectly consistent frames; frame-by-frame style
    transfer scores high because every frame invents its strokes anew.
    """
    warped, inside = warp(previous, to_previous)
    weight = inside if weights is None else inside * weights
    total = weight.sum() * current.shape[1]
    return float((weight * (current - warped).abs()).sum() / total.clamp_min(1.0))
