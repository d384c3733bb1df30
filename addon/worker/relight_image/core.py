"""Relight one image against one or more worlds: arrays in, arrays out (no files, no pipes).

1. The image (premultiplied scene-linear RGB) and its matte are box-filtered down so the long side is
   the network side, padded to a multiple of 16 (the padding's matte is 0).
2. Each target world's grid is normalised to irradiance pi, and the result scaled back: relighting
   is linear in the target world (relit = sum_i w_i I_i), so this is exact, and the network only ever
   sees worlds at the level it was trained on.
3. The network predicts the image's light transport once; each target world re-weights it into a log
   shading ratio at the network's resolution; ``guided.upsample`` carries that to full size along the
   image's own log luminance; relit = (image + eps) * exp(ratio) - eps.
4. Outside the matte the input is kept, replaced by the world seen from the Front view, or cleared.
"""

import math

import numpy as np
import torch
from torch.nn import functional as F

from ...protocol import sphere
from ..relight.weights import bilinear_equirect
from . import environment_grid, guided
from .network import DIVISOR, relit_from_ratio

FRAMES_PER_PASS = 8
FRONT_LENS_MM, SENSOR_MM = 50.0, 36.0   # Blender's default camera: what "the world seen from the front" means


class RelightInputError(ValueError):
    """The image, matte or worlds cannot be relit (shapes, values); the message says why."""


