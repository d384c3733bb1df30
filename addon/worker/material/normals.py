"""Tangent-space normal maps in Blender's convention (OpenGL: +X right, +Y up, +Z out of the surface).

Arrays are (H, W, 3) float unit vectors, rows running down the image. For a height field h(x, row),
the surface normal is ∝ (−∂h/∂x, +∂h/∂row, 1): the image's y axis points up, so a slope that rises
towards the bottom rows tilts the normal up. The stored encoding is 0.5·n + 0.5 per channel.

Rotating or flipping an image moves its pixels *and* turns the vectors it stores: ``rotate90`` and
``flip`` do both, so augmented training pairs stay correct normal maps.
"""

import numpy as np

MIN_NZ = 0.05   # slopes are capped at 20:1 so grazing normals never divide by ~0


def normalise(vectors):
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-8)


def decode(encoded):
    """0.5·n + 0.5 values (any float range, e.g. an 8-bit map / 255) → unit vectors."""
    return normalise(np.asarray(encoded, np.float64)[..., :3] * 2.0 - 1.0)


def encode(vectors):
    return np.clip(0.5 * np.asarray(vectors) + 0.5, 0.0, 1.0)


def flip_green(vectors):
    """DirectX (−Y) ↔ OpenGL (+Y)."""
    flipped = np.array(vectors, copy=True)
    flipped[..., 1] *= -1.0
    return flipped


def flat(height, width):
    vectors = np.zeros((height, width, 3))
    vectors[..., 2] = 1.0
    return vectors


def angular_error_degrees(predicted, truth):
    """Per-pixel angle between two unit-vector maps."""
    cosine = np.clip((normalise(predicted) * normalise(truth)).sum(-1), -1.0, 1.0)
    return np.degrees(np.arccos(cosine))


def slopes(vectors):
    """(∂h/∂x, ∂h/∂row) the vectors imply."""
    nz = np.maximum(vectors[..., 2], MIN_NZ)
    return -vectors[..., 0] / nz, vectors[..., 1] / nz


def from_slopes(dh_dx, dh_drow):
    ones = np.ones_like(dh_dx)
    return normalise(np.stack([-dh_dx, dh_drow, ones], axis=-1))


def rotate90(vectors, turns=1):
    """Rotate the picture ``turns`` quarter turns counter-clockwise (np.rot90) and its vectors with it:
    a quarter turn sends right (1, 0) to up (0, 1), so (x, y) → (−y, x)."""
    turns %= 4
    rotated = np.rot90(vectors, turns, axes=(0, 1)).copy()
    for _ in range(turns):
        x = rotated[..., 0].copy()
        rotated[..., 0] = -rotated[..., 1]
        rotated[..., 1] = x
    return rotated


def flip(vectors, columns=False, rows=False):
    """Mirror the picture left-right (``columns``) and/or top-bottom (``rows``), vectors with it."""
    flipped = np.array(vectors, copy=True)
    if columns:
        flipped = flipped[:, ::-1]
        flipped[..., 0] *= -1.0
    if rows:
        flipped = flipped[::-1]
        flipped[..., 1] *= -1.0
    return np.ascontiguousarray(flipped)


def curl_ratio(vectors):
    """How far a normal map is from the normals of any surface: mean |curl| of its slopes over their
    mean change (≈ 0 for a height field's normals; a map read with the wrong green convention gives
    ±2·∂²h/∂x∂row: on the texture library 0.3-0.45 read the right way, 0.95 the wrong way)."""
    dh_dx, dh_drow = slopes(vectors)
    # Central differences both ways: the same stencil, so a height field's slopes give exactly zero.
    along_rows = 0.5 * (dh_dx[2:, 1:-1] - dh_dx[:-2, 1:-1])
    along_columns = 0.5 * (dh_drow[1:-1, 2:] - dh_drow[1:-1, :-2])
    scale = np.abs(along_rows).mean() + np.abs(along_columns).mean()
    return float(np.abs(along_rows - along_columns).mean() / max(scale, 1e-9))
