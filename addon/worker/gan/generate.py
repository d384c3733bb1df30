"""Textures of any size from a trained exemplar generator: seeded, optionally tileable, and latent
walks between seeds for animated textures.

Tileable: the noise field is a torus of exactly ``size / upsampling`` cells (local noise i.i.d. on
it, the global code constant, wave numbers rounded to whole periods) and every convolution wraps, so
the texture continues across its own borders by construction.

Not tileable: the field gets the same margin as in training and the margin's pixels are cut away,
so every pixel is computed exactly as the training crops were (no border effects), for any size.
"""

import math

import numpy as np
import torch

from . import encoding
from .errors import GanInputError
from .noise import blend, sample_noise, seeded_generator

MAX_SIZE = 16384


def check_size(width, height, upsampling, tileable):
    for name, value in (("width", width), ("height", height)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not 1 <= value <= MAX_SIZE:
            raise GanInputError(f"{name} must be a whole number of pixels from 1 to {MAX_SIZE}, got {value!r}")
    if tileable and (width % upsampling or height % upsampling):
        def nearest(value):
            return max(upsampling, round(value / upsampling) * upsampling)
        raise GanInputError(f"a tileable texture must be a multiple of {upsampling} px on each side; "
                            f"{width}x{height} is not (nearest: {nearest(width)}x{nearest(height)})")


def field_layout(config, width, height, tileable):
    """(height_cells, width_cells, margin_cells) of the noise field for a width x height texture."""
    scale = config.upsampling
    if tileable:
        return height // scale, width // scale, 0
    margin = config.margin_cells
    return math.ceil(height / scale) + 2 * margin, math.ceil(width / scale) + 2 * margin, margin


def seeded_field(config, width, height, seed, tileable):
    rows, columns, _ = field_layout(config, width, height, tileable)
    return sample_noise(config, 1, rows, columns, seeded_generator(seed))


@torch.no_grad()
def render_field(generator, field, width, height, tileable, device):
    """Run the generator on ``field`` and return the (height, width, 3) texture in [-1, 1]."""
    config = generator.config
    _, _, margin = field_layout(config, width, height, tileable)
    generator.eval()
    image = generator(field.to(device), periodic=tileable)[0]
    offset = margin * config.upsampling
    image = image[:, offset:offset + height, offset:offset + width]
    return image.permute(1, 2, 0).float().cpu().numpy()


def generate(generator, scale, width, height, seed=0, tileable=True, device="cpu"):
    """One scene-linear (height, width, 3) float32 texture; the same seed gives the same texture."""
    check_size(width, height, generator.config.upsampling, tileable)
    field = seeded_field(generator.config, width, height, seed, tileable)
    return encoding.decode(render_field(generator, field, width, height, tileable, device), scale)


def latent_walk(generator, scale, width, height, seeds, frames_between, tileable=True, loop=True,
                device="cpu"):
    """Yield frames morphing from the texture of each seed to the next (and back to the first when
    ``loop``): an animated texture whose every frame is itself a sample of the model."""
    seeds = list(seeds)
    if len(seeds) < 2:
        raise GanInputError("a latent walk needs at least two seeds")
    if not 1 <= frames_between <= 1000:
        raise GanInputError("frames between seeds must be from 1 to 1000")
    check_size(width, height, generator.config.upsampling, tileable)
    fields = [seeded_field(generator.config, width, height, seed, tileable) for seed in seeds]
    if loop:
        fields.append(fields[0])
    for start, end in zip(fields, fields[1:]):
        for frame in range(frames_between):
            field = blend(start, end, frame / frames_between)
            yield encoding.decode(render_field(generator, field, width, height, tileable, device), scale)
    if not loop:
        yield encoding.decode(render_field(generator, fields[-1], width, height, tileable, device), scale)
