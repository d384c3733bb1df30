"""Projection: the latent (w+, one w per layer) and layout that make a trained StyleGAN reproduce a
given texture (after Karras et al. 2020, section 5), so the user's own texture can be varied.

The loss is the pixel distance plus the distance of ImageNet VGG16 features (relu1_2 to relu4_3:
what a texture looks like, not only where its pixels are), and StyleGAN2's noise regulariser, which
penalises spatial autocorrelation of the fitted noise maps at every scale: without it the noise maps
learn the picture itself and the latent carries nothing. The spatial input field and the noise are
renormalised after every step so they stay unit Gaussian, as the generator saw them in training.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

from ...protocol.specs.stylegan import PROJECTION_SIZE
from ..gan import encoding
from ..gan.errors import GanInputError
from .network import CELL
from .sampling import seeded_layout

FEATURE_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")
LEARNING_RATE = 0.05


def working_target(linear_image, scale):
    """The target as the network sees it: shrunk (area, in linear light) so its longer side is at most
    PROJECTION_SIZE, cut to a multiple of 16 px, encoded: (1, 3, h, w)."""
    rgb = encoding.as_rgb(linear_image)
    tensor = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))[None]
    longest = max(tensor.shape[2:])
    if longest > PROJECTION_SIZE:
        size = [max(CELL, round(side * PROJECTION_SIZE / longest)) for side in tensor.shape[2:]]
        tensor = F.interpolate(tensor, size=size, mode="area")
    height, width = (tensor.shape[2] // CELL) * CELL, (tensor.shape[3] // CELL) * CELL
    if height < CELL or width < CELL:
        raise GanInputError(f"the image is {rgb.shape[1]}x{rgb.shape[0]} px; projection needs at least "
                            f"{CELL}x{CELL}")
    tensor = tensor[:, :, :height, :width]
    encoded = encoding.encode(tensor[0].numpy().transpose(1, 2, 0), scale)
    return torch.from_numpy(np.ascontiguousarray(encoded.transpose(2, 0, 1)))[None]


def noise_regularisation(maps):
    """Sum over maps and scales of the squared autocorrelation at a shift of one pixel in x and y."""
    total = 0.0
    for noise in maps:
        while True:
            total = total + (noise * torch.roll(noise, 1, dims=3)).mean().square() \
                          + (noise * torch.roll(noise, 1, dims=2)).mean().square()
            if noise.shape[2] <= 8 or noise.shape[3] <= 8:
                break
            noise = F.avg_pool2d(noise, 2)
    return total


def _normalise_(maps):
    with torch.no_grad():
        for noise in maps:
            noise.sub_(noise.mean()).div_(noise.std().clamp_min(1e-8))


def _features(vgg, encoded):
    display = ((encoded + 1.0) * 0.5).clamp(0.0, 1.0)  # the networks' values are sRGB-encoded
    return vgg(vgg.preprocess(display), FEATURE_LAYERS)


def project(generator, scale, linear_image, steps=300, seed=0, perceptual_weight=1.0, noise_weight=1e4,
            vgg=None, device="cpu", report=None):
    """Fit w+ and the layout to ``linear_image``; returns (ws, field, noises, target size (w, h)).
    ``report(fraction, text)`` is called every step (it may raise to stop)."""
    generator.eval().requires_grad_(False)
    target = working_target(linear_image, scale).to(device)
    height, width = target.shape[2:]
    field, noises = seeded_layout(generator.config, seed, height // CELL, width // CELL)
    maps = [tensor.to(device).requires_grad_(True) for tensor in (field, *noises)]
    start = generator.broadcast(generator.mapping.w_average[None]).clone()
    ws = start.to(device).requires_grad_(True)
    optimiser = torch.optim.Adam([ws, *maps], lr=LEARNING_RATE, betas=(0.9, 0.999))
    target_features = None
    if perceptual_weight > 0:
        if vgg is None:
            raise GanInputError("projection with a perceptual term needs the VGG network")
        with torch.no_grad():
            target_features = _features(vgg, target)
    for step in range(steps):
        # StyleGAN2's schedule: a short warm-up, then a cosine ramp down to zero.
        progress = step / max(1, steps)
        ramp = 0.5 - 0.5 * math.cos(min(1.0, (1.0 - progress) / 0.25) * math.pi)
        ramp *= min(1.0, (step + 1) / max(1.0, 0.05 * steps))
        for group in optimiser.param_groups:
            group["lr"] = LEARNING_RATE * ramp
        image = generator(ws, maps[0], maps[1:])
        loss = F.mse_loss(image, target)
        if target_features is not None:
            features = _features(vgg, image)
            loss = loss + perceptual_weight * sum(F.mse_loss(features[name], target_features[name])
                                                  for name in FEATURE_LAYERS) / len(FEATURE_LAYERS)
        loss = loss + noise_weight * noise_regularisation(maps[1:])
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        _normalise_(maps)
        if report is not None:
            report((step + 1) / steps, f"step {step + 1} of {steps}  loss {loss.item():.4f}")
    generator.requires_grad_(True)
    return ws.detach(), maps[0].detach(), [noise.detach() for noise in maps[1:]], (width, height)
