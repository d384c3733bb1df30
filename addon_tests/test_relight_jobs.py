"""The relight.apply job in this process and through the real worker process, and the CLI subcommands
end to end."""

import math
import os
import sys
import threading

import numpy as np
import pytest
import torch

from neural_render.blender.worker_client import WorkerClient, WorkerConfig, WorkerError
from neural_render.protocol import messages, sphere
from neural_render.worker import jobs
from neural_render.worker.imageio.files import read_image, write_image
from neural_render.worker.relight import engine, light_sets, weights
from neural_render.worker.relight import job as relight_job


def _sky(height=32, width=64):
    """A smooth sky with a bright patch: rotation and mirroring change the result."""
    d = sphere.texel_directions(width, height)
    sun = np.exp(20 * (d @ sphere.normalize([0.6, 0.3, 0.5]) - 1))[..., None]
    return (0.2 + 0.1 * (d[..., 2:3] > 0) + 5 * sun * np.array([1.0, 0.9, 0.7])).astype(np.float32)


@pytest.fixture(scope="module")
def light_set_dir(tmp_path_factory):
    """A 8x4 set of a Lambertian sphere rendered analytically (normal . light direction)."""
    from fixtures.analytic_light_set import write_lambertian_sphere_set
    return write_lambertian_sphere_set(tmp_path_factory.mktemp("set"))


def _expected(folder, sky, rotation_deg, strength):
    light_set = light_sets.load_light_set(folder)
    environment = weights.Environment(sky, strength=strength, mapping=weights.z_rotation(rotation_deg))
    return engine.relight(engine.load_set(light_set, "cpu"), weights.light_weights(environment, light_set.directions))[0]


# -- the job in this process ----------------------------------------------------------------------
class _Run:
    """Runs relight.apply as the worker would (a JobContext with its model cache), recording progress."""

    def __init__(self):
        self.models = jobs.ModelCache()
        self.reports = []
        self.cancel = threading.Event()
        self.cancel_when = None

    def __call__(self, params, inputs=None):
        def report(fraction, message):
            self.reports.append((fraction, message))
            if self.cancel_when is not None and self.cancel_when(message):
                self.cancel.set()
        context = jobs.JobContext("test", torch.device("cpu"), self.cancel, report, self.models)
        return relight_job.apply(context, params, inputs or {})


TURN = [{"rotation": [0, 0, math.radians(angle)]} for angle in (0, 37, 90)]


def test_frames_with_an_output_pattern_are_written_and_only_the_last_comes_back(light_set_dir, tmp_path, monkeypatch):
    sky = _sky()
    run = _Run()
    base = {"set": str(light_set_dir), "frames": TURN}
    returned = run(base, {"environment": sky})
    assert sorted(returned) == ["frame_0000", "frame_0001", "frame_0002"], "without a pattern: every frame"
    pattern = str(tmp_path / "out" / "relit_####.exr")
    outputs = run(dict(base, output_pattern=pattern, frame_numbers=[5, 6, 7]), {"environment": sky})
    assert sorted(outputs) == ["last"]
    assert sorted(os.listdir(tmp_path / "out")) == ["relit_0005.exr", "relit_0006.exr", "relit_0007.exr"]
    for index, number in enumerate((5, 6, 7)):
        assert np.array_equal(read_image(str(tmp_path / "out" / f"relit_{number:04d}.exr")),
                              returned[f"frame_{index:04d}"])
    assert np.array_equal(outputs["last"], returned["frame_0002"])
    assert run.reports[-1][0] == 1.0
    # Frames relit one at a time (a batch budget below one frame) are the same frames; numbers default to 0...
    monkeypatch.setattr(relight_job, "FRAME_BATCH_BYTES", 1)
    run(dict(base, output_pattern=str(tmp_path / "one" / "f_##.png")), {"environment": sky})
    assert sorted(os.listdir(tmp_path / "one")) == ["f_00.png", "f_01.png", "f_02.png"]
    assert np.allclose(read_image(str(tmp_path / "one" / "f_01.png"))[..., :3],
                       np.clip(returned["frame_0001"][..., :3], 0, 1), atol=0.01)


