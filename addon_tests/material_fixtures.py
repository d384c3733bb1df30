"""What the material-map tests share: surfaces with known normals, photos of them, and a small
random-weights model file in the real format (the tests check plumbing and invariants with it; the
bundled model's quality is measured by scripts/bench/bench_material.py)."""

import numpy as np
import torch

from neural_render.worker.material import checkpoint, network
from neural_render.worker.material import height as heights
from neural_render.worker.material import normals as normal_maps


def bumpy_height(height=96, width=128, seed=0, tileable=False):
    """A smooth random surface, in px of height (slopes up to about 1)."""
    rng = np.random.default_rng(seed)
    surface = heights.gaussian_blur(rng.normal(size=(height, width)), 3.0, tileable=tileable)
    return surface / np.abs(np.diff(surface, axis=1)).max()


def normals_of(surface, tileable=False):
    return normal_maps.from_slopes(*heights.central_slopes(surface, tileable))


def photo_of(surface, tileable=False):
    """Display-encoded RGB of the surface lit from the upper left (bright = facing the light)."""
    vectors = normals_of(surface, tileable)
    light = np.array([-0.5, 0.5, 0.7]) / np.linalg.norm([-0.5, 0.5, 0.7])
    shade = np.clip(vectors @ light, 0.0, 1.0)
    return np.stack([0.8 * shade, 0.6 * shade, 0.4 * shade + 0.1], axis=-1).astype(np.float32)


def random_model(path, seed=0):
    """A model file with random weights whose outputs vary across the picture."""
    torch.manual_seed(seed)
    model = network.MaterialUNet()
    with torch.no_grad():
        model.head.weight.normal_(0.0, 0.3)
    torch.save({"format": checkpoint.FORMAT, "format_version": checkpoint.FORMAT_VERSION,
                "settings": {"channels": list(network.CHANNELS), "prior_strength": network.PRIOR_STRENGTH},
                "generator": model.state_dict()}, str(path))
    return str(path)
