"""The two networks of arbitrary style transfer (Ghiasi, Lee, Kudlur, Dumoulin, Shlens 2017), in the
small form Magenta distilled for mobile devices.

- ``StylePredictor``: a MobileNetV2 (width 1.0) over a 256 x 256 style image, global average pooling,
  then a 1 x 1 convolution to a 100-d style vector.
- ``StyleTransformer``: three contracting convolutions, five residual blocks and three expanding
  convolutions (nearest 2x upsampling, then convolution), every convolution after the contraction
  followed by a *conditional instance norm* whose per-channel scale and offset are 1 x 1 convolutions
  of the style vector. Reflection padding throughout, so it runs fully convolutionally at any size.

The layer sizes are read from the weights (``transformer_widths``), so the module fits the file it is
given. ``statistics`` (a ``NormStatistics``) records what every instance norm measures and can fix the
mean and variance each one normalises with: tiles of one frame can then all normalise alike.
"""

import torch
import torch.nn.functional as F
from torch import nn

STYLE_SIZE = 256
STYLE_DIM = 100
NORM_EPSILON = 1e-5  # the graph's batchnorm/add/y constant
RESIDUAL_BLOCKS = 5
# MobileNetV2 1.0: (expansion, output channels, repeats, first stride) per stage, after a stride-2 stem.
MOBILENET_STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                    (6, 160, 3, 2), (6, 320, 1, 1))


