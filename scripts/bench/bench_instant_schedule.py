#!/usr/bin/env python3
"""How *Default* should split its evaluations between scales when it starts from the Instant result.

    .venv/bin/python scripts/bench/bench_instant_schedule.py [--style swirl] [--size 512x288]

Each row runs the real ``stylize.image`` job (in process) with the preset's schedule replaced by the
row's (coarse evaluations, full-size evaluations), from the content or from the Instant result, and
scores the result by the product objective (the loss *Default* minimises: ImageNet VGG16, average
pooling, the tuned weights); the wall time includes the Instant start. The schedule is swapped in
``multiscale.PRESETS`` because the job takes no per-scale counts: this script explores schedules,
it does not change what the product runs.
"""

import argparse
import os
import sys
import time

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402
from bench import machine  # noqa: E402

addon_path.install()

# (init, evaluations at the coarsest scale, at full size); the first row is today's Default.
VARIANTS = (("content", 150, 12), ("instant", 150, 12), ("content", 40, 12), ("instant", 40, 12),
            ("content", 20, 16), ("instant", 20, 16), ("content", 60, 10), ("instant", 60, 10),
            ("instant", 1, 22))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--style", default="swirl")
    parser.add_argument("--size", default="512x288")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import torch
    torch.set_num_threads(args.threads)
    from bench import bench_instant as instant
    from fixtures.in_process_jobs import run_job
    from fixtures.natural_images import hdri_band, hdri_paths
    from fixtures.sample_styles import brush_painting
    from neural_render.worker import jobs
    from neural_render.worker.stylize import multiscale
    jobs.load_job_packages()
    cache = jobs.ModelCache()
    width, height = (int(value) for value in args.size.split("x"))
    path = next(p for p in hdri_paths() if p.endswith(instant.CONTENT_HDRI))
    content = hdri_band(path, height, width)[None]
    style = brush_painting(256, 256, **dict(instant.STYLES)[args.style])
    product_loss = instant.product_objective(content, style)

    print(f"Machine: {machine.description()}, torch threads {args.threads}; {time.strftime('%Y-%m-%d %H:%M')}; "
          f"command: {' '.join(['bench_instant_schedule.py'] + sys.argv[1:])}\n")
    print(f"Content: the {instant.CONTENT_HDRI} band at {width}x{height}; style: {args.style}.\n")
    print("| start | coarse evaluations | full-size evaluations | product objective | wall time |")
    print("|---|---|---|---|---|")
    inputs = {"content": instant._linear(content), "style": instant._linear(instant._tensor(style))}
    original = multiscale.PRESETS["default"]
    try:
        for init, coarse, fine in VARIANTS:
            multiscale.PRESETS["default"] = multiscale.Schedule(original.coarse_side, coarse,
                                                                original.middle_evaluations, fine)
            started = time.perf_counter()
            result = run_job("stylize.image", {"preset": "default", "init": init}, inputs, cache=cache)["result"]
            seconds = time.perf_counter() - started
            print(f"| {init} | {coarse} | {fine} | {product_loss(instant._display(result)):.4f} | {seconds:.1f} s |",
                  flush=True)
    finally:
        multiscale.PRESETS["default"] = original


if __name__ == "__main__":
    main()
