"""Colorize from a colour reference image: per-region chroma by deep-feature matching, and the global
Reinhard baseline.

Deep matching (in the spirit of Welsh et al. 2002 and deep exemplar-based colorization): both images
are seen as greyscale by the offline VGG16 backbone, since the target has no colour; the reference's
L* is first remapped to the target's L* mean and spread (luminance remapping) so that "bright" means
the same in both. Every target location then takes the a*b* of the reference locations it resembles
most — VGG relu3_1 + relu4_1 features (texture and object parts) plus local L* mean and contrast
(luminance statistics) — as a softmax-weighted average over its best matches. The result is a chroma
map at 1/4 of the working resolution, different region by region; job.py brings it to full resolution
with a guided filter on the full L*.

Reinhard et al. (2001) transfer, in Lab: each a*b* channel is shifted and scaled to the reference's
mean and standard deviation. For a greyscale target (no chroma spread to scale) it reduces to painting
the reference's mean colour everywhere: one global colour shift — the baseline the benchmark compares against.
"""

import numpy as np
import torch
import torch.nn.functional as F

from . import guided, lab

FEATURE_LAYERS = ("relu3_1", "relu4_1")   # 1/4 and 1/8 of the input resolution
WORKING_SIZE = 256
MATCHES = 8               # each target location averages its best 8 reference matches ...
MATCH_TEMPERATURE = 0.05  # ... softmax-weighted by similarity / this
LUMINANCE_WEIGHT = 1.0    # how much local L* mean / contrast similarity counts next to the features
ROW_CHUNK = 1024          # target locations per similarity block (bounded memory)


def reinhard_ab(target_lab, reference_lab):
    """Global mean/std transfer of a*b*: (H, W, 3) target Lab, (h, w, 3) reference Lab -> (H, W, 2)."""
    target_ab = np.asarray(target_lab, np.float64)[..., 1:].reshape(-1, 2)
    reference_ab = np.asarray(reference_lab, np.float64)[..., 1:].reshape(-1, 2)
    target_mean, target_std = target_ab.mean(0), target_ab.std(0)
    reference_mean, reference_std = reference_ab.mean(0), reference_ab.std(0)
    # A grey target has no spread: the scale is meaningless there and only the mean is transferred.
    scale = np.where(target_std > 1e-3, reference_std / np.maximum(target_std, 1e-3), 0.0)
    ab = (target_ab - target_mean) * scale + reference_mean
    return ab.reshape(np.shape(target_lab)[:-1] + (2,)).astype(np.float32)


def remap_luminance(reference_lightness, target_lightness):
    """Reference L* linearly remapped to the target's L* mean and standard deviation."""
    reference_mean, reference_std = float(reference_lightness.mean()), float(reference_lightness.std())
    target_mean, target_std = float(target_lightness.mean()), float(target_lightness.std())
    return (reference_lightness - reference_mean) * (target_std / max(reference_std, 1e-3)) + target_mean


def _grey_display(lightness, device):
    """L* (h, w) -> (1, 3, h, w) display-referred grey in [0, 1], what the VGG backbone takes."""
    encoded = lab.srgb_encode(np.clip(lab.lightness_to_luminance(lightness), 0.0, 1.0)).astype(np.float32)
    return torch.from_numpy(encoded)[None, None].expand(1, 3, *encoded.shape).to(device)


def _local_statistics(lightness, grid_shape, device):
    """Local L* mean and standard deviation (over a 3x3-cell neighbourhood) on the matching grid, / 100."""
    tensor = torch.from_numpy(np.ascontiguousarray(lightness, dtype=np.float32))[None, None].to(device)
    mean = F.adaptive_avg_pool2d(tensor, grid_shape)
    square = F.adaptive_avg_pool2d(tensor * tensor, grid_shape)
    mean3 = F.avg_pool2d(mean, 3, stride=1, padding=1, count_include_pad=False)
    square3 = F.avg_pool2d(square, 3, stride=1, padding=1, count_include_pad=False)
    deviation = (square3 - mean3 ** 2).clamp_min(0.0).sqrt()
    return torch.cat([mean3, deviation], 1)[0] / 100.0   # (2, gh, gw)


