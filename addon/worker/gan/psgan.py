"""The exemplar texture GAN: a periodic spatial GAN generator and a patch discriminator.

Generator (Jetchev et al. 2016, Bergmann et al. 2017): fully convolutional, so the output size is
chosen by the size of the noise field it is fed. Input channels are local noise, the global code
broadcast over space, and (for regular patterns) periodic channels ``sin(k . x + phase)`` whose
wave numbers ``k`` come from the global code through a small MLP.

Each stage doubles the resolution by nearest-neighbour upsampling followed by a 3x3 convolution,
batch norm and a leaky ReLU: 4x4 stride-2 transposed convolutions were cheaper but drew a
checkerboard the discriminator latched onto, and pixel normalisation instead of batch norm
collapsed to flat colours in our runs (see docs/BENCHMARKS.md). One more convolution at full
resolution, with its own nonlinearity, comes before the RGB one.

Padding: for a periodic field (tileable output) every convolution wraps around the borders, so the
output tiles exactly. Otherwise convolutions zero-pad, which is cheaper; callers then cut a margin
of ``margin_cells`` away, and the remaining pixels do not depend on the padding at all.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from .settings_record import SettingsRecord

MODEL_TYPE = "psgan"


@dataclass
class PsganConfig(SettingsRecord):
    record_name = "PSGAN settings"

    # Defaults chosen by 10-minute CPU runs on a stone texture (docs/BENCHMARKS.md): one noise cell
    # per 8 px trained far better than per 16 px. Periodic channels are off unless asked for (a
    # regular pattern): on an irregular texture a training run could lock onto the sinusoids and
    # draw a honeycomb lattice of stones (seed 1: 14x the real-crop Gram floor).
    local_channels: int = 16
    global_channels: int = 4
    periodic_channels: int = 0
    # Generator width per stage, from the noise resolution upwards; one 2x upsampling per entry.
    generator_channels: tuple = (128, 64, 32)
    input_convs: int = 1            # 3x3 convolutions at the noise resolution, before upsampling
    # Width of one 3x3 convolution (batch norm, leaky ReLU) at full resolution before the RGB one;
    # 0: RGB straight from the last upsampling, which is a linear function of the half-resolution
    # features, too smooth for one-pixel mortar lines. Better in every paired run, ~15 % slower a step.
    full_resolution_channels: int = 16
    wave_hidden: int = 32
    discriminator_channels: tuple = (32, 64, 128, 256)
    spectral_norm: bool = True

    @property
    def upsampling(self):
        return 2 ** len(self.generator_channels)

    @property
    def margin_cells(self):
        """Cells around a field whose output is cut away so no kept pixel sees the padding: each
        convolution at the noise resolution reaches one cell; those after the k-th upsampling
        reach 2**-k cells, together (with the full-resolution one) at most one more."""
        return self.input_convs + 1

    @classmethod
    def from_dict(cls, values):
        # Model files written before the full-resolution convolution existed had none.
        return super().from_dict({"full_resolution_channels": 0, **values})


def wrap_pad(x, cells=1):
    """Circular padding by concatenation: on a CPU about twice as fast as F.pad(mode="circular")."""
    x = torch.cat([x[:, :, -cells:], x, x[:, :, :cells]], dim=2)
    return torch.cat([x[:, :, :, -cells:], x, x[:, :, :, :cells]], dim=3)


class Conv3x3(nn.Conv2d):
    """3x3 convolution that keeps the size: wrapping around the borders or zero-padding (done
    inside the convolution, without the copy an explicit pad makes)."""

    def __init__(self, in_channels, out_channels):
        super().__init__(in_channels, out_channels, 3, padding=1)

    def forward(self, x, wrap=False):
        if wrap:
            return F.conv2d(wrap_pad(x, 1), self.weight, self.bias)
        return super().forward(x)


class Stage(nn.Module):
    def __init__(self, in_channels, out_channels, upsample, last=False):
        super().__init__()
        self.upsample = upsample
        self.conv = Conv3x3(in_channels, out_channels)
        self.finish = nn.Tanh() if last else nn.Sequential(nn.BatchNorm2d(out_channels), nn.LeakyReLU(0.2))

    def forward(self, x, wrap):
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        return self.finish(self.conv(x, wrap))


class WaveNumbers(nn.Module):
    """Global code -> wave numbers (ky, kx) of each periodic channel, in radians per cell.

    Bounded by pi (the Nyquist limit of the cell grid) so a periodic channel never aliases.
    """

    def __init__(self, global_channels, periodic_channels, hidden):
        super().__init__()
        self.periodic_channels = periodic_channels
        self.net = nn.Sequential(nn.Linear(global_channels, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 2 * periodic_channels))
        # Start with modest, varied frequencies so the channels carry signal from the first step.
        with torch.no_grad():
            self.net[2].weight.mul_(0.1)
            self.net[2].bias.uniform_(-0.6, 0.6)

    def forward(self, global_code):
        return math.pi * torch.tanh(self.net(global_code)).view(len(global_code), self.periodic_channels, 2)


def quantise_wave_numbers(k, height_cells, width_cells):
    """Round each wave number so a whole number of periods fits the field: the periodic channels
    then wrap around the field's borders without a jump, which is what makes the output tile."""
    sizes = torch.tensor([height_cells, width_cells], dtype=k.dtype, device=k.device)
    return torch.round(k * sizes / (2 * math.pi)) * (2 * math.pi) / sizes


