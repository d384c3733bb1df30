"""StyleGAN2 for textures: mapping network, a synthesis network that extends to any size, and a
residual discriminator.

Faces have a fixed frame, textures do not: instead of StyleGAN's learned 4x4 constant the synthesis
network starts from a *spatial* input, a seeded Gaussian field of one cell per 16 output pixels
(through one convolution), and every layer wraps around. A model trained on 64 px crops therefore
generates any multiple of 16 px, and the result tiles exactly. The latent w sets the texture's
appearance everywhere (which stone, which wood); the field and the per-layer noise lay it out.

Layer widths double as the resolution halves, from ``full_resolution_channels`` up to
``max_channels``: every resolution then costs about the same per output pixel, so the full-resolution
width is what sets the speed at 2048 px.
"""

import math
from dataclasses import dataclass

import torch
from torch import nn

from ...protocol.specs.stylegan import CELL, NUM_STYLE_LAYERS, UPSAMPLINGS  # noqa: F401  (CELL: re-exported)
from ..gan.settings_record import SettingsRecord
from .layers import EqualConv2d, EqualLinear, StyledLayer, ToRgb, leaky, upsample_circular

MODEL_TYPE = "stylegan"
IMAGE_SIZES = (32, 64, 128)


@dataclass
class StyleGanConfig(SettingsRecord):
    record_name = "StyleGAN settings"

    image_size: int = 64             # the training crops; generation takes any multiple of CELL
    z_dim: int = 128
    w_dim: int = 128
    mapping_layers: int = 4
    mapping_lr_multiplier: float = 0.01  # StyleGAN's: the mapping learns 100x slower than the rest
    input_channels: int = 16         # of the spatial input field
    full_resolution_channels: int = 16
    max_channels: int = 256
    discriminator_channels: int = 16  # at full resolution; doubling per halving up to max_channels

    def __post_init__(self):
        if self.image_size not in IMAGE_SIZES:
            raise ValueError(f"StyleGAN image size must be one of {IMAGE_SIZES}, got {self.image_size}")

    @property
    def num_ws(self):
        """Styles per image: the base layer, its RGB, then two layers per upsampling (whose second w
        also drives that resolution's RGB, rosinality's layout)."""
        return NUM_STYLE_LAYERS

    def generator_channels(self, level):
        """Channels at ``level`` upsamplings from the input field (0 = coarsest)."""
        return min(self.max_channels, self.full_resolution_channels * 2 ** (UPSAMPLINGS - level))


class MappingNetwork(nn.Module):
    """z -> w: normalise z, then an MLP. Tracks the average w for the truncation trick."""

    def __init__(self, config):
        super().__init__()
        layers, width = [], config.z_dim
        for _ in range(config.mapping_layers):
            layers.append(EqualLinear(width, config.w_dim, lr_multiplier=config.mapping_lr_multiplier,
                                      activation=True))
            width = config.w_dim
        self.layers = nn.Sequential(*layers)
        self.register_buffer("w_average", torch.zeros(config.w_dim))

    def forward(self, z):
        z = z * torch.rsqrt(z.square().mean(dim=1, keepdim=True) + 1e-8)
        return self.layers(z)


