#!/usr/bin/env python3
"""Artefacts of a stylized frame, measured: periodic grids (the checkerboard at `--preset fast --size
256`, the blocky corner) and bands along the edges, on the demo's render and style, per preset and
backbone. Prints a markdown table; writes a picture of the results side by side.

    .venv/bin/python scripts/bench/bench_artifacts.py [--picture docs/stylize_artifacts.png]

Measures: scripts/fixtures/artifact_metrics.py (grid peak: power at the 2/4/8/16-px periods over the
power around them, the worst over the frame and its four quadrants; border band: edge-band luminance
step in units of the frame's spread). The unstylized render is the reference row.
"""

import argparse
import datetime
import os
import sys
import time

import numpy as np
import torch

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402
from bench import machine  # noqa: E402

ROOT = addon_path.REPO_ROOT
RUNS = (("instant", None, "vgg16"), ("fast", None, "vgg16_hed"), ("fast", None, "vgg16"),
        ("fast", 256, "vgg16_hed"), ("fast", 256, "vgg16"), ("default", None, "vgg16_hed"), ("default", None, "vgg16"))


def render_demo_scene(width=480, height=270, samples=16):
    """The demo's sample render, scene-linear (H, W, 4), top row first."""
    import bpy
    from cli.demo import build_sample_scene
    from neural_render.blender import render_capture
    scene = build_sample_scene(width, height, samples)
    bpy.ops.render.render()
    return render_capture.render_result_to_array(scene)[::-1].copy()


def measures(display):
    from fixtures.artifact_metrics import border_band, worst_grid_peak
    return worst_grid_peak(display), border_band(display)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--picture", default=os.path.join(ROOT, "docs", "stylize_artifacts.png"))
    parser.add_argument("--threads", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    args = parser.parse_args()
    addon_path.install()
    torch.set_num_threads(args.threads)
    from fixtures.in_process_jobs import run_job
    from fixtures.sample_styles import brush_painting
    from neural_render.worker import jobs
    from neural_render.worker.stylize import colour
    jobs.load_job_packages()
    cache = jobs.ModelCache()
    render = render_demo_scene()
    style = colour.srgb_decode(torch.from_numpy(brush_painting(256, 256, seed=0))).numpy()
    to_display = lambda linear: colour.tensor_to_numpy(colour.to_display(colour.numpy_to_tensor(linear[:, :, :3])))  # noqa: E731
    load = os.getloadavg()
    print(f"## Stylize artefacts (`scripts/bench/bench_artifacts.py`)\n\nMachine: {machine.description()}, "
          f"torch {torch.__version__}, CPU, {args.threads} thread(s). Date: "
          f"{datetime.datetime.now():%Y-%m-%d %H:%M}. Load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}. "
          f"Command: `scripts/bench/bench_artifacts.py`\n\nThe demo's render (480x270, Cycles) and style painting.\n\n"
          "| run | grid peak (worst of frame, quadrants) | border band | wall time |\n|---|---|---|---|", flush=True)
    grid, band = measures(to_display(render))
    print(f"| the render itself | {grid:.1f} | {band:.3f} | |", flush=True)
    pictures = [("render", to_display(render))]
    for preset, size, backbone in RUNS:
        params = {"preset": preset, "backbone": backbone}
        if size:
            params["size"] = size
        started = time.perf_counter()
        result = run_job("stylize.image", params, {"content": render, "style": style}, cache=cache)["result"]
        seconds = time.perf_counter() - started
        display = to_display(result)
        grid, band = measures(display)
        label = f"{preset}{f' --size {size}' if size else ''}" + ("" if preset == "instant" else f", {backbone}")
        print(f"| {label} | {grid:.1f} | {band:.3f} | {seconds:.0f} s |", flush=True)
        pictures.append((label, display))
    if args.picture:
        from PIL import Image, ImageDraw
        tiles = []
        for label, display in pictures:
            picture = Image.fromarray((np.clip(display, 0, 1) * 255 + 0.5).astype(np.uint8)).resize((480, 270), Image.NEAREST)
            ImageDraw.Draw(picture).text((4, 4), label, fill="white")
            tiles.append(picture)
        columns = 4
        sheet = Image.new("RGB", (columns * 484, -(-len(tiles) // columns) * 274), "white")
        for index, tile in enumerate(tiles):
            sheet.paste(tile, ((index % columns) * 484, (index // columns) * 274))
        sheet.save(args.picture, optimize=True)
        print(f"\nPicture: `{os.path.relpath(args.picture, ROOT)}`.", flush=True)


if __name__ == "__main__":
    main()
