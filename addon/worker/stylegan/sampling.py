"""Textures from a trained StyleGAN: seeded, any size, tileable, truncated, mixed, walked, or around a
projected latent.

A seed fixes everything a texture is drawn from, in this order: its z (the look), then its spatial
input field and per-layer noise (the layout), so one seed gives the same texture on every device.

Tileable: the field and the noise are a torus of exactly ``size / 16`` cells and every layer wraps,
so the texture continues across its borders by construction; the size must be a multiple of 16.
Not tileable: a torus with a margin is generated and the middle cut out, which leaves a texture that
is not periodic at its own size (any size).

Style mixing (Karras et al. 2019): layers before ``mix_layer`` take seed A's w (coarse: layout scale,
large shapes, overall colour), the rest seed B's (fine: grain, small detail).
"""

import math

import torch

from ...protocol.specs.stylegan import MARGIN_CELLS
from ..gan.errors import GanInputError
from ..gan.generate import check_size
from ..gan.noise import seeded_generator
from . import network
from .network import CELL


def spatial_inputs(config, batch, height_cells, width_cells, rng):
    """(field, noises): the spatial input and the per-layer noise maps, drawn from ``rng``."""
    field = torch.randn(batch, config.input_channels, height_cells, width_cells, generator=rng)
    noises = [torch.randn(shape, generator=rng) for shape in network.noise_shapes(batch, height_cells, width_cells)]
    return field, noises


def seeded_z(config, seed):
    return torch.randn(1, config.z_dim, generator=seeded_generator(seed))


def layout(width, height, tileable):
    """(height_cells, width_cells, margin_px) of the torus a width x height texture is cut from."""
    check_size(width, height, CELL, tileable)
    if tileable:
        return height // CELL, width // CELL, 0
    return math.ceil(height / CELL) + 2 * MARGIN_CELLS, math.ceil(width / CELL) + 2 * MARGIN_CELLS, MARGIN_CELLS * CELL


def seeded_layout(config, seed, height_cells, width_cells):
    """The field and noise of ``seed`` (drawn after its z, from the same stream)."""
    rng = seeded_generator(seed)
    torch.randn(1, config.z_dim, generator=rng)  # z comes first in the seed's stream
    return spatial_inputs(config, 1, height_cells, width_cells, rng)


def styles(generator, seed, psi=1.0, mix_seed=None, mix_layer=None, device="cpu"):
    """(1, num_ws, w_dim): seed's w (mixed with mix_seed's from mix_layer on), truncated by psi."""
    config = generator.config
    ws = generator.broadcast(generator.mapping(seeded_z(config, seed).to(device)))
    if mix_seed is not None:
        if mix_layer is None or not 1 <= mix_layer < config.num_ws:
            raise GanInputError(f"mix layer must be from 1 to {config.num_ws - 1} (this model has "
                                f"{config.num_ws} style layers), got {mix_layer!r}")
        other = generator.broadcast(generator.mapping(seeded_z(config, mix_seed).to(device)))
        layer = torch.arange(config.num_ws, device=ws.device)[None, :, None]
        ws = torch.where(layer < mix_layer, ws, other)
    return generator.truncate(ws, psi)


def render(generator, scale, ws, field, noises, margin, width, height, device="cpu"):
    """Synthesis of one texture; returns scene-linear (height, width, 3) float32."""
    with torch.no_grad():
        image = generator(ws.to(device), field.to(device), [noise.to(device) for noise in noises])[0]
        image = decode(image[:, margin:margin + height, margin:margin + width], scale)
    return image.permute(1, 2, 0).contiguous().cpu().numpy()


def decode(network_rgb, scale):
    """``encoding.decode`` in torch, on the device and on every core (numpy's took half a second at
    2048 px): [-1, 1] sRGB-encoded -> scene-linear."""
    srgb = ((network_rgb + 1.0) * 0.5).clamp(0.0, 1.0)
    linear = torch.where(srgb <= 0.04045, srgb / 12.92, ((srgb.clamp_min(0.04045) + 0.055) / 1.055) ** 2.4)
    return linear * float(scale)


def generate(generator, scale, width, height, seed, psi=1.0, tileable=True, mix_seed=None, mix_layer=None,
             device="cpu", ws=None, layout_seed=None):
    """One texture. ``ws`` (1, num_ws, w_dim) replaces the seed's styles (a projected latent);
    ``layout_seed`` draws the layout from another seed (variations of one look)."""
    generator.eval()
    height_cells, width_cells, margin = layout(width, height, tileable)
    with torch.no_grad():
        if ws is None:
            ws = styles(generator, seed, psi, mix_seed, mix_layer, device)
        else:
            ws = generator.truncate(ws.to(device), psi)
    field, noises = seeded_layout(generator.config, seed if layout_seed is None else layout_seed,
                                  height_cells, width_cells)
    return render(generator, scale, ws, field, noises, margin, width, height, device)


def walk_length(count, frames_between):
    return count * frames_between  # a loop: the last seed walks back to the first


def latent_walk(generator, scale, width, height, seeds, frames_between, psi=1.0, tileable=True, device="cpu",
                indices=None):
    """Yield the frames of a looping walk through ``seeds``: w moves on a straight line (w space is
    what the mapping network made nearly linear), the field and noise on a quarter circle so they
    stay unit Gaussian samples. ``indices``: only these frames (a farm task's share)."""
    generator.eval()
    total = walk_length(len(seeds), frames_between)
    height_cells, width_cells, margin = layout(width, height, tileable)
    with torch.no_grad():
        all_ws = [styles(generator, seed, psi, device=device) for seed in seeds]
    layouts = [seeded_layout(generator.config, seed, height_cells, width_cells) for seed in seeds]
    for index in (range(total) if indices is None else sorted(indices)):
        if not 0 <= index < total:
            raise GanInputError(f"frame {index} is outside the walk's {total} frames (0 to {total - 1})")
        segment, step = divmod(index, frames_between)
        a, b = segment, (segment + 1) % len(seeds)
        t = step / frames_between
        ws = all_ws[a].lerp(all_ws[b], t)
        cos, sin = math.cos(t * math.pi / 2), math.sin(t * math.pi / 2)
        field = layouts[a][0] * cos + layouts[b][0] * sin
        noises = [x * cos + y * sin for x, y in zip(layouts[a][1], layouts[b][1])]
        yield render(generator, scale, ws, field, noises, margin, width, height, device)
