"""Relighting benchmark: ground-truth PSNR vs light grid, GEMM frame time vs memory bandwidth, animation
frames/s, low-rank error vs rank, and the before/after picture. Prints a markdown section.

    .venv/bin/python scripts/bench/bench_relight.py [--quick] > /work/notes/relight-benchmarks.md
"""

import argparse
import datetime
import os
import sys
import tempfile
import time

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402
from bench import machine  # noqa: E402

addon_path.install()
REPO = addon_path.REPO_ROOT

import numpy as np  # noqa: E402
import torch  # noqa: E402

from neural_render.worker.imageio.files import read_image  # noqa: E402
from neural_render.worker.relight import engine, light_sets, weights  # noqa: E402

ROTATION, STRENGTH = 37.0, 1.7


def _hdri(name):
    import importlib.util
    folder = os.path.join(os.path.dirname(importlib.util.find_spec("bpy").origin), "5.0", "datafiles",
                          "studiolights", "world")
    return os.path.join(folder, name)


def ground_truth(grids, light_samples, reference_samples, folder):
    from neural_render.blender.relight import capture
    from neural_render.protocol import sphere
    from fixtures.relight_scene import build_scene, render_top_first, set_hdri_world, tonemapped_psnr
    hdri_path = _hdri("forest.exr")
    scene = build_scene(samples=reference_samples)
    set_hdri_world(scene, hdri_path, ROTATION, STRENGTH)
    started = time.perf_counter()
    reference = render_top_first(scene)
    reference_seconds = time.perf_counter() - started
    scene.cycles.samples = light_samples
    hdri = read_image(hdri_path)
    mask = reference[..., 3] > 0.99
    rows, last = [], None
    for columns, count_rows in grids:
        path = os.path.join(folder, f"{columns}x{count_rows}")
        started = time.perf_counter()
        capture.capture_light_stage(scene, path, sphere.latlong_grid_directions(columns, count_rows))
        capture_seconds = time.perf_counter() - started
        light_set = light_sets.load_light_set(path)
        loaded = engine.load_set(light_set, "cpu")
        results = {}
        for name, image, angle in (("right", hdri, ROTATION), ("wrong sign", hdri, -ROTATION),
                                   ("mirrored", hdri[:, ::-1], ROTATION)):
            env = weights.Environment(image, strength=STRENGTH, mapping=weights.z_rotation(angle))
            relit = engine.relight(loaded, weights.light_weights(env, light_set.directions))[0]
            results[name] = tonemapped_psnr(reference, relit, mask)
            if name == "right":
                last = (relit, loaded, light_set)
        rows.append((f"{columns}x{count_rows}", columns * count_rows, capture_seconds, results))
    other = weights.Environment(read_image(_hdri("sunset.exr")), strength=1.0, mapping=weights.z_rotation(200))
    relit_other = engine.relight(last[1], weights.light_weights(other, last[2].directions))[0]
    return reference, reference_seconds, rows, last, relit_other


