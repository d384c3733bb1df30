"""The Gatys et al. objective: content feature reconstruction + Gram-matrix style matching, plus a small
total-variation term and, for animations, a temporal-consistency term.

    L = alpha * L_content + beta * L_style + tv * L_tv + temporal * L_temporal

Normalisation (the why): every term is made *relative* so the same alpha/beta mean the same thing
whatever the backbone (Caffe VGG16 sees 0-255 inputs, torchvision VGG19 sees standardised ones), the
layer (relu1_1 has 64 channels, relu5_1 512) and the resolution (a coarse pass and the full-size pass
share weights):

- Gram matrix G = F F^T / M, with M the number of positions (optionally a mask-weighted mean);
- style loss of a layer = ||G - S||_F^2 / ||S||_F^2 (relative squared error of the style statistics);
- content loss = mean((F - F_c)^2) / mean(F_c^2) at relu4_2.
Per-layer style weights multiply the relative layer losses and are normalised to sum to one.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ...protocol.specs.stylize import CONTENT_LAYER, STYLE_LAYERS  # declared once, with the parameters

DEFAULT_LAYER_WEIGHTS = {name: 1.0 for name in STYLE_LAYERS}


def gram(features, weights=None):
    """(N, C, H, W) features -> (N, C, C) Gram matrices averaged over positions.

    ``weights`` (N, 1, H, W) in [0, 1] makes it a weighted mean (a guided Gram for masked style):
    only where the weight is non-zero do the features count.
    """
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w)
    if weights is None:
        return flat @ flat.transpose(1, 2) / (h * w)
    weight = weights.reshape(n, 1, h * w)
    total = weight.sum(dim=2, keepdim=True).clamp_min(1e-8)
    return (flat * weight) @ flat.transpose(1, 2) / total


def gram_sum(features, weights=None):
    """Unnormalised (sum over positions) Gram and the position count: tiles add these up."""
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w)
    if weights is None:
        return flat @ flat.transpose(1, 2), float(h * w)
    weight = weights.reshape(n, 1, h * w)
    return (flat * weight) @ flat.transpose(1, 2), float(weight.sum())


def relative_gram_loss(generated_gram, target_gram):
    return (generated_gram - target_gram).square().sum() / target_gram.square().sum().clamp_min(1e-12)


def content_loss(features, target):
    return (features - target).square().mean() / target.square().mean().clamp_min(1e-12)


def total_variation(image):
    """Mean squared difference of neighbouring pixels ((N, 3, H, W) display-referred image)."""
    dy = (image[:, :, 1:, :] - image[:, :, :-1, :]).square().mean() if image.shape[2] > 1 else image.sum() * 0
    dx = (image[:, :, :, 1:] - image[:, :, :, :-1]).square().mean() if image.shape[3] > 1 else image.sum() * 0
    return dx + dy


def temporal_loss(image, warped_previous, confidence):
    """Ruder et al.'s short-term consistency: mean of c * (x - warp(previous))^2 over pixels and channels.

    ``confidence`` (N, 1, H, W) is 1 where the previous frame's pixel is visible in this one and 0 at
    disocclusions, motion boundaries and pixels that came from outside the frame.
    """
    return (confidence * (image - warped_previous).square()).mean()


def resize_mask(mask, size):
    """A (N, 1, H, W) mask averaged down to a layer's (h, w): the share of each feature's pixels."""
    if tuple(mask.shape[-2:]) == tuple(size):
        return mask
    return F.adaptive_avg_pool2d(mask, size)


def normalised_layer_weights(layer_weights):
    weights = {name: float(value) for name, value in (layer_weights or DEFAULT_LAYER_WEIGHTS).items()
               if float(value) > 0}
    unknown = [name for name in weights if name not in STYLE_LAYERS]
    if unknown or not weights:
        raise ValueError(f"style layer weights must name some of {', '.join(STYLE_LAYERS)} with positive "
                         f"weights, got {layer_weights!r}")
    total = sum(weights.values())
    return {name: value / total for name, value in weights.items()}


@dataclass
class LossWeights:
    """alpha, beta and the small extra terms; ``style_layers`` maps layer -> relative weight."""
    content: float = 1.0
    style: float = 3.0
    tv: float = 2.0
    temporal: float = 0.0
    style_layers: dict = None

    def layers(self):
        return normalised_layer_weights(self.style_layers)
