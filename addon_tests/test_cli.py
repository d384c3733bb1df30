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


@pytest.fixture
def small_inputs(tmp_path):
    content = tmp_path / "render.exr"
    exr.write_exr(str(content), np.random.default_rng(0).random((32, 40, 3), dtype=np.float32))
    style = tmp_path / "style.png"
    files.write_image(str(style), np.random.default_rng(1).random((32, 32, 3), dtype=np.float32))
    return content, style


@pytest.mark.parametrize("make_args, words", [
    (lambda c, s, t: ["--size", "0", "--out", str(t / "o.exr")], "--size must be from 16"),
    (lambda c, s, t: ["--out", str(t / "o.webp")], "unsupported file type '.webp'"),
    (lambda c, s, t: ["--out", str(t / "missing" / "o.exr")], "folder does not exist"),
    (lambda c, s, t: ["--out", str(t)], "it is a folder"),
    (lambda c, s, t: ["--weights", str(t / "nonexistent.pth"), "--out", str(t / "o.exr")], "no VGG19 weights file"),
])
def test_bad_stylize_requests_are_refused_before_any_work(tmp_path, small_inputs, make_args, words):
    content, style = small_inputs
    before = sorted(os.listdir(tmp_path))
    done = neural_render("stylize", "--content", str(content), "--style", str(style), "--backbone", "vgg16",
                         *make_args(content, style, tmp_path))
    assert done.returncode == 2, done.stderr
    assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert sorted(os.listdir(tmp_path)) == before, "nothing written"


def test_a_folder_given_as_an_image_is_called_a_folder(tmp_path, small_inputs):
    _, style = small_inputs
    done = neural_render("stylize", "--content", str(tmp_path), "--style", str(style), "--out", str(tmp_path / "o.exr"))
    assert done.returncode == 2 and "is a folder" in done.stderr


def test_outputs_get_the_users_file_mode_and_stale_partials_are_removed(tmp_path):
    from neural_render.worker.imageio.atomic import PARTIAL_PREFIX
    source = tmp_path / "in.exr"
    exr.write_exr(str(source), np.ones((4, 4, 3), np.float32))
    stale = tmp_path / f"{PARTIAL_PREFIX}out-999999999-abcd.png"   # a killed writer's leftover
    stale.write_bytes(b"half")
    done = subprocess.run(["/bin/sh", "-c", f'umask 022; exec "{sys.executable}" "{CLI}" convert "{source}" '
                           f'"{tmp_path / "out.png"}"'], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert os.stat(tmp_path / "out.png").st_mode & 0o777 == 0o644
    assert not stale.exists()


def test_progress_on_a_non_terminal_is_complete_plain_lines(tmp_path, small_inputs):
    content, style = small_inputs
    done = neural_render("stylize", "--content", str(content), "--style", str(style), "--backbone", "vgg16",
                         "--preset", "fast", "--steps", "2", "--out", str(tmp_path / "o.exr"))
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("stylize:")]
    assert lines and "\r" not in done.stderr
    assert lines[-1].startswith("stylize: 100.0%") and len(lines[-1]) > 30, "the last line, complete"


def test_sigterm_stops_a_run_cleanly_and_leaves_no_file(tmp_path, small_inputs):
    import signal
    import time
    content, style = small_inputs
    out = tmp_path / "o.exr"
    process = subprocess.Popen([sys.executable, CLI, "stylize", "--content", str(content), "--style", str(style),
                                "--backbone", "vgg16", "--steps", "100000", "--out", str(out)],
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until the optimisation runs
        line = process.stderr.readline()
        if line.startswith("stylize:") or not line:
            break
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 130
    assert "cancelled" in process.stderr.read()
    assert not out.exists() and not [name for name in os.listdir(tmp_path) if name.startswith(".partial-")]


def test_library_warnings_go_to_the_log_not_to_stderr(tmp_path, monkeypatch):
    state = tmp_path / "state"
    script = ("import sys, warnings; sys.argv[0] = 'neural-render'; sys.path.insert(0, %r);"
              "from cli import main; import cli.convert as c;"
              "run = c.run; c.run = lambda args: (warnings.warn('library chatter'), run(args))[1];"
              "sys.exit(main.main(sys.argv[1:]))") % os.path.join(REPO_ROOT, "scripts")
    source = tmp_path / "in.exr"
    exr.write_exr(str(source), np.ones((4, 4, 3), np.float32))
    done = subprocess.run([sys.executable, "-c", script, "convert", str(source), str(tmp_path / "o.png")],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ, XDG_STATE_HOME=str(state)))
    assert done.returncode == 0, done.stderr
    assert "library chatter" not in done.stderr
    assert "library chatter" in (state / "neural_render" / "logs" / "cli.log").read_text()


def test_every_subcommand_help_gives_a_whole_description():
    from cli import main
    parsers = {action.dest: action for action in main.build_parser()._actions}["command"].choices
    for name, parser in parsers.items():
        assert parser.description and parser.description.rstrip().endswith((".", ")", "?")), name


def test_stylize_and_colorize_read_the_chosen_layer_of_a_multilayer_exr(tmp_path, small_inputs):
    import OpenEXR
    _, style = small_inputs
    path = tmp_path / "matcap.exr"
    rng = np.random.default_rng(4)
    channels = {f"{layer}.{c}": rng.random((32, 32), dtype=np.float32) for layer in ("diffuse", "specular")
                for c in "RGB"}
    with OpenEXR.File({"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}, channels) as out:
        out.write(str(path))
    refused = neural_render("colorize", "--in", str(path), "--out", str(tmp_path / "c.exr"))
    assert refused.returncode == 2 and "diffuse" in refused.stderr
    done = neural_render("colorize", "--in", str(path), "--layer", "diffuse", "--out", str(tmp_path / "c.exr"))
    assert done.returncode == 0, done.stderr
    done = neural_render("stylize", "--content", str(path), "--layer", "specular", "--style", str(style),
                         "--backbone", "vgg16", "--preset", "fast", "--steps", "2", "--out", str(tmp_path / "s.exr"))
    assert done.returncode == 0, done.stderr
    assert files.read_image(str(tmp_path / "s.exr")).shape[:2] == (32, 32)