def split_image(image, matte=None):
    """(rgb (H, W, 3) premultiplied, matte (H, W), alpha (H, W) or None) from the job's arrays."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise RelightInputError(f"the image must be (H, W, 1|3|4), got shape {image.shape}")
    rgb = np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image[:, :, :3]
    alpha = image[:, :, 3] if image.shape[2] == 4 else None
    if matte is not None:
        matte = np.asarray(matte, dtype=np.float32)
        matte = matte[:, :, 0] if matte.ndim == 3 else matte
        if matte.shape != rgb.shape[:2]:
            raise RelightInputError(f"the matte is {matte.shape[1]}x{matte.shape[0]}, the image "
                                    f"{rgb.shape[1]}x{rgb.shape[0]}: they must be the same size")
    else:
        matte = alpha if alpha is not None else np.ones(rgb.shape[:2], np.float32)
    if not (np.isfinite(rgb).all() and np.isfinite(matte).all()):
        raise RelightInputError("the image or matte holds NaN or infinite values")
    return np.clip(rgb, 0.0, None), np.clip(matte, 0.0, 1.0), alpha


def network_size(height, width, side):
    """(h, w): the long side ``side``, the aspect kept, each rounded up to a multiple of DIVISOR."""
    scale = side / max(height, width)
    def up(n):
        return max(DIVISOR, int(math.ceil(n * scale / DIVISOR)) * DIVISOR)
    return up(height), up(width)


def _resized(x, size):
    """Area (box) filter when shrinking, bilinear when enlarging: no aliasing either way."""
    if size[0] <= x.shape[-2] and size[1] <= x.shape[-1]:
        return F.interpolate(x, size=size, mode="area")
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


def _level(grid):
    """What the world is divided by to reach the training worlds' level, mean irradiance pi
    (``training/relight_data/pairs.normalised``): through the ratio's epsilon the network's output
    depends on that level, so inference must use the one it was trained at (0 for a black world)."""
    return float(environment_grid.irradiance(grid).mean()) / math.pi


@torch.no_grad()
def relight(model, rgb, matte, target_grids, side, device="cpu", source_grid=None, cancelled=None):
    """(relit (F, H, W, 3) linear, estimated source grid (R, C, 3)) of ``rgb`` under each target grid.

    ``source_grid``: the world the image was lit by, when known (its grid), instead of the estimate.
    ``cancelled()`` is polled between passes and may raise."""
    height, width = rgb.shape[:2]
    image = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))[None].to(device)
    full_matte = torch.from_numpy(np.ascontiguousarray(matte))[None, None].to(device)
    h, w = network_size(height, width, side)
    inner = (min(h, round(height * side / max(height, width)) or 1), min(w, round(width * side / max(height, width)) or 1))
    low = torch.zeros(1, 3, h, w, device=device)
    low_matte = torch.zeros(1, 1, h, w, device=device)
    low[:, :, :inner[0], :inner[1]] = _resized(image, inner)
    low_matte[:, :, :inner[0], :inner[1]] = _resized(full_matte, inner)
    low_log = torch.log1p(low)
    known = None
    if source_grid is not None:
        known = torch.as_tensor(environment_grid.encode(source_grid), dtype=torch.float32, device=device)[None]
    levels = [_level(grid) for grid in target_grids]
    encoded = [environment_grid.encode(grid / level if level > 0 else grid) for grid, level in zip(target_grids, levels)]
    full_guide = guided.guide_of(image)
    low_guide = guided.guide_of(low)[:, :, :inner[0], :inner[1]]
    # The network runs once: the target worlds only re-weight its transport (network.py).
    transport, condition, estimate = model.transport(low_log, low_matte, known)
    transport = transport[:, :, :inner[0], :inner[1]]
    frames = []
    for start in range(0, len(encoded), FRAMES_PER_PASS):
        if cancelled is not None:
            cancelled()
        batch = torch.as_tensor(np.stack(encoded[start:start + FRAMES_PER_PASS]), dtype=torch.float32,
                                device=device)
        count = len(batch)
        ratio = model.log_ratio(transport.expand(count, -1, -1, -1), condition.expand(count, -1, -1, -1), batch)
        full_ratio = guided.upsample(ratio, low_guide.expand(count, -1, -1, -1), full_guide.expand(count, -1, -1, -1))
        relit = relit_from_ratio(image.expand(count, -1, -1, -1), full_ratio)
        scale = torch.tensor(levels[start:start + count], dtype=torch.float32, device=device).view(-1, 1, 1, 1)
        frames.append((relit * scale).permute(0, 2, 3, 1).cpu().numpy())
    estimate = estimate[0]
    return np.concatenate(frames), environment_grid.decode(estimate.cpu().numpy())


def front_view(environment, height, width):
    """(H, W, 3) the world as Blender's default camera sees it from the Front view (looking along +Y)."""
    half = SENSOR_MM / (2.0 * FRONT_LENS_MM)  # tan of half the field of view; the sensor fits the longer side
    span = max(height, width) / 2.0
    columns = (np.arange(width) + 0.5 - width / 2.0) / span * half
    rows = (np.arange(height) + 0.5 - height / 2.0) / span * half
    x, z = np.meshgrid(columns, -rows)
    directions = sphere.normalize(np.stack([x, np.ones_like(x), z], axis=-1)).reshape(-1, 3)
    if environment.image is None:
        colour = np.asarray(environment.colour, dtype=np.float64)[:3] * environment.strength
        return np.broadcast_to(colour, (height, width, 3)).astype(np.float32)
    radiance = bilinear_equirect(np.asarray(environment.image, dtype=np.float32),
                                 sphere.direction_to_uv(environment.mapping.apply(directions)))
    return (radiance * environment.strength).reshape(height, width, 3).astype(np.float32)


def composite(relit, rgb, matte, alpha, background, world=None):
    """(H, W, 4) one relit frame put together with what lies outside the matte."""
    m = matte[:, :, None]
    if background == "transparent":
        return np.concatenate([relit * m, m], axis=2).astype(np.float32)
    if background == "world":
        return np.concatenate([relit * m + world * (1.0 - m), np.ones_like(m)], axis=2).astype(np.float32)
    kept_alpha = alpha[:, :, None] if alpha is not None else np.ones_like(m)
    return np.concatenate([relit * m + rgb * (1.0 - m), kept_alpha], axis=2).astype(np.float32)
