"""Small models and textures the GAN tests share: fast enough to train for a few steps on a CPU."""

import numpy as np

from neural_render.worker.gan.adversarial import TrainSettings
from neural_render.worker.gan.dcgan import DcganConfig
from neural_render.worker.gan.exemplar_gan import ExemplarGan
from neural_render.worker.gan.folder_gan import FolderGan
from neural_render.worker.gan.psgan import PsganConfig

TINY_PSGAN = PsganConfig(local_channels=4, global_channels=4, periodic_channels=2,
                         generator_channels=(16, 8), full_resolution_channels=4, discriminator_channels=(8, 16))
TINY_DCGAN = DcganConfig(latent_channels=16, image_size=32, generator_width=8, discriminator_width=8)


def brick_texture(height=96, width=96, seed=0):
    """Scene-linear bricks with mortar and per-brick colour: structure a GAN must learn, not noise."""
    rng = np.random.default_rng(seed)
    rows, columns = np.mgrid[0:height, 0:width]
    course = rows // 12
    shifted = columns + (course % 2) * 12
    brick = shifted // 24
    tint = rng.uniform(0.35, 0.9, size=(height // 12 + 2, width // 24 + 3))[course, brick]
    mortar = (rows % 12 < 2) | (shifted % 24 < 2)
    image = np.empty((height, width, 3), np.float32)
    image[..., 0] = tint * 0.6
    image[..., 1] = tint * 0.3
    image[..., 2] = tint * 0.2
    image[mortar] = 0.05
    image *= rng.uniform(0.85, 1.15, size=(height, width, 1)).astype(np.float32)
    return image


def tiny_exemplar_model(seed=0, crop_size=16, batch_size=4, d_steps=1, exemplar=None):
    model = ExemplarGan(TINY_PSGAN, TrainSettings(batch_size=batch_size, d_steps=d_steps),
                        {"crop_size": crop_size}, "cpu", seed)
    model.attach_exemplar(brick_texture() if exemplar is None else exemplar)
    return model


def tiny_folder_model(images, seed=0):
    model = FolderGan(TINY_DCGAN, TrainSettings(batch_size=4), {}, "cpu", seed)
    model.attach_images(images)
    return model


def write_folder(folder, count=6, size=48, seed=0):
    """``count`` PNG crops of a brick texture in ``folder`` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    from neural_render.worker.imageio.files import write_image
    texture = brick_texture(160, 160, seed)
    rng = np.random.default_rng(seed)
    for index in range(count):
        top, left = rng.integers(0, 160 - size, 2)
        write_image(str(folder / f"crop_{index:02d}.png"), texture[top:top + size, left:left + size])
    return folder
