"""``neural-render gan-train`` / ``gan-generate`` end to end on files, with the exit-code contract."""

import os

import numpy as np
import pytest

from gan_fixtures import brick_texture, write_folder
from fixtures import texture_metrics as metrics
from neural_render.worker.gan import checkpoint
from neural_render.worker.imageio.files import read_image, write_image


@pytest.fixture
def exemplar_png(tmp_path):
    path = tmp_path / "bricks.png"
    write_image(str(path), brick_texture(96, 96))
    return path


def test_train_then_generate_tileable_exr(cli, exemplar_png, tmp_path, capsys):
    model = tmp_path / "bricks.nrgan"
    assert cli(["gan-train", "--exemplar", str(exemplar_png), "--out", str(model), "--steps", "2",
                "--crop-size", "32", "--batch-size", "2", "--periodic-channels", "2"]) == 0
    assert checkpoint.load(model)["model_config"]["periodic_channels"] == 2
    out = tmp_path / "tex.exr"
    assert cli(["gan-generate", "--model", str(model), "--size", "96", "64", "--seed", "3",
                "--out", str(out)]) == 0
    image = read_image(str(out))
    assert image.shape[:2] == (64, 96)
    assert metrics.seam_ratio(image[:, :, :3]) < 1.5, "tileable is the default, as in the worker and Blender"
    assert "wrote 1 file(s) of 96x64" in capsys.readouterr().out
    explicit, plain = tmp_path / "explicit.exr", tmp_path / "plain.exr"
    for flag, path in (("--tileable", explicit), ("--no-tileable", plain)):
        assert cli(["gan-generate", "--model", str(model), "--size", "96", "64", "--seed", "3", flag,
                    "--out", str(path)]) == 0
    assert np.array_equal(read_image(str(explicit)), image)
    assert not np.array_equal(read_image(str(plain)), image), "--no-tileable reaches the sampler"

    assert cli(["gan-generate", "--model", str(model), "--size", "32", "32", "--count", "2",
                "--out", str(tmp_path / "v.png")]) == 0
    assert sorted(name for name in os.listdir(tmp_path) if name.startswith("v_")) == ["v_000.png", "v_001.png"]
    first = read_image(str(tmp_path / "v_000.png"))
    again = tmp_path / "again.png"
    assert cli(["gan-generate", "--model", str(model), "--size", "32", "32", "--out", str(again)]) == 0
    assert np.array_equal(read_image(str(again)), first), "seeds are reproducible"
    varied = tmp_path / "varied.png"
    assert cli(["gan-generate", "--model", str(model), "--size", "32", "32", "--variation", "1",
                "--out", str(varied)]) == 0
    assert not np.array_equal(read_image(str(varied)), first), "--variation reaches the sampler"


def test_walk_writes_numbered_frames_as_it_goes(cli, exemplar_png, tmp_path, capsys):
    model = tmp_path / "bricks.nrgan"
    assert cli(["gan-train", "--exemplar", str(exemplar_png), "--out", str(model), "--steps", "1",
                "--crop-size", "32", "--batch-size", "2"]) == 0
    out = tmp_path / "frames" / "walk.png"
    out.parent.mkdir()
    assert cli(["gan-generate", "--model", str(model), "--size", "32", "32", "--count", "2", "--walk", "3",
                "--out", str(out)]) == 0
    assert sorted(os.listdir(out.parent)) == [f"walk_{index:03d}.png" for index in range(6)]
    assert all(read_image(str(out.parent / name)).shape[:2] == (32, 32) for name in os.listdir(out.parent))
    assert "latent walk's frames of 32x32" in capsys.readouterr().out
    assert cli(["gan-generate", "--model", str(model), "--walk", "3", "--out", str(out)]) == 2
    assert "--walk needs --count 2" in capsys.readouterr().err


def test_resume_and_folder_training(cli, exemplar_png, tmp_path):
    model = tmp_path / "m.nrgan"
    args = ["gan-train", "--exemplar", str(exemplar_png), "--out", str(model), "--steps", "1",
            "--crop-size", "32", "--batch-size", "2"]
    assert cli(args) == 0
    assert cli(args + ["--resume"]) == 0
    folder = write_folder(tmp_path / "textures", count=4, size=40)
    assert cli(["gan-train", "--folder", str(folder), "--out", str(tmp_path / "f.nrgan"), "--steps", "1",
                "--image-size", "32", "--batch-size", "2"]) == 0
    assert cli(["gan-generate", "--model", str(tmp_path / "f.nrgan"), "--out", str(tmp_path / "f.png")]) == 0
    assert read_image(str(tmp_path / "f.png")).shape[:2] == (32, 32)


@pytest.mark.parametrize("make_args, message", [
    (lambda tmp, ex: ["gan-train", "--exemplar", str(ex), "--out", str(tmp / "m.nrgan"), "--steps", "1",
                      "--crop-size", "128"], "training crops are 128 px"),
    (lambda tmp, ex: ["gan-train", "--exemplar", str(ex), "--out", str(tmp / "m.nrgan"), "--steps", "1",
                      "--periodic-channels", "-1"], "--periodic-channels must be from 0 to 8"),
    (lambda tmp, ex: ["gan-train", "--folder", str(tmp / "nope"), "--out", str(tmp / "m.nrgan")], "no folder"),
    (lambda tmp, ex: ["gan-train", "--exemplar", str(tmp / "missing.png"), "--out", str(tmp / "m.nrgan")],
     "no such file"),
    (lambda tmp, ex: ["gan-generate", "--model", str(ex), "--out", str(tmp / "o.png")],
     "is not a model of this product"),
    (lambda tmp, ex: ["gan-generate", "--model", str(tmp / "none.nrgan"), "--out", str(tmp / "o.png")],
     "no model file"),
    (lambda tmp, ex: ["gan-generate", "--model", str(tmp / "m.nrgan"), "--variation", "1.5",
                      "--out", str(tmp / "o.png")], "--variation must be from 0 to 1"),
])
def test_bad_input_exits_2_with_one_line_and_no_output(cli, exemplar_png, tmp_path, capsys, make_args, message):
    before = set(os.listdir(tmp_path))
    assert cli(make_args(tmp_path, exemplar_png)) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("neural-render: error:") and message in error and "\n" not in error
    assert set(os.listdir(tmp_path)) == before, "no output file is written"
