"""Procedural style pictures: paintings of oriented brush strokes, made here because the project ships
no artwork and has no internet. Used by the demo, the stylize benchmark and the tests. Display-referred
(H, W, 3) float32 in [0, 1]."""

import numpy as np


def brush_painting(height, width, seed=0, palette=None, stroke_length=18.0, stroke_width=3.0, strokes=None):
    """Many short, oriented, coloured brush strokes over a tinted ground: a Van-Gogh-ish texture with
    a clear orientation field (swirls) and a small palette, i.e. strong, learnable style statistics."""
    rng = np.random.default_rng(seed)
    palette = np.asarray(palette if palette is not None else
                         [(0.08, 0.18, 0.45), (0.95, 0.80, 0.20), (0.20, 0.45, 0.80), (0.90, 0.95, 0.85),
                          (0.05, 0.08, 0.20)], dtype=np.float32)
    image = np.empty((height, width, 3), np.float32)
    image[:] = palette[0]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    count = strokes or int(height * width / (stroke_length * stroke_width) * 1.6)
    centres_y = rng.uniform(0, height, count)
    centres_x = rng.uniform(0, width, count)
    colours = palette[rng.integers(0, len(palette), count)] * rng.uniform(0.85, 1.15, (count, 1))
    for cy, cx, colour in zip(centres_y, centres_x, colours):
        # Orientation from a smooth swirling field, so strokes line up like a painting's.
        angle = np.sin(cx / width * 6.0) * 1.5 + np.cos(cy / height * 5.0) * 1.5
        direction = np.array([np.sin(angle), np.cos(angle)], np.float32)
        half = int(stroke_length) + 2
        y0, y1 = int(max(cy - half, 0)), int(min(cy + half, height))
        x0, x1 = int(max(cx - half, 0)), int(min(cx + half, width))
        if y0 >= y1 or x0 >= x1:
            continue
        dy, dx = ys[y0:y1, x0:x1] - cy, xs[y0:y1, x0:x1] - cx
        along = dy * direction[0] + dx * direction[1]
        across = -dy * direction[1] + dx * direction[0]
        weight = np.clip(1.0 - np.abs(across) / stroke_width, 0, 1) * (np.abs(along) < stroke_length / 2)
        weight = weight[:, :, None] * 0.9
        image[y0:y1, x0:x1] = image[y0:y1, x0:x1] * (1 - weight) + colour * weight
    return np.clip(image, 0.0, 1.0)
