"""Textures of any size from a trained exemplar generator: seeded, optionally tileable, and latent
walks between seeds for animated textures.

Tileable: the noise field is a torus of exactly ``size / upsampling`` cells (local noise i.i.d. on
it, the global code constant, wave numbers rounded to whole periods) and every convolution wraps, so
the texture continues across its own borders by construction.

Not tileable: the field gets the same margin as in training and the margin's pixels are cut away,
so every pixel is computed exactly as the training crops were (no border effects), for any size.

Variation: the global code (one vector per texture) is drawn as in training and then scaled by
``variation``. At 1 a seed may also shift the texture's overall colour and brightness as far as the
model learned; at 0 (the default) every seed keeps the exemplar's overall look and seeds differ in
layout, which is what the local noise draws. The global code is the PSGAN input for "which
texture"; one exemplar is one texture, but a 64 px training crop varies in overall tone, so the
model learns to shift a whole texture's tone with it, which no real texture of that size does. At
full variation a few seeds in 64 came out visibly lighter than the exemplar, the worst at 13-58x
the real crops' VGG Gram distance (the median seed: about 2x), and dominated the mean; over nine
10-minute models the mean fell from 2.7-6.0x at variation 1 to 1.34-1.76x at variation 0, with nearly
the same difference between seeds (docs/BENCHMARKS.md). Scaling it down is the truncation trick (Brock et al. 2019).
"""

import math

import numpy as np
import torch

from ...protocol.specs.gan import DEFAULT_VARIATION, MAX_SIZE, MAX_WALK_FRAMES
from . import encoding
from .errors import GanInputError
from .noise import blend, sample_noise, seeded_generator


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


def check_variation(variation):
    if isinstance(variation, bool) or not isinstance(variation, (int, float)) or not 0.0 <= variation <= 1.0:
        raise GanInputError(f"variation must be a number from 0 to 1, got {variation!r}")


def seeded_field(config, width, height, seed, tileable, variation=DEFAULT_VARIATION):
    """The noise field of one texture. The whole field is drawn before the global code is scaled,
    so a seed keeps its local noise (its layout) whatever the variation."""
    rows, columns, _ = field_layout(config, width, height, tileable)
    field = sample_noise(config, 1, rows, columns, seeded_generator(seed))
    field.global_ = field.global_ * float(variation)
    return field


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


def generate(generator, scale, width, height, seed=0, tileable=True, device="cpu", variation=DEFAULT_VARIATION):
    """One scene-linear (height, width, 3) float32 texture; the same seed gives the same texture."""
    check_size(width, height, generator.config.upsampling, tileable)
    check_variation(variation)
    field = seeded_field(generator.config, width, height, seed, tileable, variation)
    return encoding.decode(render_field(generator, field, width, height, tileable, device), scale)


def latent_walk(generator, scale, width, height, seeds, frames_between, tileable=True, loop=True,
                device="cpu", variation=DEFAULT_VARIATION, indices=None):
    """Yield frames morphing from the texture of each seed to the next (and back to the first when
    ``loop``): an animated texture whose every frame is itself a sample of the model. ``indices``: only
    these frames (a farm task's share), each exactly as in the whole walk -- frame i depends only on i."""
    seeds = list(seeds)
    if len(seeds) < 2:
        raise GanInputError("a latent walk needs at least two seeds")
    if not 1 <= frames_between <= MAX_WALK_FRAMES:
        raise GanInputError(f"frames between seeds must be from 1 to {MAX_WALK_FRAMES}")
    check_size(width, height, generator.config.upsampling, tileable)
    check_variation(variation)
    fields = [seeded_field(generator.config, width, height, seed, tileable, variation) for seed in seeds]
    if loop:
        fields.append(fields[0])
    total = walk_length(len(seeds), frames_between, loop)
    for index in (range(total) if indices is None else sorted(indices)):
        if not 0 <= index < total:
            raise GanInputError(f"frame {index} is outside the walk's {total} frames (0 to {total - 1})")
        segment, frame = divmod(index, frames_between)
        if segment == len(fields) - 1:  # the open walk's closing frame: the last seed itself
            field = fields[-1]
        else:
            field = blend(fields[segment], fields[segment + 1], frame / frames_between)
        yield encoding.decode(render_field(generator, field, width, height, tileable, device), scale)


def walk_length(seed_count, frames_between, loop=True):
    """Frames in a latent walk: FRAMES_BETWEEN per pair of seeds, and the last seed once more unless it loops."""
    return frames_between * seed_count if loop else frames_between * (seed_count - 1) + 1
