"""Training the pix2pix material-map networks: losses, augmentation, one optimisation step.

    generator loss = λ_L1·|n − n*|₁ + λ_angle·∠(n, n*) + λ_height·|ĥ − ĥ*|₁ + λ_GAN·(D(x, n, h) − 1)²
    discriminator  = ½(D(x, n*, h*) − 1)² + ½·D(x, n, h)²            (LSGAN, PatchGAN)

ĥ is a height standardised over its crop (heights have no common scale between packages), and the
height terms count only for crops whose alpha holds height. Augmentation turns normals with the
pixels (rot90/flip in ``neural_render.worker.material.normals``), and changes only the photo's
hue and saturation otherwise (``jitter_colour``: its luma, which carries the relief, stays).
"""

import numpy as np
import torch


from neural_render.worker.material import normals as normal_maps

LAMBDA_L1 = 100.0      # pix2pix's weight of the reconstruction term against the adversarial one
LAMBDA_ANGLE = 100.0
LAMBDA_HEIGHT = 20.0


def jitter_colour(photo, rng):
    """photo (S, S, 3) float in [0, 1]: random hue rotation and saturation, both of which keep the
    luma, and a mild gain. Contrast and strong gain are left alone on purpose: many maps of the
    library were made from their diffuse's luminance gradient, so scaling the photo's contrast would
    teach that one relief has many strengths (measured: the first run with ±30 % contrast and gain
    learnt flat normals)."""
    yiq = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
    angle = rng.uniform(-np.pi, np.pi) * 0.3
    saturation = rng.uniform(0.5, 1.3)
    chroma = np.array([[1, 0, 0], [0, np.cos(angle), -np.sin(angle)], [0, np.sin(angle), np.cos(angle)]])
    chroma[1:] *= saturation
    photo = photo @ (np.linalg.inv(yiq) @ chroma @ yiq).T
    return np.clip(photo * rng.uniform(0.9, 1.1), 0.0, 1.0)


def augmented_batch(pairs, indices, crop, rng):
    """Tensors (photo (B, 3, c, c), normals (B, 3, c, c), height (B, 1, c, c), has_height (B,))."""
    photos, normals, heights = [], [], []
    size = pairs.photos.shape[1]
    for index in indices:
        top, left = rng.integers(0, size - crop + 1, 2)
        window = (slice(top, top + crop), slice(left, left + crop))
        photo = pairs.photos[index][window] / 255.0
        normal = pairs.normals[index][window].astype(np.float64)
        height = pairs.heights[index][window].astype(np.float64)
        turns = int(rng.integers(4))
        columns, rows = bool(rng.integers(2)), bool(rng.integers(2))
        photo, height = np.rot90(photo, turns), np.rot90(height, turns)
        normal = normal_maps.rotate90(normal, turns)
        if columns:
            photo, height = photo[:, ::-1], height[:, ::-1]
        if rows:
            photo, height = photo[::-1], height[::-1]
        normal = normal_maps.flip(normal, columns, rows)
        photos.append(jitter_colour(photo, rng))
        normals.append(normal)
        heights.append(height)

    def tensor(arrays):
        return torch.from_numpy(np.ascontiguousarray(np.stack(arrays), np.float32)).permute(0, 3, 1, 2)
    return (tensor(photos), tensor(normals), tensor([h[..., None] for h in heights]),
            torch.from_numpy(pairs.has_height[indices].astype(np.float32)))


def standardised(height):
    mean = height.mean(dim=(2, 3), keepdim=True)
    return (height - mean) / (height - mean).square().mean(dim=(2, 3), keepdim=True).add(1e-6).sqrt()


def angle(predicted, truth):
    """Per-pixel angle (radians) between unit vectors, stable near 0 (atan2 of |cross| and dot)."""
    cross = torch.linalg.cross(predicted, truth, dim=1).norm(dim=1)
    return torch.atan2(cross, (predicted * truth).sum(1))


def reconstruction_losses(normals, height, true_normals, true_height, has_height):
    l1 = (normals - true_normals).abs().mean()
    angular = angle(normals, true_normals).mean()
    per_crop = (standardised(height) - true_height).abs().mean(dim=(1, 2, 3))
    height_loss = (per_crop * has_height).sum() / has_height.sum().clamp(min=1.0)
    return l1, angular, height_loss


def training_step(generator, discriminator, g_optimiser, d_optimiser, batch, adversarial_weight):
    photo, true_normals, true_height, has_height = batch
    normals, height = generator(photo)
    height_for_d = standardised(height)
    # The discriminator sees true heights only where they exist; elsewhere both sides get the prediction.
    mask = has_height.view(-1, 1, 1, 1)
    real_height = mask * true_height + (1 - mask) * height_for_d.detach()
    if adversarial_weight > 0:
        d_optimiser.zero_grad(set_to_none=True)
        real = discriminator(photo, true_normals, real_height)
        fake = discriminator(photo, normals.detach(), height_for_d.detach())
        d_loss = 0.5 * ((real - 1).square().mean() + fake.square().mean())
        d_loss.backward()
        d_optimiser.step()
    else:
        d_loss = torch.zeros(())
    g_optimiser.zero_grad(set_to_none=True)
    l1, angular, height_loss = reconstruction_losses(normals, height, true_normals, true_height, has_height)
    loss = LAMBDA_L1 * l1 + LAMBDA_ANGLE * angular + LAMBDA_HEIGHT * height_loss
    adversarial = torch.zeros(())
    if adversarial_weight > 0:
        adversarial = (discriminator(photo, normals, height_for_d) - 1).square().mean()
        loss = loss + adversarial_weight * adversarial
    loss.backward()
    g_optimiser.step()
    return {"l1": l1.item(), "angle_deg": angular.item() * 180 / np.pi, "height": height_loss.item(),
            "adversarial": adversarial.item(), "discriminator": d_loss.item()}


@torch.no_grad()
def validation_error(generator, pairs, limit=None):
    """Mean angular error (degrees over pixels, averaged per crop) on whole 256² crops, per package."""
    generator.eval()
    errors = {}
    for index in range(len(pairs) if limit is None else min(limit, len(pairs))):
        photo = torch.from_numpy(pairs.photos[index] / 255.0).float().permute(2, 0, 1)[None]
        normals, _ = generator(photo)
        truth = torch.from_numpy(pairs.normals[index].astype(np.float32)).permute(2, 0, 1)[None]
        errors.setdefault(pairs.packages[index], []).append(float(angle(normals, truth).mean()) * 180 / np.pi)
    generator.train()
    summary = {package: float(np.mean(values)) for package, values in errors.items()}
    summary["all"] = float(np.mean([value for values in errors.values() for value in values]))
    return summary


