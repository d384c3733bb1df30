"""Instant mode (feed-forward style) through the stylize jobs: the same contract as the optimisation
presets (size, alpha, highlights, masks, colours, several styles, strength), tiling without seams,
sequences with the Vector pass, and through the real worker."""

import numpy as np
import pytest
import torch

import neural_render.worker.stylize  # noqa: F401  (registers the jobs)
from fixtures.natural_images import hdri_crops
from fixtures.stylize_fixtures import brush_painting, display_to_linear, render_like_scene
from job_runner import run_job
from neural_render.blender.worker_client import WorkerClient, WorkerConfig
from neural_render.worker import jobs
from neural_render.worker.imageio.files import read_image, write_image
from neural_render.worker.stylize import colour
from neural_render.worker.stylize.instant import core, weights

INSTANT = {"preset": "instant"}
CACHE = jobs.ModelCache()


def run(kind, params, inputs):
    return run_job(kind, dict(INSTANT, **params), inputs, None, CACHE)


@pytest.fixture(scope="module")
def style():
    return display_to_linear(brush_painting(96, 96))


@pytest.fixture(scope="module")
def photo(hdri_paths):
    """A natural image (display RGB, (H, W, 3)) and its scene-linear version."""
    display = hdri_crops(hdri_paths[:1], side=96, per_image=1)[0].permute(1, 2, 0).numpy()
    return display, display_to_linear(display)


def test_an_image_keeps_size_alpha_and_highlights_and_takes_on_the_style(style):
    content = np.ones((40, 56, 4), np.float32)
    content[:, :, :3] = render_like_scene(40, 56)
    content[:5, :, 3] = 0.0
    content[:5, :, :3] = 0.0
    result = run("stylize.image", {"keep_highlights": True}, {"content": content, "style": style})["result"]
    assert result.shape == (40, 56, 4) and np.isfinite(result).all()
    assert np.array_equal(result[:, :, 3], content[:, :, 3]) and np.all(result[:5, :, :3] == 0)
    assert result[:, :, :3].max() > 1.5, "the glint (4x over white) survives"
    assert np.abs(result[5:, :, :3] - content[5:, :, :3]).mean() > 0.02


def test_strength_moves_from_the_content_towards_the_style(photo, style):
    _, linear = photo
    def change(strength):
        result = run("stylize.image", {"strength": strength}, {"content": linear, "style": style})["result"]
        return np.abs(result - linear).mean()
    weak, full = change(0.2), change(1.0)
    assert weak < 0.7 * full, (weak, full)


def test_preserve_colors_keeps_the_content_chroma(photo, style):
    display, linear = photo
    result = run("stylize.image", {"preserve_colors": True, "keep_highlights": False},
                 {"content": linear, "style": style})["result"]
    ours = colour.rgb_to_yiq(colour.to_display(colour.numpy_to_tensor(result)))
    theirs = colour.rgb_to_yiq(colour.numpy_to_tensor(display))
    chroma_error = (ours[:, 1:] - theirs[:, 1:]).abs().mean().item()
    luma_change = (ours[:, :1] - theirs[:, :1]).abs().mean().item()
    assert chroma_error < 0.02 and luma_change > 0.03, (chroma_error, luma_change)


def test_a_mask_leaves_the_outside_untouched_and_a_background_style_fills_it(photo, style):
    _, linear = photo
    mask = np.zeros((96, 96, 1), np.float32)
    mask[:, :48] = 1.0
    inside = run("stylize.image", {}, {"content": linear, "style": style, "mask": mask})["result"]
    assert np.allclose(inside[:, 60:], linear[:, 60:], atol=1e-5)
    assert np.abs(inside[:, :40] - linear[:, :40]).mean() > 0.02
    other = display_to_linear(brush_painting(96, 96, seed=5))
    both = run("stylize.image", {}, {"content": linear, "style": style, "mask": mask, "background_style": other})
    assert np.abs(both["result"][:, 60:] - linear[:, 60:]).mean() > 0.02


def test_two_styles_blend_between_their_single_results(photo, style):
    _, linear = photo
    other = display_to_linear(brush_painting(96, 96, seed=11))
    first = run("stylize.image", {}, {"content": linear, "style": style})["result"]
    second = run("stylize.image", {}, {"content": linear, "style": other})["result"]
    blend = run("stylize.image", {"style_weights": [0.5, 0.5]}, {"content": linear, "style_0": style,
                                                                   "style_1": other})["result"]
    assert np.abs(blend - first).mean() < np.abs(second - first).mean()
    assert np.abs(blend - second).mean() < np.abs(second - first).mean()


