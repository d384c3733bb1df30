"""The command line's contract over malformed and odd inputs (fixtures/malformed_inputs.py): every
image-taking subcommand either refuses (exit 2, one line, no output written) or, for odd but valid
input, succeeds — never a traceback, an internal error (exit 1), or a hang past the bound.

The fast suite runs a representative dozen; ``-m slow`` runs a few hundred generated cases."""

import os
import subprocess
import sys

import numpy as np
import pytest

from fixtures import malformed_inputs as malformed
from neural_render.worker.imageio import exr

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(REPO_ROOT, "scripts", "neural-render")
TIME_BOUND = 240


@pytest.fixture(scope="module")
def valid(tmp_path_factory):
    folder = tmp_path_factory.mktemp("valid")
    rng = np.random.default_rng(0)
    from PIL import Image
    png = str(folder / "valid.png")
    Image.fromarray((rng.random((24, 32, 3)) * 255).astype(np.uint8)).save(png)
    world = str(folder / "world.exr")
    exr.write_exr(world, np.full((8, 16, 3), 0.5, np.float32))
    return {"png": png, "world": world}


def commands(case_path, valid, out):
    """The subcommands that take an image, with the case in each image slot (quick settings)."""
    quick_stylize = ["--size", "32", "--steps", "2", "--preset", "fast", "--device", "cpu"]
    return {
        "convert": ["convert", case_path, out + ".exr"],
        "colorize --in": ["colorize", "--in", case_path, "--out", out + ".png", "--device", "cpu"],
        "colorize --hints": ["colorize", "--in", valid["png"], "--hints", case_path, "--out", out + ".png",
                             "--device", "cpu"],
        "colorize --reference": ["colorize", "--in", valid["png"], "--reference", case_path, "--out", out + ".png",
                                 "--device", "cpu"],
        "stylize --content": ["stylize", "--content", case_path, "--style", valid["png"], "--out", out + ".png",
                              *quick_stylize],
        "stylize --style": ["stylize", "--content", valid["png"], "--style", case_path, "--out", out + ".png",
                            *quick_stylize],
        "gan-train --exemplar": ["gan-train", "--exemplar", case_path, "--out", out + ".pt", "--steps", "1",
                                 "--device", "cpu"],
        "material-maps --in": ["material-maps", "--in", case_path, "--out-normal", out + ".png", "--device", "cpu"],
        "normal-to-height --in": ["normal-to-height", "--in", case_path, "--out", out + ".exr", "--device", "cpu"],
    }


def check_contract(argv, expect, out_folder):
    done = subprocess.run([sys.executable, CLI, *argv], capture_output=True, text=True, timeout=TIME_BOUND)
    where = f"{' '.join(argv)}\n{done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr, where
    assert done.returncode in ((2,) if expect == malformed.REFUSE else (0, 2)), where
    if done.returncode == 2:
        errors = [line for line in done.stderr.splitlines() if "error:" in line]
        assert len(errors) == 1 and errors[0].startswith("neural-render: error:"), where
        assert os.listdir(out_folder) == [], where      # nothing written, not even a partial file


FAST_CASES = (
    ("empty.png", "convert"), ("truncated_8.exr", "colorize --in"), ("text.tif", "stylize --content"),
    ("huge_declared.png", "colorize --hints"), ("folder.png", "stylize --style"),
    ("broken_link.png", "gan-train --exemplar"), ("empty.jpg", "colorize --reference"),
    ("palette.png", "convert"), ("grey16.png", "convert"), ("one_by_n.png", "convert"),
    ("nan_inf.exr", "convert"), ("png_named.exr", "convert"), ("zero_width.png", "colorize --in"),
    ("truncated_8.exr", "material-maps --in"), ("nan_inf.exr", "normal-to-height --in"),
    ("one_by_n.png", "material-maps --in"),
)


@pytest.fixture(scope="module")
def fast_cases(tmp_path_factory):
    cases = malformed.image_cases(str(tmp_path_factory.mktemp("malformed")), np.random.default_rng(1), scale=1)
    return {case.name: case for case in cases}


@pytest.mark.parametrize("name, command", FAST_CASES)
def test_a_representative_dozen_keep_the_contract(fast_cases, valid, tmp_path, name, command):
    case = fast_cases[name]
    out_folder = tmp_path / "out"
    out_folder.mkdir()
    check_contract(commands(case.path, valid, str(out_folder / "result"))[command], case.expect, str(out_folder))


@pytest.mark.parametrize("name", ["missing_column", "escapes_the_folder", "zero_direction"])
def test_broken_light_stage_sets_are_refused(valid, tmp_path, name):
    cases = {case.name: case for case in malformed.light_set_cases(str(tmp_path / "sets"), np.random.default_rng(2))}
    out_folder = tmp_path / "out"
    out_folder.mkdir()
    check_contract(["relight", "--set", cases[f"set_{name}"].path, "--world", valid["world"], "--out",
                    str(out_folder / "relit.exr"), "--device", "cpu"], malformed.REFUSE, str(out_folder))


@pytest.mark.slow
def test_a_few_hundred_generated_inputs_keep_the_contract(valid, tmp_path):
    """Each generated image case through convert and two other subcommands (chosen by a fixed seed),
    each broken light-stage set through relight."""
    rng = np.random.default_rng(3)
    cases = malformed.image_cases(str(tmp_path / "cases"), rng, scale=6)
    names = list(commands("x", valid, "y"))
    runs = 0
    for index, case in enumerate(cases):
        chosen = ["convert"] + list(rng.choice(names[1:], 2, replace=False))
        for command in chosen:
            out_folder = tmp_path / f"out_{index}_{command.replace(' ', '_').replace('-', '')}"
            out_folder.mkdir()
            check_contract(commands(case.path, valid, str(out_folder / "result"))[command], case.expect,
                           str(out_folder))
            runs += 1
    for case in malformed.light_set_cases(str(tmp_path / "sets"), rng):
        out_folder = tmp_path / f"out_{case.name}"
        out_folder.mkdir()
        check_contract(["relight", "--set", case.path, "--world", valid["world"], "--out",
                        str(out_folder / "relit.exr"), "--device", "cpu"], case.expect, str(out_folder))
        runs += 1
    assert runs >= 300, runs