def bandwidth(repeats=5):
    source = np.ones(256 * 2 ** 20 // 4, np.float32)  # 1 GiB
    target = np.empty_like(source)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        np.copyto(target, source)
        times.append(time.perf_counter() - started)
    return 2 * source.nbytes / np.median(times) / 1e9  # read + write


def gemm(lights, side, frames_batch, dtype, repeats=5):
    pixels = side * side
    rgb = torch.rand((3, lights, pixels), dtype=torch.float32).to(dtype)
    loaded = engine.LoadedSet(rgb, np.ones(pixels, np.float32), side, side)
    w1 = np.random.default_rng(0).uniform(size=(1, lights, 3))
    wf = np.random.default_rng(1).uniform(size=(frames_batch, lights, 3))
    single, batched = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        engine.relight(loaded, w1)
        single.append(time.perf_counter() - started)
    for _ in range(max(2, repeats // 2)):
        started = time.perf_counter()
        engine.relight(loaded, wf)
        batched.append(time.perf_counter() - started)
    return loaded.nbytes, float(np.median(single)), float(np.median(batched))


def low_rank_table(loaded, light_set, ranks):
    env = weights.Environment(read_image(_hdri("forest.exr")), strength=STRENGTH, mapping=weights.z_rotation(ROTATION))
    w = weights.light_weights(env, light_set.directions)
    exact = engine.relight(loaded, w)[0]
    full = engine.LowRankSet(loaded, max(ranks))
    rows = []
    for rank in ranks:
        preview = engine.LowRankSet(loaded, rank) if rank != max(ranks) else full
        relit = preview.relight(w)[0]
        error = float(np.linalg.norm(relit[..., :3] - exact[..., :3]) / np.linalg.norm(exact[..., :3]))
        rows.append((rank, full.relative_error(rank), error))
    return rows


def weights_time(grids, repeats=3):
    from neural_render.protocol import sphere
    image = read_image(_hdri("forest.exr"))
    rows = []
    for columns, count_rows in grids:
        lights = sphere.latlong_grid_directions(columns, count_rows)
        times = []
        for index in range(repeats):
            env = weights.Environment(image, strength=STRENGTH, mapping=weights.z_rotation(10.0 * index))
            started = time.perf_counter()
            weights.light_weights(env, lights)
            times.append(time.perf_counter() - started)
        rows.append((f"{columns}x{count_rows}", float(np.median(times))))
    return image.shape, rows


def picture(reference, relit, relit_other, path):
    from PIL import Image

    def display(x):
        x = np.clip(x[..., :3], 0, None)
        y = x / (1 + x)
        y = np.where(y <= 0.0031308, 12.92 * y, 1.055 * np.power(y, 1 / 2.4) - 0.055)
        alpha = x[..., :1] * 0 + 1
        return y * alpha

    def on_grey(image):
        a = image[..., 3:4]
        return display(image) * a + 0.18 * (1 - a)

    error = np.abs(display(reference) - display(relit)) * 10 * reference[..., 3:4]
    strip = np.concatenate([on_grey(reference), on_grey(relit), np.clip(error, 0, 1), on_grey(relit_other)], axis=1)
    image = Image.fromarray((np.clip(strip, 0, 1) * 255 + 0.5).astype(np.uint8))
    image = image.resize((image.width * 4, image.height * 4), Image.NEAREST)
    image.save(path, optimize=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small GEMM set and only the 8x4 grid")
    args = parser.parse_args()
    torch.set_num_threads(2)
    load = os.getloadavg()
    print("## Relighting benchmarks\n")
    print(f"- date: {datetime.datetime.now().isoformat(timespec='minutes')}; machine: {machine.description()}, "
          f"torch {torch.__version__} (2 threads), CPU only")
    print(f"- command: `.venv/bin/python scripts/bench/bench_relight.py{' --quick' if args.quick else ''}`")
    print(f"- load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (the CPU is shared with other sessions)\n")

    grids = [(8, 4)] if args.quick else [(8, 4), (16, 8), (32, 16)]
    with tempfile.TemporaryDirectory() as folder:
        reference, reference_seconds, rows, last, relit_other = ground_truth(grids, 64, 1024, folder)
        print("### Ground truth: Cycles under the world vs the relit virtual light-stage capture\n")
        print(f"Scene `scripts/fixtures/relight_scene.py` (64x48, floor, diffuse + glossy metal spheres, box); world "
              f"forest.exr, Mapping rotation {ROTATION} deg about Z, strength {STRENGTH}. Reference: 1024 samples "
              f"({reference_seconds:.1f} s); each light: 64 samples, same seed and light paths, no denoising or "
              "clamping. PSNR over object pixels (alpha > 0.99) after x/(1+x) and sRGB encoding.\n")
        print("| grid | lights | capture time | PSNR | wrong rotation sign | mirrored azimuth |")
        print("|---|---|---|---|---|---|")
        for name, count, seconds, results in rows:
            print(f"| {name} | {count} | {seconds:.1f} s ({seconds / count * 1000:.0f} ms/light) | "
                  f"{results['right']:.2f} dB | {results['wrong sign']:.2f} dB | {results['mirrored']:.2f} dB |")
        relit, loaded, light_set = last
        picture(reference, relit, relit_other, os.path.join(REPO, "docs", "relight_before_after.png"))
        print("\n`docs/relight_before_after.png`: Cycles reference | relit capture "
              f"({rows[-1][0]}) | |error| x10 (tone-mapped) | the same capture relit against sunset.exr turned 200 deg.\n")
        ranks = [1, 2, 4, 8, 16, 32, 64, 128] if light_set.count >= 128 else [1, 2, 4, 8, 16, light_set.count]
        print(f"### Low-rank preview ({rows[-1][0]} capture)\n")
        print("| rank | set error (Frobenius, relative) | relit image error (relative L2) |")
        print("|---|---|---|")
        for rank, set_error, image_error in low_rank_table(loaded, light_set, ranks):
            print(f"| {rank} | {set_error:.4f} | {image_error:.4f} |")

    shape, rows = weights_time([(32, 16), (64, 32)])
    print(f"\n### Weights per frame (world {shape[1]}x{shape[0]}, texel-exact Voronoi integration)\n")
    print("| lights | time per frame |")
    print("|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds * 1000:.0f} ms |")

    copy = bandwidth()
    lights, side, frames = (256, 256, 16) if args.quick else (1024, 512, 64)
    print(f"\n### GEMM vs memory bandwidth ({lights} lights x {side}x{side}, RGB)\n")
    print(f"numpy copy bandwidth (1 GiB, read + write): **{copy:.1f} GB/s**\n")
    print("| storage | set size | one frame | achieved GB/s (set bytes / frame time) | vs copy | "
          f"{frames} frames in one GEMM | frames/s |")
    print("|---|---|---|---|---|---|---|")
    for dtype in (torch.float32, torch.float16):
        nbytes, single, batched = gemm(lights, side, frames, dtype)
        rate = nbytes / single / 1e9
        print(f"| {str(dtype).split('.')[-1]} | {nbytes / 1e9:.2f} GB | {single * 1000:.0f} ms | {rate:.1f} | "
              f"{rate / copy * 100:.0f}% | {batched * 1000:.0f} ms | {frames / batched:.1f} |")


if __name__ == "__main__":
    main()
