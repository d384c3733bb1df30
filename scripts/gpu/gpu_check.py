#!/usr/bin/env python3
"""The GPU check: every capability's job on the device and on the CPU, compared; speed figures on
the device; a table last. One command, about 8 minutes on a GPU machine with a copy of the checkout.

    python3 scripts/gpu/gpu_check.py --device cuda --out gpu_logs/            # the real check
    python3 scripts/gpu/gpu_check.py --device cpu --tiny --out /tmp/check/    # the suite runs this

Jobs run in this process through the worker's own job functions and JobContext (the code the worker
runs), on the same small inputs on both devices:

- relight.apply (a synthetic light-stage set), colorize.auto and colorize.scribbles (the bundled
  models), gan.train (a few steps, same seed) then gan.generate, and stylize.image (a fixed number of
  steps; needs the VGG16 weights file: skipped, and said so, when it is missing);
- each result is compared as max |device - cpu| / max |cpu|, against a tolerance stated per job
  (float32 GEMM for relight; TF32-level for convolutions, which torch allows on CUDA by default);
- timings (not with --tiny): medians of warm runs: relight GEMM throughput against the device's
  copy bandwidth, colorize and GAN generation at 4K, one GAN training step.

Writes ``<out>/gpu_check.log`` (everything) and ``<out>/gpu_check.json`` (the table's rows).
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import traceback

import numpy as np

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402

# Tolerances: relative to the CPU result's largest magnitude.
TOLERANCE_GEMM = 1e-4        # float32 accumulation order differs between BLAS and cuBLAS
TOLERANCE_CONV = 2e-2        # TF32 convolutions (10-bit mantissa) through several layers
TOLERANCE_OPTIMISED = 5e-2   # a few optimisation steps amplify per-step rounding differences


class Log:
    def __init__(self, path):
        self.file = open(path, "w", encoding="utf-8")

    def __call__(self, message):
        line = f"[{time.strftime('%H:%M:%S')}] {message}"
        print(line, flush=True)
        self.file.write(line + "\n")
        self.file.flush()


def run(kind, params, inputs, device, cache):
    """(outputs, seconds) of one in-process job, timed to the device's completion."""
    import torch

    from fixtures.in_process_jobs import run_job
    started = time.perf_counter()
    outputs = run_job(kind, params, inputs, device, cache)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return outputs, time.perf_counter() - started


