"""Start a colorizer from ImageNet features: VGG16's conv1-conv4 as the ECCV16 network's blocks 1-4.

The ECCV16 layout is VGG16's with strided convolutions in place of pooling, so with the released
block widths (64, 128, 256, 512) the first ten convolutions take VGG16's weights one for one. Two
things differ and are bridged here so the network starts with VGG's features intact:

- **Input.** VGG reads torchvision-normalised RGB, ``(g - mean_c) / std_c``; the colorizer reads one
  channel, ``x = (L - 50) / 100``. A grey picture is the same in every channel and its encoded value
  is close to L/100 = x + 0.5, so the first convolution becomes ``sum_c W_c / std_c`` applied to x,
  with ``sum_c (W_c / std_c) * (0.5 - mean_c)`` (summed over the taps) added to its bias: exactly
  VGG's conv1_1 on the replicated grey, up to the zero padding at the border.
- **BatchNorm.** Each ECCV16 block ends in a BatchNorm, which would standardise what the next VGG
  convolution expects at its own scale. Each is set, from a sample of training crops, to give back
  its input's per-channel mean and standard deviation, so at the start it is the identity on such
  data and the next block sees the activations VGG was trained on.

Training then fine-tunes everything (``TrainSettings.backbone_lr_scale`` slows the VGG blocks).
"""

import torch

from neural_render.worker.colorize.model import _FULL_CHANNELS

BACKBONES = ("vgg16_imagenet",)                   # the starts TrainSettings.backbone may name
VGG_BLOCKS = 4                                    # conv1 ... conv4 (ten convolutions)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
INPUT_OFFSET = 0.5                                # grey value g = x + 0.5 for x = (L - 50) / 100


def backbone_blocks(model):
    return [model.model1, model.model2, model.model3, model.model4][:VGG_BLOCKS]


def backbone_parameters(model):
    return [parameter for block in backbone_blocks(model) for parameter in block.parameters()]


def check_fits(model):
    wanted = tuple(_FULL_CHANNELS[:VGG_BLOCKS])
    if model.channels[:VGG_BLOCKS] != wanted:
        raise ValueError(f"a VGG16 start needs blocks 1-{VGG_BLOCKS} at {wanted} channels, "
                         f"not {model.channels[:VGG_BLOCKS]}")


def grey_first_convolution(weight, bias):
    """VGG's conv1_1 (64, 3, 3, 3) on normalised RGB -> (64, 1, 3, 3) and bias on x = (L-50)/100."""
    std = torch.tensor(IMAGENET_STD, dtype=weight.dtype).view(1, 3, 1, 1)
    mean = torch.tensor(IMAGENET_MEAN, dtype=weight.dtype).view(1, 3, 1, 1)
    scaled = weight / std
    return scaled.sum(1, keepdim=True), bias + (scaled * (INPUT_OFFSET - mean)).sum((1, 2, 3))


def copy_vgg16_convolutions(model, vgg):
    """VGG16's first ten convolutions (``vgg``: a VggFeatures('vgg16') with its weights) into
    blocks 1-4 of ``model``, the first adapted to one normalised lightness channel."""
    check_fits(model)
    sources = vgg.convolutions()
    targets = [module for block in backbone_blocks(model) for module in block
               if isinstance(module, torch.nn.Conv2d)]
    with torch.no_grad():
        for index, (source, target) in enumerate(zip(sources, targets)):
            weight, bias = source.weight, source.bias
            if index == 0:
                weight, bias = grey_first_convolution(weight, bias)
            target.weight.copy_(weight)
            target.bias.copy_(bias)


@torch.no_grad()
def match_batchnorms(model, lightness_sample):
    """Set blocks 1-4's BatchNorms to reproduce their inputs' statistics on ``lightness_sample``
    ((N, 1, H, W) normalised L): identity on such data, running statistics included."""
    x = lightness_sample
    for block in backbone_blocks(model):
        body, norm = block[:-1], block[-1]
        before = body(x)
        mean = before.mean((0, 2, 3))
        variance = before.var((0, 2, 3), unbiased=False)
        norm.weight.copy_(torch.sqrt(variance + norm.eps))
        norm.bias.copy_(mean)
        norm.running_mean.copy_(mean)
        norm.running_var.copy_(variance)
        x = before


def initialise_from_vgg16(model, vgg, lightness_sample):
    copy_vgg16_convolutions(model, vgg)
    match_batchnorms(model, lightness_sample)
    return model
