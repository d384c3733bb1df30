"""Small images and a tiny colorizer checkpoint shared by the colorize tests."""

import numpy as np
import torch

from neural_render.worker.colorize import lab
from training import colorize_training as training


def two_region_grey(height=64, width=96):
    """Left: a fine stripe texture around L* 35; right: smooth around L* 75 — a strong edge between."""
    y, x = np.mgrid[0:height, 0:width]
    lightness = np.where(x < width // 2, 35 + 6 * np.sin(x * 1.7) * np.sin(y * 1.3), 75 + 0.05 * y).astype(np.float32)
    return lab.lightness_to_luminance(lightness)[:, :, None].astype(np.float32)


def coloured_two_region_reference(height=64, width=96):
    """The same two textures, the stripes red and the smooth part blue (and swapped sides)."""
    grey = two_region_grey(height, width)[:, :, 0]
    lightness = lab.luminance_to_lightness(grey)
    ab = np.where((np.arange(width) < width // 2)[None, :, None], [[[55.0, 40.0]]], [[[5.0, -45.0]]])
    ab = np.broadcast_to(ab, (height, width, 2))
    rgb = np.maximum(lab.lab_to_linear_rgb(np.concatenate([lightness[:, :, None], ab], 2)), 0)
    return np.ascontiguousarray(rgb[:, ::-1]).astype(np.float32)  # stripes now on the right


def tiny_checkpoint(path, steps=1):
    images = [np.random.default_rng(0).uniform([20, -30, -30], [80, 30, 30], (48, 48, 3)).astype(np.float32)]
    trainer = training.ColorizerTrainer(training.TrainSettings(crop=32, batch_size=2, long_side=64), images,
                                        torch.device("cpu"))
    training.train(trainer, steps=steps)
    training.save_checkpoint(str(path), trainer.payload())
    return path
