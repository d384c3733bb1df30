"""The stylize core on small images: Gram matrices, losses, optimisation, tiling, colour, masks, temporal."""

import numpy as np
import pytest
import torch

from fixtures.stylize_fixtures import brush_painting, render_like_scene
from neural_render.worker.backbones import vgg16
from neural_render.worker.stylize import colour, losses, masks, multiscale, objective, optimize, pipeline, styles, temporal


@pytest.fixture(scope="module")
def network():
    return vgg16.load(torch.device("cpu"), "avg")


def _display(linear):
    return colour.to_display(colour.numpy_to_tensor(linear))


def test_gram_is_the_mean_outer_product_of_features():
    features = torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).reshape(2, 3, 2, 2)
    expected = torch.stack([f.reshape(3, 4) @ f.reshape(3, 4).T / 4 for f in features])
    assert torch.allclose(losses.gram(features), expected)
    # A mask of ones is the plain Gram; a mask selecting one position is that position's outer product.
    assert torch.allclose(losses.gram(features, torch.ones(2, 1, 2, 2)), expected)
    one = torch.zeros(2, 1, 2, 2)
    one[:, :, 0, 1] = 1
    vector = features[0, :, 0, 1]
    assert torch.allclose(losses.gram(features, one)[0], torch.outer(vector, vector))
    # Gram is a statistic over positions: shuffling them changes nothing.
    shuffled = features.reshape(2, 3, 4)[:, :, [2, 0, 3, 1]].reshape(2, 3, 2, 2)
    assert torch.allclose(losses.gram(shuffled), expected)


def test_relative_losses_are_zero_at_the_target_and_scale_free():
    target = torch.rand(1, 8, 8)
    assert float(losses.relative_gram_loss(target, target)) == 0
    assert float(losses.relative_gram_loss(2 * target, target)) == pytest.approx(1.0)
    assert float(losses.relative_gram_loss(20 * target, 10 * target)) == pytest.approx(1.0)
    features = torch.rand(1, 4, 5, 5)
    assert float(losses.content_loss(features, features)) == 0
    assert float(losses.content_loss(features * 0, features)) == pytest.approx(1.0)


def test_tv_and_temporal_terms():
    flat = torch.full((1, 3, 8, 8), 0.3)
    assert float(losses.total_variation(flat)) == 0
    stripes = flat.clone()
    stripes[:, :, :, ::2] = 0.7
    assert float(losses.total_variation(stripes)) > 0.1
    confidence = torch.zeros(1, 1, 8, 8)
    assert float(losses.temporal_loss(stripes, flat, confidence)) == 0  # occluded pixels do not count
    assert float(losses.temporal_loss(stripes, flat, confidence + 1)) > 0


def _targets(network, style, size):
    return {"foreground": styles.blended_targets(network, [styles.StyleImage(style)], losses.STYLE_LAYERS,
                                                 size, 1.0, "cpu")}


def test_lbfgs_and_adam_decrease_the_objective(network):
    content = _display(render_like_scene(32, 40))
    style = brush_painting(40, 40)
    for optimizer in optimize.OPTIMIZERS:
        problem = objective.Objective(network, content, _targets(network, style, (32, 40)), losses.LossWeights())
        start = optimize.initial_image("content", content)
        before = problem.evaluate(start)
        image, after = optimize.optimise(problem, start, 10, optimizer)
        final = problem.evaluate(image)
        assert final["style"] < 0.5 * before["style"], (optimizer, before, final)
        assert final["content"] + final["style"] * 3 < before["content"] + before["style"] * 3


def test_inits(network):
    content = _display(render_like_scene(16, 16))
    assert torch.equal(optimize.initial_image("content", content), content)
    noise = optimize.initial_image("noise", content, seed=1)
    assert noise.shape == content.shape and not torch.equal(noise, content)
    assert torch.equal(noise, optimize.initial_image("noise", content, seed=1))
    with pytest.raises(ValueError, match="previous"):
        optimize.initial_image("previous", content)


def test_tiled_gradient_matches_the_whole_image_gradient(network):
    content = _display(render_like_scene(96, 128))
    targets = _targets(network, brush_painting(64, 64), (96, 128))
    x = optimize.initial_image("noise", content, seed=3) * 0.5 + content * 0.5
    whole = objective.Objective(network, content, targets, losses.LossWeights())
    tiled = objective.Objective(network, content, targets, losses.LossWeights(), max_pixels=96 * 96, halo=16)
    assert len(whole.tiles) == 1 and len(tiled.tiles) > 1
    loss_whole, parts_whole, grad_whole = whole.value_and_grad(x)
    loss_tiled, parts_tiled, grad_tiled = tiled.value_and_grad(x)
    # The halo bounds the context each tile sees: losses agree closely, gradients point the same way.
    assert parts_tiled["style"] == pytest.approx(parts_whole["style"], rel=0.1)
    assert parts_tiled["content"] == pytest.approx(parts_whole["content"], rel=0.1)
    cosine = torch.nn.functional.cosine_similarity(grad_whole.flatten(), grad_tiled.flatten(), dim=0)
    assert float(cosine) > 0.9


