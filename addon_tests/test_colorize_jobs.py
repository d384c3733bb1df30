"""The colorize.auto / .reference / .scribbles worker jobs: in process with a real JobContext, and
through the real worker process."""

import threading

import numpy as np
import pytest
import torch

import neural_render.worker.colorize  # noqa: F401  (registers the jobs)
from colorize_fixtures import coloured_two_region_reference, tiny_checkpoint, two_region_grey
from neural_render.worker import jobs
from fixtures.texture_metrics import seam_ratio
from neural_render.worker.colorize import lab

CACHE = jobs.ModelCache()  # models stay warm across the tests, as in the worker


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """This module's small convolutions run on one torch thread (see conftest)."""


def run(kind, params, inputs):
    messages = []
    context = jobs.JobContext("test", torch.device("cpu"), threading.Event(),
                              lambda fraction, message: messages.append((fraction, message)), CACHE)
    outputs = jobs.find(kind)(context, params, inputs)
    return outputs, messages


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return str(tiny_checkpoint(tmp_path_factory.mktemp("colorize") / "tiny.pt"))


def lightness_of(rgb):
    return lab.linear_rgb_to_lab(rgb[:, :, :3])[:, :, 0]


def test_auto_keeps_the_exact_lightness_of_a_float_grey_input(checkpoint):
    grey = np.linspace(0.0, 1.0, 48 * 40, dtype=np.float32).reshape(48, 40, 1) ** 2
    grey[0, 0, 0] = 1.0 / 65535  # 16-bit steps survive
    outputs, messages = run("colorize.auto", {"weights_path": checkpoint, "temperature": 0.38}, {"image": grey})
    image = outputs["image"]
    assert image.shape == (48, 40, 3) and image.dtype == np.float32
    visible = lab.luminance_to_lightness(grey[:, :, 0]) > 5
    assert np.abs(lightness_of(image) - lab.luminance_to_lightness(grey[:, :, 0]))[visible].max() < 0.05
    assert outputs["input_was_colour"].item() == 0.0
    assert messages[-1][0] == 1.0 and "colorized with the model tiny.pt" in messages[-1][1]


def test_auto_keeps_alpha_and_reports_colour_input(checkpoint):
    rng = np.random.default_rng(0)
    rgba = rng.uniform(0.05, 0.9, (16, 16, 4)).astype(np.float32)
    rgba[:, :, 3] = np.linspace(0.2, 1.0, 16)[None, :]
    rgba[:, :, :3] *= rgba[:, :, 3:]  # premultiplied, as Blender sends it
    outputs, messages = run("colorize.auto", {"weights_path": checkpoint}, {"image": rgba})
    assert outputs["image"].shape == (16, 16, 4)
    assert np.array_equal(outputs["image"][:, :, 3], rgba[:, :, 3]), "alpha untouched"
    straight = outputs["image"][:, :, :3] / outputs["image"][:, :, 3:]
    expected = lab.linear_rgb_to_lab(rgba[:, :, :3] / rgba[:, :, 3:])[:, :, 0]
    assert np.abs(lightness_of(straight) - expected).max() < 0.05
    assert outputs["input_was_colour"].item() == 1.0 and "already had colour" in messages[-1][1]


@pytest.mark.parametrize("shape", [(8, 8, 1), (1, 1, 3), (64, 8192, 2)])
def test_auto_handles_tiny_and_very_wide_inputs(checkpoint, shape):
    image = np.random.default_rng(1).uniform(0, 1, shape).astype(np.float32)
    outputs, _ = run("colorize.auto", {"weights_path": checkpoint}, {"image": image})
    assert outputs["image"].shape[:2] == shape[:2] and np.isfinite(outputs["image"]).all()
    assert outputs["image"].shape[2] == (4 if shape[2] == 2 else 3)


