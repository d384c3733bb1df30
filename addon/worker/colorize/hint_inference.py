"""Run the hint-conditioned colorizer on a full-resolution L* and its hints.

The network refines the edge-aware solve (hint_model.py), which runs first on the same grid.
Like the automatic network it works at a bounded size (long side ``network_size``, the size it was
trained at): L* and hints are area-averaged to that grid (a cell is hinted if any hint pixel falls
in it, with their mean colour: scribbles.hints_at), the network predicts a*b* there, and a guided
filter on the full-resolution L* brings it back up (guided.py), so an 8K texture costs the same
network time as a 512 px one and chroma edges follow the full-resolution luminance edges.
"""

import numpy as np
import torch

from . import guided, inference, scribbles
from .hint_model import network_input
from .inference import DEFAULT_NETWORK_SIZE


@torch.no_grad()
def predict_ab(model, lightness, hint_ab, hint_mask, device, network_size=DEFAULT_NETWORK_SIZE):
    """(a*b* at the working grid (h, w, 2), L* at that grid (h, w))."""
    shape = inference.network_shape(*lightness.shape, network_size)
    small_l, small_ab, small_mask = scribbles.hints_at(lightness, hint_ab, hint_mask, shape)
    propagated, _ = scribbles.solve_chroma(small_l, small_ab, small_mask, solve_size=max(shape))
    tensors = [torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)) for array in
               (np.clip(small_l, 0.0, 100.0)[None], small_ab.transpose(2, 0, 1), small_mask[None],
                propagated.transpose(2, 0, 1))]
    inputs = network_input(*(tensor[None].to(device) for tensor in tensors))
    model.eval()
    ab = model(inputs)[0].permute(1, 2, 0).cpu().numpy().astype(np.float32)
    return ab, np.asarray(small_l, np.float32)


def colorize_strips(model, lightness, hint_ab, hint_mask, device, network_size=DEFAULT_NETWORK_SIZE):
    """Full-resolution a*b* as (rows, strip) pairs for decode.recombine_strips."""
    if not hint_mask.any():
        raise scribbles.ScribbleError("the hints image has no painted pixels (opaque or coloured strokes)")
    ab, small_l = predict_ab(model, lightness, hint_ab, hint_mask, device, network_size)
    if small_l.shape == lightness.shape:
        return iter([(slice(0, lightness.shape[0]), ab)])
    return guided.guided_upsample_strips(lightness, small_l, ab)
