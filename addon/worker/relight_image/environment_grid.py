"""The world as the relighting network sees it: a GRID_ROWS x GRID_COLUMNS lat-long grid of cells.

Cell i holds the world's radiance averaged over the cell: its light-stage weight w_i (the radiance
integrated over the cell, ``relight/weights.py``) divided by the cell's solid angle. So the grid is the
world box-filtered to the training light stage's lights, and sum_i grid_i * solid_angle_i * I_i is the
exact relighting of a light-stage capture on the same grid -- the identity the training data is made by.
"""

import functools

import numpy as np

from ...protocol import sphere
from ...protocol.specs.relight_image import GRID_COLUMNS, GRID_ROWS
from ..relight.weights import Environment, light_weights

# Image worlds are box-filtered to at most this width before the cells are summed: a 4k map would
# cost seconds of nearest-cell lookups for a grid of 128 cells, and 512 texels across put more than
# 30 texels in every cell.
MAX_MAP_WIDTH = 512


@functools.lru_cache(maxsize=1)
def grid_directions():
    """(L, 3) the cells' centre directions, in the light stage's file order (rows from the top)."""
    return sphere.latlong_grid_directions(GRID_COLUMNS, GRID_ROWS)


@functools.lru_cache(maxsize=1)
def grid_solid_angles():
    """(L,) steradians of the training grid's cells (they sum to 4 pi), computed once."""
    return sphere.cell_solid_angles(grid_directions())


def weights_to_grid(weights):
    """(..., L, 3) light weights -> (..., GRID_ROWS, GRID_COLUMNS, 3) mean radiance per cell."""
    weights = np.asarray(weights, dtype=np.float64)
    radiance = weights / grid_solid_angles()[:, None]
    return radiance.reshape(weights.shape[:-2] + (GRID_ROWS, GRID_COLUMNS, 3))


def grid_to_weights(grid):
    grid = np.asarray(grid, dtype=np.float64)
    flat = grid.reshape(grid.shape[:-3] + (GRID_ROWS * GRID_COLUMNS, 3))
    return flat * grid_solid_angles()[:, None]


def downsampled(image, max_width=MAX_MAP_WIDTH):
    """An equirectangular map box-filtered by a whole factor to at most ``max_width`` texels across."""
    image = np.asarray(image, dtype=np.float32)[:, :, :3]
    factor = 1
    while image.shape[1] // factor > max_width and image.shape[0] // (2 * factor) >= 1:
        factor *= 2
    if factor == 1:
        return image
    height, width = (image.shape[0] // factor) * factor, (image.shape[1] // factor) * factor
    blocks = image[:height, :width].reshape(height // factor, factor, width // factor, factor, 3)
    return blocks.mean(axis=(1, 3))


def environment_grid(environment):
    """(GRID_ROWS, GRID_COLUMNS, 3) float64 of an ``Environment`` (image or colour, strength, mapping)."""
    if environment.image is not None:
        environment = Environment(downsampled(environment.image), environment.colour, environment.strength,
                                  environment.mapping)
    return weights_to_grid(light_weights(environment, grid_directions()))


def irradiance(grid):
    """(..., 3) the world's integral (radiance x solid angle over the sphere) of a grid."""
    return grid_to_weights(grid).sum(axis=-2)


def encode(grid):
    """What the network reads and predicts: log(1 + radiance), so a sun and a dim sky share a scale."""
    return np.log1p(np.clip(np.asarray(grid, dtype=np.float64), 0.0, None))


def decode(encoded):
    return np.expm1(np.asarray(encoded, dtype=np.float64)).clip(0.0, None)
