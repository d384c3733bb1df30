"""One image (or animation frame) from scene-linear pixels to a stylized scene-linear result.

Steps: split alpha (premultiplied colour is un-premultiplied, so edges are stylized like the rest) ->
view transform to display-referred -> optional luminance-only transfer -> coarse-to-fine optimisation
against the blended style targets (masked per region) -> inverse view transform -> highlights restored
-> masked composite with the original -> alpha re-applied. I/O-free: arrays in, arrays out.
"""

from dataclasses import dataclass, field

import numpy as np
import torch

from . import colour, losses, masks, multiscale, styles


@dataclass
class Request:
    styles: list                              # [styles.StyleImage] (display-referred)
    background_styles: list = None            # with a mask: the style outside it (else: unchanged there)
    style_scale: float = 1.0
    settings: multiscale.Settings = field(default_factory=multiscale.Settings)
    preserve_colors: bool = False
    view: str = "standard"
    exposure: float = 0.0
    keep_highlights: bool = True
    mask: np.ndarray = None                   # (H, W) in [0, 1], already feathered
    premultiplied: bool = True


def split_channels(image):
    """(H, W, C) with C in 1..4 -> (rgb (H, W, 3), alpha (H, W) or None)."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 2:
        image = image[:, :, None]
    channels = image.shape[2]
    if channels == 1:
        return np.repeat(image, 3, axis=2), None
    if channels == 2:
        return np.repeat(image[:, :, :1], 3, axis=2), image[:, :, 1]
    return image[:, :, :3], image[:, :, 3] if channels == 4 else None


def style_display(image):
    """A style picture (linear, 1-4 channels, as read from a file or datablock) -> display RGB in [0, 1]."""
    rgb, alpha = split_channels(image)
    if alpha is not None:  # transparent parts of a style are shown over black in no useful way: over grey
        rgb = rgb + (1.0 - alpha[:, :, None]) * 0.18
    tensor = colour.srgb_encode(torch.from_numpy(np.nan_to_num(np.ascontiguousarray(rgb))))
    return tensor.numpy().astype(np.float32)


class TargetCache:
    """Style Grams per output size (and region): computed once per scale, reused by later frames."""

    def __init__(self, network, request, content_grey=None):
        self.network, self.request, self.content_grey = network, request, content_grey
        self._cache = {}

    def _transform(self, pixels):
        if not self.request.preserve_colors:
            return pixels
        return colour.match_luminance(colour.luminance_image(pixels), self.content_grey)

    def __call__(self, size):
        if size not in self._cache:
            request = self.request
            layers = request.settings.weights.layers()
            device = next(self.network.parameters()).device
            regions = {"foreground": request.styles}
            if request.mask is not None and request.background_styles:
                regions["background"] = request.background_styles
            self._cache[size] = {name: styles.blended_targets(self.network, group, layers, size, request.style_scale,
                                                              device, self._transform)
                                 for name, group in regions.items()}
        return self._cache[size]


def prepare(image, request):
    """(linear rgb, alpha, display tensor (1, 3, H, W), network content tensor)."""
    rgb, alpha = split_channels(image)
    rgb = np.nan_to_num(rgb, nan=0.0, posinf=65504.0, neginf=0.0)
    if alpha is not None and request.premultiplied:
        safe = np.where(alpha > 1e-6, alpha, 1.0)[:, :, None]
        rgb = np.where(alpha[:, :, None] > 1e-6, rgb / safe, rgb)
    linear = colour.numpy_to_tensor(rgb)
    display = colour.to_display(linear, request.view, request.exposure)
    network_input = colour.luminance_image(display) if request.preserve_colors else display
    return linear, alpha, display, network_input


def region_masks(request, height, width):
    if request.mask is None:
        return None
    mask = torch.from_numpy(np.ascontiguousarray(masks.check_size(request.mask, height, width), dtype=np.float32))
    mask = mask[None, None]
    regions = {"foreground": mask}
    if request.background_styles:
        regions["background"] = 1.0 - mask
    return regions


def stylize(network, image, request, report=None, previous=None, targets=None, start=None):
    """Stylize one (H, W, C) scene-linear image. Returns (result (H, W, 3|4) linear, display (1, 3, H, W), parts).

    ``previous``: (warped previous display result (1, 3, H, W), confidence (1, 1, H, W)) for animation
    frames; ``targets``: a TargetCache to reuse across frames; ``start``: display-referred (1, 3, H, W)
    image the coarsest scale starts from (the Instant result).
    """
    linear, alpha, display, network_input = prepare(image, request)
    height, width = display.shape[-2:]
    device = next(network.parameters()).device
    if targets is None:
        targets = TargetCache(network, request, network_input.to(device))
    previous_device = None if previous is None else tuple(part.to(device) for part in previous)
    if start is not None and request.preserve_colors:  # the optimisation works on luminance
        start = colour.luminance_image(start)
    result, parts = multiscale.stylize(network, network_input.to(device), targets, request.settings,
                                       _on_device(region_masks(request, height, width), device),
                                       previous_device, report, None if start is None else start.to(device))
    output, display_result = finish(result.cpu(), linear, alpha, display, request)
    return output, display_result, parts


def finish(result, linear, alpha, display, request):
    """A stylized display-referred (1, 3, H, W) result -> ((H, W, 3|4) scene-linear output, the display
    result): colours of the content (luminance-only transfer), inverse view transform, highlights,
    the mask's composite with the original (when no background style), alpha."""
    if request.preserve_colors:
        result = colour.combine_luminance(result, display)
    display_result = result
    result_linear = colour.from_display(result, request.view, request.exposure)
    if request.keep_highlights:
        result_linear = colour.restore_highlights(result_linear, linear, request.view, request.exposure)
    output = colour.tensor_to_numpy(result_linear)
    original = colour.tensor_to_numpy(linear)
    if request.mask is not None and not request.background_styles:
        output = masks.composite(output, original, request.mask)
    if alpha is not None:
        if request.premultiplied:
            output = output * alpha[:, :, None]
        output = np.concatenate([output, alpha[:, :, None]], axis=2)
    return np.ascontiguousarray(output, dtype=np.float32), display_result


def _on_device(region_masks, device):
    if region_masks is None:
        return None
    return {name: mask.to(device) for name, mask in region_masks.items()}


def default_weights(strength=1.0, content=1.0, tv=None, temporal=0.0, layer_weights=None):
    """The user-facing 'style strength' scales beta around the tuned default."""
    base = losses.LossWeights()
    return losses.LossWeights(content=content, style=base.style * strength, tv=base.tv if tv is None else tv,
                              temporal=temporal, style_layers=layer_weights)
