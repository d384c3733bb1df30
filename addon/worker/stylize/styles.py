"""Style targets: the Gram matrices several style images, blended by weight, at a given output size.

Style scale is the size of the style's brush strokes relative to the output: each style image is
resized so its long side is ``scale`` x the output's long side before its features are taken. Scale 1
makes a style as big as the picture; 0.5 halves the strokes (the texture repeats twice as often).
Because the Gram matrix averages over positions, a style of any aspect ratio fits any output.

Blending several styles mixes their statistics: the target Gram is the weighted mean of the styles'
Grams at every layer (the usual way to interpolate styles in the Gatys framework).
"""

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from . import losses

MIN_STYLE_SIDE = 16       # the network's deepest style layer is 1/16 of the input
MAX_STYLE_SIDE = 2048     # style features are taken once per scale; bigger adds time, not detail


@dataclass
class StyleImage:
    """A display-referred (H, W, 3) style picture in [0, 1] and its blend weight."""
    pixels: np.ndarray
    weight: float = 1.0


def check_styles(styles):
    if not styles:
        raise ValueError("at least one style image is needed")
    for index, style in enumerate(styles):
        if style.pixels.ndim != 3 or style.pixels.shape[2] != 3 or min(style.pixels.shape[:2]) < 1:
            raise ValueError(f"style image {index + 1} must be (H, W, 3), got {style.pixels.shape}")
        if not np.isfinite(style.weight) or style.weight < 0:
            raise ValueError(f"style weight {index + 1} must be zero or more, got {style.weight}")
    if sum(style.weight for style in styles) <= 0:
        raise ValueError("the style weights add up to zero: give at least one style a positive weight")


def resize(image, height, width):
    """(1, 3, h, w) -> (1, 3, height, width): area averaging when shrinking, bicubic when enlarging."""
    if tuple(image.shape[-2:]) == (height, width):
        return image
    if height <= image.shape[2] and width <= image.shape[3]:
        return F.interpolate(image, size=(height, width), mode="area")
    return F.interpolate(image, size=(height, width), mode="bicubic", align_corners=False).clamp(0.0, 1.0)


def style_size(style_shape, output_shape, scale):
    """(height, width) of a style resized to ``scale`` x the output's long side (aspect kept, clamped)."""
    style_h, style_w = style_shape
    long_side = max(output_shape) * float(scale)
    long_side = min(max(long_side, MIN_STYLE_SIDE), MAX_STYLE_SIDE)
    factor = long_side / max(style_h, style_w)
    return max(MIN_STYLE_SIDE, int(round(style_h * factor))), max(MIN_STYLE_SIDE, int(round(style_w * factor)))


def style_grams(network, pixels, layers, output_shape, scale, device):
    """{layer: Gram (1, C, C)} of one display-referred style tensor (1, 3, h, w) at the given scale."""
    height, width = style_size(pixels.shape[-2:], output_shape, scale)
    with torch.no_grad():
        resized = resize(pixels.to(device), height, width)
        features = network(network.preprocess(resized), layers=tuple(layers))
        return {layer: losses.gram(features[layer]) for layer in layers}


def blended_targets(network, styles, layers, output_shape, scale, device, transform=None):
    """The weight-blended target Grams of ``styles`` for an output of ``output_shape`` (h, w).

    ``transform`` maps a (1, 3, h, w) display tensor before its features are taken (e.g. to luminance
    when colours are preserved).
    """
    check_styles(styles)
    total = sum(style.weight for style in styles)
    blended = {}
    for style in styles:
        if style.weight == 0:
            continue
        pixels = torch.from_numpy(np.ascontiguousarray(style.pixels, dtype=np.float32)).permute(2, 0, 1)[None]
        if transform is not None:
            pixels = transform(pixels)
        grams = style_grams(network, pixels, layers, output_shape, scale, device)
        for layer, value in grams.items():
            blended[layer] = blended.get(layer, 0) + value * (style.weight / total)
    return blended
