"""``neural-render relight-image`` and ``relight-image-sequence`` end to end on files, with the exit-code
contract (0 done, 2 bad input in one line with nothing written)."""

import os
import subprocess
import sys

import numpy as np
import pytest

import neural_render.worker.relight_image  # noqa: F401  (registers the job the reference runs in process)
from job_runner import run_job
from neural_render.worker.imageio.files import read_image, write_image

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(REPO_ROOT, "scripts", "neural-render")
HEIGHT, WIDTH = 48, 64


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """The in-process runs' small convolutions: one torch thread (see conftest)."""


def subject():
    """Top-first premultiplied RGBA: a disc shaded from the left on transparency, its edge soft over
    8 px (where straight and premultiplied colour differ)."""
    rows, columns = np.mgrid[0:HEIGHT, 0:WIDTH]
    distance = np.hypot(rows - HEIGHT / 2, columns - WIDTH / 2)
    shade = np.clip(0.15 + columns / WIDTH, 0.05, 1.0)
    image = np.zeros((HEIGHT, WIDTH, 4), np.float32)
    image[..., 0], image[..., 1], image[..., 2] = 0.8 * shade, 0.5 * shade, 0.3 * shade
    image[..., 3] = np.clip((HEIGHT * 0.45 - distance) / 8.0, 0.0, 1.0)
    image[..., :3] *= image[..., 3:]
    return image


@pytest.fixture(scope="module")
def files(tmp_path_factory, hdri_paths):
    folder = tmp_path_factory.mktemp("relight-image-cli")
    image = folder / "subject.exr"
    write_image(str(image), subject())
    world = next(path for path in hdri_paths if path.endswith("forest.exr"))
    return folder, str(image), world


def _only_file(folder):
    """Nothing but what the test put there: no partial or half-written file."""
    return sorted(name for name in os.listdir(folder))


