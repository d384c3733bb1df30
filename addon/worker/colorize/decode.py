"""From bin scores to a colour image: annealed mean, upsampling a*b*, recombining with the full L*.

Annealed mean (Zhang et al. 2016, eq. 5): with Z = softmax(logits) the predicted distribution,
    f_T(Z) = exp(log Z / T) / sum exp(log Z / T)  ==  softmax(logits / T)
(log Z differs from the logits by a per-pixel constant), and the a*b* is the mean of the bin centres
under f_T. T = 1 is the plain mean (what the released PyTorch model's ``model_out`` computes: it
applies no temperature); T -> 0 is the mode (vivid, but patchy); the paper's T = 0.38 sits between.
The original Caffe deploy scaled the logits by 2.606 before the softmax, i.e. T = 1 / 2.606 ≈ 0.384.
For the released model the temperature must therefore be applied to the 313 *logits* (model8's output),
not to model_out's 2-channel mean, which cannot be annealed after the fact.

Full resolution: a*b* is predicted at network resolution, upsampled bilinearly (separably, in row
strips, so an 8K result never needs more than a few full-size temporaries), and recombined with the
*original* L*, which keeps every bit of the input's detail and precision.
"""

import numpy as np

from ...protocol.specs import colorize as spec
from . import lab

DEFAULT_TEMPERATURE = spec.DEFAULT_TEMPERATURE   # declared once, in the job spec
MODE_TEMPERATURE = 1e-3   # at or below this, take the mode (avoids overflow in logits / T)
STRIP_ROWS = 512


def annealed_distribution(logits, temperature=DEFAULT_TEMPERATURE, dim=1):
    """softmax(logits / T) along ``dim`` (torch). T <= MODE_TEMPERATURE gives a one-hot of the mode."""
    import torch
    if temperature <= MODE_TEMPERATURE:
        return torch.zeros_like(logits).scatter_(dim, logits.argmax(dim, keepdim=True), 1.0)
    return torch.softmax(logits / float(temperature), dim=dim)


def annealed_mean(logits, centres, temperature=DEFAULT_TEMPERATURE):
    """(N, Q, h, w) logits, (Q, 2) centres -> (N, 2, h, w) a*b* (torch)."""
    import torch
    centres = torch.as_tensor(centres, dtype=logits.dtype, device=logits.device)
    probabilities = annealed_distribution(logits, temperature)
    return torch.einsum("nqhw,qc->nchw", probabilities, centres)


def _axis_weights(source_size, target_size, wrap):
    """Indices (i0, i1) and weight of i1 for bilinear resampling along one axis (pixel centres aligned).

    With ``wrap`` the axis is periodic (a tileable texture), otherwise it is clamped at the edges.
    """
    position = (np.arange(target_size, dtype=np.float64) + 0.5) * (source_size / target_size) - 0.5
    lower = np.floor(position).astype(np.int64)
    fraction = (position - lower).astype(np.float32)
    upper = lower + 1
    if wrap:
        lower %= source_size
        upper %= source_size
    else:
        lower = np.clip(lower, 0, source_size - 1)
        upper = np.clip(upper, 0, source_size - 1)
    return lower, upper, fraction


def _resample_columns(image, width, wrap):
    lower, upper, fraction = _axis_weights(image.shape[1], width, wrap)
    fraction = fraction[None, :, None]
    return image[:, lower] * (1.0 - fraction) + image[:, upper] * fraction


def upsample_strips(small, height, width, wrap=False, strip_rows=STRIP_ROWS):
    """Yield (row_slice, (rows, width, C) float32) of ``small`` (h, w, C) bilinearly resized to height x width.

    Columns are resized once (h x width x C, small), rows one strip at a time.
    """
    small = np.asarray(small, dtype=np.float32)
    wide = _resample_columns(small, width, wrap)
    lower, upper, fraction = _axis_weights(small.shape[0], height, wrap)
    for start in range(0, height, strip_rows):
        rows = slice(start, min(start + strip_rows, height))
        weight = fraction[rows][:, None, None]
        yield rows, wide[lower[rows]] * (1.0 - weight) + wide[upper[rows]] * weight


def upsample(small, height, width, wrap=False):
    out = np.empty((height, width, np.asarray(small).shape[2]), dtype=np.float32)
    for rows, strip in upsample_strips(small, height, width, wrap):
        out[rows] = strip
    return out


def recombine(lightness, ab_small, wrap=False, out=None, on_strip=None):
    """Full-resolution L* (H, W) + low-resolution a*b* (h, w, 2) -> (H, W, 3) linear RGB float32.

    Negative RGB (chroma outside the gamut at that lightness, mostly in deep shadows) is clipped to
    zero; nothing is clipped above, so HDR / float inputs keep their range.
    """
    return recombine_strips(lightness, upsample_strips(ab_small, *lightness.shape, wrap), out, on_strip)


def recombine_strips(lightness, ab_strips, out=None, on_strip=None):
    """Like ``recombine`` with the full-resolution a*b* given as (rows, strip) pairs (e.g. guided.py's)."""
    height, width = lightness.shape
    if out is None:
        out = np.empty((height, width, 3), dtype=np.float32)
    for rows, ab in ab_strips:
        lab_strip = np.concatenate([lightness[rows, :, None].astype(np.float32), ab], axis=2)
        out[rows] = np.maximum(lab.lab_to_linear_rgb(lab_strip), 0.0)
        if on_strip is not None:
            on_strip(rows.stop / height)  # progress (and cancellation) on big images
    return out
