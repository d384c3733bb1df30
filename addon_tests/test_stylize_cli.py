"""``neural-render stylize`` end to end on files, with the exit-code contract."""

import numpy as np
import pytest

from fixtures.stylize_fixtures import brush_painting, display_to_linear, render_like_scene
from neural_render.worker.imageio.files import read_image, write_image


@pytest.fixture
def files(tmp_path):
    content = tmp_path / "render.exr"
    write_image(str(content), render_like_scene(32, 48))
    style = tmp_path / "style.png"
    write_image(str(style), display_to_linear(brush_painting(40, 40)))
    other = tmp_path / "style2.png"
    write_image(str(other), display_to_linear(brush_painting(40, 40, seed=3)))
    return content, style, other


def test_stylize_writes_an_exr_of_the_content_size(cli, files, tmp_path, capsys):
    content, style, other = files
    out = tmp_path / "out.exr"
    mask = tmp_path / "mask.png"
    half = np.zeros((32, 48, 1), np.float32)
    half[:, :24] = 1
    write_image(str(mask), half)
    assert cli(["stylize", "--content", str(content), "--style", str(style), "--style", str(other),
                "--style-weight", "0.6", "--style-weight", "0.4", "--preset", "fast", "--steps", "3",
                "--backbone", "vgg16", "--preserve-colors", "--mask", str(mask), "--out", str(out)]) == 0
    result = read_image(str(out))
    original = read_image(str(content))
    assert result.shape[:2] == (32, 48)
    assert np.array_equal(result[:, 30:, :3], original[:, 30:, :3]), "outside the mask: untouched"
    assert "wrote" in capsys.readouterr().out


def test_bad_input_exits_2_with_one_line(cli, files, tmp_path, capsys):
    content, style, _ = files
    out = tmp_path / "out.exr"
    assert cli(["stylize", "--content", str(content), "--style", str(tmp_path / "missing.png"),
                "--out", str(out)]) == 2
    assert "style image not found" in capsys.readouterr().err
    wrong = tmp_path / "wrong.png"
    write_image(str(wrong), np.ones((8, 8, 1), np.float32))
    assert cli(["stylize", "--content", str(content), "--style", str(style), "--mask", str(wrong),
                "--backbone", "vgg16", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "mask is 8x8 px but the image is 48x32 px" in err and err.count("\n") == 1
    assert not out.exists()


def test_layer_weights_and_init_image(cli, files, tmp_path):
    content, style, _ = files
    start = tmp_path / "start.exr"
    write_image(str(start), np.full((32, 48, 3), 0.25, np.float32))
    out = tmp_path / "out.exr"
    # One evaluation from a flat grey start: the result is still near that start, not near the content.
    assert cli(["stylize", "--content", str(content), "--style", str(style), "--init-image", str(start),
                "--steps", "1", "--preset", "fast", "--layer-weight", "relu1_1=1", "--layer-weight", "relu2_1=0.5",
                "--tv-weight", "0", "--backbone", "vgg16", "--no-keep-highlights", "--out", str(out)]) == 0
    result = read_image(str(out))[:, :, :3]
    original = read_image(str(content))[:, :, :3]
    assert np.abs(result - 0.25).mean() < 0.5 * np.abs(original.clip(0, 1) - 0.25).mean()
    assert cli(["stylize", "--content", str(content), "--style", str(style), "--layer-weight", "relu9_1=1",
                "--backbone", "vgg16", "--out", str(out)]) == 2
    assert cli(["stylize", "--content", str(content), "--style", str(style), "--layer-weight", "relu1_1",
                "--out", str(out)]) == 2


def test_the_instant_preset_from_the_command_line(cli, files, tmp_path, capsys):
    content, style, _ = files
    out = tmp_path / "instant.png"
    assert cli(["stylize", "--content", str(content), "--style", str(style), "--preset", "instant",
                "--size", "96", "--out", str(out)]) == 0
    result = read_image(str(out))
    assert result.shape[:2] == (64, 96) and result[:, :, :3].std() > 0.01
    assert "wrote" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:  # argparse's own refusal of an unknown choice
        cli(["stylize", "--content", str(content), "--style", str(style), "--preset", "instantly", "--out", str(out)])
    assert refused.value.code == 2 and "choose from 'instant'" in capsys.readouterr().err
