"""Instant style, I/O-free: display-referred tensors in, display-referred tensors out.

- ``style_vector``: a style picture -> the predictor's 100-d style vector (centre square, 256², area
  filtered, as the predictor was trained).
- ``blended_vector``: several styles by weight, and the style strength: the style vector is moved from
  the *content's own* style vector (strength 0: the content's look) to the blend (strength 1), and
  beyond it up to ``MAX_STRENGTH`` (Ghiasi et al.'s interpolation of style vectors).
- ``transform``: the transformer over a frame of any size. The frame is padded by reflection to a
  multiple of 4 (the two stride-2 contractions). Up to ``max_pixels`` it runs in one pass. Larger
  frames run as tiles, each with a ``HALO`` wider than the network's receptive field, and every
  instance norm normalises with the statistics of the *whole frame*, measured over the tiles first (one
  sweep per norm): the tiled result equals the one-pass result to float rounding, with no seams.
"""

import math

import torch
import torch.nn.functional as F

from .networks import STYLE_SIZE, MeasuredEnough, NormStatistics

MAX_STRENGTH = 2.0      # beyond about twice the style vector's offset the transformer's output breaks up
HALO = 64               # > the receptive field radius (about 56 px: 9x9, two stride-2 3x3, ten 3x3 at 1/4, ...)
ALIGN = 4               # tiles start on the stride-2 grid of the contractions
MAX_PIXELS = 16_000_000  # one pass up to here (about 2 GB of activations); tiles beyond


def _square_256(display):
    """(1, 3, H, W) -> the centre square at 256², area-filtered (bicubic when enlarging)."""
    height, width = display.shape[-2:]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = display[..., top:top + side, left:left + side]
    mode = "area" if side >= STYLE_SIZE else "bicubic"
    options = {} if mode == "area" else {"align_corners": False}
    return F.interpolate(square, size=(STYLE_SIZE, STYLE_SIZE), mode=mode, **options).clamp(0.0, 1.0)


def style_vector(predictor, display):
    """(1, 3, H, W) display RGB in [0, 1] -> (1, 100, 1, 1)."""
    device = next(predictor.parameters()).device
    with torch.no_grad():
        return predictor(_square_256(display.to(device)))


def blended_vector(predictor, style_displays, weights, content_display, strength):
    """The style vector for a weighted blend of styles at ``strength`` (clamped to [0, MAX_STRENGTH])."""
    total = float(sum(weights))
    blend = sum(weight / total * style_vector(predictor, display) for display, weight in zip(style_displays, weights))
    strength = min(max(float(strength), 0.0), MAX_STRENGTH)
    if strength == 1.0:
        return blend
    own = style_vector(predictor, content_display)
    return own + strength * (blend - own)


def _padded(display):
    """Reflect-pad (1, 3, H, W) to multiples of ALIGN; returns (padded, (H, W))."""
    height, width = display.shape[-2:]
    pad_h, pad_w = (-height) % ALIGN, (-width) % ALIGN
    if pad_h or pad_w:
        mode = "reflect" if min(height, width) > max(pad_h, pad_w) else "replicate"
        display = F.pad(display, (0, pad_w, 0, pad_h), mode=mode)
    return display, (height, width)


def _run(transformer, display, vector, statistics=None):
    """One pass; the norms see the real pixels only, not the padding (nor, for a tile, its halo)."""
    padded, (height, width) = _padded(display)
    statistics = statistics or NormStatistics()
    statistics.input_size = padded.shape[-2:]
    if statistics.window is None:
        statistics.window = (0, 0, height, width)
    with torch.no_grad():
        return transformer(padded, vector, statistics)[..., :height, :width]


def _pooled(parts):
    """One norm's (mean, variance) over the whole frame from the tiles' [(mean, variance, pixels)]."""
    total = float(sum(pixels for _, _, pixels in parts))
    mean = sum(pixels * part_mean for part_mean, _, pixels in parts) / total
    second = sum(pixels * (variance + part_mean.square()) for part_mean, variance, pixels in parts) / total
    return mean, (second - mean.square()).clamp_min(0.0)


def transform(transformer, display, vector, max_pixels=MAX_PIXELS, report=None):
    """(1, 3, H, W) display RGB -> the stylized (1, 3, H, W) on the CPU."""
    device = next(transformer.parameters()).device
    display = display.to(device)
    vector = vector.to(device)
    height, width = display.shape[-2:]
    if height * width <= max_pixels:
        result = _run(transformer, display, vector)
        if report:
            report(1.0, f"{width}x{height} px in one pass")
        return result.cpu()
    side = max(ALIGN * 16, int(math.sqrt(max_pixels)) - 2 * HALO) // ALIGN * ALIGN  # the kept middle of a tile
    tiles = []  # kept middles start on multiples of `side` (itself aligned), so they partition the frame
    for top in range(0, height, side):
        for left in range(0, width, side):
            bottom, right = min(top + side, height), min(left + side, width)
            # The tile with its halo, clipped to the frame, starting on the stride grid.
            outer = (max(0, top - HALO) // ALIGN * ALIGN, max(0, left - HALO) // ALIGN * ALIGN,
                     min(height, bottom + HALO), min(width, right + HALO))
            tiles.append(((top, left, bottom, right), outer))
    # The norms' statistics over the whole frame, exactly, one norm per sweep: sweep j normalises the
    # norms before j with their (already exact) frame statistics and measures norm j on every tile's
    # kept middle (the middles partition the frame), stopping the pass there.
    statistics = {}
    keys = transformer.norm_keys()
    sweeps = len(keys) + 1
    for sweep, key in enumerate(keys):
        parts = []
        for (top, left, bottom, right), (outer_top, outer_left, outer_bottom, outer_right) in tiles:
            window = (top - outer_top, left - outer_left, bottom - outer_top, right - outer_left)
            recorder = NormStatistics(statistics, window, stop_after=key)
            try:
                _run(transformer, display[..., outer_top:outer_bottom, outer_left:outer_right], vector, recorder)
            except MeasuredEnough:
                pass
            parts.append(recorder.measured[key])
        statistics[key] = _pooled(parts)
        if report:
            report((sweep + 1) / sweeps, f"statistics {sweep + 1}/{len(keys)}")
    result = torch.empty(1, 3, height, width)
    for index, ((top, left, bottom, right), (outer_top, outer_left, outer_bottom, outer_right)) in enumerate(tiles):
        piece = _run(transformer, display[..., outer_top:outer_bottom, outer_left:outer_right], vector,
                     NormStatistics(statistics))
        result[..., top:bottom, left:right] = piece[..., top - outer_top:bottom - outer_top,
                                                    left - outer_left:right - outer_left].cpu()
        if report:
            report((sweeps - 1 + (index + 1) / len(tiles)) / sweeps, f"tile {index + 1}/{len(tiles)}")
    return result
