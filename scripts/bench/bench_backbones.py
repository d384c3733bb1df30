#!/usr/bin/env python3
"""The optimisation presets on each VGG16 backbone, side by side, judged by both networks: what moving
the default from the HED VGG16 to the ImageNet VGG16 changed. Prints a markdown table.

    .venv/bin/python scripts/bench/bench_backbones.py [--size 512x288] [--presets fast default]

Content: the 16:9 courtyard crop of bench_instant.py; style: its `swirl` painting. Judges: Gram content
/ style (scripts/bench/style_evaluators.py) on the ImageNet VGG16 and on the HED VGG16 (max pooling
for both: neither is the network the product optimises, which uses average pooling), and the W2 style
distance on the ImageNet VGG16.
"""

import argparse
import datetime
import os
import sys
import time

import torch

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402
from bench import machine  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="512x288")
    parser.add_argument("--presets", nargs="+", default=["fast", "default"])
    parser.add_argument("--threads", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    args = parser.parse_args()
    addon_path.install()
    torch.set_num_threads(args.threads)
    from bench.bench_instant import CONTENT_HDRI, STYLES, _display, _linear, _tensor
    from bench.style_evaluators import CovarianceJudge, GramJudge
    from fixtures.in_process_jobs import run_job
    from fixtures.natural_images import hdri_band, hdri_paths
    from fixtures.sample_styles import brush_painting
    from neural_render.worker import jobs
    from neural_render.worker.backbones import registry
    jobs.load_job_packages()
    cache = jobs.ModelCache()
    width, height = (int(part) for part in args.size.split("x"))
    content = hdri_band(next(p for p in hdri_paths() if p.endswith(CONTENT_HDRI)), height, width)[None]
    style = brush_painting(256, 256, **dict(STYLES)["swirl"])
    cpu = torch.device("cpu")
    imagenet, hed = registry.load("vgg16", cpu, "max"), registry.load("vgg16_hed", cpu, "max")
    judges = {"ImageNet": GramJudge(imagenet, content, style), "HED": GramJudge(hed, content, style)}
    covariance = CovarianceJudge(imagenet, _tensor(style))
    load = os.getloadavg()
    print(f"## Backbones side by side (`scripts/bench/bench_backbones.py`)\n\nMachine: "
          f"{machine.description()}, torch {torch.__version__}, CPU, "
          f"{args.threads} thread(s). Date: {datetime.datetime.now():%Y-%m-%d %H:%M}. Load average at start: "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}. Command: `scripts/bench/bench_backbones.py "
          f"{' '.join(sys.argv[1:])}`\n\n{width}x{height}, courtyard / swirl. Cells: content / style (relative "
          "losses; lower is closer).\n\n| backbone optimised | preset | ImageNet VGG16 judge | HED VGG16 judge | "
          "W2 style (ImageNet) | wall time |\n|---|---|---|---|---|---|", flush=True)
    for backbone in ("vgg16_hed", "vgg16"):
        for preset in args.presets:
            started = time.perf_counter()
            result = run_job("stylize.image", {"preset": preset, "backbone": backbone},
                             {"content": _linear(content), "style": _linear(_tensor(style))}, cache=cache)["result"]
            seconds = time.perf_counter() - started
            image = _display(result)
            cells = " | ".join("{:.3f} / {:.4f}".format(*judge(image)) for judge in judges.values())
            print(f"| {backbone} | {preset} | {cells} | {covariance(image):.3f} | {seconds:.0f} s |", flush=True)


if __name__ == "__main__":
    main()