def test_scale_schedule_never_shrinks_the_output():
    sizes = multiscale.scale_sizes(1080, 1920, 256)
    assert sizes[-1] == (1080, 1920) and 192 <= max(sizes[0]) < 384
    assert all(2 * small[0] <= big[0] + 1 and 2 * small[1] <= big[1] + 1 for small, big in zip(sizes, sizes[1:]))
    assert multiscale.scale_sizes(270, 480, 256) == [(135, 240), (270, 480)]
    assert multiscale.scale_sizes(100, 80, 256) == [(100, 80)]


def test_multiscale_output_has_the_input_size_and_reports_progress(network):
    content = _display(render_like_scene(72, 100))
    settings = multiscale.Settings(schedule=multiscale.Schedule(coarse_side=48, coarse_evaluations=4,
                                                                middle_evaluations=2, fine_evaluations=2))
    seen = []
    image, parts = multiscale.stylize(network, content, lambda size: _targets(network, brush_painting(64, 64), size),
                                      settings, report=lambda fraction, message: seen.append(fraction))
    assert image.shape == content.shape
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    assert "style" in parts


def test_view_transforms_round_trip_and_highlights():
    linear = torch.tensor([0.0, 0.001, 0.18, 0.9, 1.0]).view(1, 5, 1, 1).expand(1, 5, 1, 3).permute(0, 3, 1, 2)
    for view in colour.VIEW_TRANSFORMS:
        back = colour.from_display(colour.to_display(linear, view), view)
        assert torch.allclose(back, linear, atol=1e-5), view
    bright = torch.tensor([8.0]).view(1, 1, 1, 1).expand(1, 3, 1, 1)
    assert float(colour.to_display(bright, "standard").max()) == pytest.approx(1.0)  # Standard clips
    assert float(colour.to_display(bright, "compressed").max()) < 0.99  # compressed keeps it apart from white
    restored = colour.restore_highlights(torch.full((1, 3, 1, 1), 0.5), torch.tensor([4.0, 2.0, 1.0]).view(1, 3, 1, 1))
    assert torch.allclose(restored, torch.full((1, 3, 1, 1), 2.0))


def test_preserve_colors_keeps_the_content_chroma(network):
    content = render_like_scene(48, 64)
    request = pipeline.Request(styles=[styles.StyleImage(brush_painting(64, 64))], preserve_colors=True,
                               keep_highlights=False,
                               settings=multiscale.Settings(schedule=multiscale.Schedule(64, 10, 2, 2)))
    result, display, _ = pipeline.stylize(network, content, request)
    original = colour.rgb_to_yiq(_display(content))
    stylized = colour.rgb_to_yiq(display)
    # Luminance changed (the strokes), chroma kept (up to the clip to the display range).
    assert float((stylized[:, 0] - original[:, 0]).abs().mean()) > 0.02
    assert float((stylized[:, 1:] - original[:, 1:]).abs().median()) < 0.01
    plain = pipeline.Request(styles=request.styles, keep_highlights=False, settings=request.settings)
    _, coloured, _ = pipeline.stylize(network, content, plain)
    assert float((colour.rgb_to_yiq(coloured)[:, 1:] - original[:, 1:]).abs().median()) > 0.02


def test_mask_confines_the_change(network):
    content = render_like_scene(48, 64)
    mask = np.zeros((48, 64), np.float32)
    mask[:, :32] = 1
    feathered = masks.feather(mask, 4)
    request = pipeline.Request(styles=[styles.StyleImage(brush_painting(64, 64))], mask=feathered,
                               settings=multiscale.Settings(schedule=multiscale.Schedule(64, 8, 2, 2)))
    result, _, _ = pipeline.stylize(network, content, request)
    assert np.array_equal(result[:, 44:], content[:, 44:]), "beyond the feather, the render is untouched"
    assert np.abs(result[:, :20] - content[:, :20]).mean() > 0.02
    assert 0 < feathered[0, 32] < 1 and feathered[0, 20] == pytest.approx(1.0) and feathered[0, 44] < 1e-3
    with pytest.raises(masks.MaskError, match="32x24 px but the image is 64x48"):
        masks.check_size(np.zeros((24, 32)), 48, 64)


def test_a_mask_at_another_resolution_is_fitted_to_the_image_and_another_aspect_refused():
    from neural_render.worker.stylize import masks
    soft = np.zeros((24, 32), np.float32)
    soft[:, :16] = 1.0
    fitted = masks.fit_size(soft, 48, 64)
    assert fitted.shape == (48, 64) and fitted[:, :30].min() == 1.0 and fitted[:, 34:].max() == 0.0
    labels = np.zeros((24, 32), np.float32)
    labels[::2, ::2] = 1.0   # an Object Index mask: nearest keeps it binary
    assert set(np.unique(masks.fit_size(labels, 48, 64, nearest=True))) == {0.0, 1.0}
    assert 0 < masks.fit_size(labels, 12, 16).mean() < 1, "a soft mask is averaged when shrunk"
    with pytest.raises(masks.MaskError, match="aspect ratio"):
        masks.fit_size(np.zeros((24, 24)), 48, 64)


