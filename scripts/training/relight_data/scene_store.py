"""Captured scenes on disk: one ``scene_<split>_<seed>.npz`` per scene (no bpy, no torch).

A scene holds its light-stage images as float16 (L, H, W, 3) -- scene-linear radiance under light i
alone, irradiance 1 -- with the coverage alpha (H, W) shared by every light (the film is transparent
and only the lamp changes), the light directions (L, 3) and the grid they form, and a JSON
description of what was in the scene. Float16 keeps a 16 x 8-light, 128 px scene at 12.6 MB; its
range (6.5e4) and precision (1e-3 relative) are far beyond what 8-sample renders resolve.
"""

import glob
import json
import os
from dataclasses import dataclass

import numpy as np

SPLITS = ("train", "validation")


def scene_path(folder, split, seed):
    return os.path.join(folder, f"scene_{split}_{seed:06d}.npz")


def write_scene(path, lights, alpha, directions, grid, description):
    """Write atomically: a scene file either is whole or is not there (a capture can be killed)."""
    temporary = path + ".tmp.npz"
    np.savez(temporary, lights=np.asarray(lights, np.float16), alpha=np.asarray(alpha, np.float16),
             directions=np.asarray(directions, np.float32), grid=np.asarray(grid, np.int32),
             description=np.frombuffer(json.dumps(description).encode("utf-8"), np.uint8))
    os.replace(temporary, path)


@dataclass
class Scene:
    lights: np.ndarray      # (L, H, W, 3) float16
    alpha: np.ndarray       # (H, W) float16
    directions: np.ndarray  # (L, 3)
    grid: tuple             # (columns, rows)
    description: dict


def read_scene(path):
    with np.load(path) as arrays:
        return Scene(arrays["lights"], arrays["alpha"], arrays["directions"],
                     tuple(int(v) for v in arrays["grid"]),
                     json.loads(arrays["description"].tobytes().decode("utf-8")))


def scene_files(folder, split):
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    return sorted(path for path in glob.glob(os.path.join(folder, f"scene_{split}_*.npz"))
                  if not path.endswith(".tmp.npz"))  # a capture killed while writing leaves one


def load_split(folder, split, limit=None, skip=0):
    """Every scene of a split stacked: (lights (N, L, H, W, 3) f16, alpha (N, H, W) f16, directions, grid);
    ``skip`` leaves out the first ones (those a caller has already), ``limit`` keeps the first that many."""
    files = scene_files(folder, split)[skip:limit]
    if not files:
        raise FileNotFoundError(f"no captured {split} scenes in {folder} "
                                "(run scripts/training/capture_relight_scenes.py)")
    scenes = [read_scene(path) for path in files]
    grids = {scene.grid for scene in scenes}
    shapes = {scene.lights.shape for scene in scenes}
    if len(grids) != 1 or len(shapes) != 1:
        raise ValueError(f"{folder}: the {split} scenes differ in light grid or size ({grids}, {shapes})")
    return (np.stack([s.lights for s in scenes]), np.stack([s.alpha for s in scenes]),
            scenes[0].directions, scenes[0].grid)
