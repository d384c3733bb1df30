"""The relight.apply job through the real worker process, and the CLI subcommand end to end."""

import math
import os
import sys

import numpy as np
import pytest

from neural_render.blender.worker_client import WorkerClient, WorkerConfig, WorkerError
from neural_render.protocol import messages
from neural_render.worker.imageio.files import read_image, write_image
from neural_render.worker.relight import directions as sphere
from neural_render.worker.relight import engine, light_sets, weights


def _sky(height=32, width=64):
    """A smooth sky with a bright patch: rotation and mirroring change the result."""
    d = sphere.texel_directions(width, height)
    sun = np.exp(20 * (d @ sphere.normalize([0.6, 0.3, 0.5]) - 1))[..., None]
    return (0.2 + 0.1 * (d[..., 2:3] > 0) + 5 * sun * np.array([1.0, 0.9, 0.7])).astype(np.float32)


@pytest.fixture(scope="module")
def light_set_dir(tmp_path_factory):
    """A 8x4 set of a Lambertian sphere rendered analytically (normal . light direction)."""
    folder = tmp_path_factory.mktemp("set")
    lights = sphere.latlong_grid_directions(8, 4)
    size = 24
    y, x = np.mgrid[0:size, 0:size]
    nx, ny = (x + 0.5) / size * 2 - 1, 1 - (y + 0.5) / size * 2
    inside = nx ** 2 + ny ** 2 < 1
    nz = np.sqrt(np.clip(1 - nx ** 2 - ny ** 2, 0, None))
    normals = np.stack([nx, -nz, ny], axis=-1)  # seen from -Y: image right = +X, up = +Z
    rows = []
    for index, light in enumerate(lights):
        image = np.zeros((size, size, 4), np.float32)
        image[..., :3] = (np.clip(normals @ light, 0, None) / math.pi * inside)[..., None] * [0.8, 0.5, 0.3]
        image[..., 3] = inside
        name = f"light_{index:03d}.exr"
        write_image(str(folder / name), image)
        rows.append(f"{name},{light[0]:.9f},{light[1]:.9f},{light[2]:.9f}")
    (folder / "lights.csv").write_text("file,x,y,z\n" + "\n".join(rows) + "\n")
    return folder


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    worker = WorkerClient(WorkerConfig(log_path=str(tmp_path_factory.mktemp("worker") / "worker.log")))
    worker.wait_ready()
    yield worker
    worker.shutdown()


def _expected(folder, sky, rotation_deg, strength):
    light_set = light_sets.load_light_set(folder)
    environment = weights.Environment(sky, strength=strength, mapping=weights.z_rotation(rotation_deg))
    return engine.relight(engine.load_set(light_set, "cpu"), weights.light_weights(environment, light_set.directions))[0]


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


def test_animation_frames_in_one_job_and_streaming_and_preview(client, light_set_dir):
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
                "--turntable", "4", "--out", str(tmp_path / "turn.exr")])
    assert code == 0 and (tmp_path / "turn_0003.exr").is_file()


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
    make = ("import sys; sys.path[:0] = [%r, %r]; import conftest, bpy; import relight_scene as s; "
            "s.build_scene(samples=2, width=16, height=12); bpy.ops.wm.save_as_mainfile(filepath=%r)"
            % (os.path.join(repo, "addon_tests"), os.path.join(repo, "scripts"), str(blend)))
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
