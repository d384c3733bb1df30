"""The relight_image.apply worker job: in process with a real JobContext, and through the real worker
process, with the bundled model (and refused model files)."""

import json
import os

import numpy as np
import pytest
import torch

import neural_render.worker.relight_image  # noqa: F401  (registers the job)
from job_runner import Recorder, run_job
from neural_render.protocol import model_cards
from neural_render.worker import jobs
from neural_render.worker.imageio.files import read_image
from neural_render.worker.relight.weights import Environment
from neural_render.worker.relight_image import environment_grid
from neural_render.worker.relight_image.network import RATIO_EPSILON

CACHE = jobs.ModelCache()


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """Small convolutions: one torch thread (see conftest)."""


@pytest.fixture(scope="module")
def subject():
    """A lit-looking subject: a shaded disc on transparency, premultiplied."""
    rows, columns = np.mgrid[0:72, 0:96]
    inside = ((rows - 36) ** 2 + (columns - 48) ** 2) < 30 ** 2
    shade = np.clip(0.2 + (columns - 18) / 80.0, 0.05, 1.0)
    image = np.zeros((72, 96, 4), np.float32)
    image[..., 0], image[..., 1], image[..., 2] = shade * 0.8, shade * 0.5, shade * 0.3
    image[..., 3] = inside
    image[..., :3] *= image[..., 3:]
    return image


def run(params, inputs, recorder=None):
    return run_job("relight_image.apply", params, inputs, recorder, CACHE)


def test_a_still_is_relit_with_the_estimated_source_world(subject, hdri_paths):
    recorder = Recorder()
    out = run({"world": hdri_paths[0], "rotation_deg": 30.0}, {"image": subject}, recorder)
    assert out["relit"].shape == (72, 96, 4) and out["source_environment"].shape == (8, 16, 3)
    assert np.isfinite(out["relit"]).all() and out["relit"][..., :3].min() >= 0
    inside = subject[..., 3] > 0.99
    assert out["relit"][inside, :3].mean() > 0.0
    np.testing.assert_array_equal(out["relit"][..., 3], subject[..., 3])        # 'keep' keeps the alpha
    np.testing.assert_array_equal(out["relit"][~(subject[..., 3] > 0), :3], 0)  # and the outside
    assert recorder.messages[-1] == (1.0, "done")
    assert all(b[0] >= a[0] for a, b in zip(recorder.messages, recorder.messages[1:]))


def test_the_world_strength_scales_the_result_exactly_and_the_turn_changes_it(subject, hdri_paths):
    one = run({"world": hdri_paths[0], "strength": 1.0}, {"image": subject})["relit"]
    two = run({"world": hdri_paths[0], "strength": 2.0}, {"image": subject})["relit"]
    np.testing.assert_allclose(two[..., :3], 2.0 * one[..., :3], rtol=1e-4, atol=1e-6)
    turned = run({"world": hdri_paths[0], "strength": 1.0, "rotation_deg": 150.0}, {"image": subject})["relit"]
    assert np.abs(turned[..., :3] - one[..., :3]).max() > 1e-3


def test_a_known_source_world_replaces_the_estimate(subject, hdri_paths):
    """Relit = (image + eps) x sum g.w(target) / sum g.w(source) - eps at the training level (core.py):
    lit by the world it was lit by, the image comes back but for the epsilon's known shift, and the
    source strength divides the ratio exactly -- true only if the job uses the given world, not the
    network's estimate."""
    colour = [0.5, 0.4, 0.3]
    level = environment_grid.irradiance(environment_grid.environment_grid(Environment(None, colour))).mean() / np.pi
    inside = subject[..., 3] > 0
    for strength in (1.0, 4.0):
        out = run({"colour": colour, "source_colour": colour, "source_strength": strength}, {"image": subject})
        expected = np.clip(((subject[..., :3] + RATIO_EPSILON) / (strength * level) - RATIO_EPSILON) * level, 0, None)
        np.testing.assert_allclose(out["relit"][inside, :3], expected[inside], rtol=1e-3, atol=1e-5)
    estimated = run({"colour": colour}, {"image": subject})["relit"]
    assert np.abs(estimated[inside, :3] - subject[inside, :3]).max() > 1e-2
    world = {"world": hdri_paths[0], "rotation_deg": 40.0}
    first = run(dict(world, source_world=hdri_paths[0]), {"image": subject})["relit"]
    turned = run(dict(world, source_world=hdri_paths[0], source_rotation_deg=160.0), {"image": subject})["relit"]
    assert np.abs(first[inside, :3] - turned[inside, :3]).max() > 1e-2


@pytest.mark.parametrize("source, message", [
    ({"source_world": "/no/such/world.exr"}, "source world"),
    ({"source_colour": [0.0, 0.0, 0.0]}, "source world is black"),
])
def test_a_bad_source_world_is_refused(subject, source, message):
    with pytest.raises(jobs.JobInputError, match=message):
        run(dict({"colour": [1.0, 1.0, 1.0]}, **source), {"image": subject})


def test_a_matte_and_the_background_modes(subject):
    matte = np.zeros((72, 96, 1), np.float32)
    matte[20:50, 30:70] = 1.0
    params = {"colour": [0.2, 0.4, 0.8]}
    world = run(dict(params, background="world"), {"image": subject, "matte": matte})["relit"]
    np.testing.assert_allclose(world[0, 0], [0.2, 0.4, 0.8, 1.0], rtol=1e-5)   # a plain world seen outside
    clear = run(dict(params, background="transparent"), {"image": subject, "matte": matte})["relit"]
    np.testing.assert_array_equal(clear[..., 3], matte[..., 0])
    kept = run(params, {"image": subject, "matte": matte})["relit"]
    np.testing.assert_array_equal(kept[0, 0], subject[0, 0])