def relative_difference(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


def light_stage_set(folder, lights, size):
    """A synthetic set: ``lights`` random images of ``size``², directions on the sphere."""
    from neural_render.worker.imageio import exr
    rng = np.random.default_rng(0)
    rows = ["file,x,y,z"]
    directions = rng.normal(size=(lights, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    for index, direction in enumerate(directions):
        name = f"light_{index:04d}.exr"
        exr.write_exr(os.path.join(folder, name), rng.random((size, size, 3), dtype=np.float32) * 0.5)
        rows.append(f"{name},{direction[0]:.6f},{direction[1]:.6f},{direction[2]:.6f}")
    with open(os.path.join(folder, "lights.csv"), "w") as file:
        file.write("\n".join(rows) + "\n")
    world = os.path.join(folder, "world.exr")
    exr.write_exr(world, rng.random((32, 64, 3), dtype=np.float32))
    return folder, world


def comparisons(device, tiny, work, log):
    """[(job, relative difference, tolerance, device s, cpu s, note)]"""
    from neural_render.worker import jobs
    rows = []
    rng = np.random.default_rng(1)
    side = 64 if tiny else 256
    grey = np.clip(rng.normal(0.3, 0.1, (side, side, 1)), 0, 1).astype(np.float32)
    hints = np.zeros((side, side, 4), np.float32)
    hints[side // 4:side // 4 + 4, side // 4:side // 4 + 4] = [0.6, 0.2, 0.1, 1.0]
    hints[3 * side // 4:3 * side // 4 + 4, side // 2:side // 2 + 4] = [0.1, 0.3, 0.6, 1.0]
    set_folder, world = light_stage_set(os.path.join(work, "set"), 8 if tiny else 64, 32 if tiny else 128)
    gan_model = os.path.join(work, "gan_{}.nrgan")
    exemplar = (rng.random((64, 64, 3)) * 0.8).astype(np.float32)
    cases = [
        ("relight.apply", {"set": set_folder, "world": world}, {}, "relit", TOLERANCE_GEMM),
        ("colorize.auto", {}, {"image": grey}, "image", TOLERANCE_CONV),
        ("colorize.scribbles", {"premultiplied": True}, {"image": grey, "hints": hints}, "image", TOLERANCE_CONV),
        ("stylize.image", {"preset": "instant"}, {"content": np.repeat(grey, 3, axis=2),
                                                  "style": (rng.random((64, 64, 3)) * 0.9).astype(np.float32)},
         "result", TOLERANCE_CONV),
    ]
    caches = {name: jobs.ModelCache() for name in (device, "cpu")}
    for kind, params, inputs, output, tolerance in cases:
        results = {}
        for name in (device, "cpu"):
            run(kind, params, inputs, name, caches[name])           # warm: models loaded, kernels chosen
            outputs, seconds = run(kind, params, inputs, name, caches[name])
            results[name] = (outputs[output], seconds)
        difference = relative_difference(results[device][0], results["cpu"][0])
        label = f"{kind} ({params['preset']})" if "preset" in params else kind
        rows.append((label, difference, tolerance, results[device][1], results["cpu"][1], ""))
        log(f"{kind}: relative difference {difference:.2e} (tolerance {tolerance:g})")
    # GAN: train a few steps with one seed on each device, then generate from each model on its device.
    textures, seconds = {}, {}
    for name in (device, "cpu"):
        path = gan_model.format(name.replace(":", "_"))
        started = time.perf_counter()
        run("gan.train", {"model_path": path, "steps": 3, "seed": 0, "crop_size": 32, "batch_size": 2},
            {"exemplar": exemplar}, name, caches[name])
        outputs, seconds[name] = run("gan.generate", {"model_path": path, "width": side, "seed": 1}, {}, name,
                                     caches[name])
        textures[name] = outputs["texture"]
        log(f"gan.train + generate on {name}: {time.perf_counter() - started:.1f} s")
    difference = relative_difference(textures[device], textures["cpu"])
    rows.append(("gan.train (3 steps) + gan.generate", difference, TOLERANCE_OPTIMISED, seconds[device],
                 seconds["cpu"], ""))
    rows.append(stylize_comparison(device, tiny, caches, log))
    rows.append(determinism_comparison(device, tiny, caches, log))
    return rows


def determinism_comparison(device, tiny, caches, log):
    """A farm task must give the same frame when run twice: with the kernels the sequence subcommands
    request (cli/engine.request_determinism), two runs of an optimised stylize (backward passes: where
    cuDNN may pick non-deterministic algorithms) on the device are compared bit for bit. Last, since the
    request stays on for this process."""
    from cli.engine import request_determinism
    from neural_render.worker.backbones import vgg16, vgg16_imagenet
    if not vgg16_imagenet.available() and not os.path.isfile(vgg16.converted_path(create=False)):
        return ("stylize twice, deterministic kernels", None, 0.0, None, None, "skipped: no VGG16 weights file")
    request_determinism()
    rng = np.random.default_rng(3)
    side = 48 if tiny else 256
    inputs = {"content": rng.random((side, side, 3), dtype=np.float32),
              "style": rng.random((side, side, 3), dtype=np.float32)}
    results = [run("stylize.image", {"steps": 3, "preset": "fast"}, inputs, device, caches[device]) for _ in range(2)]
    difference = float(np.abs(results[0][0]["result"] - results[1][0]["result"]).max())
    log(f"stylize twice on {device} with deterministic kernels: largest difference {difference:.3g}")
    return ("stylize twice, deterministic kernels (farm tasks)", difference, 0.0, results[1][1], None, "")


def stylize_comparison(device, tiny, caches, log):
    from neural_render.worker.backbones import vgg16, vgg16_imagenet
    if not vgg16_imagenet.available() and not os.path.isfile(vgg16.converted_path(create=False)):
        log("stylize.image: skipped, neither VGG16 weights file is here")
        return ("stylize.image", None, TOLERANCE_OPTIMISED, None, None, "skipped: no VGG16 weights file")
    rng = np.random.default_rng(2)
    side = 48 if tiny else 128
    content = rng.random((side, side, 3), dtype=np.float32)
    style = rng.random((side, side, 3), dtype=np.float32)
    params = {"steps": 3, "preset": "fast"}
    results = {}
    for name in (device, "cpu"):
        outputs, seconds = run("stylize.image", params, {"content": content, "style": style}, name, caches[name])
        results[name] = (outputs["result"], seconds)
    difference = relative_difference(results[device][0], results["cpu"][0])
    log(f"stylize.image: relative difference {difference:.2e}")
    return ("stylize.image (3 steps)", difference, TOLERANCE_OPTIMISED, results[device][1], results["cpu"][1], "")


def timings(device, work, log, repeats=3):
    """[(what, median seconds, figure)] on the device, warm."""
    import torch

    from neural_render.worker import jobs
    rows = []
    cache = jobs.ModelCache()
    # Copy bandwidth of the device, the ceiling of a memory-bound GEMM.
    block = torch.empty(256 * 1024 * 1024, dtype=torch.float32, device=device)   # 1 GiB
    copies = []
    for _ in range(repeats + 1):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        started = time.perf_counter()
        block.clone()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        copies.append(time.perf_counter() - started)
    copy_gbs = 2 * block.numel() * 4 / np.median(copies[1:]) / 1e9
    rows.append(("copy bandwidth (1 GiB clone, read + write)", float(np.median(copies[1:])), f"{copy_gbs:.0f} GB/s"))
    del block
    # Relight GEMM: 512 lights x 1024² RGB in float32, weights for one frame.
    lights, pixels = 512, 1024 * 1024 * 3
    stack = torch.rand(lights, pixels, device=device)
    weights = torch.rand(1, lights, device=device)
    gemms = []
    for _ in range(repeats + 1):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        started = time.perf_counter()
        weights @ stack
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        gemms.append(time.perf_counter() - started)
    gemm_gbs = stack.numel() * 4 / np.median(gemms[1:]) / 1e9
    rows.append(("relight GEMM 512 lights x 1024² RGB", float(np.median(gemms[1:])),
                 f"{gemm_gbs:.0f} GB/s = {gemm_gbs / copy_gbs:.0%} of copy"))
    del stack
    rng = np.random.default_rng(3)
    grey = np.clip(rng.normal(0.3, 0.1, (4096, 4096, 1)), 0, 1).astype(np.float32)
    seconds = [run("colorize.auto", {}, {"image": grey}, device, cache)[1] for _ in range(repeats + 1)]
    rows.append(("colorize.auto 4096² (whole job)", float(np.median(seconds[1:])), ""))
    frame = np.clip(rng.normal(0.4, 0.15, (1080, 1920, 3)), 0, 1).astype(np.float32)
    style = rng.random((256, 256, 3), dtype=np.float32)
    seconds = [run("stylize.image", {"preset": "instant"}, {"content": frame, "style": style}, device, cache)[1]
               for _ in range(repeats + 1)]
    rows.append(("stylize.image Instant 1920x1080 (whole job)", float(np.median(seconds[1:])), ""))
    model = os.path.join(work, "gan_timing.nrgan")
    exemplar = rng.random((128, 128, 3), dtype=np.float32)
    run("gan.train", {"model_path": model, "steps": 2, "seed": 0}, {"exemplar": exemplar}, device, cache)
    step_times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run("gan.train", {"model_path": model, "steps": 5, "resume": True}, {"exemplar": exemplar}, device, cache)
        step_times.append((time.perf_counter() - started) / 5)
    rows.append(("gan.train step (exemplar model, default settings)", float(np.median(step_times)),
                 "includes checkpoint I/O per call"))
    seconds = [run("gan.generate", {"model_path": model, "width": 4096}, {}, device, cache)[1]
               for _ in range(repeats + 1)]
    rows.append(("gan.generate 4096² tileable", float(np.median(seconds[1:])), ""))
    return rows


def environment(device, log):
    import torch
    log(f"python {platform.python_version()} on {platform.platform()}")
    log(f"torch {torch.__version__}, CUDA build {torch.version.cuda}, cuda available {torch.cuda.is_available()}")
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            properties = torch.cuda.get_device_properties(index)
            log(f"cuda:{index} {properties.name}, {properties.total_memory / 2**30:.0f} GiB")
        log(f"TF32: matmul {torch.backends.cuda.matmul.allow_tf32}, cudnn {torch.backends.cudnn.allow_tf32}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("gpu_check: --device cuda but torch sees no CUDA device")


def table(comparison_rows, timing_rows):
    lines = ["", "| job | device vs CPU (relative) | tolerance | verdict | device s | CPU s |",
             "|---|---|---|---|---|---|"]
    for job, difference, tolerance, device_s, cpu_s, note in comparison_rows:
        if difference is None:
            lines.append(f"| {job} | — | {tolerance:g} | {note} | — | — |")
            continue
        verdict = "ok" if difference <= tolerance else "DIFFERS"
        cpu_text = "—" if cpu_s is None else f"{cpu_s:.3f}"
        lines.append(f"| {job} | {difference:.2e} | {tolerance:g} | {verdict} | {device_s:.3f} | {cpu_text} |")
    if timing_rows:
        lines += ["", "| measured on the device (warm, median) | seconds | figure |", "|---|---|---|"]
        lines += [f"| {what} | {seconds:.3f} | {figure} |" for what, seconds, figure in timing_rows]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda, cuda:1, mps or cpu (cpu: compares the CPU with itself)")
    parser.add_argument("--tiny", action="store_true", help="tiny inputs and no timings (the suite's check)")
    parser.add_argument("--out", required=True, help="folder for gpu_check.log and gpu_check.json")
    args = parser.parse_args(argv)
    addon_path.install()
    os.makedirs(args.out, exist_ok=True)
    log = Log(os.path.join(args.out, "gpu_check.log"))
    environment(args.device, log)
    import neural_render.worker.colorize  # noqa: F401  (registers the jobs)
    import neural_render.worker.gan  # noqa: F401
    import neural_render.worker.relight  # noqa: F401
    import neural_render.worker.stylize  # noqa: F401
    comparison_rows, timing_rows, failures = [], [], []
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as work:
        os.makedirs(os.path.join(work, "set"))
        try:
            comparison_rows = comparisons(args.device, args.tiny, work, log)
        except Exception:
            failures.append("comparisons")
            log("comparisons failed:\n" + traceback.format_exc())
        if not args.tiny:
            try:
                timing_rows = timings(args.device, work, log)
            except Exception:
                failures.append("timings")
                log("timings failed:\n" + traceback.format_exc())
    text = table(comparison_rows, timing_rows)
    log(text)
    with open(os.path.join(args.out, "gpu_check.json"), "w") as file:
        json.dump({"device": args.device, "comparisons": comparison_rows, "timings": timing_rows,
                   "failures": failures}, file, indent=1)
    differs = [row for row in comparison_rows if row[1] is not None and row[1] > row[2]]
    return 1 if failures or differs else 0


if __name__ == "__main__":
    sys.exit(main())