def test_two_styles_foreground_and_background(network):
    content = render_like_scene(48, 64)
    mask = np.zeros((48, 64), np.float32)
    mask[:, :32] = 1
    blue = brush_painting(64, 64)
    red = np.zeros((64, 64, 3), np.float32)
    red[:] = (0.8, 0.1, 0.1)
    red += np.random.default_rng(0).random((64, 64, 1)).astype(np.float32) * 0.2
    request = pipeline.Request(styles=[styles.StyleImage(blue)], background_styles=[styles.StyleImage(red)],
                               mask=mask, keep_highlights=False,
                               settings=multiscale.Settings(weights=losses.LossWeights(style=30.0),
                                                            schedule=multiscale.Schedule(64, 25, 2, 2)))
    _, display, _ = pipeline.stylize(network, content, request)
    left, right = display[0, :, :, :28].mean((1, 2)), display[0, :, :, 36:].mean((1, 2))
    assert float(right[0] - right[2]) > float(left[0] - left[2]) + 0.1, "background redder than the foreground"


def test_object_index_and_alpha_masks():
    index = np.array([[0, 1], [2, 1]], np.float32)
    assert masks.from_object_index(index, [1]).tolist() == [[0, 1], [0, 1]]
    rgba = np.zeros((2, 2, 4), np.float32)
    rgba[0, 0, 3] = 1
    assert masks.from_alpha(rgba).tolist() == [[1, 0], [0, 0]]
    with pytest.raises(masks.MaskError):
        masks.from_alpha(np.zeros((2, 2, 3)))


def test_warp_with_a_synthetic_translation_is_exact():
    rng = np.random.default_rng(0)
    frame_before = torch.from_numpy(rng.random((1, 3, 20, 30)).astype(np.float32))
    # The picture moves 3 px right and 2 px up (Blender's y is up) between the frames.
    frame_now = torch.zeros_like(frame_before)
    frame_now[:, :, :-2, 3:] = frame_before[:, :, 2:, :-3]
    vector = np.zeros((20, 30, 4), np.float32)
    vector[:, :, 0], vector[:, :, 1] = -3.0, -2.0     # to the previous frame: 3 px left, 2 px down
    vector[:, :, 2], vector[:, :, 3] = -3.0, -2.0     # minus the motion to the next frame
    to_previous = temporal.offsets_to_previous(vector)
    warped, inside = temporal.warp(frame_before, to_previous)
    valid = inside[0, 0].bool()
    assert torch.allclose(warped[:, :, valid], frame_now[:, :, valid], atol=1e-5)  # exact up to float rounding
    assert int(valid.sum()) == (20 - 2) * (30 - 3)
    assert temporal.flicker(frame_now, frame_before, to_previous) == pytest.approx(0.0, abs=1e-6)
    # The consistency check passes for a rigid motion and fails where the backward motion disagrees.
    to_next_of_previous = temporal.offsets_to_next(vector)
    confident = temporal.confidence(to_previous, to_next_of_previous)
    assert torch.equal(confident, inside)
    disagreeing = to_next_of_previous.clone()
    disagreeing[:, :, :, :10] = 0  # a region that did not move in the previous frame: an occluder
    occluded = temporal.confidence(to_previous, disagreeing)
    assert torch.equal(occluded[..., 14:], inside[..., 14:])
    assert float(occluded[..., 3:12].sum()) == 0.0  # landing where the previous frame moved differently


def test_flicker_metric_measures_warped_differences():
    frame = torch.rand(1, 3, 10, 10)
    still = torch.zeros(1, 2, 10, 10)
    assert temporal.flicker(frame, frame, still) == pytest.approx(0.0, abs=1e-6)
    assert temporal.flicker(frame + 0.1, frame, still) == pytest.approx(0.1, abs=1e-6)
    weights = torch.zeros(1, 1, 10, 10)
    weights[..., :5] = 1
    changed = frame.clone()
    changed[..., 5:] += 0.5
    assert temporal.flicker(changed, frame, still, weights) == pytest.approx(0.0, abs=1e-6)


def test_lbfgs_without_the_tv_term(network):
    """Without TV the gradient is the network's own, in the Caffe backbone's channel-flipped stride."""
    content = _display(render_like_scene(24, 24))
    problem = objective.Objective(network, content, _targets(network, brush_painting(32, 32), (24, 24)),
                                  losses.LossWeights(tv=0.0))
    image, parts = optimize.optimise(problem, optimize.initial_image("content", content), 3, "lbfgs")
    assert image.shape == content.shape and parts["style"] > 0
