"""A VGG convolutional stack that returns the activations of named layers.

Layer names follow the usual VGG convention (conv1_1, relu1_1, ..., pool1, ...), so losses can be
written against "relu4_2" whichever VGG variant and weight source is behind them.
"""

import torch
from torch import nn

# Convolutions per block: VGG16 has 2, 2, 3, 3, 3; VGG19 has 2, 2, 4, 4, 4.
BLOCK_SIZES = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}
BLOCK_WIDTHS = (64, 128, 256, 512, 512)


def layer_names(variant):
    names = []
    for block, count in enumerate(BLOCK_SIZES[variant], start=1):
        for index in range(1, count + 1):
            names += [f"conv{block}_{index}", f"relu{block}_{index}"]
        names.append(f"pool{block}")
    return names


class VggFeatures(nn.Module):
    """The conv part of VGG; ``forward(x, layers)`` runs only as deep as the deepest layer asked for.

    ``pooling="avg"`` swaps max pooling for average pooling, which Gatys et al. found gives smoother
    gradients for image synthesis; the weights are the same.
    """

    def __init__(self, variant="vgg16", pooling="max", preprocess=None):
        super().__init__()
        if pooling not in ("max", "avg"):
            raise ValueError(f"pooling must be 'max' or 'avg', not {pooling!r}")
        self.variant = variant
        self.names = layer_names(variant)
        modules = []
        channels = 3
        for block, count in enumerate(BLOCK_SIZES[variant]):
            for _ in range(count):
                modules += [nn.Conv2d(channels, BLOCK_WIDTHS[block], 3, padding=1), nn.ReLU(inplace=False)]
                channels = BLOCK_WIDTHS[block]
            modules.append(nn.MaxPool2d(2, 2) if pooling == "max" else nn.AvgPool2d(2, 2))
        self.layers = nn.ModuleList(modules)
        self._preprocess = preprocess

    def convolutions(self):
        return [module for module in self.layers if isinstance(module, nn.Conv2d)]

    def preprocess(self, rgb):
        """(N, 3, H, W) display-referred RGB in [0, 1] -> what this network's weights expect."""
        return self._preprocess(rgb)

    def forward(self, x, layers=("relu4_2",)):
        wanted = {name: None for name in layers}
        unknown = [name for name in wanted if name not in self.names]
        if unknown:
            raise ValueError(f"unknown VGG layer(s) {unknown}; known: {', '.join(self.names)}")
        deepest = max(self.names.index(name) for name in wanted)
        for index in range(deepest + 1):
            x = self.layers[index](x)
            name = self.names[index]
            if name in wanted:
                wanted[name] = x
        return wanted


def frozen(network, device):
    """Eval mode, no parameter gradients (the image is what gets optimised), on ``device``."""
    network.eval()
    for parameter in network.parameters():
        parameter.requires_grad_(False)
    return network.to(device)


def caffe_preprocess(rgb):
    """RGB [0, 1] -> BGR, 0-255, minus the ImageNet mean per channel (the original Caffe VGG input)."""
    mean = torch.tensor((103.939, 116.779, 123.68), dtype=rgb.dtype, device=rgb.device).view(1, 3, 1, 1)
    return rgb.flip(1) * 255.0 - mean


def torchvision_preprocess(rgb):
    """RGB [0, 1] normalised by the ImageNet mean and standard deviation (torchvision's VGG input)."""
    mean = torch.tensor((0.485, 0.456, 0.406), dtype=rgb.dtype, device=rgb.device).view(1, 3, 1, 1)
    std = torch.tensor((0.229, 0.224, 0.225), dtype=rgb.dtype, device=rgb.device).view(1, 3, 1, 1)
    return (rgb - mean) / std
