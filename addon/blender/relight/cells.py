"""Sphere geometry the Blender side needs for the virtual light stage (numpy only).

The worker has its own copy in ``worker/relight`` (the Blender side may not import worker modules,
which may import torch); ``test_relight_capture`` checks both agree. Conventions: world Z up;
a light's cell is its Voronoi cell on the sphere (the directions nearer to it than to any other).
"""

import math

import numpy as np

_GRID = (1024, 512)   # equirectangular sampling of the sphere used to measure cells
_CHUNK = 1 << 15


def latlong_grid_directions(columns, rows):
    """Centres of a columns x rows grid equal in azimuth (from +X towards +Y) and elevation; rows from
    the top (+Z) down, files along a row first -- the worker's default grid order."""
    azimuths = 2.0 * math.pi * (np.arange(columns) + 0.5) / columns
    elevations = math.pi / 2.0 - math.pi * (np.arange(rows) + 0.5) / rows
    el, az = np.meshgrid(elevations, azimuths, indexing="ij")
    el, az = el.ravel(), az.ravel()
    return np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=-1)


def cell_solid_angles(directions):
    """(L,) steradians of each light's Voronoi cell, measured on an equirectangular sampling."""
    width, height = _GRID
    edges = math.pi / 2.0 - math.pi * np.arange(height + 1) / height
    row_areas = (2.0 * math.pi / width) * (np.sin(edges[:-1]) - np.sin(edges[1:]))
    elevation = math.pi / 2.0 - math.pi * (np.arange(height) + 0.5) / height
    azimuth = 2.0 * math.pi * (np.arange(width) + 0.5) / width
    el, az = np.meshgrid(elevation, azimuth, indexing="ij")
    samples = np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=-1)
    samples = samples.reshape(-1, 3).astype(np.float32)
    areas = np.repeat(row_areas, width)
    lights = np.asarray(directions, dtype=np.float32).T
    cells = np.concatenate([np.argmax(samples[start:start + _CHUNK] @ lights, axis=1)
                            for start in range(0, len(samples), _CHUNK)])
    return np.bincount(cells, weights=areas, minlength=lights.shape[1])


def sun_angle_for_cell(solid_angle):
    """Angular diameter (radians) of the disc whose solid angle is ``solid_angle``."""
    return 2.0 * math.acos(max(-1.0, 1.0 - solid_angle / (2.0 * math.pi)))
