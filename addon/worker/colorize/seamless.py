"""Tileable in, tileable out: give the network a wrapped context, then crop it away.

A convolution at a texture's left edge sees zero padding where the tiled texture has its right edge,
so an ordinary run colours the two borders differently and the tiles show a seam. Padding the
(network-resolution) L* with a wrap-around margin gives every border pixel the neighbours it has when
tiled; cropping the margin off the prediction leaves a periodic a*b* map, and periodic (wrapping)
upsampling keeps it periodic at full resolution (decode.upsample_strips(wrap=True)).
"""

import numpy as np

from .model import INPUT_MULTIPLE

MIN_MARGIN = 16


def margin_for(height, width, fraction=0.25):
    """A wrap margin (px at network resolution): a quarter of the long side, a multiple of 8 so the
    crop falls exactly on the 1/4-resolution output grid."""
    margin = max(MIN_MARGIN, int(np.ceil(max(height, width) * fraction)))
    return int(np.ceil(margin / INPUT_MULTIPLE) * INPUT_MULTIPLE)


def wrap_pad(array, margin):
    """Pad the two leading (spatial) axes of ``array`` periodically by ``margin`` on every side.

    Margins larger than the image wrap around several times (np.pad 'wrap' handles that).
    """
    pad = [(margin, margin), (margin, margin)] + [(0, 0)] * (np.ndim(array) - 2)
    return np.pad(array, pad, mode="wrap")
