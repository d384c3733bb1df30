"""Run a colorizer on a full-resolution L* image: resize to network size, predict, decode.

The network sees the image with its long side at ``network_size`` px (256, as the model was trained
at, by default) whatever the input's size, so an 8K texture costs the same network time as a 512 px
one and memory stays bounded; the full-resolution L* only meets the prediction in decode.recombine.
"""

import numpy as np
import torch
import torch.nn.functional as F

from . import decode, seamless
from .model import DOWNSAMPLING, INPUT_MULTIPLE, normalise_lightness

DEFAULT_NETWORK_SIZE = 256
MIN_NETWORK_SIDE = 16


def network_shape(height, width, network_size=DEFAULT_NETWORK_SIZE):
    """(h, w) the network runs at: long side ``network_size``, aspect kept, multiples of 8."""
    scale = network_size / max(height, width)
    return tuple(max(MIN_NETWORK_SIDE, int(round(side * scale / INPUT_MULTIPLE)) * INPUT_MULTIPLE)
                 for side in (height, width))


def resize_lightness(lightness, shape, wrap):
    """Area-average down (each output pixel averages its own cell: periodicity survives), or
    bilinear up for images smaller than the network's input (an 8x8 texture)."""
    height, width = lightness.shape
    if shape[0] >= height and shape[1] >= width:
        return decode.upsample(lightness[:, :, None], shape[0], shape[1], wrap=wrap)[:, :, 0]
    tensor = torch.from_numpy(np.ascontiguousarray(lightness, dtype=np.float32))[None, None]
    return F.interpolate(tensor, size=shape, mode="area")[0, 0].numpy()


@torch.no_grad()
def predict_logits(model, lightness_small, device, seamless_input=False):
    """(h, w) L* at network resolution -> (Q, h/4, w/4) logits, with a wrapped context if seamless."""
    model.eval()
    margin = seamless.margin_for(*lightness_small.shape) if seamless_input else 0
    padded = seamless.wrap_pad(lightness_small, margin) if margin else lightness_small
    tensor = torch.from_numpy(normalise_lightness(np.clip(padded, 0.0, 100.0)).astype(np.float32))
    logits = model(tensor[None, None].to(device))[0]
    if margin:
        cut = margin // DOWNSAMPLING
        logits = logits[:, cut:logits.shape[1] - cut, cut:logits.shape[2] - cut]
    return logits


def predict_ab(model, lightness, device, temperature=decode.DEFAULT_TEMPERATURE,
               network_size=DEFAULT_NETWORK_SIZE, seamless_input=False):
    """Full-resolution L* (H, W) -> low-resolution a*b* (h/4, w/4, 2) float32."""
    shape = network_shape(*lightness.shape, network_size)
    small = resize_lightness(lightness, shape, wrap=seamless_input)
    logits = predict_logits(model, small, device, seamless_input)
    ab = decode.annealed_mean(logits[None], model.bin_centres().to(logits.device), temperature)[0]
    return ab.permute(1, 2, 0).cpu().numpy().astype(np.float32)


def colorize_lightness(model, lightness, device, temperature=decode.DEFAULT_TEMPERATURE,
                       network_size=DEFAULT_NETWORK_SIZE, seamless_input=False):
    """Full-resolution L* (H, W) -> linear RGB (H, W, 3) with that exact L* and predicted chroma."""
    ab = predict_ab(model, lightness, device, temperature, network_size, seamless_input)
    return decode.recombine(lightness, ab, wrap=seamless_input)
