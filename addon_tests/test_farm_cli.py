"""The sequence subcommands as a farm task uses them: any frame range, idempotent (finished frames
skipped, a resumed run continuing bit-exactly), one-line refusals (exit 2) before any work, the device
from the flag or the node's environment, progress lines a farm log can read."""

import os
import subprocess
import sys

import pytest

from farm_fixtures import CLI, FRAMES, shot  # noqa: F401
from neural_render.worker.imageio.files import write_image


def _run(*args, env=None):
    merged = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, CLI, *args], capture_output=True, text=True, timeout=600, env=merged)


@pytest.fixture(scope="module")
def style(tmp_path_factory):
    from fixtures.sample_styles import brush_painting
    path = tmp_path_factory.mktemp("style") / "style.png"
    write_image(str(path), brush_painting(96, 96, seed=3))
    return str(path)


def _stamps(folder):
    return {name: os.stat(os.path.join(folder, name)).st_mtime_ns for name in sorted(os.listdir(folder))}


def test_stylize_sequence_resumes_exactly_and_skips_what_is_finished(shot, style, tmp_path):
    out = tmp_path / "out"
    pattern = str(out / "s_####.exr")
    done = _run("stylize-sequence", "--frames", shot, "--range", "1-5", "--style", style, "--preset", "instant",
                "--out", pattern)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("stylized 5 frame(s) of 1-5 -> " + pattern)
    progress = [line for line in done.stderr.splitlines() if line.startswith("stylize-sequence:")]
    assert progress and all("\r" not in line for line in progress), "plain lines for a farm log"
    first = {name: (out / name).read_bytes() for name in os.listdir(out)}
    before = _stamps(out)
    (out / "s_0003.exr").unlink()
    (out / "s_0005.exr").write_bytes(b"")  # writes are atomic, so an empty file is someone else's: not finished
    again = _run("stylize-sequence", "--frames", shot, "--range", "1-5", "--style", style, "--preset", "instant",
                 "--out", pattern)
    assert again.returncode == 0, again.stderr
    assert "stylized 2 frame(s) of 1-5" in again.stdout and "3 already finished" in again.stdout
    after = _stamps(out)
    assert {name: after[name] for name in ("s_0001.exr", "s_0002.exr", "s_0004.exr")} == \
        {name: before[name] for name in ("s_0001.exr", "s_0002.exr", "s_0004.exr")}, "finished frames untouched"
    assert {name: (out / name).read_bytes() for name in os.listdir(out)} == first, \
        "resumed frames are the uninterrupted run's, bit for bit (history read from the finished file)"


def test_a_chunk_warms_up_on_the_frames_before_it_but_never_before_the_shot_start(shot, style, tmp_path):
    base = ["stylize-sequence", "--frames", shot, "--style", style, "--preset", "instant", "--range", "6-7"]
    done = _run(*base, "--warmup", "3", "--out", str(tmp_path / "a" / "s_####.exr"))
    assert done.returncode == 0 and "after 3 warm-up frame(s)" in done.stderr
    done = _run(*base, "--warmup", "3", "--shot-start", "5", "--out", str(tmp_path / "b" / "s_####.exr"))
    assert done.returncode == 0 and "after 1 warm-up frame(s)" in done.stderr
    done = _run(*base, "--shot-start", "7", "--out", str(tmp_path / "c" / "s_####.exr"))
    assert done.returncode == 2 and "--shot-start 7 is after the range's first frame 6" in done.stderr


@pytest.mark.parametrize("extra, out_name, message", [
    (["--range", "9-2"], "c_####.exr", "--range: frame range '9-2'"),
    (["--range", "10-14"], "c_####.exr", "frame(s) 13, 14 of 10-14 missing (it has frames 1-12)"),
    (["--range", "x"], "c_####.exr", "--range"),
    ([], "c_####.txt", "unsupported file type '.txt'"),
    (["--device", "gpu"], "c_####.exr", "unknown device 'gpu'"),
])
def test_bad_input_is_one_line_and_exit_2_before_any_work(shot, tmp_path, extra, out_name, message):
    done = _run("colorize-sequence", "--frames", shot, *extra, "--out", str(tmp_path / "o" / out_name))
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "o").exists() or not os.listdir(tmp_path / "o")


def test_the_device_comes_from_the_flag_or_the_nodes_environment(shot, tmp_path):
    one = ["colorize-sequence", "--frames", shot, "--range", "2-2"]
    done = _run(*one, "--out", str(tmp_path / "a" / "c_####.exr"), env={"NEURAL_RENDER_DEVICE": "bogus"})
    assert done.returncode == 2 and "$NEURAL_RENDER_DEVICE: unknown device 'bogus'" in done.stderr
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the fallback note is for machines without it")
    done = _run(*one, "--device", "cuda:1", "--out", str(tmp_path / "b" / "c_####.exr"))
    assert done.returncode == 0 and "CUDA:1 is not available; using the CPU" in done.stderr
    done = _run(*one, "--out", str(tmp_path / "c" / "c_####.exr"), env={"NEURAL_RENDER_DEVICE": "cuda:0"})
    assert done.returncode == 0 and "CUDA:0 is not available; using the CPU" in done.stderr
    assert (tmp_path / "b" / "c_0002.exr").read_bytes() == (tmp_path / "c" / "c_0002.exr").read_bytes()


