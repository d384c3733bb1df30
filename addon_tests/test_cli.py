"""The command line's contract: exit codes, one-line errors, no output on failure, colours."""

import os
import subprocess
import sys

import numpy as np
import pytest

from neural_render.worker.imageio import exr, files

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(REPO_ROOT, "scripts", "neural-render")


def neural_render(*args):
    return subprocess.run([sys.executable, CLI, *args], capture_output=True, text=True, timeout=300)


def test_check_reports_torch_and_the_worker():
    done = neural_render("check", "--device", "cpu")
    assert done.returncode == 0, done.stderr
    assert "torch" in done.stdout and "round trip   ok" in done.stdout


def test_convert_exr_to_png_encodes_srgb(tmp_path):
    linear = np.zeros((4, 6, 3), dtype=np.float32)
    linear[:, :, 0] = 0.214041  # sRGB-encodes to ~0.5
    exr.write_exr(str(tmp_path / "in.exr"), linear)
    done = neural_render("convert", str(tmp_path / "in.exr"), str(tmp_path / "out.png"))
    assert done.returncode == 0, done.stderr
    from PIL import Image
    pixels = np.asarray(Image.open(tmp_path / "out.png"))
    assert abs(int(pixels[0, 0, 0]) - 128) <= 1
    back = files.read_image(str(tmp_path / "out.png"))
    assert np.allclose(back[:, :, 0], 0.214041, atol=0.003)


@pytest.mark.parametrize("content", [b"", b"not an image at all" * 10])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, content):
    bad = tmp_path / "bad.exr"
    bad.write_bytes(content)
    out = tmp_path / "out.exr"
    done = neural_render("convert", str(bad), str(out))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert "bad.exr" in done.stderr
    assert not out.exists() and os.listdir(tmp_path) == ["bad.exr"]


def test_missing_input_exits_2(tmp_path):
    done = neural_render("convert", str(tmp_path / "missing.png"), str(tmp_path / "out.exr"))
    assert done.returncode == 2 and "missing.png" in done.stderr
