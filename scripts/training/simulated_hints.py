"""Simulated user hints for training the hint-conditioned colorizer (Zhang et al. 2017, §3.2).

Per image: a number of hints drawn from a geometric distribution (mean MEAN_HINTS, at most
MAX_HINTS; sometimes none, so the network also learns to colour unaided). Each hint is either a
square patch (side 1..MAX_PATCH px, like a user's click) or a short stroke (like a brush scribble),
and carries the *mean true a*b* under it* — what a user painting that region one colour would give.
"""

import numpy as np

MEAN_HINTS = 8.0
MAX_HINTS = 40
MAX_PATCH = 9
STROKE_FRACTION = 0.3
STROKE_LENGTH = (6, 40)


def _stroke_pixels(height, width, rng):
    length = rng.integers(*STROKE_LENGTH)
    angle = rng.uniform(0, 2 * np.pi)
    start = rng.uniform([0, 0], [height, width])
    steps = np.linspace(0.0, 1.0, length)
    rows = np.clip(start[0] + steps * length * np.sin(angle), 0, height - 1).astype(int)
    columns = np.clip(start[1] + steps * length * np.cos(angle), 0, width - 1).astype(int)
    thickness = rng.integers(1, 3)
    mask = np.zeros((height, width), bool)
    for dy in range(thickness):
        for dx in range(thickness):
            mask[np.clip(rows + dy, 0, height - 1), np.clip(columns + dx, 0, width - 1)] = True
    return mask


def simulate(true_ab, rng, count=None):
    """(hint a*b* (H, W, 2), mask (H, W) bool) for one image's true a*b* (H, W, 2).
    ``count`` fixes the number of point hints (evaluation: "10 hints per texture")."""
    height, width = true_ab.shape[:2]
    hint_ab = np.zeros_like(true_ab, dtype=np.float32)
    mask = np.zeros((height, width), bool)
    strokes_allowed = count is None
    if count is None:
        count = min(MAX_HINTS, int(rng.geometric(1.0 / (MEAN_HINTS + 1))) - 1)
    for _ in range(count):
        if strokes_allowed and rng.random() < STROKE_FRACTION:
            region = _stroke_pixels(height, width, rng)
        else:
            side = int(rng.integers(1, MAX_PATCH + 1))
            top, left = int(rng.integers(0, height - side + 1)), int(rng.integers(0, width - side + 1))
            region = np.zeros((height, width), bool)
            region[top:top + side, left:left + side] = True
        hint_ab[region] = true_ab[region].mean(0)
        mask |= region
    return hint_ab, mask
