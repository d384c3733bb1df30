"""One image or animation frame in Instant mode: scene-linear in, scene-linear out, like the
optimisation's pipeline (``stylize/pipeline.py``), whose preparation and finishing it shares: view
transform, colour preservation, highlights, masks and alpha behave the same in every preset.

``InstantStyle`` holds the style vectors of one job (computed once, reused for every frame of a
sequence, so the style cannot drift between frames). Animations: the previous stylized frame, warped
along the Vector pass, is blended in where the motion is reliable (``confidence``), by
``temporal_blend``; occluded and newly visible pixels take the new frame.
"""

import numpy as np
import torch
import torch.nn.functional as F

from .. import colour, pipeline
from . import core


def _display_tensor(pixels):
    return torch.from_numpy(np.ascontiguousarray(pixels, dtype=np.float32)).permute(2, 0, 1)[None]


class InstantStyle:
    """The networks and the style vectors for one request (foreground and optional background)."""

    def __init__(self, networks, request, strength, content_input):
        self.predictor, self.transformer = networks
        self.request = request
        self.vectors = {"foreground": self._vector(request.styles, strength, content_input)}
        if request.mask is not None and request.background_styles:
            self.vectors["background"] = self._vector(request.background_styles, strength, content_input)

    def _vector(self, style_list, strength, content_input):
        displays = [_display_tensor(style.pixels) for style in style_list]
        if self.request.preserve_colors:  # the strokes of the style's luminance, at the content's tonality
            displays = [colour.match_luminance(colour.luminance_image(display), content_input) for display in displays]
        return core.blended_vector(self.predictor, displays, [style.weight for style in style_list],
                                   content_input, strength)

    def _transform(self, network_input, vector, max_pixels, report):
        """The transformer at the working scale: strokes grow with ``style_scale`` (the frame is shown to
        the network that much smaller, and the result scaled back)."""
        height, width = network_input.shape[-2:]
        scale = self.request.style_scale
        if scale == 1.0:
            return core.transform(self.transformer, network_input, vector, max_pixels, report)
        size = (max(core.ALIGN * 4, round(height / scale)), max(core.ALIGN * 4, round(width / scale)))
        mode = "area" if scale > 1 else "bicubic"
        working = F.interpolate(network_input, size=size, mode=mode, **({} if mode == "area" else {"align_corners": False}))
        result = core.transform(self.transformer, working.clamp(0, 1), vector, max_pixels, report)
        return F.interpolate(result, size=(height, width), mode="bicubic", align_corners=False).clamp(0.0, 1.0)

    def stylize(self, image, report=None, previous=None, temporal_blend=0.7, max_pixels=core.MAX_PIXELS):
        """(H, W, C) scene-linear -> ((H, W, 3|4) scene-linear result, display result (1, 3, H, W))."""
        request = self.request
        linear, alpha, display, network_input = pipeline.prepare(image, request)
        regions = list(self.vectors)
        parts = {}
        for index, region in enumerate(regions):
            stage = None if report is None else (
                lambda fraction, message="", index=index: report((index + fraction) / len(regions), message))
            parts[region] = self._transform(network_input, self.vectors[region], max_pixels, stage)
        result = parts["foreground"]
        if "background" in parts:
            mask = torch.from_numpy(np.ascontiguousarray(request.mask, dtype=np.float32))[None, None]
            result = mask * result + (1.0 - mask) * parts["background"]
        if request.preserve_colors:
            result = colour.luminance_image(result)
        if previous is not None:
            warped, confidence = previous
            if request.preserve_colors:
                warped = colour.luminance_image(warped)
            keep = confidence * float(temporal_blend)
            result = keep * warped + (1.0 - keep) * result
        return pipeline.finish(result, linear, alpha, display, request)
