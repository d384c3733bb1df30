"""The relighting network's losses, training step and validation (used by train_relight_image.py).

Losses, on the subject only (the matte):
- L1 between log(1 + relit) and log(1 + truth): relative errors count alike in shadows and highlights;
- a perceptual term, the ImageNet VGG16's relu1_2 and relu2_2 features of the tonemapped images at half
  resolution, each relative to the truth's mean feature magnitude;
- L1 between the estimated and the true source grid (encoded): the bottleneck must know the lighting.
With probability KNOWN_SOURCE_RATE a sample's decoder is conditioned on the true source grid instead of
the estimate, so the same network also serves callers who know how their image was lit.
"""

import numpy as np
import torch
from torch.nn import functional as F

from neural_render.worker.relight_image import environment_grid
from neural_render.worker.relight_image.network import relit_from_ratio
from training.relight_data import metrics

PERCEPTUAL_WEIGHT = 0.1
ENVIRONMENT_WEIGHT = 0.5
KNOWN_SOURCE_RATE = 0.5
PERCEPTUAL_LAYERS = ("relu1_2", "relu2_2")


def encode(grid):
    return torch.log1p(grid.clamp_min(0.0))


def _display(x):
    y = x.clamp_min(0.0)
    return (y / (1.0 + y)).clamp_min(1e-6) ** (1 / 2.2)


def perceptual(vgg, relit, target, matte):
    if vgg is None:
        return relit.new_zeros(())
    both = F.avg_pool2d(torch.cat([_display(relit), _display(target)]) * torch.cat([matte, matte]), 2)
    features = vgg(vgg.preprocess(both), PERCEPTUAL_LAYERS)
    total = 0.0
    for name in PERCEPTUAL_LAYERS:
        ours, theirs = features[name].chunk(2)
        total = total + (ours - theirs).abs().mean() / theirs.abs().mean().clamp_min(1e-6)
    return total / len(PERCEPTUAL_LAYERS)


def losses(model, batch, vgg=None, known_mask=None):
    image, target, matte = batch["image"], batch["target"], batch["matte"]
    source_code = encode(batch["source_grid"])
    ratio, estimate = model(torch.log1p(image), matte, encode(batch["target_grid"]),
                            None if known_mask is None else source_code, known_mask)
    relit = relit_from_ratio(image, ratio)
    weight = matte.sum().clamp_min(1.0) * 3
    relit_l1 = ((torch.log1p(relit) - torch.log1p(target)).abs() * matte).sum() / weight
    perceptual_term = perceptual(vgg, relit, target, matte)
    environment = (estimate - source_code).abs().mean()
    total = relit_l1 + PERCEPTUAL_WEIGHT * perceptual_term + ENVIRONMENT_WEIGHT * environment
    return total, {"relit_l1": relit_l1.item(), "perceptual": float(perceptual_term.detach()),
                   "environment": environment.item()}


def training_step(model, optimiser, batch, vgg, rng, known_source_rate=KNOWN_SOURCE_RATE):
    model.train()
    known = torch.as_tensor(rng.random(len(batch["image"])) < known_source_rate)
    total, parts = losses(model, batch, vgg, known)
    optimiser.zero_grad(set_to_none=True)
    total.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    optimiser.step()
    parts["total"] = total.item()
    return parts


def validation_set(pair_maker, pairs_per_scene=3, seed=1234):
    """Fixed pairs: every validation scene under ``pairs_per_scene`` pairs of validation worlds."""
    rng = np.random.default_rng(seed)
    samples = [pair_maker.sample(rng, scene=scene, augment=False)
               for scene in range(len(pair_maker.lights)) for _ in range(pairs_per_scene)]
    return {key: torch.stack([sample[key] for sample in samples]) for key in samples[0]}


def baselines(batch):
    """(identity, irradiance ratio) predictions: the input unchanged, and scaled per channel by the two
    worlds' total irradiance (the source world known exactly)."""
    source = environment_grid.irradiance(batch["source_grid"].double().numpy())
    target = environment_grid.irradiance(batch["target_grid"].double().numpy())
    scale = torch.as_tensor(target / np.maximum(source, 1e-9), dtype=torch.float32)[:, :, None, None]
    return batch["image"], batch["image"] * scale


@torch.no_grad()
def predictions(model, batch, known_source=False, chunk=24):
    model.eval()
    relit, estimates = [], []
    for start in range(0, len(batch["image"]), chunk):
        part = {key: value[start:start + chunk] for key, value in batch.items()}
        ratio, estimate = model(torch.log1p(part["image"]), part["matte"], encode(part["target_grid"]),
                                encode(part["source_grid"]) if known_source else None)
        relit.append(relit_from_ratio(part["image"], ratio))
        estimates.append(estimate)
    return torch.cat(relit), environment_grid.decode(torch.cat(estimates).numpy())


def scores(predicted, batch):
    """Mean PSNR, SSIM over the batch; per-sample PSNRs too."""
    truth = batch["target"].permute(0, 2, 3, 1).numpy()
    ours = predicted.permute(0, 2, 3, 1).numpy()
    mattes = batch["matte"][:, 0].numpy()
    psnrs = [metrics.psnr(t, o, m) for t, o, m in zip(truth, ours, mattes)]
    ssims = [metrics.ssim(t, o, m) for t, o, m in zip(truth, ours, mattes)]
    return float(np.mean(psnrs)), float(np.mean(ssims)), psnrs


def validate(model, batch):
    relit, estimates = predictions(model, batch)
    result = {}
    result["psnr"], result["ssim"], _ = scores(relit, batch)
    known, _ = predictions(model, batch, known_source=True)
    result["psnr_known_source"], result["ssim_known_source"], _ = scores(known, batch)
    # One figure for a network that must serve both paths: photos (estimated) and plates with an HDRI.
    result["psnr_average"] = 0.5 * (result["psnr"] + result["psnr_known_source"])
    errors = [metrics.grid_error(e, t) for e, t in zip(estimates, batch["source_grid"].double().numpy())]
    result["source_log_rmse"] = float(np.mean([e[0] for e in errors]))
    result["source_irradiance_error"] = float(np.mean([e[1] for e in errors]))
    return result


def baseline_scores(batch):
    identity, ratio = baselines(batch)
    out = {}
    out["identity_psnr"], out["identity_ssim"], _ = scores(identity, batch)
    out["ratio_psnr"], out["ratio_ssim"], _ = scores(ratio, batch)
    return out