class SynthesisNetwork(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        base = config.generator_channels(0)
        self.input = EqualConv2d(config.input_channels, base, 3, padding_mode="circular")
        self.base_layer = StyledLayer(base, base, config.w_dim)
        self.base_rgb = ToRgb(base, config.w_dim)
        self.blocks = nn.ModuleList()
        self.rgbs = nn.ModuleList()
        for level in range(1, UPSAMPLINGS + 1):
            previous, channels = config.generator_channels(level - 1), config.generator_channels(level)
            self.blocks.append(nn.ModuleList([StyledLayer(previous, channels, config.w_dim),
                                              StyledLayer(channels, channels, config.w_dim)]))
            self.rgbs.append(ToRgb(channels, config.w_dim))

    def forward(self, ws, field, noises):
        """ws (B, num_ws, w_dim), field (B, input_channels, h, w), noises: one (B, 1, H, W) per styled
        layer, coarsest first -> (B, 3, 16h, 16w) images in about [-1, 1]."""
        x = leaky(self.input(field))
        x = self.base_layer(x, ws[:, 0], noises[0])
        rgb = self.base_rgb(x, ws[:, 1])
        for level, ((first, second), to_rgb) in enumerate(zip(self.blocks, self.rgbs), 1):
            # The block's first layer narrows the features before they are upsampled, not after:
            # half the cost of StyleGAN2's upsampling convolution (and of the upsampling) per level,
            # which is what makes 2048 px textures quick on a CPU.
            x = first(x, ws[:, 2 * level - 1], noises[2 * level - 1])
            x = upsample_circular(x)
            x = second(x, ws[:, 2 * level], noises[2 * level])
            rgb = upsample_circular(rgb) + to_rgb(x, ws[:, 2 * level + 1])
        return rgb


def noise_shapes(batch, height_cells, width_cells):
    """The shapes of the per-layer noise maps, coarsest first (the base layer, then two per level)."""
    shapes = [(batch, 1, height_cells, width_cells)]
    for level in range(1, UPSAMPLINGS + 1):
        shapes += [(batch, 1, height_cells * 2 ** (level - 1), width_cells * 2 ** (level - 1)),
                   (batch, 1, height_cells * 2 ** level, width_cells * 2 ** level)]
    return shapes


class StyleGanGenerator(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.mapping = MappingNetwork(config)
        self.synthesis = SynthesisNetwork(config)

    def broadcast(self, w):
        return w[:, None, :].expand(-1, self.config.num_ws, -1)

    def truncate(self, ws, psi):
        """The truncation trick: pull w towards the average w by 1 - psi (psi 1: untouched)."""
        if psi == 1.0:
            return ws
        return self.mapping.w_average.lerp(ws, psi)

    def forward(self, ws, field, noises):
        return self.synthesis(ws, field, noises)


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions and a 2x average-pool, beside a pooled 1x1 skip (StyleGAN2's discriminator)."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv1 = EqualConv2d(in_channels, in_channels, 3)
        self.conv2 = EqualConv2d(in_channels, out_channels, 3)
        self.skip = EqualConv2d(in_channels, out_channels, 1, bias=False)
        self.pool = nn.AvgPool2d(2)

    def forward(self, x):
        skip = self.skip(self.pool(x))
        x = self.pool(leaky(self.conv2(leaky(self.conv1(x)))))
        return (x + skip) / math.sqrt(2.0)


class StyleGanDiscriminator(nn.Module):
    """Residual, down to 4x4, with the minibatch standard deviation feature before the head."""

    def __init__(self, config):
        super().__init__()
        size, channels = config.image_size, config.discriminator_channels
        self.from_rgb = EqualConv2d(3, channels, 1)
        blocks = []
        while size > 4:
            wider = min(config.max_channels, channels * 2)
            blocks.append(ResidualBlock(channels, wider))
            channels, size = wider, size // 2
        self.blocks = nn.Sequential(*blocks)
        self.head_conv = EqualConv2d(channels + 1, channels, 3)
        self.head_linear = EqualLinear(channels * 16, channels, activation=True)
        self.out = EqualLinear(channels, 1)

    def forward(self, image):
        x = self.blocks(leaky(self.from_rgb(image)))
        x = torch.cat([x, _minibatch_std(x)], dim=1)
        x = leaky(self.head_conv(x))
        return self.out(self.head_linear(x.flatten(1)))


def _minibatch_std(x, group=4):
    """One extra feature map: the spread of the features across a group of samples. A generator that
    collapses to one texture gives it away here."""
    batch = x.shape[0]
    group = math.gcd(group, batch)
    grouped = x.reshape(group, -1, *x.shape[1:])
    spread = (grouped.var(dim=0, unbiased=False) + 1e-8).sqrt().mean(dim=(1, 2, 3))  # (B / group,)
    return spread.repeat(group)[:, None, None, None].expand(-1, 1, *x.shape[2:])


def build(config):
    return StyleGanGenerator(config), StyleGanDiscriminator(config)
