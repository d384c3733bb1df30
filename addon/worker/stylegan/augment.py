"""Differentiable augmentation (DiffAugment, Zhao et al. 2020) for training on a few hundred textures.

With small data the discriminator memorises the training images and its verdicts stop meaning
anything to the generator: training collapses or degrades. Showing the discriminator every image,
real and generated alike, through the same random colour shifts, translations and cutouts takes that
away, and because every operation is differentiable the generator still learns through it. Applied
to both halves, the augmentations do not leak into what the generator learns to make.
"""

import torch

POLICIES = ("color", "translation", "cutout")


def _uniform(shape, rng, device):
    return torch.rand(shape, generator=rng).to(device)


def adjust_colour(x, rng):
    batch, device = x.shape[0], x.device
    x = x + (_uniform((batch, 1, 1, 1), rng, device) - 0.5)                      # brightness
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (_uniform((batch, 1, 1, 1), rng, device) * 2) + mean        # saturation
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_uniform((batch, 1, 1, 1), rng, device) + 0.5) + mean  # contrast


def translate(x, rng, ratio=0.125):
    """Shift each image by up to ``ratio`` of its size, filling with zeros (a sampled grid, so the
    gradient flows to every kept pixel)."""
    batch, _, height, width = x.shape
    shift_y = (torch.randint(-int(height * ratio), int(height * ratio) + 1, (batch,), generator=rng))
    shift_x = (torch.randint(-int(width * ratio), int(width * ratio) + 1, (batch,), generator=rng))
    rows = torch.arange(height)[None, :] - shift_y[:, None]       # (B, H) source row of each row
    cols = torch.arange(width)[None, :] - shift_x[:, None]
    valid = ((rows >= 0) & (rows < height))[:, :, None] & ((cols >= 0) & (cols < width))[:, None, :]
    rows, cols = rows.clamp(0, height - 1), cols.clamp(0, width - 1)
    index = (rows[:, :, None] * width + cols[:, None, :]).to(x.device)  # (B, H, W)
    flat = x.flatten(2)
    moved = torch.gather(flat, 2, index.flatten(1)[:, None, :].expand(-1, x.shape[1], -1)).view_as(x)
    return moved * valid[:, None].to(x.device, x.dtype)


def cutout(x, rng, ratio=0.5):
    """Blank one rectangle of half the size at a random place in each image."""
    batch, _, height, width = x.shape
    cut_h, cut_w = int(height * ratio + 0.5), int(width * ratio + 0.5)
    top = torch.randint(0, height + 1 - cut_h % 2, (batch,), generator=rng) - cut_h // 2
    left = torch.randint(0, width + 1 - cut_w % 2, (batch,), generator=rng) - cut_w // 2
    rows = torch.arange(height)[None, :]
    cols = torch.arange(width)[None, :]
    inside_rows = (rows >= top[:, None]) & (rows < top[:, None] + cut_h)
    inside_cols = (cols >= left[:, None]) & (cols < left[:, None] + cut_w)
    keep = ~(inside_rows[:, :, None] & inside_cols[:, None, :])
    return x * keep[:, None].to(x.device, x.dtype)


def diff_augment(x, rng, policies=POLICIES):
    for policy in policies:
        if policy == "color":
            x = adjust_colour(x, rng)
        elif policy == "translation":
            x = translate(x, rng)
        elif policy == "cutout":
            x = cutout(x, rng)
        else:
            raise ValueError(f"unknown augmentation {policy!r}; known: {', '.join(POLICIES)}")
    return x