def test_the_entry_point_writes_an_exr_of_the_image_s_size(files, tmp_path):
    _, image, world = files
    out = tmp_path / "relit.exr"
    done = subprocess.run([sys.executable, CLI, "relight-image", "--in", image, "--world", world, "--rotation", "37",
                           "--strength", "1.5", "--out", str(out), "--device", "cpu"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and f"wrote {out} ({WIDTH}x{HEIGHT})" in done.stdout
    relit = read_image(str(out))
    assert relit.shape == (HEIGHT, WIDTH, 4) and np.isfinite(relit).all() and relit[..., :3].min() >= 0
    source = subject()
    inside = source[..., 3] > 0.99
    assert 0.01 < relit[inside, :3].mean() < 100.0, "a lit subject, neither black nor blown out"
    np.testing.assert_array_equal(relit[..., 3], source[..., 3])   # background 'keep': the alpha kept
    assert _only_file(tmp_path) == ["relit.exr"]


def test_rotation_and_strength_change_the_result(cli, files, tmp_path):
    _, image, world = files
    results = {}
    for name, extra in (("plain", []), ("turned", ["--rotation", "150"]), ("double", ["--strength", "2"])):
        out = tmp_path / f"{name}.exr"
        assert cli(["relight-image", "--in", image, "--world", world, *extra, "--out", str(out)]) == 0
        results[name] = read_image(str(out))
    assert np.abs(results["turned"][..., :3] - results["plain"][..., :3]).max() > 1e-2
    # Relighting is linear in the world where the subject covers the pixel ('keep' blends in the input
    # along the soft edge).
    covered = subject()[..., 3] == 1.0
    np.testing.assert_allclose(results["double"][covered, :3], 2 * results["plain"][covered, :3], rtol=1e-3,
                               atol=1e-5)


def test_a_known_source_world_is_the_job_s_source_world(cli, files, tmp_path, hdri_paths):
    """--source-world/--source-rotation/--source-strength reach the job as its source_* parameters."""
    _, image, world = files
    other = next(path for path in hdri_paths if path != world)
    out = tmp_path / "known.exr"
    assert cli(["relight-image", "--in", image, "--world", world, "--source-world", other, "--source-rotation", "80",
                "--source-strength", "0.5", "--out", str(out)]) == 0
    params = {"world": world, "source_world": other, "source_rotation_deg": 80.0, "source_strength": 0.5}
    expected = run_job("relight_image.apply", params, {"image": subject()})["relit"]
    np.testing.assert_allclose(read_image(str(out)), expected, rtol=1e-3, atol=1e-5)
    estimated = run_job("relight_image.apply", {"world": world}, {"image": subject()})["relit"]
    assert np.abs(expected[..., :3] - estimated[..., :3]).max() > 1e-2


def test_a_png_s_straight_alpha_is_premultiplied_in_and_out(cli, files, tmp_path):
    """The same subject as a straight-alpha PNG relights as the premultiplied EXR does."""
    _, image, world = files
    source = subject()
    assert ((source[..., 3] > 0.05) & (source[..., 3] < 0.95)).sum() > 100, "a soft edge to tell them apart"
    straight = source.copy()
    straight[..., :3] = np.where(source[..., 3:] > 0, source[..., :3] / np.maximum(source[..., 3:], 1e-6), 0.0)
    png = tmp_path / "subject.png"
    write_image(str(png), straight, bits=16)
    decoded = read_image(str(png))
    as_exr = tmp_path / "decoded.exr"
    premultiplied = decoded.copy()
    premultiplied[..., :3] *= premultiplied[..., 3:]
    write_image(str(as_exr), premultiplied)
    assert cli(["relight-image", "--in", str(png), "--world", world, "--out", str(tmp_path / "from_png.exr")]) == 0
    assert cli(["relight-image", "--in", str(as_exr), "--world", world, "--out", str(tmp_path / "from_exr.exr")]) == 0
    np.testing.assert_allclose(read_image(str(tmp_path / "from_png.exr")), read_image(str(tmp_path / "from_exr.exr")),
                               rtol=1e-5, atol=1e-6)
    assert cli(["relight-image", "--in", str(as_exr), "--world", world, "--out", str(tmp_path / "out.png")]) == 0
    written = read_image(str(tmp_path / "out.png"))
    relit = read_image(str(tmp_path / "from_exr.exr"))
    inside = relit[..., 3] > 0.2
    # A PNG holds straight colour: un-premultiplied from the EXR's (up to its 8-bit encoding).
    expected = np.clip(relit[..., :3] / np.maximum(relit[..., 3:], 1e-6), 0, 1)
    assert np.abs(written[inside, :3] - expected[inside]).max() < 0.02
    np.testing.assert_allclose(written[..., 3], relit[..., 3], atol=1 / 255)


def test_a_matte_file_cuts_out_the_subject(cli, files, tmp_path):
    _, image, world = files
    matte = np.zeros((HEIGHT, WIDTH, 1), np.float32)
    matte[:, : WIDTH // 2] = 1.0
    write_image(str(tmp_path / "matte.png"), matte, data=True)
    out = tmp_path / "cut.exr"
    assert cli(["relight-image", "--in", image, "--matte", str(tmp_path / "matte.png"), "--world", world,
                "--background", "transparent", "--out", str(out)]) == 0
    np.testing.assert_array_equal(read_image(str(out))[..., 3], matte[..., 0])


@pytest.mark.parametrize("arguments,message", [
    (["--in", "{missing}", "--world", "{world}"], "no image at"),
    (["--in", "{folder}", "--world", "{world}"], "is a folder"),
    (["--in", "{image}"], "--world is required"),
    (["--in", "{image}", "--world", "{missing}"], "no world image at"),
    (["--in", "{image}", "--world", "{world}", "--source-world", "{missing}"], "no source world image at"),
    (["--in", "{tiny}", "--world", "{world}"], "too small to relight"),
    (["--in", "{image}", "--matte", "{tiny}", "--world", "{world}"], "must be the same size"),
    (["--in", "{image}", "--world", "{world}", "--network-side", "10"], "--network-side must be from 64 to 512"),
    (["--in", "{image}", "--world", "{world}", "--weights", "{missing}"], "no model file at"),
    (["--in", "{image}", "--world", "{world}", "--weights", "{image}"], "relighting model"),
    (["--in", "{image}", "--world", "{world}", "--out", "{tmp}/relit.bmp"], "unsupported file type"),
])
def test_bad_input_exits_2_in_one_line_and_writes_nothing(cli, files, tmp_path, capsys, arguments, message):
    folder, image, world = files
    tiny = tmp_path / "tiny.exr"
    write_image(str(tiny), np.ones((8, 8, 4), np.float32))
    values = dict(image=image, world=world, missing=tmp_path / "missing.exr", folder=folder, tiny=tiny, tmp=tmp_path)
    words = [word.format(**values) for word in arguments]
    if "--out" not in words:
        words += ["--out", str(tmp_path / "relit.exr")]
    assert cli(["relight-image", *words]) == 2
    error = capsys.readouterr().err
    last = error.strip().splitlines()[-1]  # (a job's refusal may follow its first progress line)
    assert last.startswith("neural-render: error:") and message in last and "Traceback" not in error, error
    assert _only_file(tmp_path) == ["tiny.exr"], "no output, no partial file"


def test_a_turntable_sequence_agrees_with_the_still_and_skips_finished_frames(cli, files, tmp_path, capsys):
    _, image, world = files
    pattern = str(tmp_path / "turn" / "f_####.exr")
    command = ["relight-image-sequence", "--in", image, "--world", world, "--turntable", "4", "--range", "1-2",
               "--out", pattern]
    assert cli(command) == 0
    assert sorted(os.listdir(tmp_path / "turn")) == ["f_0001.exr", "f_0002.exr"]
    assert cli(["relight-image", "--in", image, "--world", world, "--rotation", "90",
                "--out", str(tmp_path / "still.exr")]) == 0
    # Frame 1 of a four-frame turn is the world turned by 90 degrees.
    np.testing.assert_allclose(read_image(str(tmp_path / "turn" / "f_0001.exr")), read_image(str(tmp_path / "still.exr")),
                               rtol=1e-3, atol=1e-4)
    capsys.readouterr()
    assert cli(command) == 0
    assert "nothing to do" in capsys.readouterr().out, "a re-queued task redoes nothing"
