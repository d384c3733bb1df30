"""Random training crops of one exemplar image."""

import numpy as np
import torch

from . import encoding


class ExemplarTooSmall(ValueError):
    pass


def check_exemplar(image, crop_size):
    """Raise ``ValueError`` with a message the user can act on if ``image`` cannot be trained on."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] not in (1, 2, 3, 4):
        raise ValueError(f"the exemplar must be an (H, W, C) image with 1 to 4 channels, got shape {image.shape}")
    height, width = image.shape[:2]
    if height < crop_size or width < crop_size:
        raise ExemplarTooSmall(
            f"the exemplar is {width}x{height} px but training crops are {crop_size} px: use an image at "
            f"least {crop_size} px on each side, or a smaller crop size")
    if not np.isfinite(image).all():
        raise ValueError("the exemplar contains NaN or infinite pixels")


class ExemplarCrops:
    """Holds the encoded exemplar on the training device and cuts random square crops from it."""

    def __init__(self, linear_image, crop_size, device, scale=None):
        check_exemplar(linear_image, crop_size)
        rgb = encoding.as_rgb(linear_image)
        self.scale = encoding.choose_scale(rgb) if scale is None else float(scale)
        self.encoded = encoding.encode(rgb, self.scale)
        self.image = torch.from_numpy(np.ascontiguousarray(self.encoded.transpose(2, 0, 1))).to(device)
        self.crop_size = crop_size

    def sample(self, batch, generator):
        """(batch, 3, crop, crop) crops at uniformly random positions (positions drawn on the CPU
        from ``generator``, so a seeded run sees the same crops on any device)."""
        _, height, width = self.image.shape
        size = self.crop_size
        tops = torch.randint(0, height - size + 1, (batch,), generator=generator).tolist()
        lefts = torch.randint(0, width - size + 1, (batch,), generator=generator).tolist()
        return torch.stack([self.image[:, top:top + size, left:left + size] for top, left in zip(tops, lefts)])
