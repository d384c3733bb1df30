"""The relighting U-Net: it predicts, for every pixel, how the light of each cell of the world reaches
it, and relights by re-weighting that with the target world.

Inputs, at the network's resolution (any multiple of 16): the image as log(1 + radiance) and its
matte. The encoder's bottleneck, pooled over the matte, estimates the source world's grid
(supervised in training: the data factory knows it). That world -- the estimate, or a known source
world when the caller has one -- is coded by a small MLP into a vector that is broadcast into the
bottleneck and modulates every decoder level (FiLM), because reading shape from shading depends on
the light the image was taken under.

The head predicts a *transport* g_i(x) >= 0 per pixel x and grid cell i: the share of light from cell
i that pixel x returns (its shading, shadowing and highlights under each light of the training stage,
up to the pixel's albedo). Light adds up, so the image under world W is albedo(x) * sum_i g_i(x) w_i(W)
and the shading ratio between the target and the source world is

    ratio_c(x) = sum_i g_i(x) w_ic(target) / sum_i g_i(x) w_ic(source)      (per channel c)

-- the light-stage identity with a predicted light stage. The relit image is input x ratio; the albedo
cancels, so the input's texture is kept exactly, and ``guided.py`` can carry the ratio to any
resolution. The target world enters only in that last, exact sum: relighting is linear in it, and an
animation needs the network once, not once per frame. The head starts uniform (g_i = const), where
the ratio is the two worlds' total-irradiance ratio: the strong simple baseline is where training
starts.
"""

import torch
from torch import nn
from torch.nn import functional as F

from ...protocol.specs.relight_image import GRID_COLUMNS, GRID_ROWS
from .environment_grid import grid_solid_angles

CELLS = GRID_ROWS * GRID_COLUMNS
GRID_VALUES = CELLS * 3
WIDTHS = (16, 32, 64, 128, 160)   # levels at 1, 1/2, 1/4, 1/8, 1/16 of the network side
CODE = 128                        # the source world's code
RATIO_EPSILON = 1e-2              # radiance: keeps the ratio finite where the image is black
SHADING_EPSILON = 1e-4            # relative to the world's irradiance: a pixel no light reaches keeps ratio ~1
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
        self.world_code = nn.Sequential(nn.Linear(GRID_VALUES, 256), nn.LeakyReLU(0.1), nn.Linear(256, code),
                                        nn.LeakyReLU(0.1))
        self.bottleneck = _Block(bottom + code, bottom)
        ups = list(reversed(widths))
        self.up = nn.ModuleList(_Block(a + b, b) for a, b in zip(ups[:-1], ups[1:]))
        self.film = nn.ModuleList(nn.Linear(code, 2 * b) for b in ups[1:])
        for layer in self.film:  # start as the identity modulation
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        self.head = nn.Conv2d(widths[0], CELLS, 1)
        nn.init.zeros_(self.head.weight)  # uniform transport: the irradiance-ratio baseline
        nn.init.zeros_(self.head.bias)
        self.register_buffer("solid_angles", torch.as_tensor(grid_solid_angles(), dtype=torch.float32).view(1, CELLS, 1),
                             persistent=False)

    def estimate_source(self, bottom, matte):
        """(N, GRID_VALUES) the encoded source grid from the bottleneck pooled over the subject."""
        weight = F.adaptive_avg_pool2d(matte, bottom.shape[-2:])
        mean = (bottom * weight).sum((2, 3)) / weight.sum((2, 3)).clamp_min(1e-3)
        peak = (bottom * (weight > 0.05)).amax((2, 3))
        return self.source_head(torch.cat([mean, peak], 1))

    def transport(self, image_log, matte, source_grid=None, known=None):
        """(transport g (N, CELLS, H, W), source grid used (N, R, C, 3), estimated source grid), both
        grids encoded. ``source_grid`` (encoded), when given, replaces the estimate for the samples
        ``known`` (N,) bool says (all when ``known`` is None)."""
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
        code = self.world_code(condition)
        x = self.bottleneck(torch.cat([x, code[:, :, None, None].expand(-1, -1, *x.shape[-2:])], 1))
        for block, film, skip in zip(self.up, self.film, reversed(skips[:-1])):
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = block(torch.cat([x, skip], 1))
            scale, shift = film(code).chunk(2, 1)
            x = x * (1.0 + scale[:, :, None, None]) + shift[:, :, None, None]
        shape = (len(x), GRID_ROWS, GRID_COLUMNS, 3)
        return F.softplus(self.head(x)), condition.reshape(shape), estimate.reshape(shape)

    def weights(self, encoded_grid):
        """(N, CELLS, 3) light weights (radiance x solid angle) of (N, R, C, 3) encoded grids."""
        radiance = torch.expm1(encoded_grid.reshape(-1, CELLS, 3)).clamp_min(0.0)
        return radiance * self.solid_angles

    def log_ratio(self, transport, source_grid, target_grid):
        """(N, 3, H, W) log shading ratio target / source through the transport (grids encoded)."""
        def shading(grid):
            weights = self.weights(grid)
            floor = SHADING_EPSILON * weights.sum(1).mean(1).clamp_min(1e-6)[:, None, None, None]
            return torch.einsum("nlhw,nlc->nchw", transport, weights) + floor
        return torch.log(shading(target_grid)) - torch.log(shading(source_grid))

    def forward(self, image_log, matte, target_grid, source_grid=None, known=None):
        """(log ratio (N, 3, H, W), estimated source grid (N, R, C, 3), encoded)."""
        transport, condition, estimate = self.transport(image_log, matte, source_grid, known)
        return self.log_ratio(transport, condition, target_grid), estimate


def relit_from_ratio(image, log_ratio):
    """Linear relit radiance from the linear image and the predicted log ratio (both (N, 3, H, W))."""
    return ((image + RATIO_EPSILON) * torch.exp(log_ratio) - RATIO_EPSILON).clamp_min(0.0)


def ratio_of(relit, image):
    """The log ratio that turns ``image`` into ``relit`` (what guided upsampling transfers)."""
    return torch.log((relit.clamp_min(0.0) + RATIO_EPSILON) / (image.clamp_min(0.0) + RATIO_EPSILON))
