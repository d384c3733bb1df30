"""Coarse to fine: optimise a small version, upsample it, refine at the next size, up to the full size.

Why: the style's large structures (the brush strokes' layout, colour areas) settle in the cheap coarse
passes, where one evaluation of the network costs 1/16 of the full size's; the full size only adds
detail, so it needs few evaluations. The presets spend their evaluations accordingly (figures in
docs/BENCHMARKS.md).

The output always has the input's size: never a silent downscale. Past ``max_pixels`` the objective
tiles itself (objective.py) so memory stays bounded at any size.
"""

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from ...protocol.specs.stylize import PRESET_SCHEDULES
from . import optimize
from .losses import LossWeights
from .objective import DEFAULT_MAX_PIXELS, Objective
from .styles import resize

MIN_COARSE_SIDE = 64


@dataclass
class Schedule:
    """How many network evaluations at each scale: the coarsest, any in between, the full size."""
    coarse_side: int = 256          # the long side of the first (coarsest) pass, at most
    coarse_evaluations: int = 150
    middle_evaluations: int = 50
    fine_evaluations: int = 12


# The presets' evaluation counts are declared with the job's parameters (protocol/specs/stylize.py).
PRESETS = {name: Schedule(*numbers) for name, numbers in PRESET_SCHEDULES.items()}


@dataclass
class Settings:
    weights: LossWeights = field(default_factory=LossWeights)
    schedule: Schedule = field(default_factory=Schedule)
    optimizer: str = "lbfgs"
    init: str = "content"
    seed: int = 0
    max_pixels: int = DEFAULT_MAX_PIXELS


def scale_sizes(height, width, coarse_side):
    """Sizes from coarse to full, halving the full size while its long side stays >= 3/4 ``coarse_side``.

    The 3/4 keeps the coarsest pass near ``coarse_side`` (between 0.75x and 1.5x of it) rather than
    anywhere up to 2x, where a 480 px render would spend the whole coarse budget at full size.
    """
    sizes = [(height, width)]
    coarse_side = max(int(coarse_side), MIN_COARSE_SIDE)
    while max(sizes[0]) // 2 >= 0.75 * coarse_side and min(sizes[0]) // 2 >= 16:
        h, w = sizes[0]
        sizes.insert(0, (h // 2, w // 2))
    return sizes


def evaluations_per_scale(count, schedule):
    if count == 1:
        return [schedule.coarse_evaluations]
    return [schedule.coarse_evaluations] + [schedule.middle_evaluations] * (count - 2) + [schedule.fine_evaluations]


def upsample(image, height, width):
    return F.interpolate(image, size=(height, width), mode="bicubic", align_corners=False).clamp(0.0, 1.0)


def _at(tensor, height, width):
    return None if tensor is None else resize(tensor, height, width)


def stylize(network, content, targets_for, settings, region_masks=None, previous=None, report=None, start=None):
    """Stylize the (1, 3, H, W) display-referred ``content``; returns (image, {term: float} at full size).

    ``targets_for((h, w))`` gives {region: {layer: Gram}} for an output of that size (styles are
    resized with the output, so their strokes keep the same relative size at every scale).
    ``region_masks``: {region: (1, 1, H, W)}; ``previous``: (warped previous result, confidence), both
    full size: each scale starts from it where it is valid and the temporal term holds the result to it.
    ``report(fraction, message)`` is called after every evaluation (progress and cancel). ``start``: a
    full-size image (the Instant result) the coarsest scale starts from, instead of ``settings.init``.
    """
    height, width = content.shape[-2:]
    sizes = scale_sizes(height, width, settings.schedule.coarse_side)
    budgets = evaluations_per_scale(len(sizes), settings.schedule)
    costs = [h * w * n for (h, w), n in zip(sizes, budgets)]
    total_cost, done_cost = float(sum(costs)) or 1.0, 0.0
    image, parts = None, {}
    for index, ((h, w), budget) in enumerate(zip(sizes, budgets)):
        scaled_content = resize(content, h, w)
        masks = None if region_masks is None else {name: _at(mask, h, w) for name, mask in region_masks.items()}
        temporal = None
        if previous is not None:
            temporal = (_at(previous[0], h, w), _at(previous[1], h, w))
        if image is None and start is not None:
            initial = resize(start, h, w)
        elif image is None:
            initial = optimize.initial_image(settings.init if settings.init in ("content", "noise") else "content",
                                             scaled_content, seed=settings.seed)
        else:
            initial = upsample(image, h, w)
        if temporal is not None:  # where the previous frame is visible, start from it
            warped, confidence = temporal
            initial = confidence * warped + (1.0 - confidence) * initial
        objective = Objective(network, scaled_content, targets_for((h, w)), settings.weights, masks, temporal,
                              max_pixels=settings.max_pixels)

        def on_evaluation(done, current, offset=done_cost, cost=costs[index], budget=budget, size=(w, h),
                          scale=index + 1):
            if report is not None:
                report((offset + cost * done / budget) / total_cost,
                       f"scale {scale}/{len(sizes)} ({size[0]}x{size[1]}): step {done}/{budget}, "
                       f"loss {current.get('total', math.nan):.4g}")

        image, parts = optimize.optimise(objective, initial, budget, settings.optimizer, report=on_evaluation)
        image = image.clamp(0.0, 1.0)
        done_cost += costs[index]
    return image, parts
