"""Relit pairs made on the fly, exactly: image under world A and under world B from one capture.

For a captured scene (its lights I_i in the camera's frame) and two grids, image_X = sum_i w_i(X) I_i
with w_i(X) = grid_X[i] * solid_angle_i -- the light-stage identity, with no rendering and no
approximation beyond the capture's own noise. The target world B is normalised to irradiance pi (the
network's convention, ``worker/relight_image/core.py``). Augmentation: a mirror image of the scene is
the same scene under mirrored worlds (x -> -x in the camera's frame, an exact permutation of the
grid's columns), and random crops.
"""

import numpy as np
import torch

from neural_render.protocol.specs.relight_image import GRID_COLUMNS
from neural_render.worker.relight_image import environment_grid


def mirror_columns():
    """Column c of a mirrored grid is column MIRROR[c] of the original (azimuth a -> pi - a)."""
    half = GRID_COLUMNS // 2
    return np.array([(half - 1 - c) % GRID_COLUMNS for c in range(GRID_COLUMNS)])


def normalised(grid):
    level = float(environment_grid.irradiance(grid).mean())
    return grid * (np.pi / level) if level > 0 else grid


def relit(lights, grids):
    """(K, 3, H, W) float32 images of one scene's lights (L, H, W, 3) under (K, R, C, 3) grids."""
    weights = torch.as_tensor(environment_grid.grid_to_weights(grids), dtype=torch.float32)  # (K, L, 3)
    return torch.einsum("lhwc,klc->kchw", lights.float(), weights)


class PairMaker:
    """Batches from captured scenes (torch float16 lights (N, L, H, W, 3), alpha (N, H, W))."""

    def __init__(self, lights, alpha, sampler):
        self.lights, self.alpha, self.sampler = lights, alpha, sampler
        self.mirror = mirror_columns()

    def extend(self, lights, alpha):
        self.lights, self.alpha = torch.cat([self.lights, lights]), torch.cat([self.alpha, alpha])

    def sample(self, rng, scene=None, crop=None, augment=True):
        """One pair: dict of image, target (3, h, w), matte (1, h, w), source/target grids (R, C, 3)."""
        scene = int(rng.integers(len(self.lights))) if scene is None else scene
        source, _ = self.sampler.sample(rng)
        target = normalised(self.sampler.sample(rng)[0])
        images = relit(self.lights[scene], np.stack([source, target]))
        matte = self.alpha[scene].float()[None]
        if augment and rng.random() < 0.5:
            images, matte = images.flip(-1), matte.flip(-1)
            source, target = source[:, self.mirror], target[:, self.mirror]
        if crop is not None and crop < images.shape[-1]:
            top, left = (int(rng.integers(images.shape[-2] - crop + 1)), int(rng.integers(images.shape[-1] - crop + 1)))
            images = images[:, :, top:top + crop, left:left + crop]
            matte = matte[:, top:top + crop, left:left + crop]
        return {"image": images[0], "target": images[1], "matte": matte,
                "source_grid": torch.as_tensor(source, dtype=torch.float32),
                "target_grid": torch.as_tensor(target, dtype=torch.float32)}

    def batch(self, rng, size, crop=None):
        samples = [self.sample(rng, crop=crop) for _ in range(size)]
        return {key: torch.stack([sample[key] for sample in samples]) for key in samples[0]}
