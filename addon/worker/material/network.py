"""The pix2pix networks (Isola et al. 2017) for photo → material maps.

``MaterialUNet`` is the generator: a U-Net on the display-encoded photo that predicts a unit normal
(OpenGL tangent space) and a relative height per pixel. It has no normalisation that looks beyond a
pixel at inference (BatchNorm runs on its stored statistics in eval mode), so any picture can be
processed in overlapping tiles with the same result as in one piece; ``set_tileable`` switches every
convolution to circular padding, which makes the output tile exactly like the input does.

``PatchDiscriminator`` judges (photo, maps) in overlapping ~70 px patches; it is used in training only.
"""

import torch
from torch import nn
from torch.nn import functional as F

CHANNELS = (16, 32, 64, 128, 160)
# The classical estimate the generator refines: Sobel slopes of the photo's luma read as height, at
# the strength that is best on the training split (2; scripts/bench/bench_material.py measures it on
# validation too). The network adds its correction before normalising, so it starts where the
# baseline ends.
PRIOR_STRENGTH = 2.0
LUMA = (0.2126, 0.7152, 0.0722)
INPUT_MULTIPLE = 2 ** (len(CHANNELS) - 1)
OUTPUTS = ("normal_x", "normal_y", "normal_z", "height")


def _conv(inputs, outputs, stride=1):
    return nn.Sequential(nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False, padding_mode="reflect"),
                         nn.BatchNorm2d(outputs), nn.LeakyReLU(0.2, inplace=True))


class MaterialUNet(nn.Module):
    def __init__(self, channels=CHANNELS, prior_strength=PRIOR_STRENGTH):
        super().__init__()
        self.channels = tuple(channels)
        self.prior_strength = float(prior_strength)
        self.tileable = False
        sobel_x = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8.0
        self.register_buffer("sobel", torch.stack([sobel_x, sobel_x.T])[:, None], persistent=False)
        self.register_buffer("luma", torch.tensor(LUMA).view(1, 3, 1, 1), persistent=False)
        self.stem = nn.Sequential(_conv(3, channels[0]), _conv(channels[0], channels[0]))
        self.down = nn.ModuleList(
            nn.Sequential(_conv(channels[i], channels[i + 1], stride=2), _conv(channels[i + 1], channels[i + 1]))
            for i in range(len(channels) - 1))
        self.up = nn.ModuleList(
            nn.Sequential(_conv(channels[i + 1] + channels[i], channels[i]), _conv(channels[i], channels[i]))
            for i in reversed(range(len(channels) - 1)))
        self.head = nn.Conv2d(channels[0], len(OUTPUTS), 1)
        with torch.no_grad():  # start from the prior (or, without one, a flat normal map)
            self.head.weight.mul_(0.1)
            self.head.bias.copy_(torch.tensor([0.0, 0.0, 0.0 if self.prior_strength else 1.0, 0.0]))

    def set_tileable(self, tileable):
        self.tileable = bool(tileable)
        for module in self.modules():
            if isinstance(module, nn.Conv2d) and module.padding != (0, 0):
                module.padding_mode = "circular" if tileable else "reflect"
        return self

    def forward(self, photo):
        """photo: (B, 3, H, W) display-encoded RGB in [0, 1], H and W multiples of INPUT_MULTIPLE →
        (normals (B, 3, H, W) unit vectors, height (B, 1, H, W), unitless)."""
        features = [self.stem(photo * 2.0 - 1.0)]
        for block in self.down:
            features.append(block(features[-1]))
        x = features.pop()
        for block in self.up:
            skip = features.pop()
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = block(torch.cat([x, skip], 1))
        out = self.head(x)
        vectors = out[:, :3] + self.prior(photo) if self.prior_strength else out[:, :3]
        return F.normalize(vectors, dim=1, eps=1e-6), out[:, 3:4]

    def prior(self, photo):
        """(−s·∂L/∂x, +s·∂L/∂row, 1): the classical normals of the luma L (OpenGL convention)."""
        luma = (photo * self.luma).sum(1, keepdim=True)
        luma = F.pad(luma, (1, 1, 1, 1), mode="circular" if self.tileable else "replicate")
        slopes = F.conv2d(luma, self.sobel) * self.prior_strength
        return torch.cat([-slopes[:, :1], slopes[:, 1:], torch.ones_like(slopes[:, :1])], 1)


def fold_batchnorm(model):
    """For inference: fold each eval-mode BatchNorm into the convolution before it (same outputs,
    one pass over memory fewer per layer). Returns the model, changed in place."""
    for module in model.modules():
        if isinstance(module, nn.Sequential):
            layers = list(module)
            for index in range(len(layers) - 1):
                conv, norm = layers[index], layers[index + 1]
                if isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d):
                    scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
                    with torch.no_grad():
                        conv.weight.mul_(scale.view(-1, 1, 1, 1))
                        bias = norm.bias - norm.running_mean * scale
                        conv.bias = nn.Parameter(bias if conv.bias is None else conv.bias * scale + bias)
                    module[index + 1] = nn.Identity()
    return model


class PatchDiscriminator(nn.Module):
    """70×70 PatchGAN on (photo 3, normal 3, height 1) channels; LSGAN targets."""

    def __init__(self, width=32):
        super().__init__()
        layers, channels = [], 7
        for index, out in enumerate((width, width * 2, width * 4)):
            layers += [nn.Conv2d(channels, out, 4, 2, 1)]
            if index:
                layers += [nn.BatchNorm2d(out)]
            layers += [nn.LeakyReLU(0.2, inplace=True)]
            channels = out
        layers += [nn.Conv2d(channels, width * 8, 4, 1, 1), nn.BatchNorm2d(width * 8), nn.LeakyReLU(0.2, inplace=True),
                   nn.Conv2d(width * 8, 1, 4, 1, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, photo, normals, height):
        return self.net(torch.cat([photo * 2.0 - 1.0, normals, height], 1))
