"""Quality measures for generated textures: VGG Gram distance, seam visibility, diversity.

All take (H, W, 3) float arrays in a display encoding (sRGB values in [0, 1]): that is what the
eye and the VGG network (trained on photos) see.
"""

import itertools

import numpy as np
import torch


def seam_ratio(image):
    """How visible the wrap-around border is: the mean absolute difference between the last and the
    first column (and row) divided by the mean absolute difference between neighbouring columns
    (and rows) inside the image. About 1 for a seamless tile; well above 1 when tiling shows a seam."""
    image = np.asarray(image, dtype=np.float64)
    interior = np.abs(np.diff(image, axis=1)).mean() + np.abs(np.diff(image, axis=0)).mean()
    border = np.abs(image[:, 0] - image[:, -1]).mean() + np.abs(image[0] - image[-1]).mean()
    return float(border / max(interior, 1e-12))


def gram_matrices(feature_maps):
    """(C, C) Gram matrix of each (1, C, H, W) feature map, averaged over positions."""
    grams = []
    for features in feature_maps:
        _, channels, height, width = features.shape
        flat = features.reshape(channels, height * width).double()
        grams.append(flat @ flat.T / (height * width))
    return grams


def gram_distance(grams_a, grams_b):
    """Sum over layers of the mean squared difference of Gram entries (Gatys et al.'s style loss up
    to constant per-layer weights): 0 for identical texture statistics."""
    return float(sum(((a - b) ** 2).mean() for a, b in zip(grams_a, grams_b)))


class GramMeter:
    """Gram distances of images to one reference texture through a feature extractor
    ``features(tensor (1, 3, H, W) sRGB in [0, 1]) -> list of (1, C, h, w) maps``."""

    def __init__(self, features, reference):
        self.features = features
        self.reference = self.grams(reference)

    @torch.no_grad()
    def grams(self, image):
        tensor = torch.from_numpy(np.ascontiguousarray(np.asarray(image, np.float32).transpose(2, 0, 1)))[None]
        return gram_matrices(self.features(tensor))

    def distance(self, image):
        return gram_distance(self.grams(image), self.reference)

    def layer_distances(self, images):
        """The mean distance of ``images`` split by layer: which feature scale a difference lives at."""
        per_image = [[gram_distance([a], [b]) for a, b in zip(self.grams(image), self.reference)] for image in images]
        return np.mean(per_image, axis=0)

    def mean_distance(self, images):
        return float(np.mean([self.distance(image) for image in images]))


def mean_pairwise_difference(images):
    """Mean absolute pixel difference over all pairs: how much samples of different seeds differ.
    Compare with the same figure for real crops of the exemplar; near 0 means mode collapse."""
    pairs = list(itertools.combinations(range(len(images)), 2))
    if not pairs:
        raise ValueError("need at least two images")
    return float(np.mean([np.abs(np.asarray(images[i], np.float64) - np.asarray(images[j], np.float64)).mean()
                          for i, j in pairs]))


def random_crops(image, size, count, seed=0):
    rng = np.random.default_rng(seed)
    height, width = image.shape[:2]
    tops = rng.integers(0, height - size + 1, count)
    lefts = rng.integers(0, width - size + 1, count)
    return [image[top:top + size, left:left + size] for top, left in zip(tops, lefts)]
