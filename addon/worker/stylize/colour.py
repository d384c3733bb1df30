"""Scene-linear render <-> the display-referred image the CNN was trained on, and colour preservation.

The network saw ImageNet photos: sRGB-encoded values in [0, 1]. A render is scene-linear with
highlights above 1, so it goes through a view transform first and the result comes back through its
inverse, so the EXR composites like the render did.

View transforms (documented approximations; none reads Blender's OCIO LUTs, which the worker has no
access to):

- ``standard``: Blender's "Standard" exactly: exposure, clip to [0, 1], the sRGB piecewise curve.
- ``compressed``: for scenes viewed through AgX or Filmic. Those compress highlights smoothly instead
  of clipping; this approximation rolls off highlights with an extended-Reinhard curve
  ``x (1 + x / w^2) / (1 + x)`` reaching 1 at ``w`` = 16 (4 stops over 1, like Filmic's/AgX's
  range), then encodes with the sRGB curve. It is invertible on its range (so the round trip is
  exact), but it does not reproduce AgX's hue handling or Filmic's exact contrast: the network sees
  a similar tonality, not Blender's pixels.

Highlights: with ``keep_highlights`` the stylized result is scaled back above 1 wherever the render was
brighter than the view transform can show (ratio of the original's peak to its displayable peak),
so glints and light sources survive in the EXR; otherwise the result is the display range's inverse.

Preserving colours (Gatys et al. 2016, "luminance-only transfer"): optimise on luminance only and take
the chroma from the content: the result has the content's colours and the style's strokes.
"""

import numpy as np
import torch

from ...protocol.specs.stylize import IMAGE

VIEW_TRANSFORMS = IMAGE["view_transform"].values
COMPRESSED_WHITE = 16.0
# Rec.709 luma weights and the YIQ-like opponent axes used to split luminance from chroma.
_RGB_TO_YIQ = torch.tensor([[0.299, 0.587, 0.114],
                            [0.595716, -0.274453, -0.321263],
                            [0.211456, -0.522591, 0.311135]])


def srgb_encode(linear):
    linear = linear.clamp(0.0, 1.0)
    return torch.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear.clamp_min(0.0031308) ** (1 / 2.4) - 0.055)


def srgb_decode(encoded):
    encoded = encoded.clamp(0.0, 1.0)
    return torch.where(encoded <= 0.04045, encoded / 12.92, ((encoded.clamp_min(0.04045) + 0.055) / 1.055) ** 2.4)


def _compress(linear):
    white2 = COMPRESSED_WHITE ** 2
    linear = linear.clamp(0.0, COMPRESSED_WHITE)
    return linear * (1.0 + linear / white2) / (1.0 + linear)


def _expand(compressed):
    """Inverse of ``_compress`` on [0, 1]: the positive root of x^2 / w^2 + x (1 - y) - y = 0."""
    white2 = COMPRESSED_WHITE ** 2
    y = compressed.clamp(0.0, 1.0)
    a, b = 1.0 / white2, 1.0 - y
    return (-b + torch.sqrt(b * b + 4.0 * a * y)) / (2.0 * a)


def check_view(view):
    if view not in VIEW_TRANSFORMS:
        raise ValueError(f"view transform must be one of {', '.join(VIEW_TRANSFORMS)}, got {view!r}")
    return view


def to_display(linear, view="standard", exposure=0.0):
    """Scene-linear (..., 3) or (N, 3, H, W) tensor -> display-referred values in [0, 1]."""
    check_view(view)
    scaled = linear * (2.0 ** exposure)
    if view == "compressed":
        scaled = _compress(scaled.clamp_min(0.0))
    return srgb_encode(scaled)


def from_display(display, view="standard", exposure=0.0):
    """The inverse of ``to_display`` (exact inside the displayable range)."""
    check_view(view)
    linear = srgb_decode(display)
    if view == "compressed":
        linear = _expand(linear)
    return linear / (2.0 ** exposure)


def displayable_peak(view, exposure=0.0):
    """The largest scene-linear value the view shows without clipping."""
    return (COMPRESSED_WHITE if view == "compressed" else 1.0) / (2.0 ** exposure)


def restore_highlights(result_linear, original_linear, view="standard", exposure=0.0):
    """Scale the result up where the original exceeded what the view shows ((N, 3, H, W) tensors).

    Per pixel the factor is the original's peak over its clipped peak (1 inside the range), so a pixel
    3x over white comes back 3x over, with the stylized colour.
    """
    peak = displayable_peak(view, exposure)
    original_peak = original_linear.amax(dim=1, keepdim=True).clamp_min(1e-8)
    factor = torch.where(original_peak > peak, original_peak / peak, torch.ones_like(original_peak))
    return result_linear * factor


def rgb_to_yiq(rgb):
    """(N, 3, H, W) -> luminance Y and chroma I, Q channels."""
    return torch.einsum("ij,njhw->nihw", _RGB_TO_YIQ.to(rgb), rgb)


def yiq_to_rgb(yiq):
    return torch.einsum("ij,njhw->nihw", torch.linalg.inv(_RGB_TO_YIQ).to(yiq), yiq)


def luminance_image(rgb):
    """Luminance as a grey RGB image, what the network optimises when colours are preserved."""
    return rgb_to_yiq(rgb)[:, :1].expand(-1, 3, -1, -1).contiguous()


def match_luminance(style_grey, content_grey):
    """Shift and scale the style's luminance to the content's mean and spread (Gatys et al. 2016), so the
    strokes transfer without changing the content's overall tonality."""
    style_mean, style_std = style_grey.mean(), style_grey.std().clamp_min(1e-6)
    return ((style_grey - style_mean) / style_std * content_grey.std() + content_grey.mean()).clamp(0.0, 1.0)


def combine_luminance(stylized_grey, content_rgb):
    """The stylized luminance with the content's chroma (display-referred, (N, 3, H, W))."""
    yiq = rgb_to_yiq(content_rgb)
    yiq = torch.cat([stylized_grey[:, :1], yiq[:, 1:]], dim=1)
    return yiq_to_rgb(yiq).clamp(0.0, 1.0)


def numpy_to_tensor(image):
    """(H, W, 3) float array -> (1, 3, H, W) float32 tensor."""
    return torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).permute(2, 0, 1).unsqueeze(0)


def tensor_to_numpy(tensor):
    return tensor.detach().squeeze(0).permute(1, 2, 0).cpu().numpy().astype(np.float32)
