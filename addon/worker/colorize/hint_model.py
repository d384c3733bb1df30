"""The hint-conditioned colorizer (after Zhang, Zhu, Isola et al. 2017, "Real-Time User-Guided Image
Colorization with Learned Deep Priors"): L* plus sparse a*b* hints and their mask -> a*b*.

Input (N, 6, H, W): normalised L (as model.normalise_lightness), hint a*b* / AB_SCALE (0 where there
is no hint), the hint mask (1 at hinted pixels), and the hints already spread by the edge-aware solve
(Levin et al. 2004, scribbles.py) / AB_SCALE; H, W multiples of 8. Output (N, 2, H, W): a*b* at the
input's resolution, as that propagation *plus a learned correction*. The solve carries each hint's
exact colour along luminance edges, which on textures is already close (one hue per region); the
network learns where it is wrong — across edges the solve leaks over, regions no hint reached,
colour that varies with luminance inside a region. The correction layer starts at zero, so an
untrained network is exactly the solve.

A U-Net: three stride-2 encoder stages, a dilated bottleneck for context, a decoder with skip
connections so colour edges land on luminance edges. It regresses a*b* (smooth L1): the hints remove
the ambiguity that makes regression of colour grey out, as Zhang et al. 2017 argue.
"""

import torch
from torch import nn

from .model import AB_SCALE, normalise_lightness

INPUT_CHANNELS = 6


def _stage(in_channels, out_channels, stride=1, dilation=1):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=dilation, dilation=dilation),
        nn.ReLU(True),
        nn.Conv2d(out_channels, out_channels, 3, padding=dilation, dilation=dilation),
        nn.BatchNorm2d(out_channels), nn.ReLU(True))


class HintColorizer(nn.Module):
    def __init__(self, base=32):
        super().__init__()
        self.base = int(base)
        c = [self.base, self.base * 2, self.base * 4, self.base * 8]
        self.encode1 = _stage(INPUT_CHANNELS, c[0])
        self.encode2 = _stage(c[0], c[1], stride=2)
        self.encode3 = _stage(c[1], c[2], stride=2)
        self.encode4 = _stage(c[2], c[3], stride=2)
        self.context = nn.Sequential(_stage(c[3], c[3], dilation=2), _stage(c[3], c[3], dilation=4))
        self.up3 = nn.ConvTranspose2d(c[3], c[2], 4, stride=2, padding=1)
        self.decode3 = _stage(c[2] * 2, c[2])
        self.up2 = nn.ConvTranspose2d(c[2], c[1], 4, stride=2, padding=1)
        self.decode2 = _stage(c[1] * 2, c[1])
        self.up1 = nn.ConvTranspose2d(c[1], c[0], 4, stride=2, padding=1)
        self.decode1 = _stage(c[0] * 2, c[0])
        self.out = nn.Conv2d(c[0], 2, 1)
        nn.init.zeros_(self.out.weight)   # untrained = the edge-aware propagation itself
        nn.init.zeros_(self.out.bias)

    def forward(self, inputs):
        """(N, 6, H, W) [L_norm, hint a/110, b/110, mask, propagated a/110, b/110] -> (N, 2, H, W) a*b*."""
        first = self.encode1(inputs)
        second = self.encode2(first)
        third = self.encode3(second)
        features = self.context(self.encode4(third))
        features = self.decode3(torch.cat([self.up3(features), third], 1))
        features = self.decode2(torch.cat([self.up2(features), second], 1))
        features = self.decode1(torch.cat([self.up1(features), first], 1))
        propagated = inputs[:, 4:6] * AB_SCALE
        return (propagated + self.out(features)).clamp(-AB_SCALE, AB_SCALE)


def network_input(lightness, hint_ab, hint_mask, propagated_ab):
    """Tensors (N, 1|2|1|2, H, W) of L*, hint a*b*, mask and the propagated a*b* -> the (N, 6, H, W) input."""
    mask = hint_mask.to(lightness.dtype)
    return torch.cat([normalise_lightness(lightness), hint_ab * mask / AB_SCALE, mask, propagated_ab / AB_SCALE], 1)
