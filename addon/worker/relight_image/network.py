"""The relighting U-Net.

Inputs, at the network's resolution (any multiple of 16): the image as log(1 + radiance), its matte,
and the target world as an encoded grid (``environment_grid.encode``). The encoder's bottleneck,
pooled over the matte, estimates the source world's grid (supervised in training: the data factory
knows it). Both worlds -- the estimate, or a known source world when the caller has one -- are coded
by a small MLP into a vector that (a) is broadcast into the bottleneck and (b) modulates every
decoder level (FiLM: a per-channel scale and shift), because relighting is a global change that each
pixel applies according to its own shape and material. The head predicts the log shading ratio
r = log((relit + eps) / (image + eps)); its last layer starts at zero, so an untrained network is
the identity. Predicting a ratio rather than pixels is what lets ``guided.py`` carry the result to
any resolution without losing the input's detail.

The head's ratio is added to the log ratio of the two worlds' total irradiance (per channel; the
source's from the estimate or the known world): the strong simple answer is built in, gradients from
the relit image reach the source estimate through it, and the convolutions learn only what depends
on direction -- shadows, shading, highlights.
"""

import torch
from torch import nn
from torch.nn import functional as F

from ...protocol.specs.relight_image import GRID_COLUMNS, GRID_ROWS
from .environment_grid import cell_solid_angles

GRID_VALUES = GRID_ROWS * GRID_COLUMNS * 3
WIDTHS = (16, 32, 64, 128, 160)  # levels at 1, 1/2, 1/4, 1/8, 1/16 of the network side
CODE = 128                        # the two worlds' code
RATIO_EPSILON = 1e-2              # radiance: keeps the ratio finite where the image is black
IRRADIANCE_EPSILON = 1e-3         # keeps the worlds' irradiance ratio finite for a black world
DIVISOR = 2 ** (len(WIDTHS) - 1)  # the network side must be a multiple of this


def _norm(channels):
    return nn.GroupNorm(max(1, channels // 8), channels)


class _Block(nn.Sequential):
    def __init__(self, inputs, outputs, stride=1):
        super().__init__(nn.Conv2d(inputs, outputs, 3, stride, 1), _norm(outputs), nn.LeakyReLU(0.1),
                         nn.Conv2d(outputs, outputs, 3, 1, 1), _norm(outputs), nn.LeakyReLU(0.1))


class RelightUNet(nn.Module):
    def __init__(self, widths=WIDTHS, code=CODE):
        super().__init__()
        self.widths = tuple(widths)
        self.stem = _Block(4, widths[0])
        self.down = nn.ModuleList(_Block(a, b, stride=2) for a, b in zip(widths[:-1], widths[1:]))
        bottom = widths[-1]
        self.source_head = nn.Sequential(nn.Linear(2 * bottom, 256), nn.LeakyReLU(0.1), nn.Linear(256, GRID_VALUES))
        self.world_code = nn.Sequential(nn.Linear(3 * GRID_VALUES, 256), nn.LeakyReLU(0.1), nn.Linear(256, code),
                                        nn.LeakyReLU(0.1))
        self.bottleneck = _Block(bottom + code, bottom)
        ups = list(reversed(widths))
        self.up = nn.ModuleList(_Block(a + b, b) for a, b in zip(ups[:-1], ups[1:]))
        self.film = nn.ModuleList(nn.Linear(code, 2 * b) for b in ups[1:])
        for layer in self.film:  # start as the identity modulation
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        self.register_buffer("solid_angles", torch.as_tensor(cell_solid_angles(), dtype=torch.float32)
                             .view(1, GRID_ROWS, GRID_COLUMNS, 1), persistent=False)
        self.head = nn.Conv2d(widths[0], 3, 3, 1, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def estimate_source(self, bottom, matte):
        """(N, GRID_VALUES) the encoded source grid from the bottleneck pooled over the subject."""
        weight = F.adaptive_avg_pool2d(matte, bottom.shape[-2:])
        mean = (bottom * weight).sum((2, 3)) / weight.sum((2, 3)).clamp_min(1e-3)
        peak = (bottom * (weight > 0.05)).amax((2, 3))
        return self.source_head(torch.cat([mean, peak], 1))

    def forward(self, image_log, matte, target_grid, source_grid=None, known=None):
        """(log ratio (N, 3, H, W), estimated source grid (N, R, C, 3), encoded).

        ``source_grid``, when given (encoded, (N, R, C, 3)), is used instead of the estimate to
        condition the decoder (the estimate is still returned); ``known`` (N,) bool, if given, says
        for which samples (training mixes both)."""
        x = self.stem(torch.cat([image_log * matte, matte], 1))
        skips = [x]
        for block in self.down:
            x = block(x)
            skips.append(x)
        estimate = self.estimate_source(x, matte)
        condition = estimate
        if source_grid is not None:
            given = source_grid.reshape(len(x), -1)
            condition = given if known is None else torch.where(known[:, None], given, estimate)
        target = target_grid.reshape(len(x), -1)
        code = self.world_code(torch.cat([condition, target, target - condition], 1))
        x = self.bottleneck(torch.cat([x, code[:, :, None, None].expand(-1, -1, *x.shape[-2:])], 1))
        for block, film, skip in zip(self.up, self.film, reversed(skips[:-1])):
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = block(torch.cat([x, skip], 1))
            scale, shift = film(code).chunk(2, 1)
            x = x * (1.0 + scale[:, :, None, None]) + shift[:, :, None, None]
        source = condition.reshape(len(x), GRID_ROWS, GRID_COLUMNS, 3)
        global_ratio = torch.log((self.irradiance(target_grid) + IRRADIANCE_EPSILON)
                                 / (self.irradiance(source) + IRRADIANCE_EPSILON))
        return self.head(x) + global_ratio[:, :, None, None], estimate.reshape(len(x), GRID_ROWS, GRID_COLUMNS, 3)

    def irradiance(self, encoded_grid):
        """(N, 3) the total irradiance of (N, R, C, 3) encoded grids (log(1 + radiance))."""
        radiance = torch.expm1(encoded_grid.reshape(-1, GRID_ROWS, GRID_COLUMNS, 3)).clamp_min(0.0)
        return (radiance * self.solid_angles).sum((1, 2))


def relit_from_ratio(image, log_ratio):
    """Linear relit radiance from the linear image and the predicted log ratio (both (N, 3, H, W))."""
    return ((image + RATIO_EPSILON) * torch.exp(log_ratio) - RATIO_EPSILON).clamp_min(0.0)


def ratio_of(relit, image):
    """The log ratio that turns ``image`` into ``relit`` (what guided upsampling transfers)."""
    return torch.log((relit.clamp_min(0.0) + RATIO_EPSILON) / (image.clamp_min(0.0) + RATIO_EPSILON))
