#!/usr/bin/env python3
"""Do two checkouts compute the same results? For restructurings that must not change behaviour.

Runs the same ``neural-render`` commands (stylize, relight still and turntable, colorize, GAN generate
and a latent walk) with each checkout's own CLI on the same small inputs, one torch thread, and
compares every output EXR pixel for pixel. The GAN model is trained once, by the first checkout.

Usage: python scripts/bench/same_outputs.py OLD_CHECKOUT NEW_CHECKOUT [--work DIR]
(e.g. ``git worktree add /tmp/before HEAD~1`` for OLD). Exit 0 when every output is identical.
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402


def make_inputs(folder):
    from fixtures.stylize_fixtures import brush_painting, display_to_linear, render_like_scene
    from neural_render.worker.imageio.files import write_image
    rng = np.random.default_rng(0)
    write_image(os.path.join(folder, "content.exr"), render_like_scene(72, 96))
    write_image(os.path.join(folder, "style.png"), display_to_linear(brush_painting(64, 64)))
    grey = np.clip(rng.random((48, 64, 1)).cumsum(1) / 30, 0, 1).astype(np.float32) ** 2
    write_image(os.path.join(folder, "grey.png"), grey)
    light_set = os.path.join(folder, "set")
    os.makedirs(light_set, exist_ok=True)
    directions = [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)]
    with open(os.path.join(light_set, "lights.csv"), "w", encoding="utf-8") as csv:
        csv.write("file,x,y,z\n")
        for index, (x, y, z) in enumerate(directions):
            image = np.ones((24, 32, 4), np.float32)
            image[:, :, :3] = rng.random((24, 32, 3)) * (index + 1) / len(directions)
            write_image(os.path.join(light_set, f"light_{index:04d}.exr"), image)
            csv.write(f"light_{index:04d}.exr,{x},{y},{z}\n")
    write_image(os.path.join(folder, "world.exr"), np.abs(rng.normal(1, 0.5, (32, 64, 3))).astype(np.float32))
    write_image(os.path.join(folder, "exemplar.png"), display_to_linear(brush_painting(96, 96, seed=5)))


def commands(folder, out):
    into = lambda name: os.path.join(out, name)  # noqa: E731
    source = lambda name: os.path.join(folder, name)  # noqa: E731
    model = source("model.nrgan")
    return [
        ["stylize", "--content", source("content.exr"), "--style", source("style.png"), "--preset", "fast",
         "--steps", "12", "--backbone", "vgg16", "--device", "cpu", "--out", into("stylized.exr")],
        ["relight", "--set", source("set"), "--world", source("world.exr"), "--rotation", "37", "--strength", "1.5",
         "--out", into("relit.exr")],
        ["relight", "--set", source("set"), "--world", source("world.exr"), "--turntable", "3", "--out", into("turn.exr")],
        ["colorize", "--in", source("grey.png"), "--out", into("colorized.exr"), "--temperature", "0.2"],
        ["gan-generate", "--model", model, "--size", "128", "96", "--seed", "3", "--tileable", "--out", into("gan.exr")],
        ["gan-generate", "--model", model, "--size", "64", "64", "--count", "2", "--walk", "2", "--tileable",
         "--out", into("walk.exr")],
    ]


def run(checkout, arguments, env):
    command = [sys.executable, os.path.join(checkout, "scripts", "neural-render"), *arguments]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{checkout}: {' '.join(arguments[:1])} failed:\n{done.stderr[-2000:]}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--work", default=tempfile.mkdtemp(prefix="neural-render-same-"))
    args = parser.parse_args(argv)
    addon_path.install()
    from neural_render.worker.imageio.files import read_image
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    make_inputs(args.work)
    run(args.old, ["gan-train", "--exemplar", os.path.join(args.work, "exemplar.png"), "--out",
                   os.path.join(args.work, "model.nrgan"), "--steps", "30", "--device", "cpu"], env)
    outputs = {}
    for name, checkout in (("old", args.old), ("new", args.new)):
        outputs[name] = os.path.join(args.work, name)
        os.makedirs(outputs[name], exist_ok=True)
        for arguments in commands(args.work, outputs[name]):
            run(checkout, arguments, env)
    different = 0
    names = sorted(os.listdir(outputs["old"]))
    for name in names:
        old = read_image(os.path.join(outputs["old"], name))
        new_path = os.path.join(outputs["new"], name)
        if not os.path.exists(new_path):
            print(f"| {name} | missing in the new checkout |")
            different += 1
            continue
        new = read_image(new_path)
        same = old.shape == new.shape and np.array_equal(old, new)
        different += not same
        print(f"| {name} | {'identical' if same else f'max |difference| {np.abs(old - new).max():.3g}'} |")
    print(f"{len(names) - different} of {len(names)} outputs identical")
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