def _describe(backbone, lightness, device):
    """(grid (gh, gw), (gh*gw, D) unit-length descriptors) of an L* image."""
    features = backbone(backbone.preprocess(_grey_display(lightness, device)), layers=FEATURE_LAYERS)
    fine, coarse = features[FEATURE_LAYERS[0]], features[FEATURE_LAYERS[1]]
    grid = tuple(fine.shape[2:])
    coarse = F.interpolate(coarse, size=grid, mode="bilinear", align_corners=False)
    parts = [F.normalize(fine, dim=1), F.normalize(coarse, dim=1)]
    statistics = _local_statistics(lightness, grid, device)[None] * (LUMINANCE_WEIGHT * 4.0)
    descriptor = torch.cat(parts + [statistics], 1)[0]
    return grid, descriptor.flatten(1).t()


def _working(image_lightness, size=WORKING_SIZE):
    """L* resized so the long side is ``size`` (multiples of 8), area-averaged."""
    height, width = image_lightness.shape
    scale = size / max(height, width)
    shape = tuple(max(16, int(round(side * scale / 8)) * 8) for side in (height, width))
    tensor = torch.from_numpy(np.ascontiguousarray(image_lightness, dtype=np.float32))[None, None]
    mode = "area" if shape[0] <= height and shape[1] <= width else "bilinear"
    kwargs = {} if mode == "area" else {"align_corners": False}
    return F.interpolate(tensor, size=shape, mode=mode, **kwargs)[0, 0].numpy()


@torch.no_grad()
def deep_reference_ab(target_lightness, reference_lab, backbone, device, size=WORKING_SIZE):
    """(L* of the target at working resolution (h, w), a*b* (h/4, w/4, 2)) matched from the reference."""
    target_small = _working(target_lightness, size)
    reference_l = _working(reference_lab[:, :, 0], size)
    reference_small_ab = np.stack([_working(reference_lab[:, :, channel], size) for channel in (1, 2)], axis=2)
    remapped = remap_luminance(reference_l, target_small)
    target_grid, target_descriptor = _describe(backbone, target_small, device)
    reference_grid, reference_descriptor = _describe(backbone, remapped, device)
    reference_ab = F.adaptive_avg_pool2d(torch.from_numpy(np.ascontiguousarray(reference_small_ab.transpose(2, 0, 1)))[None],
                                         reference_grid)[0].flatten(1).t().to(device)          # (R, 2)
    matches = min(MATCHES, reference_descriptor.shape[0])
    result = []
    for start in range(0, target_descriptor.shape[0], ROW_CHUNK):
        chunk = target_descriptor[start:start + ROW_CHUNK]
        # Squared distance between descriptors (features are unit length, statistics are not).
        distance = torch.cdist(chunk, reference_descriptor).pow(2)
        best, index = distance.topk(matches, dim=1, largest=False)
        weights = torch.softmax(-(best - best[:, :1]) / MATCH_TEMPERATURE, dim=1)
        result.append((weights[:, :, None] * reference_ab[index]).sum(1))
    ab = torch.cat(result).t().reshape(2, *target_grid).permute(1, 2, 0).cpu().numpy()
    return target_small, ab.astype(np.float32)


def _area(array, shape):
    tensor = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))[None, None]
    return F.interpolate(tensor, size=tuple(shape), mode="area")[0, 0].numpy()


def deep_reference_strips(target_lightness, reference_lab, backbone, device, size=WORKING_SIZE):
    """Full-resolution a*b* (rows, strip) pairs for decode.recombine_strips: matched chroma brought
    up with a guided filter on the full-resolution L*, so colour edges follow the target's edges."""
    _, ab = deep_reference_ab(target_lightness, reference_lab, backbone, device, size)
    guide_low = _area(target_lightness, ab.shape[:2]) if all(
        big >= small for big, small in zip(target_lightness.shape, ab.shape[:2])) else None
    if guide_low is None:  # a target smaller than the matching grid: plain resampling
        from .decode import upsample_strips
        return upsample_strips(ab, *target_lightness.shape)
    return guided.guided_upsample_strips(target_lightness, guide_low, ab, radius=1, epsilon=9.0)
