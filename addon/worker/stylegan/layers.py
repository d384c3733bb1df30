"""The building blocks of StyleGAN2 (Karras et al. 2020), for textures on a torus.

- Equalised learning rate: weights are stored N(0, 1) and scaled by He's constant at run time, so
  Adam's per-parameter step sizes mean the same for every layer (Karras et al. 2018).
- Modulated convolution: each sample's style scales the input channels of the weight; demodulation
  divides each output channel by the norm the modulated weight would give a unit-variance input. Done
  here as the equivalent "non-fused" form (scale the activations, one ordinary batched convolution,
  scale the output): on a CPU it is several times faster than one grouped convolution per sample.
- Every spatial operation of the generator wraps around (circular padding, upsampling that reads
  across the border), so a generated image is exactly periodic at its own size: tileable by design.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

LEAKY_SLOPE = 0.2
LEAKY_GAIN = math.sqrt(2.0)  # keeps unit variance through a leaky ReLU


def leaky(x):
    return F.leaky_relu(x, LEAKY_SLOPE) * LEAKY_GAIN


class EqualLinear(nn.Module):
    def __init__(self, in_features, out_features, bias_init=0.0, lr_multiplier=1.0, activation=False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init) / lr_multiplier))
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.lr_multiplier = lr_multiplier
        self.activation = activation

    def forward(self, x):
        out = F.linear(x, self.weight * self.weight_gain, self.bias * self.lr_multiplier)
        return leaky(out) if self.activation else out


class EqualConv2d(nn.Module):
    """A plain convolution with equalised learning rate; ``padding_mode`` 'circular' or 'zeros'."""

    def __init__(self, in_channels, out_channels, kernel_size, bias=True, padding_mode="zeros"):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel_size * kernel_size)
        self.padding = kernel_size // 2
        self.padding_mode = padding_mode

    def forward(self, x):
        return F.conv2d(pad(x, self.padding, self.padding_mode), self.weight * self.weight_gain, self.bias)


def pad(x, amount, mode):
    if amount == 0:
        return x
    if mode == "circular":
        return F.pad(x, (amount,) * 4, mode="circular")
    return F.pad(x, (amount,) * 4)


def upsample_circular(x):
    """Bilinear 2x upsampling on a torus: the pixels beside the border come from the opposite side."""
    wrapped = F.pad(x, (1, 1, 1, 1), mode="circular")
    up = F.interpolate(wrapped, scale_factor=2, mode="bilinear", align_corners=False)
    return up[:, :, 2:-2, 2:-2]


class ModulatedConv2d(nn.Module):
    """A convolution whose input channels each sample's style (an affine map of w) scales."""

    def __init__(self, in_channels, out_channels, kernel_size, w_dim, demodulate=True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel_size * kernel_size)
        self.affine = EqualLinear(w_dim, in_channels, bias_init=1.0)  # styles start at 1: the plain conv
        self.padding = kernel_size // 2
        self.demodulate = demodulate

    def fused_weight(self, w, gain=1.0):
        """One sample's modulated (and demodulated) weight, times ``gain``: (out, in, k, k)."""
        styles = self.affine(w)[0]
        weight = self.weight * (self.weight_gain * styles)[None, :, None, None]
        if self.demodulate:
            weight = weight * torch.rsqrt(weight.square().sum(dim=(1, 2, 3), keepdim=True) + 1e-8)
        return weight * gain

    def forward(self, x, w):
        if x.shape[0] == 1 and not torch.is_grad_enabled():
            # Generating one image: modulate the small weight instead of the large activations.
            return F.conv2d(pad(x, self.padding, "circular"), self.fused_weight(w))
        styles = self.affine(w)                                    # (B, in)
        weight = self.weight * self.weight_gain                    # (out, in, k, k)
        x = x * styles[:, :, None, None]
        out = F.conv2d(pad(x, self.padding, "circular"), weight)
        if self.demodulate:
            # |W * s|^2 per output channel, for each sample: sum over in, k, k of w^2 s^2.
            norms = torch.einsum("oikl,bi->bo", weight.square(), styles.square())
            out = out * torch.rsqrt(norms + 1e-8)[:, :, None, None]
        return out


class NoiseInjection(nn.Module):
    """Adds per-pixel Gaussian noise with a learned strength (starting at 0: the network decides)."""

    def __init__(self):
        super().__init__()
        self.strength = nn.Parameter(torch.zeros(()))

    def forward(self, x, noise):
        return x + self.strength * noise


class StyledLayer(nn.Module):
    """Modulated 3x3 convolution, noise, bias, leaky ReLU."""

    def __init__(self, in_channels, out_channels, w_dim):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, out_channels, 3, w_dim)
        self.noise = NoiseInjection()
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x, w, noise):
        if x.shape[0] == 1 and not torch.is_grad_enabled():
            # The same in three passes over the image: leaky ReLU is positively homogeneous, so its
            # gain goes into the weight, bias and noise strength; bias rides in the convolution.
            out = F.conv2d(pad(x, self.conv.padding, "circular"), self.conv.fused_weight(w, LEAKY_GAIN),
                           self.bias * LEAKY_GAIN)
            out.add_(noise, alpha=float(self.noise.strength) * LEAKY_GAIN)
            return F.leaky_relu_(out, LEAKY_SLOPE)
        return leaky(self.noise(self.conv(x, w), noise) + self.bias[None, :, None, None])


class ToRgb(nn.Module):
    """A modulated 1x1 convolution to RGB, without demodulation (its output is an image, not features)."""

    def __init__(self, in_channels, w_dim):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, 3, 1, w_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(3))

    def forward(self, x, w):
        return self.conv(x, w) + self.bias[None, :, None, None]
