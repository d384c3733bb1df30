#!/usr/bin/env python3
"""Capture random scenes with the virtual light stage: the relighting network's training data.

    .venv/bin/python scripts/training/capture_relight_scenes.py [--out .cache/relight_scenes]
        [--train 300] [--validation 30] [--size 128] [--samples 8] [--columns 16] [--rows 8] [--shard I/N]

Each scene (``relight_data/scene_factory.py``) is rendered once per light of a columns x rows lat-long
grid by the product's own light stage (``blender/relight/capture.py``) and stored as one float16 file
(``relight_data/scene_store.py``). Resumable: scenes already on disk are skipped, so stop it any time
and run the same command again (on another machine too, with the folder copied). Training scenes use
the texture library's train split and seeds from 0, validation scenes its validation split and seeds
from 500000: no scene, seed or texture is shared.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_OUT = os.path.join(ROOT, ".cache", "relight_scenes")
DEFAULT_TEXTURES = os.path.join(ROOT, ".cache", "textures")
VALIDATION_SEED_BASE = 500_000


def _textures(folder, split):
    from training.textures.shards import LibraryError, TextureLibrary
    try:
        _, diffuse, normals = TextureLibrary(folder).load(split, with_normals=True)
    except LibraryError as error:
        print(f"capture_relight_scenes: no texture library ({error}); plain colours only", file=sys.stderr)
        return None
    return diffuse, normals


def _read_capture(folder, count):
    from neural_render.worker.imageio.exr import read_exr
    from neural_render.blender.relight.capture import light_file_name
    images = [read_exr(os.path.join(folder, light_file_name(index))) for index in range(count)]
    import numpy as np
    stack = np.stack(images)
    return stack[..., :3], stack[0, :, :, 3]


def in_camera_frame(lights, columns, rows, shift):
    """Lights captured in world order, re-indexed so light (row, c) is the one at the camera's column c.

    The camera looks along +Y turned by ``shift`` columns; the world light at column c + shift is at
    column c seen from it (``scene_factory.build_scene``)."""
    import numpy as np
    grid = lights.reshape((rows, columns) + lights.shape[1:])
    return np.roll(grid, -shift, axis=1).reshape(lights.shape)


def parse_shard(text):
    """'I/N' -> (I, N) with 0 <= I < N; the I-th of N processes takes missing scenes I, I + N, ..."""
    try:
        shard, shards = (int(part) for part in text.split("/"))
    except ValueError:
        shard, shards = -1, 0
    if not 0 <= shard < shards:
        raise ValueError(f"--shard must be I/N with 0 <= I < N, not {text!r}")
    return shard, shards


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--textures", default=DEFAULT_TEXTURES, help="texture library folder")
    parser.add_argument("--train", type=int, default=300, help="training scenes wanted")
    parser.add_argument("--validation", type=int, default=30, help="validation scenes wanted")
    parser.add_argument("--size", type=int, default=128, help="render side, px")
    parser.add_argument("--samples", type=int, default=8, help="Cycles samples per light")
    parser.add_argument("--columns", type=int, default=16)
    parser.add_argument("--rows", type=int, default=8)
    parser.add_argument("--shard", default="0/1", metavar="I/N",
                        help="capture only every N-th missing scene from the I-th: run N processes, I = 0..N-1, "
                             "to use the cores a single Cycles process leaves idle (its file writes, set-up)")
    args = parser.parse_args(argv)
    try:
        shard, shards = parse_shard(args.shard)
    except ValueError as error:
        parser.error(str(error))
    addon_path.install()
    import bpy  # noqa: F401  (the factory and the light stage run in Blender)
    from neural_render.blender.relight.capture import capture_light_stage
    from neural_render.protocol import sphere
    from training.relight_data import scene_factory, scene_store

    os.makedirs(args.out, exist_ok=True)
    directions = sphere.latlong_grid_directions(args.columns, args.rows)
    # Validation first: a short run still leaves a held-out set to measure on.
    todo = [("validation", VALIDATION_SEED_BASE + i) for i in range(args.validation)] + \
           [("train", i) for i in range(args.train)]
    todo = [(split, seed) for split, seed in todo
            if not os.path.exists(scene_store.scene_path(args.out, split, seed))][shard::shards]
    print(f"capture_relight_scenes: {len(todo)} scenes to capture into {args.out}", file=sys.stderr)
    libraries = {}
    started = time.monotonic()
    for done, (split, seed) in enumerate(todo):
        if split not in libraries:
            libraries[split] = _textures(args.textures, split)
        with tempfile.TemporaryDirectory(prefix="nr_capture_") as work:
            scene, description = scene_factory.build_scene(seed, args.size, args.samples, libraries[split], work,
                                                           args.columns)
            description.update(split=split, samples=args.samples, size=args.size)
            capture_light_stage(scene, os.path.join(work, "set"), directions)
            lights, alpha = _read_capture(os.path.join(work, "set"), len(directions))
            lights = in_camera_frame(lights, args.columns, args.rows, description["camera"]["column_shift"])
            scene_store.write_scene(scene_store.scene_path(args.out, split, seed), lights, alpha, directions,
                                    (args.columns, args.rows), description)
            shutil.rmtree(os.path.join(work, "set"), ignore_errors=True)
        elapsed = time.monotonic() - started
        eta = elapsed / (done + 1) * (len(todo) - done - 1)
        print(f"capture_relight_scenes: {done + 1}/{len(todo)} {split} seed {seed} "
              f"({elapsed / (done + 1):.1f} s/scene, ETA {eta / 60:.0f} min)", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