def test_a_grey_and_alpha_image_keeps_its_alpha(subject):
    grey = np.stack([subject[..., 1], subject[..., 3]], axis=2)
    out = run({"colour": [1.0, 1.0, 1.0]}, {"image": grey})["relit"]
    np.testing.assert_array_equal(out[..., 3], subject[..., 3])
    np.testing.assert_array_equal(out[subject[..., 3] == 0, :3], 0)


def test_frames_are_written_as_files(subject, hdri_paths, tmp_path):
    pattern = str(tmp_path / "relit_####.exr")
    frames = [{"rotation": [0.0, 0.0, angle]} for angle in (0.0, 1.0, 2.0)]
    out = run({"world": hdri_paths[1], "frames": frames, "output_pattern": pattern, "frame_numbers": [5, 6, 7]},
              {"image": subject})
    names = sorted(os.listdir(tmp_path))
    assert names == ["relit_0005.exr", "relit_0006.exr", "relit_0007.exr"]
    last = read_image(str(tmp_path / "relit_0007.exr"))
    np.testing.assert_allclose(last, out["last"], rtol=1e-6)
    first = read_image(str(tmp_path / "relit_0005.exr"))
    assert np.abs(first - last).max() > 1e-3
    returned = run({"world": hdri_paths[1], "frames": frames}, {"image": subject})
    np.testing.assert_allclose(returned["frame_0002"], out["last"], rtol=1e-5, atol=1e-6)


def test_a_job_can_be_cancelled(subject):
    frames = [{"rotation": [0.0, 0.0, 0.1 * i]} for i in range(40)]
    with pytest.raises(jobs.JobCancelled):
        run({"colour": [1.0, 1.0, 1.0], "frames": frames}, {"image": subject}, Recorder(cancel_after=3))


@pytest.mark.parametrize("params,inputs,match", [
    ({"colour": [1, 1, 1]}, {"image": np.zeros((8, 8, 3), np.float32)}, "too small"),
    ({"colour": [1, 1, 1]}, {"image": np.full((32, 32, 3), np.nan, np.float32)}, "NaN"),
    ({"colour": [1, 1, 1]}, {"image": np.ones((32, 32, 3), np.float32), "matte": np.ones((16, 32), np.float32)}, "same size"),
    ({"colour": [1, 1, 1]}, {"image": np.ones((32, 32, 3), np.float32), "matte": np.zeros((32, 32), np.float32)}, "matte is empty"),
    ({}, {"image": np.ones((32, 32, 3), np.float32)}, "give the world"),
    ({}, {"image": np.ones((32, 32, 3), np.float32), "environment": np.ones((32, 32, 3), np.float32)}, "twice as wide"),
    ({"colour": [1, 1, 1]}, {}, "input image named 'image'"),
])
def test_bad_input_is_refused_with_the_reason(params, inputs, match):
    with pytest.raises(jobs.JobInputError, match=match):
        run(params, inputs)


def test_files_that_are_not_relighting_models_are_refused(tmp_path, subject):
    torch.save({"format": "something-else"}, str(tmp_path / "other.pt"))
    (tmp_path / "broken.pt").write_bytes(b"not a torch file")
    torch.save({"format": "neural-render-relight-image", "format_version": 1, "settings": {"grid": [16, 8], "widths": [4]},
                "network": {}}, str(tmp_path / "misfit.pt"))
    for name, match in (("other.pt", "not a Neural Render relighting model"), ("broken.pt", "damaged"),
                        ("misfit.pt", "do not fit"), ("missing.pt", "no relighting model")):
        with pytest.raises(jobs.JobInputError, match=match):
            run({"colour": [1, 1, 1], "weights_path": str(tmp_path / name)}, {"image": subject})


def test_the_bundled_model_is_small_safe_and_described():
    path = model_cards.BUNDLED_MODELS["relight_image"]
    assert os.path.getsize(path) < 8e6
    payload = torch.load(path, map_location="cpu", weights_only=True)
    assert payload["format"] == "neural-render-relight-image"
    card = model_cards.card("relight_image")
    assert card["step"] == payload["step"] and "CC0" in card["licence"] and card["provenance"]["train_scenes"] > 0
    assert json.dumps(card)  # plain data the panel can show


def test_the_job_runs_in_the_real_worker(tmp_path, subject, hdri_paths):
    from neural_render.blender.worker_client import WorkerClient, WorkerConfig, WorkerError
    worker = WorkerClient(WorkerConfig(log_path=str(tmp_path / "worker.log")))
    try:
        worker.wait_ready()
        assert "relight_image.apply" in set(worker.info()["jobs"])
        out = worker.run("relight_image.apply", {"world": hdri_paths[2], "rotation_deg": 90.0}, {"image": subject})
        here = run({"world": hdri_paths[2], "rotation_deg": 90.0}, {"image": subject})
        np.testing.assert_allclose(out["relit"], here["relit"], rtol=1e-4, atol=1e-5)
        with pytest.raises(WorkerError, match="too small"):
            worker.run("relight_image.apply", {"colour": [1, 1, 1]}, {"image": np.zeros((8, 8, 3), np.float32)})
    finally:
        worker.shutdown()
