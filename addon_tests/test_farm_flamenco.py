"""The shipped Flamenco job types, compiled by Node.js against a recorder of Flamenco's authoring API
(flamenco_recorder.js): the tasks, their exec commands and dependencies -- and the authored commands
run for real on the test shot, chunk by chunk, against one process over the whole range.

Node.js is needed (Debian's ``nodejs``); .ci/run installs it and sets NEURAL_RENDER_REQUIRE_NODE so
that a missing node fails there instead of skipping.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from neural_render.protocol.farm import bundles, flamenco, job_types

from farm_fixtures import CLI, FRAMES, boundary_and_interior_flicker, run_cli, same_files, shot  # noqa: F401

RECORDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "flamenco_recorder.js")
NODE = shutil.which("node") or shutil.which("nodejs")

if NODE is None:
    if os.environ.get("NEURAL_RENDER_REQUIRE_NODE"):
        raise RuntimeError("Node.js is required for the Flamenco job type tests (apt-get install nodejs)")
    pytest.skip("Node.js is not installed (apt-get install nodejs)", allow_module_level=True)


def script_of(name):
    return os.path.join(bundles.TEMPLATES_DIR, "flamenco", bundles.flamenco_script_name(job_types.find(name)))


def compile_job(name, settings):
    """What compileJob authored for ``settings`` (the job type's defaults filled in, as Flamenco does)."""
    defaults = {entry["key"]: entry["default"] for entry in flamenco.job_type(job_types.find(name))["settings"]
                if "default" in entry}
    done = subprocess.run([NODE, RECORDER, script_of(name), json.dumps(dict(defaults, **settings))],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def run_authored(tasks):
    """Run each task's exec commands as a Flamenco worker would, in the order authored."""
    for task in tasks:
        for command in task["commands"]:
            assert command["type"] == "exec"
            parameters = command["parameters"]
            done = subprocess.run([parameters["exe"], *parameters["args"]], capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, done.stderr[-2000:]


BASE = {"python": sys.executable, "neural_render_cli": CLI}


def test_stylize_chunks_cover_the_range_once_with_the_warmup_overlap():
    authored = compile_job("stylize", dict(BASE, frames="/shots/sh010", style="/styles/oil.png", preset="instant",
                                           frame_start=101, frame_end=130, chunk_size=12, warmup=8,
                                           output_dir="/out/sh010/", output_name="sty_####.exr"))
    assert authored["jobType"]["label"] == "Neural Render: Stylize Sequence"
    tasks = authored["tasks"]
    assert [task["name"] for task in tasks] == ["stylize-sequence 101-112", "stylize-sequence 113-124 (warm-up from 105)",
                                                "stylize-sequence 125-130 (warm-up from 117)"]
    assert all(task["type"] == "misc" and task["dependencies"] == [] for task in tasks), "chunks run in any order"
    for task, (first, last, warmup) in zip(tasks, [(101, 112, 0), (113, 124, 8), (125, 130, 8)]):
        (command,) = task["commands"]
        args = command["parameters"]["args"]
        assert command["type"] == "exec" and command["parameters"]["exe"] == sys.executable
        assert args[:2] == [CLI, "stylize-sequence"]
        assert args[args.index("--range") + 1] == f"{first}-{last}"
        assert args[args.index("--warmup") + 1] == str(warmup)
        assert args[args.index("--shot-start") + 1] == "101"
        assert args[args.index("--out") + 1] == "/out/sh010/sty_####.exr"
        assert args[args.index("--preset") + 1] == "instant" and "--temporal" in args


def test_a_short_warmup_setting_and_a_switch_reach_the_commands():
    tasks = compile_job("stylize", dict(BASE, frames="/f", style="/s.png", frame_start=1, frame_end=10, chunk_size=3,
                                        warmup=2, temporal=False, output_dir="/o"))["tasks"]
    assert len(tasks) == 4
    warmups = [task["commands"][0]["parameters"]["args"] for task in tasks]
    assert [args[args.index("--warmup") + 1] for args in warmups] == ["0", "2", "2", "2"]
    assert all("--no-temporal" in args for args in warmups)


@pytest.mark.parametrize("name, subcommand, first", [("relight", "relight-sequence", 1),
                                                     ("relight_image", "relight-image-sequence", 1),
                                                     ("colorize", "colorize-sequence", 1),
                                                     ("gan_walk", "gan-generate", 0)])
def test_every_job_type_authors_one_exec_per_chunk(name, subcommand, first):
    inputs = {setting.key: f"/in/{setting.key}" for setting in job_types.find(name).inputs}
    tasks = compile_job(name, dict(BASE, **inputs, frame_start=first, frame_end=first + 49, chunk_size=20,
                                   output_dir="/out"))["tasks"]
    ranges = [task["commands"][0]["parameters"]["args"] for task in tasks]
    assert [args[args.index("--range") + 1] for args in ranges] == [
        f"{first}-{first + 19}", f"{first + 20}-{first + 39}", f"{first + 40}-{first + 49}"]
    for args in ranges:
        assert args[1] == subcommand and "--warmup" not in args
        for key, path in inputs.items():
            assert path in args


@pytest.mark.parametrize("settings, message", [
    ({"frame_start": 10, "frame_end": 5}, "the end must be"),
    ({"chunk_size": 0}, "chunk_size must be 1 or more"),
    ({"frames": ""}, "frames is missing"),
])
def test_a_bad_submission_is_refused_with_a_message(settings, message):
    good = dict(BASE, frames="/f", frame_start=1, frame_end=4, output_dir="/o")
    authored = compile_job("colorize", dict(good, **settings))
    assert message in authored.get("error", ""), authored


def test_the_authored_relight_commands_give_the_one_process_files(tmp_path, hdri_paths):
    from fixtures.analytic_light_set import write_lambertian_sphere_set
    light_set = write_lambertian_sphere_set(tmp_path / "set")
    animation = tmp_path / "world.json"
    animation.write_text(json.dumps([{"frame": 0, "rotation": 0}, {"frame": 9, "rotation": 270, "strength": 3}]))
    tasks = compile_job("relight", dict(BASE, light_set=str(light_set), world=hdri_paths[1],
                                        world_animation=str(animation), frame_start=0, frame_end=9, chunk_size=4,
                                        output_dir=str(tmp_path / "farm")))["tasks"]
    assert len(tasks) == 3
    run_authored(tasks)
    run_cli("relight-sequence", "--set", str(light_set), "--world", hdri_paths[1], "--animation", str(animation),
            "--out", str(tmp_path / "single" / "frame_####.exr"))
    same_files(tmp_path / "farm", tmp_path / "single", [f"frame_{number:04d}.exr" for number in range(10)])


def test_the_authored_stylize_commands_match_one_process_within_the_bound(shot, tmp_path):
    from fixtures.sample_styles import brush_painting
    from neural_render.worker.imageio.files import write_image
    from test_farm_templates import BOUNDARY_BOUND
    style = tmp_path / "style.png"
    write_image(str(style), brush_painting(128, 128, seed=1))
    tasks = compile_job("stylize", dict(BASE, frames=shot, style=str(style), preset="instant", frame_start=1,
                                        frame_end=FRAMES, chunk_size=4, warmup=4,
                                        output_dir=str(tmp_path / "farm")))["tasks"]
    assert [task["name"] for task in tasks] == ["stylize-sequence 1-4", "stylize-sequence 5-8 (warm-up from 1)",
                                                "stylize-sequence 9-12 (warm-up from 5)"]
    run_authored(reversed(tasks))  # any order: a chunk reads only the rendered frames
    run_cli("stylize-sequence", "--frames", shot, "--style", str(style), "--preset", "instant",
            "--out", str(tmp_path / "single" / "frame_####.exr"))
    # Chunk 5-8 warms up from the shot's first frame: it is the one process's; chunk 9-12 starts part-way.
    same_files(tmp_path / "farm", tmp_path / "single", [f"frame_{number:04d}.exr" for number in range(1, 9)])
    boundaries, interior = boundary_and_interior_flicker(str(tmp_path / "farm"), shot, [9])
    assert boundaries[0] <= BOUNDARY_BOUND * interior, (boundaries, interior)
