"""Directions on the sphere in Blender's conventions, and the light cells of a light stage (numpy only).

One copy for both processes: the worker's relighting (``worker/relight``) weights a set with it and
the Blender side's virtual light stage (``blender/relight/capture.py``) places and sizes its sun lamps
with it, so a captured set and its weights cannot disagree.

Conventions: world Z up, Cycles' equirectangular mapping. Cycles maps a direction (x, y, z) to image
coordinates (``direction_to_equirectangular``)
    u = -atan2(y, x) / (2 pi) + 0.5        (u grows to the right; -X is at u = 0 and 1, +X at 0.5)
    v = atan2(z, hypot(x, y)) / pi + 0.5   (v = 0 is the bottom row, v = 1 the top: +Z)
so azimuth runs clockwise seen from above. The test ``test_relight_convention`` renders with Blender
and checks this module against it, because a mirrored azimuth silently relights with the wrong world.
Arrays here are top-first like every worker image: row 0 is the top of the map (v near 1).

A light's cell is its Voronoi cell on the sphere: the directions nearer to it than to any other light.
"""

import math

import numpy as np

# Resolution of the equirectangular sampling of the sphere that measures cell solid angles.
CELL_GRID = (1024, 512)
_DOTS_PER_CHUNK = 1 << 24  # cosines computed at once by the brute-force search (128 MB of float64)


def normalize(vectors):
    vectors = np.asarray(vectors, dtype=np.float64)
    lengths = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(lengths > 0.0, lengths, 1.0)


def direction_to_uv(directions):
    """(..., 3) directions (any length > 0) -> (..., 2) Cycles equirectangular (u, v) in [0, 1]."""
    d = np.asarray(directions, dtype=np.float64)
    x, y, z = d[..., 0], d[..., 1], d[..., 2]
    u = -np.arctan2(y, x) / (2.0 * math.pi) + 0.5
    v = np.arctan2(z, np.hypot(x, y)) / math.pi + 0.5
    return np.stack([u, v], axis=-1)


def uv_to_direction(uv):
    """The inverse of ``direction_to_uv``: (..., 2) (u, v) -> (..., 3) unit directions."""
    uv = np.asarray(uv, dtype=np.float64)
    azimuth = (0.5 - uv[..., 0]) * 2.0 * math.pi  # = atan2(y, x)
    elevation = (uv[..., 1] - 0.5) * math.pi
    cos_el = np.cos(elevation)
    return np.stack([cos_el * np.cos(azimuth), cos_el * np.sin(azimuth), np.sin(elevation)], axis=-1)


def texel_directions(width, height):
    """(height, width, 3) unit directions through the centres of a top-first equirectangular map."""
    u = (np.arange(width) + 0.5) / width
    v = 1.0 - (np.arange(height) + 0.5) / height  # row 0 is the top
    uu, vv = np.meshgrid(u, v)
    return uv_to_direction(np.stack([uu, vv], axis=-1))


def texel_solid_angles(width, height):
    """(height, 1) exact solid angle of each texel of a row (steradians); the rows sum to 4 pi.

    A texel spans d_azimuth = 2 pi / width and the elevations between its edges, so its solid angle
    is d_azimuth * (sin(top elevation) - sin(bottom elevation)): exact, not the cos(centre) estimate.
    """
    edges = math.pi / 2.0 - math.pi * np.arange(height + 1) / height  # top edge first
    return ((2.0 * math.pi / width) * (np.sin(edges[:-1]) - np.sin(edges[1:])))[:, None]


def euler_xyz_matrix(rotation):
    """Blender's XYZ Euler (radians) as a 3x3 matrix: X is applied first, then Y, then Z."""
    rx, ry, rz = (float(angle) for angle in rotation)
    cx, sx, cy, sy, cz, sz = math.cos(rx), math.sin(rx), math.cos(ry), math.sin(ry), math.cos(rz), math.sin(rz)
    x = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    y = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    z = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return z @ y @ x


def latlong_grid_directions(columns, rows, azimuth_origin_deg=0.0, clockwise=False, top_first=True,
                            row_major=True):
    """Centres of a columns x rows grid of cells equal in azimuth and elevation, in file order.

    Azimuth is measured from +X towards +Y (counter-clockwise seen from above) starting at
    ``azimuth_origin_deg`` unless ``clockwise``; elevation rows go from the top (+Z) down unless not
    ``top_first``; with ``row_major`` the files run along a row first, else down a column first.
    The defaults are the order the virtual light stage captures in.
    """
    if columns < 1 or rows < 1:
        raise ValueError(f"a light grid needs at least 1 x 1 cells, got {columns} x {rows}")
    sign = -1.0 if clockwise else 1.0
    azimuths = np.radians(azimuth_origin_deg) + sign * 2.0 * math.pi * (np.arange(columns) + 0.5) / columns
    elevations = math.pi / 2.0 - math.pi * (np.arange(rows) + 0.5) / rows
    if not top_first:
        elevations = elevations[::-1]
    if row_major:
        el, az = np.meshgrid(elevations, azimuths, indexing="ij")
    else:
        az, el = np.meshgrid(azimuths, elevations, indexing="ij")
    el, az = el.ravel(), az.ravel()
    return np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=-1)


def nearest_light(vectors, light_directions):
    """(N,) index of the light with the largest cosine to each of the (N, 3) unit vectors: exact,
    chunked brute force (the worker swaps in a k-d tree when scipy is there; same answer)."""
    lights = np.asarray(light_directions, dtype=np.float64)
    vectors = np.asarray(vectors, dtype=np.float64)
    out = np.empty(len(vectors), dtype=np.int64)
    step = max(1, _DOTS_PER_CHUNK // max(1, len(lights)))
    for start in range(0, len(vectors), step):
        out[start:start + step] = np.argmax(vectors[start:start + step] @ lights.T, axis=1)
    return out


def cell_solid_angles(light_directions, grid=CELL_GRID, nearest=nearest_light):
    """(L,) solid angle of each light's Voronoi cell (steradians, summing to 4 pi), measured on an
    equirectangular sampling of ``grid`` (width, height); ``nearest`` finds each sample's light."""
    width, height = grid
    texels = texel_directions(width, height).reshape(-1, 3)
    areas = np.broadcast_to(texel_solid_angles(width, height), (height, width)).reshape(-1)
    cells = nearest(texels, light_directions)
    return np.bincount(cells, weights=areas, minlength=len(light_directions))


def sun_angle_for_cell(solid_angle):
    """Angular diameter (radians) of the disc with this solid angle: a sun lamp covering a cell."""
    return 2.0 * math.acos(max(-1.0, 1.0 - solid_angle / (2.0 * math.pi)))


def sun_angles(light_directions, nearest=nearest_light):
    """(L,) the angular diameter of each light's sun: the disc of its cell's solid angle, at most pi."""
    return np.array([min(sun_angle_for_cell(area), math.pi)
                     for area in cell_solid_angles(light_directions, nearest=nearest)])
