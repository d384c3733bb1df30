"""Pictures for the stylize tests and benchmarks, made here (there is no internet): procedural
paintings of brush strokes (the style images, from scripts/sample_styles.py) and a render-like content
picture. Display-referred (H, W, 3) float32 in [0, 1] unless said otherwise."""

import numpy as np

from sample_styles import brush_painting  # noqa: F401  (re-exported for the tests)
# A style picture as the scene-linear pixels a file or datablock holds: the project's sRGB decode.
from neural_render.worker.imageio.colour import srgb_to_linear as display_to_linear  # noqa: F401


def render_like_scene(height, width, seed=0):
    """A scene-linear picture like a simple render: sky gradient, ground plane, a sphere with a
    highlight above 1, a box. Smooth regions and hard edges, which style transfer turns into strokes."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    v, u = ys / max(height - 1, 1), xs / max(width - 1, 1)
    image = np.zeros((height, width, 3), np.float32)
    horizon = 0.55
    sky = np.stack([0.25 + 0.3 * v, 0.45 + 0.3 * v, 0.9 - 0.1 * v], -1)
    ground = np.stack([0.18 + 0.1 * (v - horizon), 0.12 + 0.05 * v, 0.06 + 0 * v], -1)
    image[:] = np.where((v < horizon)[:, :, None], sky, ground)
    radius = 0.22 * min(height, width)
    cy, cx = height * 0.55, width * 0.38
    distance = np.sqrt((ys - cy) ** 2 + (xs - cx) ** 2)
    inside = distance < radius
    shade = np.clip(1 - distance / radius, 0, 1) ** 0.5
    sphere = np.stack([0.8 * shade, 0.15 * shade, 0.1 * shade], -1)
    highlight = np.exp(-((ys - (cy - radius * 0.4)) ** 2 + (xs - (cx - radius * 0.35)) ** 2) / (0.02 * radius ** 2))
    sphere = sphere + 4.0 * highlight[:, :, None]  # a glint 4x over white: highlights must survive
    image = np.where(inside[:, :, None], sphere, image)
    box = (np.abs(ys - height * 0.62) < height * 0.14) & (np.abs(xs - width * 0.72) < width * 0.1)
    image[box] = (0.1, 0.5, 0.2)
    return image.astype(np.float32)