def test_relight_sequence_turntable_and_animation_agree_and_refuse_bad_files(tmp_path, hdri_paths):
    from fixtures.analytic_light_set import write_lambertian_sphere_set
    light_set = str(write_lambertian_sphere_set(tmp_path / "set"))
    base = ["relight-sequence", "--set", light_set, "--world", hdri_paths[2]]
    assert _run(*base, "--turntable", "4", "--out", str(tmp_path / "t" / "f_####.exr")).returncode == 0
    assert sorted(os.listdir(tmp_path / "t")) == [f"f_{n:04d}.exr" for n in range(4)], "a turn is frames 0 to N-1"
    # The same turn as an animation file (linear between keys): the same files.
    (tmp_path / "turn.csv").write_text("frame,rotation\n0,0\n4,360\n")
    done = _run(*base, "--animation", str(tmp_path / "turn.csv"), "--range", "0-3", "--out", str(tmp_path / "a" / "f_####.exr"))
    assert done.returncode == 0, done.stderr
    for n in range(4):
        assert (tmp_path / "t" / f"f_{n:04d}.exr").read_bytes() == (tmp_path / "a" / f"f_{n:04d}.exr").read_bytes()
    for text, message in (("frame,rotation\n1,0\n1,5\n", "listed twice"), ("frame\n1\n", "needs 'frame' and 'rotation'"),
                          ("frame,rotation,strength\n1,0,-2\n", "strength finite and 0 or more")):
        (tmp_path / "bad.csv").write_text(text)
        done = _run(*base, "--animation", str(tmp_path / "bad.csv"), "--out", str(tmp_path / "x" / "f_####.exr"))
        assert done.returncode == 2 and message in done.stderr, done.stderr


def test_relight_world_animation_interpolates_and_holds(monkeypatch):
    import types

    from cli import relight_sequence
    # The file reader is tested end to end above; here the keys go straight in.
    monkeypatch.setattr(relight_sequence, "read_animation", lambda path: [(1, 0.0, None), (5, 40.0, 2.0)])
    args = types.SimpleNamespace(turntable=None, animation="keys.csv", frame_range="0-7")
    first, last, worlds = relight_sequence.world_per_frame(args, 0.0, 1.0)
    assert (first, last) == (0, 7)
    assert [worlds[n][0] for n in range(8)] == [0.0, 0.0, 10.0, 20.0, 30.0, 40.0, 40.0, 40.0]
    assert worlds[3][1] == 2.0, "a strength given once holds for every frame"


def test_gan_generate_range_needs_a_walk(tmp_path):
    (tmp_path / "m.nrgan").write_bytes(b"x")
    done = _run("gan-generate", "--model", str(tmp_path / "m.nrgan"), "--range", "0-3", "--out", str(tmp_path / "w.exr"))
    assert done.returncode == 2 and "--range is for latent walks: give --walk too" in done.stderr


def test_single_layer_frames_with_their_vector_passes_beside_them_give_the_multilayer_result(shot, style, tmp_path):
    """The Combined and Vector passes as separate single-layer sequences (--vectors) are the same shot."""
    from neural_render.worker.imageio.files import read_image
    (tmp_path / "beauty").mkdir()
    (tmp_path / "vectors").mkdir()
    for number in range(1, 4):
        source = os.path.join(shot, f"frame_{number:04d}.exr")
        write_image(str(tmp_path / "beauty" / f"b_{number:04d}.exr"), read_image(source))
        write_image(str(tmp_path / "vectors" / f"v_{number:04d}.exr"), read_image(source, layer="Vector"))
    common = ["--style", style, "--preset", "instant", "--range", "1-3"]
    done = _run("stylize-sequence", "--frames", shot, *common, "--out", str(tmp_path / "multi" / "s_####.exr"))
    assert done.returncode == 0, done.stderr
    done = _run("stylize-sequence", "--frames", str(tmp_path / "beauty" / "b_####.exr"), "--vectors",
                str(tmp_path / "vectors"), *common, "--out", str(tmp_path / "single" / "s_####.exr"))
    assert done.returncode == 0, done.stderr
    for number in range(1, 4):
        name = f"s_{number:04d}.exr"
        assert (tmp_path / "multi" / name).read_bytes() == (tmp_path / "single" / name).read_bytes()
