"""Per-light weights from an environment: its radiance integrated over each light's cell.

A light stage photographs the subject under light i alone, delivering irradiance 1 from direction
d_i. Under an environment L(w) the subject is the sum over lights of w_i * image_i with
    w_i = integral over cell_i of L(w) dw        (RGB, radiance x solid angle)
where cell_i is the part of the sphere nearer to d_i than to any other light (Voronoi cells on the
sphere). Every texel of the map contributes its exact solid angle to exactly one cell, so the
weights sum to the map's integral and no texel is skipped or point-sampled: the map is in effect
box-filtered down to the light grid ("no aliasing if the light map is downsampled to 64 x 32 with
proper filtering"). The world's Mapping node is applied exactly as Cycles' svm_mapping does, and
the Background strength multiplies the result.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from ...protocol import sphere

MAPPING_KINDS = ("POINT", "TEXTURE", "VECTOR", "NORMAL")
_CHUNK = 1 << 15


@dataclass(frozen=True)
class Mapping:
    """A Mapping node between the world's generated coordinates and the Environment Texture."""
    kind: str = "POINT"
    location: tuple = (0.0, 0.0, 0.0)
    rotation: tuple = (0.0, 0.0, 0.0)  # radians, XYZ Euler
    scale: tuple = (1.0, 1.0, 1.0)

    def __post_init__(self):
        if self.kind not in MAPPING_KINDS:
            raise ValueError(f"mapping type must be one of {MAPPING_KINDS}, got {self.kind!r}")

    def apply(self, vectors):
        """Cycles' svm_mapping on (..., 3) vectors."""
        v = np.asarray(vectors, dtype=np.float64)
        matrix = sphere.euler_xyz_matrix(self.rotation)
        location, scale = np.asarray(self.location, float), np.asarray(self.scale, float)
        if self.kind == "POINT":
            return (v * scale) @ matrix.T + location
        if self.kind == "TEXTURE":
            return _safe_divide((v - location) @ matrix, scale)  # transposed rotation = inverse
        if self.kind == "VECTOR":
            return (v * scale) @ matrix.T
        return sphere.normalize(_safe_divide(v, scale) @ matrix.T)

    def orthogonal_matrix(self):
        """M with normalize(apply(w)) == M @ w for unit w, if the mapping is a rotation/reflection of
        directions (no location for POINT/TEXTURE, equal |scale| on all axes); else None."""
        scale = np.asarray(self.scale, float)
        magnitude = np.abs(scale)
        if magnitude.min() <= 0 or magnitude.max() - magnitude.min() > 1e-9 * magnitude.max():
            return None
        if self.kind in ("POINT", "TEXTURE") and np.any(np.asarray(self.location, float) != 0.0):
            return None
        signs = np.diag(np.sign(scale))
        matrix = sphere.euler_xyz_matrix(self.rotation)
        return signs @ matrix.T if self.kind == "TEXTURE" else matrix @ signs


def z_rotation(degrees):
    """The usual world turn: a Mapping rotating the environment about Z."""
    return Mapping(rotation=(0.0, 0.0, math.radians(degrees)))


@dataclass(frozen=True)
class Environment:
    """The world as the relighting sees it: an equirectangular map (or a plain colour) x strength."""
    image: np.ndarray = None        # (H, W, >=3) top-first scene-linear radiance, or None
    colour: tuple = (0.0, 0.0, 0.0)  # used when there is no image
    strength: float = 1.0
    mapping: Mapping = field(default_factory=Mapping)


def nearest_light(vectors, light_directions):
    """(N,) index of the light with the largest cosine to each of the (N, 3) unit vectors (exact).

    On unit vectors the largest cosine is the smallest Euclidean distance: a k-d tree query when
    scipy is installed, else ``sphere.nearest_light``'s chunked brute force (same answer, slower for
    many lights)."""
    try:
        from scipy.spatial import cKDTree
    except ImportError:
        return sphere.nearest_light(vectors, light_directions)
    lights = np.asarray(light_directions, dtype=np.float64)
    return cKDTree(lights).query(np.asarray(vectors, dtype=np.float64), workers=-1)[1].astype(np.int64)