def same_pad(x, stride):
    """TensorFlow's SAME zero padding for a 3 x 3 window: the output is ceil(size / stride) and any odd
    pixel of padding goes after (at stride 2 on even sizes: none before, one after)."""
    pads = []
    for size in (x.shape[-1], x.shape[-2]):  # F.pad wants the last dimension first
        total = max((-(-size // stride) - 1) * stride + 3 - size, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads)


class InvertedResidual(nn.Module):
    def __init__(self, channels_in, channels_out, expansion, stride):
        super().__init__()
        hidden = channels_in * expansion
        self.stride = stride
        self.expand = nn.Conv2d(channels_in, hidden, 1) if expansion != 1 else None
        self.depthwise = nn.Conv2d(hidden, hidden, 3, stride=stride, groups=hidden)
        self.project = nn.Conv2d(hidden, channels_out, 1)
        self.residual = stride == 1 and channels_in == channels_out

    def forward(self, x):
        y = F.relu6(self.expand(x)) if self.expand is not None else x
        y = F.relu6(self.depthwise(same_pad(y, self.stride)))
        y = self.project(y)  # linear bottleneck: no activation
        return x + y if self.residual else y


class StylePredictor(nn.Module):
    """(N, 3, 256, 256) RGB in [0, 1] -> (N, 100, 1, 1) style vector."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 32, 3, stride=2)
        blocks = []
        channels = 32
        for expansion, width, repeats, stride in MOBILENET_STAGES:
            for index in range(repeats):
                blocks.append(InvertedResidual(channels, width, expansion, stride if index == 0 else 1))
                channels = width
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Conv2d(channels, 1280, 1)
        self.bottleneck = nn.Conv2d(1280, STYLE_DIM, 1)

    def forward(self, style):
        x = F.relu6(self.stem(same_pad(style, 2)))
        for block in self.blocks:
            x = block(x)
        x = F.relu6(self.head(x))
        return self.bottleneck(x.mean((2, 3), keepdim=True))


class ConditionalInstanceNorm(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.scale = nn.Conv2d(STYLE_DIM, channels, 1)
        self.offset = nn.Conv2d(STYLE_DIM, channels, 1)

    def forward(self, x, style, statistics=None, key=None):
        if statistics is None:
            mean = x.mean((2, 3), keepdim=True)
            variance = (x - mean).square().mean((2, 3), keepdim=True)
        else:
            mean, variance, _ = statistics.measured[key] = statistics.measure(x)
            if key == statistics.stop_after:
                raise MeasuredEnough()
            if key in statistics.fixed:
                mean, variance = statistics.fixed[key]
        return (x - mean) * torch.rsqrt(variance + NORM_EPSILON) * self.scale(style) + self.offset(style)


class MeasuredEnough(Exception):
    """Raised by the norm named ``NormStatistics.stop_after`` once measured: the rest of the pass is not needed."""


class NormStatistics:
    """What the instance norms of one pass measure (``measured``: mean, variance, pixels by layer) and
    optionally the statistics they must normalise with instead (``fixed``). Norms measure, and
    normalise with, the ``window`` (top, left, bottom, right in input pixels of an input of
    ``input_size``) only: the real frame inside its padding, or the kept middle of a tile."""

    def __init__(self, fixed=None, window=None, stop_after=None):
        self.fixed = fixed or {}
        self.measured = {}
        self.window = window
        self.input_size = None
        self.stop_after = stop_after

    def measure(self, x):
        inside = x
        if self.window is not None:
            height, width = x.shape[-2:]
            scale_y, scale_x = height / self.input_size[0], width / self.input_size[1]
            top, left, bottom, right = self.window
            inside = x[..., round(top * scale_y):round(bottom * scale_y), round(left * scale_x):round(right * scale_x)]
        mean = inside.mean((2, 3), keepdim=True)
        return mean, (inside - mean).square().mean((2, 3), keepdim=True), inside.shape[-2] * inside.shape[-1]


def _reflect(x, amount):
    return F.pad(x, (amount,) * 4, mode="reflect")


class StyleTransformer(nn.Module):
    """(N, 3, H, W) RGB in [0, 1] and a (N, 100, 1, 1) style vector -> (N, 3, H', W') in (0, 1).

    H' = H and W' = W when both are multiples of 4 (the two stride-2 contractions); ``stylize`` pads.
    """

    def __init__(self, widths):
        super().__init__()
        contract, residual, expand = widths
        self.contract = nn.ModuleList([nn.Conv2d(3, contract[0], 9), nn.Conv2d(contract[0], contract[1], 3, stride=2),
                                       nn.Conv2d(contract[1], residual, 3, stride=2)])
        self.residual = nn.ModuleList(
            nn.ModuleList([nn.Conv2d(residual, residual, 3), ConditionalInstanceNorm(residual),
                           nn.Conv2d(residual, residual, 3), ConditionalInstanceNorm(residual)])
            for _ in range(RESIDUAL_BLOCKS))
        channels = (residual, *expand)
        self.expand = nn.ModuleList(
            nn.ModuleList([nn.Conv2d(channels[index], channels[index + 1], 9 if index == 2 else 3),
                           ConditionalInstanceNorm(channels[index + 1])]) for index in range(3))

    def norm_keys(self):
        """The instance norms' keys in the order a pass meets them."""
        return [("residual", block, slot) for block in range(RESIDUAL_BLOCKS) for slot in (1, 2)] + \
            [("expand", index) for index in range(3)]

    def forward(self, content, style, statistics=None):
        x = content
        for index, convolution in enumerate(self.contract):
            x = F.relu(convolution(_reflect(x, 4 if index == 0 else 1)))
        for block_index, (conv1, norm1, conv2, norm2) in enumerate(self.residual):
            y = F.relu(norm1(conv1(_reflect(x, 1)), style, statistics, ("residual", block_index, 1)))
            x = x + norm2(conv2(_reflect(y, 1)), style, statistics, ("residual", block_index, 2))
        for index, (convolution, norm) in enumerate(self.expand):
            if index < 2:
                x = F.interpolate(x, scale_factor=2, mode="nearest")
            x = norm(convolution(_reflect(x, 4 if index == 2 else 1)), style, statistics, ("expand", index))
            x = torch.sigmoid(x) if index == 2 else F.relu(x)
        return x


def transformer_widths(state):
    """((contract 1, contract 2), residual, (expand 1, expand 2, expand 3)) from a state dict."""
    return ((state["contract.0.weight"].shape[0], state["contract.1.weight"].shape[0]),
            state["contract.2.weight"].shape[0],
            tuple(state[f"expand.{index}.0.weight"].shape[0] for index in range(3)))
