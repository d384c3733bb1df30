"""Two independent judges of a stylized image, for comparing methods that optimise different things.

- ``GramJudge``: relative content loss (relu4_2) and mean relative Gram style loss (relu1_1 ... relu5_1)
  on ImageNet VGG16 with max pooling (the classic Gatys et al. measure, losses.py's normalisation).
- ``CovarianceJudge``: the Wasserstein-2 distance between Gaussian fits (mean and covariance) of the
  result's and the style's features at relu1_1 ... relu4_1, each divided by the style's own second
  moment (trace of the covariance plus the squared mean), averaged over layers: a style distance that
  also sees the palette (the means), which Gram matrices mix with the spread.
"""

import torch


class GramJudge:
    def __init__(self, network, content, style):
        from neural_render.worker.stylize import losses, objective, styles
        import numpy as np
        style_pixels = style[0].permute(1, 2, 0).numpy() if torch.is_tensor(style) else np.asarray(style)
        targets = {"all": styles.blended_targets(network, [styles.StyleImage(style_pixels)], losses.STYLE_LAYERS,
                                                 tuple(content.shape[-2:]), 1.0, "cpu")}
        self.problem = objective.Objective(network, content, targets, losses.LossWeights(content=1.0, style=1.0, tv=0))

    def __call__(self, image):
        parts = self.problem.evaluate(image.clamp(0, 1))
        return float(parts["content"]), float(parts["style"])


COVARIANCE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")


def _gaussian(features):
    """(1, C, H, W) -> (mean (C,), covariance (C, C)) in float64."""
    flat = features[0].reshape(features.shape[1], -1).double()
    mean = flat.mean(1)
    centred = flat - mean[:, None]
    return mean, centred @ centred.T / max(flat.shape[1] - 1, 1)


def _sqrtm(matrix):
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp_min(0).sqrt()) @ vectors.T


def wasserstein2(first, second):
    """Squared W2 distance between two Gaussians given as (mean, covariance)."""
    mean_a, cov_a = first
    mean_b, cov_b = second
    root_a = _sqrtm(cov_a)
    cross = _sqrtm(root_a @ cov_b @ root_a)
    return float((mean_a - mean_b).square().sum() + torch.trace(cov_a) + torch.trace(cov_b) - 2 * torch.trace(cross))


class CovarianceJudge:
    def __init__(self, network, style):
        self.network = network
        with torch.no_grad():
            features = network(network.preprocess(style), layers=COVARIANCE_LAYERS)
        self.targets = {name: _gaussian(value) for name, value in features.items()}
        self.scales = {name: float(torch.trace(cov) + mean.square().sum()) for name, (mean, cov) in self.targets.items()}

    def __call__(self, image):
        with torch.no_grad():
            features = self.network(self.network.preprocess(image.clamp(0, 1)), layers=COVARIANCE_LAYERS)
        distances = [wasserstein2(_gaussian(features[name]), self.targets[name]) / self.scales[name]
                     for name in COVARIANCE_LAYERS]
        return sum(distances) / len(distances)