def light_weights(environment, light_directions):
    """(L, 3) float64 weights: the environment's radiance x solid angle summed over each cell."""
    light_directions = np.asarray(light_directions, dtype=np.float64)
    if environment.image is None:
        colour = np.asarray(environment.colour, dtype=np.float64)[:3] * environment.strength
        return sphere.cell_solid_angles(light_directions, nearest=nearest_light)[:, None] * colour[None, :]
    image = np.asarray(environment.image)
    if image.ndim != 3 or image.shape[2] < 3:
        raise ValueError(f"the environment image must be (H, W, 3 or 4), got {image.shape}")
    matrix = environment.mapping.orthogonal_matrix()
    if matrix is not None:
        weights = _texel_exact_weights(image, matrix, light_directions)
    else:
        weights = _resampled_weights(image, environment.mapping, light_directions)
    return weights * float(environment.strength)


def map_integral(image):
    """(3,) the integral of an equirectangular map's radiance over the sphere."""
    height, width = image.shape[:2]
    areas = sphere.texel_solid_angles(width, height)
    return np.einsum("hwc,h->c", np.asarray(image[:, :, :3], dtype=np.float64), areas[:, 0])


def _texel_exact_weights(image, matrix, light_directions):
    """Each texel (its exact solid angle) goes to the light whose cell holds its world direction.

    Cycles looks texel t up for world direction w when M w = t, so w = M^T t (M orthogonal)."""
    height, width = image.shape[:2]
    texels = sphere.texel_directions(width, height).reshape(-1, 3)
    world = texels @ matrix  # rows: (M^T t)^T = t^T M
    cells = nearest_light(world, light_directions)
    areas = np.broadcast_to(sphere.texel_solid_angles(width, height), (height, width)).reshape(-1)
    rgb = np.asarray(image[:, :, :3], dtype=np.float64).reshape(-1, 3) * areas[:, None]
    return np.stack([np.bincount(cells, weights=rgb[:, c], minlength=len(light_directions))
                     for c in range(3)], axis=1)


def _resampled_weights(image, mapping, light_directions):
    """General mapping (location, unequal scale): sample the world sphere finer than the map,
    look each direction up as Cycles does (mapping, then bilinear equirectangular lookup) and sum
    radiance x the sample's solid angle into its cell."""
    height, width = image.shape[:2]
    sample_w, sample_h = max(2 * width, sphere.CELL_GRID[0]), max(2 * height, sphere.CELL_GRID[1])
    weights = np.zeros((len(light_directions), 3))
    areas_by_row = sphere.texel_solid_angles(sample_w, sample_h)[:, 0]
    rows_per_chunk = max(1, _CHUNK // sample_w)
    for row0 in range(0, sample_h, rows_per_chunk):
        rows = np.arange(row0, min(row0 + rows_per_chunk, sample_h))
        u = (np.arange(sample_w) + 0.5) / sample_w
        v = 1.0 - (rows + 0.5) / sample_h
        uu, vv = np.meshgrid(u, v)
        world = sphere.uv_to_direction(np.stack([uu, vv], axis=-1)).reshape(-1, 3)
        radiance = bilinear_equirect(image, sphere.direction_to_uv(mapping.apply(world)))
        radiance *= np.repeat(areas_by_row[rows], sample_w)[:, None]
        cells = nearest_light(world, light_directions)
        for c in range(3):
            weights[:, c] += np.bincount(cells, weights=radiance[:, c], minlength=len(light_directions))
    return weights


def bilinear_equirect(image, uv):
    """(N, 3) bilinear lookup at (N, 2) Cycles (u, v): wraps in u, clamps in v, texel centres at
    (i + 0.5) / size, like Cycles' Linear interpolation of an Environment Texture."""
    height, width = image.shape[:2]
    x = np.asarray(uv[:, 0]) * width - 0.5
    y = (1.0 - np.asarray(uv[:, 1])) * height - 0.5  # top-first rows
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    x0 = x0.astype(np.int64) % width
    x1 = (x0 + 1) % width
    y0i = np.clip(y0.astype(np.int64), 0, height - 1)
    y1i = np.clip(y0.astype(np.int64) + 1, 0, height - 1)
    rgb = image[:, :, :3]
    top = rgb[y0i, x0] * (1 - fx) + rgb[y0i, x1] * fx
    bottom = rgb[y1i, x0] * (1 - fx) + rgb[y1i, x1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float64)


def _safe_divide(a, b):
    b = np.broadcast_to(np.asarray(b, dtype=np.float64), np.shape(a))
    return np.divide(a, b, out=np.zeros(np.shape(a)), where=b != 0)
