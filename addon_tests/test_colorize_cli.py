"""``neural-render colorize`` end to end on files, with the exit-code contract."""

import os

import numpy as np
import pytest

from colorize_fixtures import coloured_two_region_reference, tiny_checkpoint, two_region_grey
from neural_render.worker.colorize import lab
from neural_render.worker.imageio.files import read_image, write_image


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """This module's small convolutions run on one torch thread (see conftest)."""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("colorize-cli")
    grey = folder / "grey.png"
    write_image(str(grey), two_region_grey())
    reference = folder / "photo.png"
    write_image(str(reference), coloured_two_region_reference())
    return folder, grey, reference, tiny_checkpoint(folder / "tiny.pt")


def test_auto_reference_and_hints_write_colour_files(cli, files, tmp_path, capsys):
    _, grey, reference, weights = files
    out = tmp_path / "auto.exr"
    assert cli(["colorize", "--in", str(grey), "--out", str(out), "--weights", str(weights), "--temperature", "0.2"]) == 0
    image = read_image(str(out))
    source_l = lab.linear_rgb_to_lab(np.repeat(read_image(str(grey))[:, :, :1], 3, 2))[:, :, 0]
    assert image.shape == (64, 96, 3)
    assert np.abs(lab.linear_rgb_to_lab(image)[:, :, 0] - source_l).max() < 0.05, "EXR keeps the exact L*"
    assert "wrote" in capsys.readouterr().out

    out = tmp_path / "ref.png"
    assert cli(["colorize", "--in", str(grey), "--out", str(out), "--reference", str(reference)]) == 0
    ab = lab.linear_rgb_to_lab(read_image(str(out)))[:, :, 1:]
    assert np.median(np.hypot(ab[..., 0], ab[..., 1])) > 15

    hints = np.zeros((64, 96, 4), np.float32)
    hints[30:34, 10:20] = [0.1, 0.4, 0.05, 1.0]
    write_image(str(tmp_path / "hints.png"), hints)
    out = tmp_path / "hinted.png"
    for propagation in ("network", "levin"):
        assert cli(["colorize", "--in", str(grey), "--out", str(out), "--hints", str(tmp_path / "hints.png"),
                    "--propagation", propagation]) == 0
        left = lab.linear_rgb_to_lab(read_image(str(out))[:, :40])[:, :, 1]
        assert np.median(left) < -10, f"the green stroke fills its region ({propagation})"
        assert ("learned hint network" in capsys.readouterr().out) == (propagation == "network")


def _region_ab(path):
    ab = lab.linear_rgb_to_lab(read_image(str(path)))[:, :, 1:]
    width = ab.shape[1]
    return ab[:, 4:width // 2 - 4].reshape(-1, 2).mean(0), ab[:, width // 2 + 4:-4].reshape(-1, 2).mean(0)


def test_method_global_is_one_colour_transfer_deep_the_default(cli, files, tmp_path):
    _, grey, reference, _ = files
    deep, flat = tmp_path / "deep.png", tmp_path / "global.png"
    assert cli(["colorize", "--in", str(grey), "--out", str(deep), "--reference", str(reference)]) == 0
    assert cli(["colorize", "--in", str(grey), "--out", str(flat), "--reference", str(reference),
                "--method", "global"]) == 0
    left, right = _region_ab(deep)
    assert left[0] > 25 and right[1] < -20, f"the default (deep) colours region by region: {left}, {right}"
    left, right = _region_ab(flat)
    assert np.allclose(left, right, atol=1.0), "--method global is one colour everywhere"


def test_colour_input_is_reported(cli, files, tmp_path, capsys):
    _, _, reference, weights = files
    assert cli(["colorize", "--in", str(reference), "--out", str(tmp_path / "o.png"), "--weights", str(weights)]) == 0
    assert "already had colour" in capsys.readouterr().out


@pytest.mark.parametrize("make_args, message", [
    (lambda tmp, grey: ["--in", str(tmp / "missing.png"), "--out", str(tmp / "o.png")], "no such file"),
    (lambda tmp, grey: ["--in", str(grey), "--out", str(tmp / "o.png"), "--weights", str(tmp / "w.pth")],
     "no weights file"),
    (lambda tmp, grey: ["--in", str(grey), "--out", str(tmp / "o.png"), "--temperature", "3"], "--temperature"),
    (lambda tmp, grey: ["--in", str(grey), "--out", str(tmp / "o.png"), "--reference", str(grey)], "no colour"),
    (lambda tmp, grey: ["--in", str(tmp / "corrupt.png"), "--out", str(tmp / "o.png")], "corrupt"),
    (lambda tmp, grey: ["--in", str(grey), "--out", str(tmp / "o.png"), "--method", "global"],
     "--method needs --reference"),
    (lambda tmp, grey: ["--in", str(grey), "--out", str(tmp / "o.png"), "--hints", str(grey), "--temperature", "0.2"],
     "--temperature: only for the learned colorizer"),
    (lambda tmp, grey: ["--in", str(grey), "--out", str(tmp / "o.png"), "--propagation", "levin"],
     "--propagation needs --hints"),
])
def test_bad_input_exits_2_with_one_line_and_no_output(cli, files, tmp_path, capsys, make_args, message):
    _, grey, _, _ = files
    (tmp_path / "corrupt.png").write_bytes(b"\x89PNG broken")
    before = set(os.listdir(tmp_path))
    assert cli(["colorize"] + make_args(tmp_path, grey)) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("neural-render: error:") and message in error
    assert set(os.listdir(tmp_path)) == before, "no output file is written"
