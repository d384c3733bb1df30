"""The folder GAN as a trainable whole: a DCGAN fed the images of one folder."""


import torch

from ...protocol.specs.gan import MAX_WALK_FRAMES
from . import dcgan, encoding
from .adversarial import TrainSettings
from .errors import GanInputError
from .folder_dataset import to_training_tensor
from .gan_model import GanModel
from .noise import seeded_generator

MIN_IMAGES = 2


class FolderGan(GanModel):
    model_type = dcgan.MODEL_TYPE
    config_class = dcgan.DcganConfig

    def __init__(self, model_config=None, settings=None, data=None, device="cpu", seed=0):
        self.images = None
        super().__init__(model_config, settings, data, device, seed)

    @classmethod
    def default_settings(cls):
        return TrainSettings(batch_size=32)

    def build_networks(self, model_config):
        return dcgan.build(model_config)

    def attach_images(self, linear_images):
        """Train on a list of same-sized scene-linear images. A resumed model keeps its colour scale."""
        if len(linear_images) < MIN_IMAGES:
            raise GanInputError(f"a folder model needs at least {MIN_IMAGES} images, got {len(linear_images)}")
        if "scale" not in self.data:
            self.data["scale"] = max(encoding.choose_scale(encoding.as_rgb(image)) for image in linear_images)
        self.images = to_training_tensor(linear_images, self.model_config.image_size,
                                         self.data["scale"]).to(self.device)
        self.data["image_count"] = len(linear_images)

    @property
    def scale(self):
        return self.data.get("scale", 1.0)

    def real_batch(self, count):
        if self.images is None:
            raise GanInputError("no images: attach a folder before training")
        return self.images[torch.randint(0, len(self.images), (count,), generator=self.rng)]

    def fake_batch(self, generator, count, rng=None):
        latent = torch.randn(count, self.model_config.latent_channels, generator=rng or self.rng)
        return generator(latent.to(self.device))


def seeded_latents(config, seeds):
    return torch.stack([torch.randn(config.latent_channels, generator=seeded_generator(seed)) for seed in seeds])


def slerp(a, b, t):
    """Spherical interpolation: in high dimensions Gaussian vectors live near a sphere, and a
    straight line between two of them passes through unlikely, low-norm latents (dull images)."""
    cosine = torch.nn.functional.cosine_similarity(a, b, dim=-1).clamp(-1.0, 1.0)
    angle = torch.acos(cosine)
    if float(angle) < 1e-4:
        return a + (b - a) * t
    return (torch.sin((1 - t) * angle) * a + torch.sin(t * angle) * b) / torch.sin(angle)


@torch.no_grad()
def sample(generator, scale, seeds, device="cpu"):
    """One scene-linear (size, size, 3) image per seed."""
    generator.eval()
    images = generator(seeded_latents(generator.config, seeds).to(device))
    return [encoding.decode(image.permute(1, 2, 0).cpu().numpy(), scale) for image in images]


def interpolate(generator, scale, seed_a, seed_b, frames, device="cpu", indices=None):
    """Yield ``frames`` images walking from seed_a's sample to seed_b's, both ends included, one at a
    time (a caller may write each away before the next is made); ``indices``: only these frames."""
    if not 2 <= frames <= MAX_WALK_FRAMES + 1:
        raise GanInputError(f"an interpolation needs from 2 to {MAX_WALK_FRAMES + 1} frames")
    generator.eval()
    a, b = seeded_latents(generator.config, [seed_a, seed_b])
    for index in (range(frames) if indices is None else sorted(indices)):
        if not 0 <= index < frames:
            raise GanInputError(f"frame {index} is outside the walk's {frames} frames (0 to {frames - 1})")
        with torch.no_grad():
            image = generator(slerp(a, b, index / (frames - 1))[None].to(device))[0]
        yield encoding.decode(image.permute(1, 2, 0).cpu().numpy(), scale)
