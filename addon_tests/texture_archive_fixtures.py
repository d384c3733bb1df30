"""Pictures and names for the tiny texture archives the training tests build themselves (never the
Debian packages): blocky colour textures, normal maps of blocky height fields with the height in alpha,
and material names the deterministic split sends to validation."""

from io import BytesIO

import numpy as np
from PIL import Image

from training.textures import split


def encode(array, kind="PNG"):
    buffer = BytesIO()
    Image.fromarray(array).save(buffer, kind)
    return buffer.getvalue()


def colour_texture(seed, size=128, hue=(1.0, 0.6, 0.3)):
    rng = np.random.default_rng(seed)
    grey = rng.uniform(0.2, 1.0, (size // 8, size // 8))
    grey = np.kron(grey, np.ones((8, 8)))
    return (np.clip(grey[:, :, None] * np.array(hue), 0, 1) * 255).astype(np.uint8)


def normal_map(seed, size=128, relief=0.4):
    """RGBA uint8: a normal map (DirectX rows, as ufoai stores them) of a blocky height, the height in alpha."""
    rng = np.random.default_rng(seed)
    height = np.kron(rng.uniform(0, 1, (size // 16, size // 16)), np.ones((16, 16)))
    gy, gx = np.gradient(height * relief * 8)
    normal = np.stack([-gx, -gy, np.ones_like(gx)], 2)
    normal /= np.linalg.norm(normal, axis=2, keepdims=True)
    rgba = np.concatenate([(normal * 0.5 + 0.5) * 255, height[:, :, None] * 255], 2)
    return np.clip(rgba, 0, 255).astype(np.uint8)


def validation_name(prefix, package="test-textures", folder="textures/tex_rock", wanted=None):
    """A material name whose family the deterministic split sends to validation (or to ``wanted``)."""
    wanted = split.VALIDATION if wanted is None else wanted
    for index in range(1000):
        name = f"{prefix}{chr(97 + index % 26)}{chr(97 + index // 26)}"
        if split.split_of(f"{package}:{folder}/{name}") == wanted:
            return name
    raise AssertionError(f"no {wanted} family found")
