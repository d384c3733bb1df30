"""``neural-render material-maps`` and ``normal-to-height`` end to end on files, with the exit-code
contract (0 done, 2 bad input with nothing written)."""

import numpy as np
import pytest
from PIL import Image

from material_fixtures import bumpy_height, normals_of, photo_of, random_model
from neural_render.worker.imageio.files import read_image, write_image
from neural_render.worker.material import height as heights
from neural_render.worker.material import normals as normal_maps


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """This module's small convolutions run on one torch thread (see conftest)."""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("material-cli")
    photo = folder / "photo.png"
    Image.fromarray((photo_of(bumpy_height(64, 96, seed=1)) * 255).astype(np.uint8)).save(photo)
    surface = bumpy_height(64, 96, seed=2) * 3
    normal = folder / "normal.png"
    write_image(str(normal), normal_maps.encode(normals_of(surface)), bits=16, data=True)
    return folder, photo, normal, surface, random_model(folder / "random.pt")


def test_material_maps_writes_normals_as_data_and_heights(cli, files, tmp_path, capsys):
    _, photo, _, _, model = files
    normal_png, normal_exr, height = tmp_path / "n.png", tmp_path / "n.exr", tmp_path / "h.exr"
    assert cli(["material-maps", "--in", str(photo), "--out-normal", str(normal_png), "--out-height", str(height),
                "--weights", model, "--tileable"]) == 0
    assert "wrote" in capsys.readouterr().out
    assert cli(["material-maps", "--in", str(photo), "--out-normal", str(normal_exr), "--weights", model,
                "--tileable"]) == 0
    with Image.open(normal_png) as opened:
        assert opened.mode == "RGB" and opened.size == (96, 64)
        raw = np.frombuffer(opened.tobytes(), np.uint8)   # Pillow reads 16-bit colour PNGs as 8 bit
    exr = read_image(str(normal_exr))
    assert exr.shape == (64, 96, 3) and np.abs(np.linalg.norm(exr * 2 - 1, axis=-1) - 1).max() < 0.01
    # The PNG holds the encoding itself (data), not an sRGB-encoded colour of it.
    assert np.abs(raw.reshape(64, 96, 3) / 255.0 - exr).max() < 0.01
    h = read_image(str(height))
    assert h.shape == (64, 96, 1) and 0 <= h.min() and h.max() <= 1


def test_normal_to_height_integrates_a_16_bit_map(cli, files, tmp_path):
    _, _, normal, surface, _ = files
    out = tmp_path / "height.exr"
    assert cli(["normal-to-height", "--in", str(normal), "--out", str(out)]) == 0
    assert heights.affine_fit_error(read_image(str(out))[..., 0], surface) < 0.1


@pytest.mark.parametrize("arguments,message", [
    (["material-maps", "--in", "{photo}"], "nothing to write"),
    (["material-maps", "--in", "{missing}", "--out-normal", "{out}"], "no such file"),
    (["material-maps", "--in", "{normal}", "--out-normal", "{out}", "--weights", "{model}"], "looks like a normal map"),
    (["material-maps", "--in", "{photo}", "--out-normal", "{out}", "--weights", "{missing}"], "no model file"),
    (["material-maps", "--in", "{photo}", "--out-normal", "{folder}/x.bmp", "--weights", "{model}"], "unsupported file type"),
    (["normal-to-height", "--in", "{photo}", "--out", "{out}"], "does not look like a tangent-space normal map"),
])
def test_bad_input_is_one_line_and_writes_nothing(cli, files, tmp_path, capsys, arguments, message):
    folder, photo, normal, _, model = files
    values = dict(photo=photo, normal=normal, model=model, missing=tmp_path / "missing.png",
                  out=tmp_path / "out.png", folder=tmp_path)
    assert cli([argument.format(**values) for argument in arguments]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("neural-render: error:") and message in error
    assert not (tmp_path / "out.png").exists()
