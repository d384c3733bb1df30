"""What the farm tests share: the CLI run as a farm runs it (a subprocess), the test shot, and the
comparisons -- identical files, and the flicker at a chunk boundary against the chunk's interior."""

import os
import subprocess
import sys

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(REPO, "scripts", "neural-render")
FRAMES = 12


def run_cli(*args, env=None, timeout=600):
    done = subprocess.run([sys.executable, CLI, *args], capture_output=True, text=True, timeout=timeout, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done


def same_files(folder_a, folder_b, names):
    for name in names:
        with open(os.path.join(folder_a, name), "rb") as a, open(os.path.join(folder_b, name), "rb") as b:
            assert a.read() == b.read(), f"{name} differs between the chunked farm run and one process"


@pytest.fixture(scope="module")
def shot(tmp_path_factory):
    from fixtures.farm_shot import render_shot
    return render_shot(str(tmp_path_factory.mktemp("shot")), frames=FRAMES, width=256, height=144)


def boundary_and_interior_flicker(folder, shot, boundaries):
    """Flicker into each boundary frame, and the median over the other transitions (bench_farm_chunks.py's metric)."""
    from fixtures.farm_shot import frame_file
    from neural_render.worker.imageio.files import read_image
    from neural_render.worker.stylize import colour, temporal
    values = {}
    for number in range(2, FRAMES + 1):
        vector, earlier = (read_image(frame_file(shot, n), layer="Vector") for n in (number, number - 1))
        to_previous = temporal.offsets_to_previous(vector)
        confidence = temporal.confidence(to_previous, temporal.offsets_to_next(earlier))
        current, previous = (colour.to_display(colour.numpy_to_tensor(
            read_image(os.path.join(folder, f"frame_{n:04d}.exr"))[:, :, :3])) for n in (number, number - 1))
        values[number] = temporal.flicker(current, previous, to_previous, confidence)
    interior = float(np.median([value for number, value in values.items() if number not in boundaries]))
    return [values[number] for number in boundaries], interior
