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
INPUT_MULTIPLE = 2 ** (len(CHANNELS) - 1)
OUTPUTS = ("normal_x", "normal_y", "normal_z", "height")


def _conv(inputs, outputs, stride=1):
    return nn.Sequential(nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False, padding_mode="reflect"),
                         nn.BatchNorm2d(outputs), nn.LeakyReLU(0.2, inplace=True))


class MaterialUNet(nn.Module):
    def __init__(self, channels=CHANNELS):
        super().__init__()
        self.channels = tuple(channels)
        self.stem = nn.Sequential(_conv(3, channels[0]), _conv(channels[0], channels[0]))
        self.down = nn.ModuleList(
            nn.Sequential(_conv(channels[i], channels[i + 1], stride=2), _conv(channels[i + 1], channels[i + 1]))
            for i in range(len(channels) - 1))
        self.up = nn.ModuleList(
            nn.Sequential(_conv(channels[i + 1] + channels[i], channels[i]), _conv(channels[i], channels[i]))
            for i in reversed(range(len(channels) - 1)))
        self.head = nn.Conv2d(channels[0], len(OUTPUTS), 1)
        with torch.no_grad():  # start from a flat normal map
            self.head.weight.mul_(0.1)
            self.head.bias.copy_(torch.tensor([0.0, 0.0, 1.0, 0.0]))

    def set_tileable(self, tileable):
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
        return F.normalize(out[:, :3], dim=1, eps=1e-6), out[:, 3:4]


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
