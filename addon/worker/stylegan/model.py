"""StyleGAN for a texture set as a trainable whole: the shared GAN trainer fed random crops of a folder's
images, with style mixing, the running average w for truncation, R1 and differentiable augmentation.

Training settings follow StyleGAN2 where they carry over (Adam betas (0, 0.99), lr 0.002, lazy R1
every 16 discriminator steps, mixing probability 0.9); the R1 weight is the paper's heuristic
0.0002 * size^2 / batch, which for 64 px crops in batches of 16 is about 0.05.
"""

import numpy as np
import torch
import torch.nn.functional as F

from ..gan import encoding
from ..gan.adversarial import TrainSettings
from ..gan.errors import GanInputError
from ..gan.gan_model import GanModel
from . import network
from .augment import POLICIES, diff_augment
from .sampling import spatial_inputs

MIN_IMAGES = 2
W_AVERAGE_DECAY = 0.995
TEXTURE_SCALES = (1, 2, 4, 8)


class StyleGan(GanModel):
    model_type = network.MODEL_TYPE
    config_class = network.StyleGanConfig

    def __init__(self, model_config=None, settings=None, data=None, device="cpu", seed=0):
        self.images = None
        super().__init__(model_config, settings, data, device, seed)

    @classmethod
    def default_settings(cls):
        return TrainSettings(batch_size=16, generator_lr=2e-3, discriminator_lr=2e-3, beta1=0.0, beta2=0.99,
                             ema_decay=0.998, r1_gamma=0.05, r1_every=16)

    def build_networks(self, model_config):
        return network.build(model_config)

    def check_data(self, data):
        augmentations = data.get("augment", list(POLICIES))
        unknown = [name for name in augmentations if name not in POLICIES]
        if unknown:
            raise GanInputError(f"unknown augmentation(s) {unknown}; known: {', '.join(POLICIES)}")
        if data.get("texture_scale", 1) not in TEXTURE_SCALES:
            raise GanInputError(f"texture scale must be one of {TEXTURE_SCALES}, got {data.get('texture_scale')}")

    def augmentation(self):
        policies = tuple(self.data.get("augment", POLICIES))
        if not policies:
            return None
        return lambda images: diff_augment(images, self.rng, policies)

    # -- data -----------------------------------------------------------------------------------
    def attach_images(self, linear_images):
        """Train on scene-linear images of any sizes, each at least the crop size after the texture
        scale (a factor the images are shrunk by first, in linear light). A resumed model keeps its
        colour scale and texture scale."""
        if len(linear_images) < MIN_IMAGES:
            raise GanInputError(f"a StyleGAN model needs at least {MIN_IMAGES} images, got {len(linear_images)}")
        rgb = [encoding.as_rgb(image) for image in linear_images]
        self.data.setdefault("scale", max(encoding.choose_scale(image) for image in rgb))
        factor = self.data.setdefault("texture_scale", 1)
        self.data.setdefault("augment", list(POLICIES))
        size = self.model_config.image_size
        tensors = []
        for image in rgb:
            tensor = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))[None]
            if factor > 1:
                tensor = F.avg_pool2d(tensor[:, :, :tensor.shape[2] // factor * factor,
                                             :tensor.shape[3] // factor * factor], factor)
            if min(tensor.shape[2:]) < size:
                raise GanInputError(f"an image of {image.shape[1]}x{image.shape[0]} px is smaller than the "
                                    f"{size} px crops this model learns (after shrinking by {factor})")
            encoded = encoding.encode(tensor[0].numpy().transpose(1, 2, 0), self.data["scale"])
            tensors.append(torch.from_numpy(np.ascontiguousarray(encoded.transpose(2, 0, 1))))
        self.images = tensors
        self.data["image_count"] = len(tensors)

    @property
    def scale(self):
        return self.data.get("scale", 1.0)

    def real_batch(self, count):
        if self.images is None:
            raise GanInputError("no images: attach a folder before training")
        size = self.model_config.image_size
        crops = []
        picks = torch.randint(0, len(self.images), (count,), generator=self.rng)
        flips = torch.rand(count, generator=self.rng) < 0.5
        for pick, flip in zip(picks.tolist(), flips.tolist()):
            image = self.images[pick]
            top = int(torch.randint(0, image.shape[1] - size + 1, (), generator=self.rng))
            left = int(torch.randint(0, image.shape[2] - size + 1, (), generator=self.rng))
            crop = image[:, top:top + size, left:left + size]
            crops.append(crop.flip(2) if flip else crop)
        return torch.stack(crops).to(self.device)

    # -- generated batches ------------------------------------------------------------------------
    def fake_batch(self, generator, count, rng=None):
        """``count`` generated crops. With probability 0.9 each batch mixes two latents at a random
        layer (style mixing regularisation: neighbouring layers must not rely on sharing one w)."""
        rng = rng or self.rng
        config = self.model_config
        z = torch.randn(count, 2, config.z_dim, generator=rng)
        cells = config.image_size // network.CELL
        field, noises = spatial_inputs(config, count, cells, cells, rng)
        w = generator.mapping(z.flatten(0, 1).to(self.device)).view(count, 2, config.w_dim)
        if generator is self.generator:  # the live one tracks the average w; the EMA copy inherits it
            with torch.no_grad():
                generator.mapping.w_average.lerp_(w[:, 0].mean(0).detach(), 1.0 - W_AVERAGE_DECAY)
        ws = generator.broadcast(w[:, 0])
        if float(torch.rand((), generator=rng)) < 0.9:
            cut = int(torch.randint(1, config.num_ws, (), generator=rng))
            layer = torch.arange(config.num_ws, device=self.device)[None, :, None]
            ws = torch.where(layer < cut, ws, generator.broadcast(w[:, 1]))
        return generator(ws, field.to(self.device), [noise.to(self.device) for noise in noises])