@pytest.mark.parametrize("variant", [{"memory_limit_mb": 0.01}, {"rank": 4}], ids=["streamed", "low_rank"])
def test_streamed_and_preview_frames_go_to_files_too(light_set_dir, tmp_path, variant):
    sky = _sky()
    run = _Run()
    base = dict({"set": str(light_set_dir), "frames": TURN}, **variant)
    returned = run(base, {"environment": sky})
    run(dict(base, output_pattern=str(tmp_path / "relit_####.exr")), {"environment": sky})
    for index in range(3):
        assert np.array_equal(read_image(str(tmp_path / f"relit_{index:04d}.exr")), returned[f"frame_{index:04d}"])


def test_frames_written_before_a_cancel_are_kept(light_set_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(relight_job, "FRAME_BATCH_BYTES", 1)  # one frame per batch
    monkeypatch.setattr(jobs.JobContext, "PROGRESS_INTERVAL", 0.0)  # every message reaches the test
    run = _Run()
    run.cancel_when = lambda message: message.startswith("relit and wrote 1 ")
    with pytest.raises(jobs.JobCancelled):
        run({"set": str(light_set_dir), "frames": TURN, "output_pattern": str(tmp_path / "relit_####.exr")},
            {"environment": _sky()})
    assert sorted(os.listdir(tmp_path)) == ["relit_0000.exr"], "the finished frame stays, nothing half-written"


@pytest.mark.parametrize("params, words", [
    ({"output_pattern": "OUT/relit_####.exr"}, "output_pattern is for animations: give frames"),
    ({"frames": TURN, "frame_numbers": [1, 2, 3]}, "frame_numbers name the files of output_pattern"),
    ({"frames": TURN, "output_pattern": "OUT/relit_####.exr", "frame_numbers": [1]},
     "frame_numbers needs one number per frame (3), got 1"),
    ({"frames": TURN, "output_pattern": "OUT/relit_####.raw"}, "unsupported image type '.raw'"),
    ({"rank": 33}, "rank must be a whole number from 1 to 32 (the set's lights), got 33"),
    ({"rank": 4, "memory_limit_mb": 0.01, "frames": TURN, "output_pattern": "OUT/relit_####.exr"},
     "a low-rank preview needs it in memory"),
    ({"frames": [{"strength": -1}]}, "frames[0].strength must be from 0 to 1e+09"),
    ({"frames": [{"spin": 1}]}, "frames[0] must be {'rotation'"),
    ({"colour": [1, 1]}, "colour must be three finite numbers"),
    ({"storage": "float8"}, "storage must be one of float32, float16"),
])
def test_bad_requests_are_refused_before_any_work(light_set_dir, tmp_path, params, words):
    params = {name: value.replace("OUT", str(tmp_path / "out")) if isinstance(value, str) else value
              for name, value in params.items()}
    run = _Run()
    with pytest.raises(jobs.JobInputError) as caught:
        run(dict({"set": str(light_set_dir), "colour": [1.0, 1.0, 1.0]}, **params))
    assert words in str(caught.value)
    assert not (tmp_path / "out").exists() or not os.listdir(tmp_path / "out")
    assert len(run.models) == 0, "refused before the set was read"


def test_the_set_stays_warm_and_a_replaced_light_reloads(light_set_dir, tmp_path):
    import shutil
    folder = tmp_path / "set"
    shutil.copytree(light_set_dir, folder)
    run = _Run()
    params = {"set": str(folder), "colour": [1.0, 1.0, 1.0]}
    first = run(params)["relit"]
    resident = next(iter(run.models._entries.values()))
    run.reports.clear()
    assert np.array_equal(run(params)["relit"], first)
    assert len(run.models) == 1 and next(iter(run.models._entries.values())) is resident
    assert not any(message.startswith("read ") for _, message in run.reports), "no file read again"
    image = read_image(str(folder / "light_000.exr"))
    image[..., :3] += 1.0
    write_image(str(folder / "light_000.exr"), image)
    os.utime(folder / "light_000.exr", ns=(1, 1))  # a new stamp even on a coarse clock
    changed = run(params)["relit"]
    assert len(run.models) == 1 and next(iter(run.models._entries.values())) is not resident
    assert not np.allclose(changed, first)


# -- the job through the worker process -----------------------------------------------------------
@pytest.fixture(scope="module")
def client(tmp_path_factory):
    worker = WorkerClient(WorkerConfig(log_path=str(tmp_path_factory.mktemp("worker") / "worker.log")))
    worker.wait_ready()
    yield worker
    worker.shutdown()


def test_relight_job_in_the_worker_matches_the_core(client, light_set_dir):
    sky = _sky()
    params = {"set": str(light_set_dir), "strength": 2.0, "mapping": {"rotation": [0, 0, math.radians(37)]}}
    result = client.run("relight.apply", params, {"environment": sky}, timeout=60)["relit"]
    expected = _expected(light_set_dir, sky, 37, 2.0)
    assert np.allclose(result, expected, rtol=1e-5, atol=1e-6)
    assert result[..., :3].max() > 0.05 and result[0, 0, 3] == 0.0 and result[12, 12, 3] == 1.0
    # A turned world lights the sphere differently: the job must not ignore the mapping.
    turned = client.run("relight.apply", dict(params, rotation_deg=127.0), {"environment": sky}, timeout=60)["relit"]
    assert np.abs(turned - result).max() > 0.01


def test_animation_frames_in_one_job_and_streaming_and_preview(client, light_set_dir, tmp_path):
    sky = _sky()
    frames = [{"rotation": [0, 0, math.radians(angle)]} for angle in (0, 37, 90)]
    base = {"set": str(light_set_dir), "frames": frames}
    outputs = client.run("relight.apply", base, {"environment": sky}, timeout=60)
    assert sorted(outputs) == ["frame_0000", "frame_0001", "frame_0002"]
    assert np.allclose(outputs["frame_0001"], _expected(light_set_dir, sky, 37, 1.0), rtol=1e-5, atol=1e-6)
    streamed = client.run("relight.apply", dict(base, memory_limit_mb=0.01), {"environment": sky}, timeout=60)
    assert np.allclose(streamed["frame_0002"], outputs["frame_0002"], rtol=1e-5, atol=1e-6)
    full_rank = client.run("relight.apply", dict(base, rank=32), {"environment": sky}, timeout=60)
    assert np.allclose(full_rank["frame_0002"], outputs["frame_0002"], rtol=1e-3, atol=1e-4)
    # With an output pattern the worker writes the frames itself; only the last comes back.
    written = client.run("relight.apply", dict(base, output_pattern=str(tmp_path / "relit_####.exr"),
                                               frame_numbers=[1, 2, 3]), {"environment": sky}, timeout=60)
    assert sorted(written) == ["last"] and np.array_equal(written["last"], outputs["frame_0002"])
    assert sorted(os.listdir(tmp_path)) == ["relit_0001.exr", "relit_0002.exr", "relit_0003.exr"]
    assert np.array_equal(read_image(str(tmp_path / "relit_0002.exr")), outputs["frame_0001"])


@pytest.mark.parametrize("params, words", [
    ({}, "set is required"),
    ({"set": "/no/such/folder", "colour": [1, 1, 1]}, "does not exist"),
    ({"strength": -1.0, "colour": [1, 1, 1]}, "strength"),
    ({"rank": 0, "colour": [1, 1, 1]}, "rank"),
])
def test_bad_requests_are_bad_input(client, light_set_dir, params, words):
    params = dict({"set": str(light_set_dir)}, **params) if params else params
    with pytest.raises(WorkerError) as caught:
        client.run("relight.apply", params, {}, timeout=60)
    assert caught.value.code == messages.BAD_INPUT
    assert words in caught.value.message


def test_cli_relight_writes_the_relit_exr(cli, light_set_dir, tmp_path):
    sky = _sky()
    write_image(str(tmp_path / "sky.exr"), sky)
    out = tmp_path / "relit.exr"
    code = cli(["relight", "--set", str(light_set_dir), "--world", str(tmp_path / "sky.exr"),
                "--rotation", "37", "--strength", "2", "--out", str(out)])
    assert code == 0
    assert np.allclose(read_image(str(out)), _expected(light_set_dir, sky, 37, 2.0), rtol=1e-5, atol=1e-6)
    code = cli(["relight", "--set", str(light_set_dir), "--world", str(tmp_path / "sky.exr"),
                "--turntable", "4", "--rotation", "10", "--out", str(tmp_path / "turn.exr")])
    assert code == 0
    assert sorted(name for name in os.listdir(tmp_path) if name.startswith("turn")) == \
        ["turn_0000.exr", "turn_0001.exr", "turn_0002.exr", "turn_0003.exr"]
    for index in (0, 3):  # a full turn from --rotation, a quarter per frame
        assert np.allclose(read_image(str(tmp_path / f"turn_{index:04d}.exr")),
                           _expected(light_set_dir, sky, 10 + 90 * index, 1.0), rtol=1e-5, atol=1e-6)


def test_cli_relight_rank_zero_is_exact_and_storage(cli, light_set_dir, tmp_path, capsys):
    sky = _sky()
    write_image(str(tmp_path / "sky.exr"), sky)
    common = ["relight", "--set", str(light_set_dir), "--world", str(tmp_path / "sky.exr")]
    exact = _expected(light_set_dir, sky, 0, 1.0)
    assert cli(common + ["--rank", "0", "--out", str(tmp_path / "exact.exr")]) == 0
    assert np.allclose(read_image(str(tmp_path / "exact.exr")), exact, rtol=1e-5, atol=1e-6)
    assert cli(common + ["--rank", "1", "--out", str(tmp_path / "rank1.exr")]) == 0
    assert np.abs(read_image(str(tmp_path / "rank1.exr")) - exact).max() > 1e-3, "rank 1 is a coarse preview"
    for storage in (["--storage", "float16"], ["--float16"]):
        assert cli(common + storage + ["--out", str(tmp_path / "half.exr")]) == 0
        assert np.allclose(read_image(str(tmp_path / "half.exr")), exact, rtol=5e-3, atol=5e-3)
    capsys.readouterr()
    assert cli(common + ["--rank", "-2", "--out", str(tmp_path / "bad.exr")]) == 2
    assert "--rank must be from 1 to" in capsys.readouterr().err
    assert cli(["relight", "--set", str(light_set_dir), "--out", str(tmp_path / "bad.exr")]) == 2
    assert "--world is required" in capsys.readouterr().err
    assert cli(common + ["--rank", "4", "--memory-limit-mb", "0.001", "--out", str(tmp_path / "bad.exr")]) == 2
    error = capsys.readouterr().err
    assert "--memory-limit-mb" in error and "memory_limit_mb" not in error, "the refusal names the flag"
    assert not (tmp_path / "bad.exr").exists()


def test_cli_bad_set_exits_2_naming_the_file(cli, light_set_dir, tmp_path, capsys):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "lights.csv").write_text("file,x,y,z\nmissing.exr,0,0,1\n")
    write_image(str(tmp_path / "sky.exr"), _sky())
    code = cli(["relight", "--set", str(broken), "--world", str(tmp_path / "sky.exr"),
                "--out", str(tmp_path / "x.exr")])
    assert code == 2
    assert "missing.exr' is missing" in capsys.readouterr().err
    assert not (tmp_path / "x.exr").exists()


def test_cli_capture_lightstage_on_a_blend(tmp_path):
    """Subprocesses: the CLI opens the .blend, which would reset this process's Blender state."""
    import subprocess
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    blend = tmp_path / "scene.blend"
    make = ("import sys; sys.path.insert(0, %r); import addon_path; addon_path.install(); import bpy; "
            "from fixtures import relight_scene as s; "
            "s.build_scene(samples=2, width=16, height=12); bpy.ops.wm.save_as_mainfile(filepath=%r)"
            % (os.path.join(repo, "scripts"), str(blend)))
    subprocess.run([sys.executable, "-c", make], check=True, capture_output=True, timeout=120)
    out = tmp_path / "set"
    done = subprocess.run([sys.executable, os.path.join(repo, "scripts", "neural-render"), "capture-lightstage",
                           "--blend", str(blend), "--grid", "4", "2", "--samples", "2", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    light_set = light_sets.load_light_set(out)
    assert light_set.count == 8 and (light_set.width, light_set.height) == (16, 12)
    missing = subprocess.run([sys.executable, os.path.join(repo, "scripts", "neural-render"), "capture-lightstage",
                              "--blend", str(tmp_path / "none.blend"), "--out", str(out)],
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "no .blend file" in missing.stderr