def test_auto_seamless_output_tiles(checkpoint):
    y, x = np.mgrid[0:64, 0:64]
    tile = lab.lightness_to_luminance(50 + 25 * np.sin(2 * np.pi * x / 32) * np.cos(2 * np.pi * y / 16))
    outputs, _ = run("colorize.auto", {"weights_path": checkpoint, "seamless": True},
                     {"image": tile[:, :, None].astype(np.float32)})
    ab = lab.linear_rgb_to_lab(outputs["image"])[:, :, 1:]
    assert seam_ratio(ab) < 1.5


def test_auto_uses_the_bundled_texture_model_by_default_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURAL_RENDER_MODELS_DIR", str(tmp_path))  # no released weights there
    _, messages = run("colorize.auto", {}, {"image": two_region_grey()})
    assert "the bundled texture colorizer" in messages[-1][1]


def test_released_model_is_only_used_when_asked_and_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURAL_RENDER_MODELS_DIR", str(tmp_path))
    with pytest.raises(jobs.JobInputError, match="released colorization weights are not installed"):
        run("colorize.auto", {"model": "released"}, {"image": two_region_grey()})


@pytest.mark.parametrize("params, message", [
    ({"temperature": 2.0}, "temperature must be from 0 to 1"),
    ({"weights_path": "/nonexistent/colorization_release_v2-9b330a0b.pth"}, "no colorizer weights at"),
    ({"model": "released"}, "released colorization weights are not installed"),
])
def test_auto_bad_requests_are_input_errors(params, message, tmp_path, monkeypatch):
    monkeypatch.setenv("NEURAL_RENDER_MODELS_DIR", str(tmp_path))
    with pytest.raises(jobs.JobInputError, match=message):
        run("colorize.auto", params, {"image": np.zeros((8, 8, 1), np.float32)})


