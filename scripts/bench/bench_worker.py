#!/usr/bin/env python3
"""Foundation benchmarks: worker start-up, transport round trips, datablock creation, memory.

Prints a Markdown report (paste it into docs/BENCHMARKS.md with the machine and date). Every figure is
a median of repeated runs measured side by side in this one process:

- cold start: a new worker process until the first identity result on a 512² image is back;
- warm round trip of an identity job on 512², 2K (2048x1080) and 4K (3840x2160) float RGBA through
  the shared-memory transport, against one in-process copy of the same buffer and against the EXR-file
  transport the product dropped (the same job plus what that transport added: the input and the
  output each written and read as an uncompressed EXR, ``exr_transport.py``);
- creating a 4K float image datablock from an array (bpy);
- resident memory of the worker and of this (Blender) process over 200 consecutive operator jobs.

Usage: python scripts/bench/bench_worker.py [--quick] [--skip-blender]
"""

import argparse
import os
import platform
import shutil
import statistics
import sys
import time

import numpy as np

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402
from bench import machine  # noqa: E402

SIZES = {"512²": (512, 512), "2K 2048×1080": (1080, 2048), "4K 3840×2160": (2160, 3840)}


def median_seconds(function, repeats):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def resident_mb(pid):
    """Resident set size from /proc (Linux); None elsewhere."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def bench_cold_start(repeats):
    from neural_render.blender.worker_client import WorkerClient, WorkerConfig
    image = np.random.default_rng(0).random((512, 512, 4), dtype=np.float32)
    times = []
    for _ in range(repeats):
        client = WorkerClient(WorkerConfig())
        started = time.perf_counter()
        client.run("identity", {}, {"image": image})
        times.append(time.perf_counter() - started)
        client.shutdown()
    return statistics.median(times)


def _exr_crossings(client, image, folder):
    """The identity job with each crossing through an EXR file, as the dropped transport did it."""
    from bench import exr_transport
    path = os.path.join(folder, "crossing.exr")
    exr_transport.write(path, image)
    sent = exr_transport.read(path, image.shape)
    back = client.run("identity", {}, {"image": sent})["image"]
    exr_transport.write(path, back)
    return exr_transport.read(path, image.shape)


def bench_round_trips(repeats):
    import tempfile

    from neural_render.blender.worker_client import WorkerClient, WorkerConfig
    folder = tempfile.mkdtemp(prefix="neural-render-bench-")
    client = WorkerClient(WorkerConfig())
    client.wait_ready()
    rows = []
    try:
        for label, (height, width) in SIZES.items():
            image = np.random.default_rng(1).random((height, width, 4), dtype=np.float32)
            client.run("identity", {}, {"image": image})  # warm the slots
            copy = median_seconds(image.copy, repeats)
            shm = median_seconds(lambda: client.run("identity", {}, {"image": image}), repeats)
            exr = median_seconds(lambda: _exr_crossings(client, image, folder), repeats)
            rows.append((label, image.nbytes / 2 ** 20, copy, shm, exr))
    finally:
        client.shutdown()
        shutil.rmtree(folder, ignore_errors=True)
    return rows


def _remove_image(name):
    import bpy
    image = bpy.data.images.get(name)
    if image is not None:
        bpy.data.images.remove(image)


def bench_datablock_creation(repeats, name="NR bench 4K"):
    """(new datablock, refresh of an existing one) medians for a 4K float RGBA array (target for a new
    one: <= 0.3 s). The datablock is removed afterwards."""
    from neural_render.blender import datablocks
    image = np.random.default_rng(2).random((2160, 3840, 4), dtype=np.float32)
    fresh = []
    try:
        for _ in range(repeats):
            _remove_image(name)
            started = time.perf_counter()
            datablocks.array_to_image(image, name)
            fresh.append(time.perf_counter() - started)
        refresh = median_seconds(lambda: datablocks.array_to_image(image, name), repeats)
    finally:
        _remove_image(name)
    return statistics.median(fresh), refresh


def bench_memory(jobs, size=512):
    """Run the real round-trip operator ``jobs`` times; RSS of both processes after warm-up and at the end."""
    import bpy
    from neural_render.blender import registration, worker_session
    registration.register()
    try:
        source = bpy.data.images.new("NR bench source", size, size, float_buffer=True)
        source.pixels.foreach_set(np.random.default_rng(3).random(size * size * 4, dtype=np.float32))
        samples = []
        for index in range(jobs):
            result = bpy.ops.neural_render.worker_roundtrip("EXEC_DEFAULT", image_name=source.name)
            if result != {"FINISHED"}:
                raise RuntimeError(f"job {index} failed: {result}")
            if index in (9, jobs - 1):
                worker_pid = worker_session.client().pid
                samples.append((index + 1, resident_mb(worker_pid), resident_mb(os.getpid())))
        return samples
    finally:
        registration.unregister()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("--skip-blender", action="store_true", help="skip the parts that need bpy")
    args = parser.parse_args(argv)
    addon_path.install()
    repeats = 3 if args.quick else 9

    print(f"Machine: {machine.description()}, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    print(f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"Command: python scripts/bench/bench_worker.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    print()
    cold = bench_cold_start(3 if args.quick else 5)
    print(f"Worker cold start to first 512² identity result: **{cold:.2f} s** (median)\n")

    print("| image | MiB | one in-process copy | shm round trip | ratio | EXR round trip | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, mib, copy, shm, exr in bench_round_trips(repeats):
        print(f"| {label} | {mib:.0f} | {copy * 1e3:.1f} ms | {shm * 1e3:.1f} ms | {shm / copy:.1f}× "
              f"| {exr * 1e3:.1f} ms | {exr / copy:.1f}× |")
    print()
    if args.skip_blender:
        return 0
    fresh, refresh = bench_datablock_creation(repeats)
    print(f"4K float RGBA image datablock from an array: new **{fresh * 1e3:.0f} ms**, "
          f"refreshing an existing one {refresh * 1e3:.0f} ms (medians)\n")
    jobs = 50 if args.quick else 200
    samples = bench_memory(jobs)
    (first_jobs, first_worker, first_blender), (last_jobs, last_worker, last_blender) = samples
    print(f"Resident memory over {jobs} consecutive 512² round-trip operator jobs:\n")
    print("| after job | worker RSS | Blender (bpy) RSS |")
    print("|---:|---:|---:|")
    for count, worker, blender in samples:
        print(f"| {count} | {worker:.0f} MiB | {blender:.0f} MiB |")
    print(f"\nChange from job {first_jobs} to {last_jobs}: worker {100 * (last_worker / first_worker - 1):+.1f}%, "
          f"Blender {100 * (last_blender / first_blender - 1):+.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
