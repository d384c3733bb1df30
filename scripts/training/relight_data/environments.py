"""Random environments for training and validation, as the network's lat-long grid (no bpy).

Three families, each a GRID_ROWS x GRID_COLUMNS grid of mean radiance per cell in the camera's frame
(``worker/relight_image/environment_grid.py``):
- the eight CC0 HDRIs bundled with bpy, turned about Z by any angle, scaled, white-balanced;
- synthetic sun + sky: a sky gradient, a ground below the horizon, a sun of random size and height;
- synthetic studios: one to three softboxes (smooth lobes) over a dim background.
Validation keeps two HDRIs no training batch sees (VALIDATION_HDRIS) and draws its synthetic worlds
from its own seeds. The HDRI grids of every whole-degree turn are computed once and cached.
"""

import importlib.util
import math
import os

import numpy as np

from neural_render.protocol.specs.relight_image import GRID_COLUMNS, GRID_ROWS
from neural_render.worker.relight.weights import Environment, z_rotation
from neural_render.worker.relight_image import environment_grid

VALIDATION_HDRIS = ("courtyard", "sunset")
TURN_STEP_DEG = 2.0
FAMILIES = ("hdri", "sun_sky", "studio")


def hdri_folder():
    spec = importlib.util.find_spec("bpy")
    return os.path.join(os.path.dirname(spec.origin), "5.0", "datafiles", "studiolights", "world")


def hdri_names(split):
    names = sorted(name[:-4] for name in os.listdir(hdri_folder()) if name.endswith(".exr"))
    held = [name for name in names if name in VALIDATION_HDRIS]
    return held if split == "validation" else [name for name in names if name not in VALIDATION_HDRIS]


def hdri_turn_grids(name, cache_folder):
    """(turns, GRID_ROWS, GRID_COLUMNS, 3) the HDRI's grid at 0, 2, 4 ... 358 degrees (cached .npy)."""
    path = os.path.join(cache_folder, f"hdri_{name}_{GRID_COLUMNS}x{GRID_ROWS}_{TURN_STEP_DEG:g}.npy")
    if os.path.exists(path):
        return np.load(path)
    from neural_render.worker.imageio.exr import read_exr
    image = environment_grid.downsampled(read_exr(os.path.join(hdri_folder(), f"{name}.exr")))
    turns = np.arange(0.0, 360.0, TURN_STEP_DEG)
    grids = np.stack([environment_grid.environment_grid(Environment(image, mapping=z_rotation(turn)))
                      for turn in turns]).astype(np.float32)
    os.makedirs(cache_folder, exist_ok=True)
    np.save(path + ".tmp.npy", grids)
    os.replace(path + ".tmp.npy", path)
    return grids


def _cell_directions():
    return environment_grid.grid_directions().reshape(GRID_ROWS, GRID_COLUMNS, 3)


def _random_direction(rng, min_elevation_deg, max_elevation_deg):
    azimuth = rng.uniform(0.0, 2.0 * math.pi)
    elevation = math.radians(rng.uniform(min_elevation_deg, max_elevation_deg))
    return np.array([math.cos(elevation) * math.cos(azimuth), math.cos(elevation) * math.sin(azimuth),
                     math.sin(elevation)])


def _lobe(direction, width_deg):
    """A smooth bump of peak 1 around ``direction`` over the cells (a von Mises-Fisher profile)."""
    kappa = 1.0 / (1.0 - math.cos(math.radians(width_deg)))
    return np.exp(kappa * (_cell_directions() @ direction - 1.0))


def _warm_or_cool(rng, spread):
    """A light's colour: white shifted along a blackbody-like blue-orange axis, luminance ~1."""
    t = rng.uniform(-spread, spread)
    colour = np.array([1.0 + 0.35 * t, 1.0, 1.0 - 0.45 * t]).clip(0.2, None)
    return colour / (0.2126 * colour[0] + 0.7152 * colour[1] + 0.0722 * colour[2])


def sun_and_sky(rng):
    up = _cell_directions()[..., 2:3]
    sky_colour = np.array([0.45, 0.6, 1.0]) * rng.uniform(0.3, 1.0) + rng.uniform(0.0, 0.5)
    horizon = np.array([0.9, 0.9, 0.95]) * rng.uniform(0.5, 1.0)
    sky = np.where(up > 0, horizon + (sky_colour - horizon) * np.sqrt(np.clip(up, 0, 1)), 0.0)
    ground = np.where(up <= 0, rng.uniform(0.05, 0.35) * _warm_or_cool(rng, 0.5), 0.0)
    sun_direction = _random_direction(rng, 3.0, 85.0)
    width = rng.uniform(3.0, 20.0)  # the cells blur a small sun anyway; a large one is a hazy sky
    lobe = _lobe(sun_direction, width)
    lobe /= (environment_grid.grid_to_weights(lobe[..., None].repeat(3, -1))[:, 0].sum())
    sun_irradiance = rng.uniform(2.0, 30.0) * math.pi  # relative to a sky of radiance ~1
    sun = lobe[..., None] * sun_irradiance * _warm_or_cool(rng, 0.6)
    return (sky + ground) * rng.uniform(0.3, 1.2) + sun


def studio(rng):
    background = rng.uniform(0.0, 0.08) * np.ones((GRID_ROWS, GRID_COLUMNS, 3))
    grid = background.copy()
    for _ in range(int(rng.integers(1, 4))):
        lobe = _lobe(_random_direction(rng, -20.0, 80.0), rng.uniform(12.0, 40.0))
        grid += lobe[..., None] * rng.uniform(0.5, 6.0) * _warm_or_cool(rng, 0.8)
    return grid


class EnvironmentSampler:
    """Random grids of one split; ``sample(rng)`` -> (grid (GRID_ROWS, GRID_COLUMNS, 3), family)."""

    def __init__(self, split, cache_folder, family_weights=(0.6, 0.25, 0.15)):
        self.split = split
        self.hdris = [hdri_turn_grids(name, cache_folder) for name in hdri_names(split)]
        self.family_weights = np.asarray(family_weights, dtype=np.float64) / sum(family_weights)

    def sample(self, rng):
        family = FAMILIES[int(rng.choice(len(FAMILIES), p=self.family_weights))]
        if family == "hdri":
            turns = self.hdris[int(rng.integers(len(self.hdris)))]
            grid = turns[int(rng.integers(len(turns)))].astype(np.float64)
            grid = grid * np.exp(rng.normal(0.0, 0.12, 3))  # white balance
        elif family == "sun_sky":
            grid = sun_and_sky(rng)
        else:
            grid = studio(rng)
        # Exposure: each world scaled so its irradiance lands anywhere in a 16x range around pi.
        scale = math.pi * math.exp(rng.uniform(math.log(0.25), math.log(4.0)))
        level = float(environment_grid.irradiance(grid).mean())
        return grid * (scale / max(level, 1e-6)), family