def _region_ab(image):
    ab = lab.linear_rgb_to_lab(image[:, :, :3])[:, :, 1:]
    width = ab.shape[1]
    return ab[:, 4:width // 2 - 4].reshape(-1, 2).mean(0), ab[:, width // 2 + 4:-4].reshape(-1, 2).mean(0)


def test_reference_transfers_colour_per_region_not_one_global_shift():
    grey, reference = two_region_grey(), coloured_two_region_reference()
    deep, _ = run("colorize.reference", {"premultiplied": False}, {"image": grey, "reference": reference})
    left, right = _region_ab(deep["image"])
    assert left[0] > 25 and left[1] > 15, f"stripes take the red of the reference's stripes: {left}"
    assert right[1] < -20, f"the smooth part takes the blue: {right}"
    flat, _ = run("colorize.reference", {"method": "global"}, {"image": grey, "reference": reference})
    left, right = _region_ab(flat["image"])
    assert np.allclose(left, right, atol=1.0), "the global baseline is one colour everywhere"


def test_reference_must_have_colour():
    with pytest.raises(jobs.JobInputError, match="reference image has no colour"):
        run("colorize.reference", {}, {"image": two_region_grey(), "reference": two_region_grey()})


def _two_stroke_hints():
    hints = np.zeros((32, 48, 4), np.float32)           # painted at half resolution: resized
    hints[14:18, 6:14] = lab.lab_to_linear_rgb(np.array([40.0, 50.0, 35.0])).tolist() + [1.0]
    hints[10:20, 34:40] = lab.lab_to_linear_rgb(np.array([70.0, -30.0, -35.0])).tolist() + [1.0]
    return hints


@pytest.mark.parametrize("propagation, named", [("levin", "the edge-aware solve"),
                                                ("network", "the learned hint network")])
def test_scribbles_follow_luminance_edges(propagation, named):
    """Both propagations colour each luminance region with the stroke painted in it, keep L* exactly,
    and say which one ran (the learned one is the bundled hint model)."""
    grey = two_region_grey()
    outputs, messages = run("colorize.scribbles", {"premultiplied": True, "propagation": propagation},
                            {"image": grey, "hints": _two_stroke_hints()})
    left, right = _region_ab(outputs["image"])
    assert left[0] > 25 and left[1] > 15, left
    assert right[0] < -15 and right[1] < -18, right
    assert np.abs(lightness_of(outputs["image"]) - lab.luminance_to_lightness(grey[:, :, 0])).max() < 0.05
    assert "scribbled pixels" in messages[-1][1] and named in messages[-1][1]


def test_scribbles_fall_back_to_the_solve_when_the_hint_model_is_not_installed(monkeypatch, tmp_path):
    from neural_render.worker.colorize import weights
    monkeypatch.setattr(weights, "HINT_MODEL_PATH", str(tmp_path / "absent.pt"))
    outputs, messages = run("colorize.scribbles", {"premultiplied": True},
                            {"image": two_region_grey(), "hints": _two_stroke_hints()})
    assert "edge-aware solve (the learned hint network is not installed)" in messages[-1][1]
    left, right = _region_ab(outputs["image"])
    assert left[0] > 25 and right[0] < -15


def test_scribbles_without_strokes_is_an_input_error():
    with pytest.raises(jobs.JobInputError, match="no painted pixels"):
        run("colorize.scribbles", {}, {"image": two_region_grey(), "hints": np.zeros((8, 8, 4), np.float32)})


# -- through the real worker process ----------------------------------------------------------
@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from neural_render.blender.worker_client import WorkerClient, WorkerConfig
    worker = WorkerClient(WorkerConfig(log_path=str(tmp_path_factory.mktemp("worker") / "worker.log")))
    worker.wait_ready()
    yield worker
    worker.shutdown()


def test_jobs_run_in_the_real_worker(client, checkpoint):
    assert {"colorize.auto", "colorize.reference", "colorize.scribbles"} <= set(client.info()["jobs"])
    grey = two_region_grey()
    rgba = np.concatenate([np.repeat(grey, 3, 2), np.ones_like(grey)], 2)
    outputs = client.run("colorize.auto", {"weights_path": checkpoint}, {"image": rgba})
    assert outputs["image"].shape == (64, 96, 4) and outputs["input_was_colour"].item() == 0.0
    from neural_render.blender.worker_client import WorkerError
    with pytest.raises(WorkerError, match="no painted pixels"):
        client.run("colorize.scribbles", {}, {"image": rgba, "hints": np.zeros((4, 4, 4), np.float32)})


@pytest.mark.slow
def test_8k_input_runs_in_bounded_memory(checkpoint):
    """An 8192 x 8192 grey float input: the network runs at its working size and full-resolution work
    is done in strips, so the peak is the input + output + L* plane + a few strips, not many planes."""
    import tracemalloc
    grey = np.random.default_rng(0).uniform(0, 1, (8192, 8192, 1)).astype(np.float32)
    tracemalloc.start()
    outputs, _ = run("colorize.auto", {"weights_path": checkpoint}, {"image": grey})
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    output_bytes = outputs["image"].nbytes                     # 768 MiB of RGB float32
    assert outputs["image"].shape == (8192, 8192, 3)
    assert peak < output_bytes + grey.nbytes + 1.2 * 2 ** 30, f"peak {peak / 2 ** 30:.2f} GiB"


def test_a_hint_model_of_another_layout_is_a_clear_input_error(tmp_path, monkeypatch):
    """A model file from an older network layout (4 input channels) says so, not a size-mismatch traceback."""
    from neural_render.worker.colorize import checkpoint, weights
    from neural_render.worker.colorize.hint_model import HintColorizer
    old = HintColorizer(4)
    state = old.state_dict()
    state["encode1.0.weight"] = state["encode1.0.weight"][:, :4].clone()
    torch.save({"format": checkpoint.HINT_FORMAT, "format_version": 1, "settings": {"base": 4, "long_side": 256},
                "model": state}, str(tmp_path / "old.pt"))
    monkeypatch.setattr(weights, "HINT_MODEL_PATH", str(tmp_path / "old.pt"))
    with pytest.raises(jobs.JobInputError, match="do not fit this version's network"):
        run("colorize.scribbles", {"premultiplied": True}, {"image": two_region_grey(), "hints": _two_stroke_hints()})
