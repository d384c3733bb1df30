"""The ECCV16 colorization network (Zhang, Isola, Efros 2016), width-configurable.

Input: L* normalised as (L - 50) / 100, (N, 1, H, W) with H, W multiples of 8. Output (``forward``): (N, Q, H/4, W/4) unnormalised scores over the Q a*b* bins. Decoding (annealed mean,
temperature) is decode.py's job, on these logits.

The modules are named and ordered so the authors' released state dict
(``colorization_release_v2-9b330a0b.pth``: keys ``model1.0.weight`` ... ``model8.6.bias``,
``model_out.weight``) loads into ``width=1`` unchanged. In that release the 313-way softmax feeds a
bias-free 1x1 convolution ``model_out`` (313 -> 2) whose weights are the bin centres / 110, so
``110 * model_out(softmax(logits))`` is the plain mean (temperature 1). This class keeps that
convention for every width: ``model_out`` holds the centres its logits refer to, which is how a
model always carries its own bin set (the released 313 or the 262 derived in gamut_bins.py).
Smaller widths scale every layer's channels, so a model small enough to train on a CPU has the same
structure. ``channels`` sets the eight blocks' channels directly instead: blocks 1-4 at the released
(64, 128, 256, 512) are VGG16's conv1-conv4 with strided convolutions for its pooling, which is how a
model starts from ImageNet features (scripts/training/colorize_backbone_init.py) with a small rest.
"""

import numpy as np
import torch
from torch import nn

AB_SCALE = 110.0       # released convention: ab = 110 * output
L_CENTRE = 50.0        # L_in = (L - 50) / 100
L_RANGE = 100.0
DOWNSAMPLING = 4       # logits are at 1/4 of the input resolution
INPUT_MULTIPLE = 8     # three stride-2 convolutions, then one x2 transposed convolution

# Channels of the released network's eight blocks and its convolutions per block.
_FULL_CHANNELS = (64, 128, 256, 512, 512, 512, 512, 256)
_CONVS = (2, 2, 3, 3, 3, 3, 3)   # blocks 1-7; block 8 is built separately


def normalise_lightness(lightness):
    return (lightness - L_CENTRE) / L_RANGE


def _block(in_channels, out_channels, convs, last_stride=1, dilation=1):
    """Convs with ReLU after each and a BatchNorm at the end (indices match the release)."""
    layers = []
    for index in range(convs):
        stride = last_stride if index == convs - 1 else 1
        layers += [nn.Conv2d(in_channels if index == 0 else out_channels, out_channels, 3, stride=stride,
                             padding=dilation, dilation=dilation, bias=True),
                   nn.ReLU(True)]
    layers.append(nn.BatchNorm2d(out_channels))
    return nn.Sequential(*layers)


class Eccv16Colorizer(nn.Module):
    def __init__(self, centres, width=1.0, channels=None):
        super().__init__()
        centres = torch.as_tensor(np.array(centres, dtype=np.float32))
        if centres.ndim != 2 or centres.shape[1] != 2:
            raise ValueError(f"bin centres must be (Q, 2), got {tuple(centres.shape)}")
        self.width = float(width)
        if channels is None:
            c = [max(4, int(round(full * self.width))) for full in _FULL_CHANNELS]
        else:
            c = [int(value) for value in channels]
            if len(c) != len(_FULL_CHANNELS) or min(c) < 1:
                raise ValueError(f"channels must be {len(_FULL_CHANNELS)} positive block widths, got {channels}")
        self.channels = tuple(c)
        self.model1 = _block(1, c[0], _CONVS[0], last_stride=2)
        self.model2 = _block(c[0], c[1], _CONVS[1], last_stride=2)
        self.model3 = _block(c[1], c[2], _CONVS[2], last_stride=2)
        self.model4 = _block(c[2], c[3], _CONVS[3])
        self.model5 = _block(c[3], c[4], _CONVS[4], dilation=2)   # dilated: large context, no pooling
        self.model6 = _block(c[4], c[5], _CONVS[5], dilation=2)
        self.model7 = _block(c[5], c[6], _CONVS[6])
        self.model8 = nn.Sequential(
            nn.ConvTranspose2d(c[6], c[7], 4, stride=2, padding=1, bias=True), nn.ReLU(True),
            nn.Conv2d(c[7], c[7], 3, padding=1, bias=True), nn.ReLU(True),
            nn.Conv2d(c[7], c[7], 3, padding=1, bias=True), nn.ReLU(True),
            nn.Conv2d(c[7], len(centres), 1, bias=True))
        self.model_out = nn.Conv2d(len(centres), 2, 1, bias=False)
        with torch.no_grad():
            self.model_out.weight.copy_((centres / AB_SCALE).t()[:, :, None, None])
        self.model_out.weight.requires_grad_(False)  # fixed: it is the bin table, not a learned layer

    @property
    def bins(self):
        return self.model8[-1].out_channels

    def bin_centres(self):
        """(Q, 2) a*b* centres the logits refer to, read from ``model_out``."""
        return self.model_out.weight.detach()[:, :, 0, 0].t() * AB_SCALE

    def forward(self, lightness_normalised):
        """(N, 1, H, W) normalised L -> (N, Q, H/4, W/4) logits."""
        features = lightness_normalised
        for block in (self.model1, self.model2, self.model3, self.model4, self.model5, self.model6,
                      self.model7, self.model8):
            features = block(features)
        return features


def from_state_dict(state, width=1.0):
    """A model from a state dict: the release (width 1, 313 bins) or one of ours (width given)."""
    if "model_out.weight" not in state or "model8.6.weight" not in state:
        raise ValueError("not an ECCV16 colorizer state dict (no model8.6 / model_out weights)")
    centres = state["model_out.weight"][:, :, 0, 0].t().float() * AB_SCALE
    model = Eccv16Colorizer(centres.numpy(), width=width)
    missing, unexpected = model.load_state_dict(state, strict=False)
    # Older saves lack BatchNorm's num_batches_tracked counters; they do not affect inference.
    missing = [key for key in missing if not key.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError(f"state dict does not fit the ECCV16 layout (missing {missing[:3]}, "
                         f"unexpected {unexpected[:3]})")
    return model