class PsganGenerator(nn.Module):
    memory_format = torch.contiguous_format  # of the activations and weights; see use_memory_format

    def __init__(self, config):
        super().__init__()
        self.config = config
        in_channels = config.local_channels + config.global_channels + config.periodic_channels
        widths = list(config.generator_channels)
        self.waves = WaveNumbers(config.global_channels, config.periodic_channels, config.wave_hidden)
        stages = [Stage(in_channels if index == 0 else widths[0], widths[0], upsample=False)
                  for index in range(config.input_convs)]
        refine = config.full_resolution_channels
        outputs = widths[1:] + [refine or 3]
        for index, width in enumerate(widths):
            last = index == len(widths) - 1 and not refine
            stages.append(Stage(width, outputs[index], upsample=True, last=last))
        if refine:
            stages.append(Stage(refine, 3, upsample=False, last=True))
        self.stages = nn.ModuleList(stages)

    def use_memory_format(self, memory_format):
        """Keep weights and activations in ``memory_format`` (the input is converted once; every
        layer keeps the layout of its input, and weights in the same layout are not reordered on
        every call)."""
        self.memory_format = memory_format
        return self.to(memory_format=memory_format)

    def periodic_channels(self, field, periodic):
        """``sin(k . x + phase)`` over the field's cells; with ``periodic`` the wave numbers are
        quantised to the field's size so the channels are periodic over it."""
        height, width = field.cells
        k = self.waves(field.global_)
        if periodic:
            k = quantise_wave_numbers(k, height, width)
        device = field.local.device
        rows = torch.arange(height, device=device, dtype=k.dtype).view(1, 1, height, 1)
        columns = torch.arange(width, device=device, dtype=k.dtype).view(1, 1, 1, width)
        angle = (k[:, :, 0, None, None] * rows + k[:, :, 1, None, None] * columns
                 + field.phases[:, :, None, None])
        return torch.sin(angle)

    def forward(self, field, periodic=False):
        """Image in [-1, 1], ``upsampling`` pixels per cell of ``field``. With ``periodic`` it
        tiles exactly: the local noise is i.i.d. on the torus and every layer wraps."""
        height, width = field.cells
        global_map = field.global_[:, :, None, None].expand(-1, -1, height, width)
        x = torch.cat([field.local, global_map, self.periodic_channels(field, periodic)], dim=1)
        x = x.contiguous(memory_format=self.memory_format)
        for stage in self.stages:
            x = stage(x, wrap=periodic)
        return x


class PatchDiscriminator(nn.Module):
    """Strided 4x4 convolutions to a map of real/fake logits, one per overlapping patch.

    Spectral normalisation on every layer (Miyato et al. 2018) is this model's stabiliser: it
    bounds the discriminator's Lipschitz constant so its gradients stay informative without a
    per-step gradient-penalty pass.
    """

    def __init__(self, config):
        super().__init__()
        layers, previous = [], 3
        normalise = spectral_norm if config.spectral_norm else (lambda layer: layer)
        for width in config.discriminator_channels:
            layers += [normalise(nn.Conv2d(previous, width, 4, stride=2, padding=1)), nn.LeakyReLU(0.2)]
            previous = width
        layers.append(normalise(nn.Conv2d(previous, 1, 3, padding=1)))
        self.net = nn.Sequential(*layers)

    def forward(self, image):
        return self.net(image)


def build(config, channels_last=False):
    """The generator and the discriminator. ``channels_last`` for a CPU: oneDNN's convolutions run
    the generator's forward and backward pass 1.5x faster in that layout on two threads, a whole
    training step 1.33x (scripts/bench/bench_gan_step.py, docs/BENCHMARKS.md). It is not used on GPUs,
    where it was never measured; the discriminator gained nothing from it."""
    generator = PsganGenerator(config)
    if channels_last:
        generator.use_memory_format(torch.channels_last)
    return generator, PatchDiscriminator(config)
