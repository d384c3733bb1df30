"""The stylize worker jobs: in-process with a real JobContext (inputs, errors, cancel) and through the
real worker process."""


import numpy as np
import pytest
import torch

import neural_render.worker.stylize  # noqa: F401  (registers the jobs)
from fixtures.stylize_fixtures import brush_painting, display_to_linear, render_like_scene
from neural_render.blender.worker_client import WorkerClient, WorkerConfig, WorkerError
from job_runner import Recorder, run_job
from neural_render.worker import jobs
from neural_render.worker.imageio.files import read_image, write_image

# Tiny budgets: these tests check plumbing and contracts; quality is the benchmark's business.
FAST = {"preset": "fast", "steps": 8, "backbone": "vgg16"}
CACHE = jobs.ModelCache()  # models stay warm across the tests, as in the worker


def run(kind, params, inputs, recorder=None):
    return run_job(kind, params, inputs, recorder, CACHE)


@pytest.fixture(scope="module")
def style():
    return display_to_linear(brush_painting(48, 48))


def test_image_job_keeps_size_alpha_and_highlights(style):
    content = np.ones((40, 56, 4), np.float32)
    content[:, :, :3] = render_like_scene(40, 56)
    content[:5, :, 3] = 0.0  # a transparent strip: alpha passes through, colour stays premultiplied
    content[:5, :, :3] = 0.0
    outputs = run("stylize.image", dict(FAST, keep_highlights=True), {"content": content, "style": style})
    result = outputs["result"]
    assert result.shape == (40, 56, 4)
    assert np.array_equal(result[:, :, 3], content[:, :, 3])
    assert np.all(result[:5, :, :3] == 0)
    assert result[:, :, :3].max() > 1.5, "the sphere's glint (4x over white) survives"
    assert np.abs(result[5:, :, :3] - content[5:, :, :3]).mean() > 0.003  # 8 steps: the start of strokes


def test_grayscale_and_16_bit_inputs_work(style):
    grey = render_like_scene(32, 32)[:, :, :1]
    assert run("stylize.image", FAST, {"content": grey, "style": style})["result"].shape == (32, 32, 3)
    sixteen = (np.clip(render_like_scene(32, 32), 0, 1) * 65535).astype(np.uint16)
    style_grey_alpha = np.concatenate([style[:, :, :1], np.ones_like(style[:, :, :1])], axis=2)
    result = run("stylize.image", FAST, {"content": sixteen, "style": style_grey_alpha})["result"]
    assert result.shape == (32, 32, 3) and np.isfinite(result).all()


def test_two_styles_with_weights_and_style_scale(style):
    content = render_like_scene(32, 32)
    other = display_to_linear(brush_painting(40, 40, seed=7))
    outputs = run("stylize.image", dict(FAST, style_weights=[0.7, 0.3], style_scale=0.5),
                  {"content": content, "style_0": style, "style_1": other})
    assert outputs["result"].shape == (32, 32, 3)


@pytest.mark.parametrize("params, inputs, message", [
    ({}, {"content": np.zeros((0, 8, 3), np.float32)}, "is empty"),
    ({}, {"content": np.zeros((16, 16, 3), np.float32)}, "no style image"),
    ({}, {"content": np.zeros((16, 16, 3), np.float32), "style": np.zeros((16, 0, 3), np.float32)}, "is empty"),
    ({}, {"content": np.zeros((16, 16, 3), np.float32), "style": np.zeros((8, 8, 3), np.float32),
          "mask": np.zeros((4, 8, 1), np.float32)}, "mask is 8x4 px but the image is 16x16 px"),
    ({"style_weights": [1, 2]}, {"content": np.zeros((16, 16, 3), np.float32), "style": np.zeros((8, 8, 3))},
     "one weight per style"),
    ({"preset": "slow"}, {"content": np.zeros((16, 16, 3), np.float32), "style": np.zeros((8, 8, 3))}, "preset"),
    ({"layer_weights": {"relu9_9": 1}}, {"content": np.zeros((16, 16, 3), np.float32), "style": np.zeros((8, 8, 3))},
     "relu"),
    ({}, {"content": np.zeros((3, 7, 3), np.float32), "style": np.zeros((8, 8, 3))}, "at least 16 px a side"),
    ({}, {"content": np.zeros((2, 16384, 3), np.float32), "style": np.zeros((8, 8, 3))}, "at least 16 px a side"),
])
def test_bad_input_is_a_clear_job_input_error(params, inputs, message):
    with pytest.raises(jobs.JobInputError, match=message):
        run("stylize.image", dict(FAST, **params), inputs)


def test_cancel_in_the_middle_of_a_frame(style):
    recorder = Recorder(cancel_after=3)
    with pytest.raises(jobs.JobCancelled):
        run("stylize.image", {"preset": "default", "backbone": "vgg16"},
            {"content": render_like_scene(64, 64), "style": style}, recorder)
    assert len(recorder.messages) >= 3


def test_frame_job_uses_the_previous_result(style):
    content = render_like_scene(32, 48)
    # A previous result far from the content (from noise), so "held to it" is visible.
    first = run("stylize.image", dict(FAST, init="noise"), {"content": content, "style": style})["result"]
    vector = np.zeros((32, 48, 4), np.float32)
    outputs = run("stylize.frame", dict(FAST, temporal_weight=1000.0),
                  {"content": content, "style": style, "vector": vector, "previous_result": first,
                   "previous_vector": vector})
    assert outputs["confidence"].min() == 1.0  # nothing moved: everything is visible
    alone = run("stylize.image", FAST, {"content": content, "style": style})["result"]
    # Held to the (warped) previous result, the frame stays near it; frame by frame it would not.
    assert np.abs(outputs["result"] - first).mean() < 0.5 * np.abs(alone - first).mean()
    with pytest.raises(jobs.JobInputError, match="4 channels"):
        run("stylize.frame", FAST, {"content": content, "style": style, "vector": vector[:, :, :3],
                                    "previous_result": first})


def test_sequence_job_explains_a_missing_vector_pass(style, tmp_path):
    path = tmp_path / "frame_0001.exr"
    write_image(str(path), render_like_scene(16, 16))
    with pytest.raises(jobs.JobInputError, match="enable the view layer's Vector pass"):
        run("stylize.sequence", dict(FAST, frames=[{"content": str(path)}],
                                     output_pattern=str(tmp_path / "out_####.exr")), {"style": style})


def test_image_job_through_the_real_worker(style, tmp_path):
    worker = WorkerClient(WorkerConfig(log_path=str(tmp_path / "worker.log")))
    try:
        outputs = worker.run("stylize.image", FAST, {"content": render_like_scene(24, 32), "style": style},
                             timeout=120)
        assert outputs["result"].shape == (24, 32, 3)
        with pytest.raises(WorkerError, match="no style image"):
            worker.run("stylize.image", FAST, {"content": render_like_scene(24, 32)}, timeout=60)
    finally:
        worker.shutdown()
