"""Any size through a fixed-size network: overlapping windows with context, blended where they meet.

The picture is first padded by a context margin (wrapped for a tileable picture, mirrored otherwise)
so every output pixel, the border ones included, sees real neighbours. It is then cut into windows of
at most ``tile`` px plus that margin; each window's centre (its core plus a ``blend`` band on each side)
is kept and the bands are cross-faded with linear ramps, so a boundary between windows never shows:
two windows agree there up to what lies beyond the network's reach, and the ramp hides the rest.
"""

from dataclasses import dataclass

import numpy as np

CONTEXT = 64     # px of real neighbours each window sees beyond what it keeps
BLEND = 32       # px over which neighbouring windows cross-fade


@dataclass
class Window:
    source: tuple      # slices into the padded picture (the network's input)
    region: tuple      # slices of the output the window's kept part covers
    kept: tuple        # slices of the window's output that are kept
    weight: np.ndarray  # (h, w, 1) cross-fade weights of the kept part


def _starts(length, core):
    count = max(1, int(np.ceil(length / core)))
    step = length / count
    return [int(round(index * step)) for index in range(count)] + [length]


def _ramp(length, before, after):
    weight = np.ones(length)
    if before:
        weight[:before] = (np.arange(before) + 0.5) / before
    if after:
        weight[length - after:] = ((np.arange(after) + 0.5) / after)[::-1]
    return weight


def pad(image, tileable, context=CONTEXT, blend=BLEND, multiple=1):
    """The picture with its context margin (and enough extra mirrored pixels for any window's
    rounding up to ``multiple``)."""
    margin = context + blend
    mode = "wrap" if tileable else "symmetric"
    padded = np.pad(image, ((margin, margin), (margin, margin), (0, 0)), mode=mode)
    return np.pad(padded, ((0, multiple), (0, multiple), (0, 0)), mode="symmetric")


def windows(height, width, tile, multiple, context=CONTEXT, blend=BLEND):
    if tile < 2 * blend:
        raise ValueError(f"tile must be at least {2 * blend} px (twice the blend)")
    margin = context + blend
    rows, columns = _starts(height, tile), _starts(width, tile)
    result = []
    for top, bottom in zip(rows[:-1], rows[1:]):
        for left, right in zip(columns[:-1], columns[1:]):
            b_top, b_bottom = (blend if top > 0 else 0), (blend if bottom < height else 0)
            b_left, b_right = (blend if left > 0 else 0), (blend if right < width else 0)
            y0, y1 = top - b_top - context + margin, bottom + b_bottom + context + margin
            x0, x1 = left - b_left - context + margin, right + b_right + context + margin
            y1 += (-(y1 - y0)) % multiple
            x1 += (-(x1 - x0)) % multiple
            kept_h, kept_w = bottom - top + b_top + b_bottom, right - left + b_left + b_right
            weight = _ramp(kept_h, b_top, b_bottom)[:, None] * _ramp(kept_w, b_left, b_right)[None, :]
            result.append(Window((slice(y0, y1), slice(x0, x1)),
                                 (slice(top - b_top, bottom + b_bottom), slice(left - b_left, right + b_right)),
                                 (slice(context, context + kept_h), slice(context, context + kept_w)),
                                 weight[..., None].astype(np.float32)))
    return result


def blend(pieces, layout, height, width):
    """Cross-fade the kept parts ``pieces`` (one (h, w, K) array per window of ``layout``)."""
    result = np.zeros((height, width, pieces[0].shape[2]), np.float32)
    total = np.zeros((height, width, 1), np.float32)
    for piece, window in zip(pieces, layout):
        result[window.region] += piece * window.weight
        total[window.region] += window.weight
    return result / total
