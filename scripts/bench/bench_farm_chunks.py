"""Farm chunks benchmark: flicker at chunk boundaries against the interior of chunks, for warm-up K = 0, 2,
4, 8, beside a single-process run of the same shot. Prints a markdown section.

    .venv/bin/python scripts/bench/bench_farm_chunks.py [--frames 24] [--chunk 6] [--presets instant fast]

The shot: the farm test scene (scripts/fixtures/farm_shot.py, a camera moving past four spheres) rendered
by Cycles as multilayer EXRs with the Vector pass. Each chunk runs exactly as a farm task does
(``neural-render stylize-sequence --range A-B --warmup K``, a fresh process state per chunk: nothing
carries over but the files). Flicker of a transition t-1 -> t is the mean absolute difference between
frame t and frame t-1 warped by the Vector pass, over pixels the occlusion check keeps (display-referred,
0-1; the metric of bench_stylize.py). Boundary transitions are the ones into a chunk's first frame.
"""

import argparse
import datetime
import os
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402
from bench import machine  # noqa: E402

ROOT = addon_path.REPO_ROOT
WARMUPS = (0, 2, 4, 8)


def transition_flicker(folder_of_results, shot, frames):
    """{t: flicker of the transition t-1 -> t} for t = 2..frames of the results named r_####.exr."""
    from neural_render.worker.imageio.files import read_image
    from neural_render.worker.stylize import colour, temporal
    from fixtures.farm_shot import frame_file
    vectors = {number: read_image(frame_file(shot, number), layer="Vector") for number in range(1, frames + 1)}
    images = {number: read_image(os.path.join(folder_of_results, f"r_{number:04d}.exr"))
              for number in range(1, frames + 1)}
    flicker = {}
    for number in range(2, frames + 1):
        to_previous = temporal.offsets_to_previous(vectors[number])
        confidence = temporal.confidence(to_previous, temporal.offsets_to_next(vectors[number - 1]))
        current = colour.to_display(colour.numpy_to_tensor(images[number][:, :, :3]))
        previous = colour.to_display(colour.numpy_to_tensor(images[number - 1][:, :, :3]))
        flicker[number] = temporal.flicker(current, previous, to_previous, confidence)
    return flicker, images


def stylize(shot, out, first, last, preset, style, warmup):
    import contextlib
    import io
    from cli import main
    argv = ["stylize-sequence", "--frames", shot, "--range", f"{first}-{last}", "--style", style,
            "--preset", preset, "--warmup", str(warmup), "--out", os.path.join(out, "r_####.exr")]
    with contextlib.redirect_stdout(io.StringIO()):  # the task's closing line is not part of the table
        status = main.main(argv)
    if status != 0:
        raise SystemExit(f"stylize-sequence failed: {' '.join(argv)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--chunk", type=int, default=6, help="frames per farm task")
    parser.add_argument("--presets", nargs="+", default=["instant", "fast"])
    parser.add_argument("--size", default="256x144")
    parser.add_argument("--sheet", default=os.path.join(ROOT, "docs", "farm_chunk_boundary.png"),
                        help="the picture of a chunk boundary (first preset); empty: none")
    args = parser.parse_args()
    addon_path.install()
    import torch
    from fixtures.farm_shot import render_shot
    from fixtures.sample_styles import brush_painting
    from neural_render.worker.imageio.files import write_image
    from neural_render.worker.imageio.colour import srgb_to_linear

    width, height = map(int, args.size.split("x"))
    work = tempfile.mkdtemp(prefix="farm-chunks-bench-")
    try:
        load = os.getloadavg()
        print(f"## Farm chunks: flicker at chunk boundaries (`scripts/bench/bench_farm_chunks.py`)\n\n"
              f"Machine: {machine.description()}, torch {torch.__version__}, "
              f"CPU, {torch.get_num_threads()} thread(s). Date: {datetime.datetime.now():%Y-%m-%d %H:%M}. "
              f"Load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.\n\n"
              f"Command: `{' '.join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:])}`\n\n"
              f"Shot: {args.frames} frames at {width}x{height} (Cycles, multilayer EXR, Vector pass), chunks of "
              f"{args.chunk} frames; style: the sample brush painting.\n", flush=True)
        shot = render_shot(os.path.join(work, "shot"), frames=args.frames, width=width, height=height)
        style = os.path.join(work, "style.exr")
        write_image(style, srgb_to_linear(brush_painting(256, 256, seed=0)))
        starts = list(range(1, args.frames + 1, args.chunk))
        boundaries = [start for start in starts if start > 1]
        interior = [number for number in range(2, args.frames + 1) if number not in boundaries]
        print("| preset | run | flicker into a chunk's first frame (median) | interior flicker (median) | "
              "boundary / interior | first frames vs one process (mean abs) | wall time |\n|---|---|---|---|---|---|---|",
              flush=True)
        for preset in args.presets:
            single = os.path.join(work, f"{preset}-single")
            started = time.monotonic()
            stylize(shot, single, 1, args.frames, preset, style, 0)
            single_time = time.monotonic() - started
            reference, reference_images = transition_flicker(single, shot, args.frames)
            _row(preset, "one process, no chunks", reference, boundaries, interior, None, single_time)
            chunked = {}
            for warmup in WARMUPS:
                out = os.path.join(work, f"{preset}-k{warmup}")
                started = time.monotonic()
                for start in starts:
                    stylize(shot, out, start, min(start + args.chunk - 1, args.frames), preset, style, warmup)
                elapsed = time.monotonic() - started
                flicker, images = transition_flicker(out, shot, args.frames)
                drift = statistics.mean(float(np.abs(images[number] - reference_images[number])[:, :, :3].mean())
                                        for number in boundaries)
                _row(preset, f"{len(starts)} chunks, K = {warmup}", flicker, boundaries, interior, drift, elapsed)
                chunked[warmup] = images
            if args.sheet and preset == args.presets[0]:
                boundary = boundaries[len(boundaries) // 2]
                write_sheet(args.sheet, boundary, reference_images, chunked)
                print(f"\nPicture: `{os.path.relpath(args.sheet, ROOT)}` (`{preset}`; rows: one process, then K = "
                      f"{', '.join(map(str, WARMUPS))}; columns: frame {boundary - 1} (the end of a chunk), frame "
                      f"{boundary} (the next chunk's first), and frame {boundary}'s difference from one process x4).\n",
                      flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_sheet(path, boundary, reference, chunked):
    from PIL import Image
    from neural_render.worker.imageio.colour import linear_to_srgb

    def tile(image):
        return (np.clip(linear_to_srgb(np.clip(image[:, :, :3], 0, None)), 0, 1) * 255).astype(np.uint8)

    rows = []
    for images in [reference] + [chunked[warmup] for warmup in WARMUPS]:
        difference = np.clip(np.abs(images[boundary] - reference[boundary])[:, :, :3] * 4, 0, 1)
        rows.append(np.concatenate([tile(images[boundary - 1]), tile(images[boundary]),
                                    (difference * 255).astype(np.uint8)], axis=1))
    Image.fromarray(np.concatenate(rows, axis=0)).save(path)


def _row(preset, label, flicker, boundaries, interior, drift, seconds):
    boundary = statistics.median(flicker[number] for number in boundaries)
    inside = statistics.median(flicker[number] for number in interior)
    drift_text = "" if drift is None else f"{drift:.4f}"
    print(f"| `{preset}` | {label} | {boundary:.4f} | {inside:.4f} | {boundary / inside:.2f} | {drift_text} | "
          f"{seconds:.1f} s |", flush=True)


if __name__ == "__main__":
    main()
