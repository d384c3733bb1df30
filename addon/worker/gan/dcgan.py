"""DCGAN (Radford et al. 2016) for a folder of same-sized textures: a latent vector -> one image.

Generator: a 4x4 transposed convolution from the latent vector, then 4x4 stride-2 transposed
convolutions with batch norm and ReLU, tanh at the end. Discriminator: the mirror image with
strided convolutions and leaky ReLU. Where DCGAN put batch norm in the discriminator we use
spectral normalisation: it is the stabiliser, and it keeps the discriminator independent of the
batch, so real and fake images can share one pass.
"""

from dataclasses import dataclass

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from .settings_record import SettingsRecord

MODEL_TYPE = "dcgan"
IMAGE_SIZES = (32, 64, 128)


@dataclass
class DcganConfig(SettingsRecord):
    record_name = "DCGAN settings"

    latent_channels: int = 100
    image_size: int = 64
    generator_width: int = 32      # channels of the last hidden layer; doubling towards the input
    discriminator_width: int = 32  # channels of the first layer; doubling towards the output
    spectral_norm: bool = True

    def __post_init__(self):
        if self.image_size not in IMAGE_SIZES:
            raise ValueError(f"DCGAN image size must be one of {IMAGE_SIZES}, got {self.image_size}")

    @property
    def hidden_layers(self):
        """Stride-2 layers between the 4x4 start and the full size, not counting the last one."""
        return self.image_size.bit_length() - 1 - 3


class DcganGenerator(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        width = config.generator_width * 2 ** config.hidden_layers
        layers = [nn.ConvTranspose2d(config.latent_channels, width, 4, 1, 0, bias=False),
                  nn.BatchNorm2d(width), nn.ReLU(True)]
        for _ in range(config.hidden_layers):
            layers += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(width // 2), nn.ReLU(True)]
            width //= 2
        layers += [nn.ConvTranspose2d(width, 3, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(_dcgan_init)

    def forward(self, latent):
        """(B, latent_channels) -> (B, 3, size, size) in [-1, 1]."""
        return self.net(latent[:, :, None, None])


class DcganDiscriminator(nn.Module):
    def __init__(self, config):
        super().__init__()
        normalise = spectral_norm if config.spectral_norm else (lambda layer: layer)
        width = config.discriminator_width
        layers = [normalise(nn.Conv2d(3, width, 4, 2, 1)), nn.LeakyReLU(0.2, True)]
        for _ in range(config.hidden_layers):
            layers += [normalise(nn.Conv2d(width, width * 2, 4, 2, 1)), nn.LeakyReLU(0.2, True)]
            width *= 2
        layers.append(normalise(nn.Conv2d(width, 1, 4, 1, 0)))
        self.net = nn.Sequential(*layers)
        self.apply(_dcgan_init)

    def forward(self, image):
        return self.net(image).flatten(1)


def _dcgan_init(module):
    """DCGAN's initialisation: N(0, 0.02) weights, batch-norm scales N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        weight = getattr(module, "parametrizations", None)
        target = weight.weight.original if weight is not None else module.weight
        nn.init.normal_(target, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def build(config):
    return DcganGenerator(config), DcganDiscriminator(config)