def test_tiles_reproduce_the_one_pass_result_exactly(photo):
    """Whole-frame norm statistics measured over the tiles: no seam, the same pixels as one pass."""
    predictor, transformer = weights.load(torch.device("cpu"))
    display = torch.nn.functional.interpolate(torch.from_numpy(photo[0]).permute(2, 0, 1)[None], size=(150, 230),
                                              mode="bilinear").clamp(0, 1)
    vector = core.style_vector(predictor, display.flip(-1))
    one_pass = core.transform(transformer, display, vector)
    tiled = core.transform(transformer, display, vector, max_pixels=140 * 140)  # tiles of 12 px + halo
    assert (tiled - one_pass).abs().max() < 1e-4


def test_a_sequence_blends_the_warped_previous_frame_where_motion_is_reliable(style, tmp_path):
    frames = []
    for index in range(4):
        path = tmp_path / f"frame_{index + 1:04d}.exr"
        content = np.concatenate([render_like_scene(32, 48), np.zeros((32, 48, 4), np.float32)], axis=2)
        content[:, :, 3] = 1.0
        if index == 3:  # the light changes on the last frame, nothing moves
            content[:, :, :3] *= 0.5
        write_image(str(path), content[:, :, :4])
        vector = tmp_path / f"vector_{index + 1:04d}.exr"
        write_image(str(vector), np.zeros((32, 48, 4), np.float32))
        frames.append({"content": str(path), "vector": str(vector)})
    pattern = str(tmp_path / "out_####.exr")
    run("stylize.sequence", {"frames": frames, "output_pattern": pattern, "temporal_blend": 0.5}, {"style": style})
    written = [read_image(str(tmp_path / f"out_{index + 1:04d}.exr")) for index in range(4)]
    assert all(image.shape == (32, 48, 4) for image in written)
    # The changed frame: between its stand-alone result and the previous frame's (half of each).
    alone = run("stylize.image", {}, {"content": read_image(frames[3]["content"]), "style": style})["result"]
    to_alone, previous_to_alone = np.abs(written[3] - alone).mean(), np.abs(written[2] - alone).mean()
    assert 0.2 * previous_to_alone < to_alone < 0.8 * previous_to_alone, (to_alone, previous_to_alone)
    # Static frames: the result is the same frame after frame (blended with itself), except where a
    # highlight above 1 was restored (the warped previous frame is seen through the view transform).
    below_white = render_like_scene(32, 48).max(axis=2) < 0.9
    assert np.abs(written[2] - written[1])[below_white].max() < 1e-4


def test_instant_through_the_real_worker(style, tmp_path):
    worker = WorkerClient(WorkerConfig(log_path=str(tmp_path / "worker.log")))
    try:
        outputs = worker.run("stylize.image", INSTANT, {"content": render_like_scene(24, 32), "style": style},
                             timeout=120)
        assert outputs["result"].shape == (24, 32, 3)
    finally:
        worker.shutdown()


def test_the_optimisation_presets_can_start_from_the_instant_result(photo, style):
    _, linear = photo
    inputs = {"content": linear, "style": style}
    instant = run("stylize.image", {}, inputs)["result"]
    few_steps = {"preset": "fast", "steps": 2, "backbone": "vgg16_hed"}
    from_instant = run("stylize.image", dict(few_steps, init="instant"), inputs)["result"]
    from_content = run("stylize.image", dict(few_steps, init="content"), inputs)["result"]
    # Two evaluations move little: each result stays near where it started.
    assert np.abs(from_instant - instant).mean() < 0.5 * np.abs(from_content - instant).mean()


def test_a_sequence_starts_its_first_frame_from_the_instant_result_too(photo, style, tmp_path):
    _, linear = photo
    path = tmp_path / "frame_0001.exr"
    write_image(str(path), linear)
    pattern = str(tmp_path / "out_####.exr")
    few_steps = {"preset": "fast", "steps": 2, "backbone": "vgg16_hed"}
    instant = run("stylize.image", {}, {"content": linear, "style": style})["result"]
    run("stylize.sequence", dict(few_steps, init="instant", temporal=False, frames=[{"content": str(path)}],
                                 output_pattern=pattern), {"style": style})
    from_instant = read_image(pattern.replace("####", "0001"))
    from_content = run("stylize.image", dict(few_steps, init="content"), {"content": linear, "style": style})["result"]
    assert np.abs(from_instant - instant).mean() < 0.5 * np.abs(from_content - instant).mean()
