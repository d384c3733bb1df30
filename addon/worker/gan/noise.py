"""The spatial noise field a PSGAN-style generator is fed (Bergmann et al. 2017).

A field has three parts, all at the generator's input resolution (one cell per ``2**upsamplings``
output pixels):

- local: i.i.d. Gaussian per cell and channel, so that every region of the output differs;
- global: one Gaussian vector per sample, the same everywhere, selecting "which texture";
- phases: one uniform angle per periodic channel; the periodic channels themselves,
  ``sin(k . x + phase)``, are built inside the generator because their wave numbers ``k`` are
  learned from the global code.

Noise is always drawn on the CPU from a ``torch.Generator`` seeded by the caller, so a seed gives the
same texture on every device and every run.
"""

import math
from dataclasses import dataclass

import torch


@dataclass
class NoiseField:
    local: torch.Tensor   # (B, local_channels, H, W)
    global_: torch.Tensor  # (B, global_channels)
    phases: torch.Tensor  # (B, periodic_channels)

    def to(self, device):
        return NoiseField(self.local.to(device), self.global_.to(device), self.phases.to(device))

    @property
    def cells(self):
        return self.local.shape[-2], self.local.shape[-1]


def seeded_generator(seed):
    generator = torch.Generator(device="cpu")
    generator.manual_seed(int(seed) & 0xFFFF_FFFF_FFFF_FFFF)
    return generator


def sample_noise(layout, batch, height_cells, width_cells, generator):
    """A fresh field of ``height_cells`` x ``width_cells`` cells for ``batch`` samples."""
    local = torch.randn(batch, layout.local_channels, height_cells, width_cells, generator=generator)
    global_ = torch.randn(batch, layout.global_channels, generator=generator)
    phases = torch.rand(batch, layout.periodic_channels, generator=generator) * (2 * math.pi)
    return NoiseField(local, global_, phases)


def blend(a, b, t):
    """The field a fraction ``t`` of the way from ``a`` to ``b``, for latent walks.

    Gaussian parts are mixed on a quarter circle (cos, sin weights) so the result keeps unit
    variance, i.e. stays a sample the generator was trained on; a straight line would fade the
    noise towards zero half way and give a washed-out frame. Phases turn along the shorter arc.
    """
    angle = t * math.pi / 2
    cos, sin = math.cos(angle), math.sin(angle)
    turn = torch.remainder(b.phases - a.phases + math.pi, 2 * math.pi) - math.pi
    return NoiseField(a.local * cos + b.local * sin, a.global_ * cos + b.global_ * sin,
                      torch.remainder(a.phases + t * turn, 2 * math.pi))
