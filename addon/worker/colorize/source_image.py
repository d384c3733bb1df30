"""What every colorize job does to its input and output: L* out of any image, colour back in.

Inputs are float32 (H, W, C), C = 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA), scene-linear;
Blender's are premultiplied RGBA. Colour inputs are allowed: their luminance is colorized (and the
job says so). Alpha is kept untouched; premultiplied colour is divided by alpha first (L* of a
half-transparent pixel is the L* of its colour, not of colour x coverage) and multiplied back at the
end. Everything runs in row strips so an 8K image needs only a few full-size float32 planes.
"""

import numpy as np

from . import lab

STRIP_ROWS = 512
COLOUR_CHROMA = 3.0        # 99.5th-percentile C*ab above this: the input already has colour
COLOUR_SAMPLE_PIXELS = 1 << 18


class SourceError(ValueError):
    pass


class SourceImage:
    """L* (H, W) float32 of an input, its alpha (or None) and whether it already had colour."""

    def __init__(self, array, premultiplied=True, decode_srgb=False, on_strip=None):
        array = np.asarray(array)
        if array.ndim == 2:
            array = array[:, :, None]
        if array.ndim != 3 or array.shape[2] not in (1, 2, 3, 4) or 0 in array.shape:
            raise SourceError(f"expected an (H, W, 1|2|3|4) image, got shape {array.shape}")
        height, width, channels = array.shape
        self.shape = (height, width)
        self.alpha = np.array(array[:, :, channels - 1], dtype=np.float32) if channels in (2, 4) else None
        colour_channels = 3 if channels >= 3 else 1
        self.lightness = np.empty((height, width), dtype=np.float32)
        for start in range(0, height, STRIP_ROWS):
            rows = slice(start, min(start + STRIP_ROWS, height))
            colour = np.nan_to_num(array[rows, :, :colour_channels].astype(np.float32), nan=0.0, posinf=0.0)
            if premultiplied and self.alpha is not None:
                colour = _unpremultiply(colour, self.alpha[rows])
            colour = np.maximum(colour, 0.0)
            if decode_srgb:  # display-encoded values (a Non-Color tagged greyscale scan)
                colour = lab.srgb_decode(np.minimum(colour, 1.0))
            luminance = colour[:, :, 0] if colour_channels == 1 else colour @ lab.LUMINANCE_WEIGHTS.astype(np.float32)
            self.lightness[rows] = lab.luminance_to_lightness(luminance)
            if on_strip is not None:
                on_strip(rows.stop / height)  # progress (and cancellation) on big images
        self.was_colour = colour_channels == 3 and has_colour(array[:, :, :3], self.alpha if premultiplied else None)
        self.premultiplied = premultiplied

    def output(self, colourise_into):
        """Allocate the (H, W, 3|4) result, let ``colourise_into(rgb_view)`` fill colour, add alpha back."""
        height, width = self.shape
        result = np.empty((height, width, 3 if self.alpha is None else 4), dtype=np.float32)
        colourise_into(result[:, :, :3])
        if self.alpha is not None:
            result[:, :, 3] = self.alpha
            if self.premultiplied:
                for start in range(0, height, STRIP_ROWS):
                    rows = slice(start, min(start + STRIP_ROWS, height))
                    result[rows, :, :3] *= self.alpha[rows, :, None]
        return result


def _unpremultiply(colour, alpha):
    safe = np.where(alpha > 0, alpha, 1.0)[:, :, None]
    return colour / safe


def has_colour(rgb, alpha):
    """Whether a sample of the pixels has real chroma (a grey scan saved as RGB has none)."""
    height, width = rgb.shape[:2]
    step = max(1, int(np.sqrt(height * width / COLOUR_SAMPLE_PIXELS)))
    sample = np.nan_to_num(rgb[::step, ::step].astype(np.float32), nan=0.0, posinf=0.0)
    if alpha is not None:
        visible = alpha[::step, ::step]
        sample = _unpremultiply(sample, visible)[visible > 0.01]
    sample = np.clip(sample.reshape(-1, 3), 0.0, None)
    if sample.size == 0:
        return False
    lab_sample = lab.linear_rgb_to_lab(sample)
    return bool(np.percentile(np.hypot(lab_sample[:, 1], lab_sample[:, 2]), 99.5) > COLOUR_CHROMA)
