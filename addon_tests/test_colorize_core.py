"""Colorize cores: Lab, gamut bins, soft-encoding, rebalancing, the ECCV16 layout and its decoding,
upsampling/recombination, seams, weights handling. Real torch, small tensors."""

import os

import numpy as np
import pytest
import torch

from fixtures import colorize_metrics as metrics
from fixtures.texture_metrics import seam_ratio
from neural_render.protocol.specs import colorize as colorize_spec
from neural_render.worker.colorize import decode, gamut_bins, inference, lab, model, rebalance, weights
from training import colorize_training as training


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """This module's small convolutions run on one torch thread (see conftest)."""


# -- Lab ----------------------------------------------------------------------------------------
def test_lab_round_trip_is_exact_and_known_values_match():
    rng = np.random.default_rng(0)
    rgb = rng.uniform(0.0, 2.0, (1000, 3))            # HDR values too
    assert np.abs(lab.lab_to_linear_rgb(lab.linear_rgb_to_lab(rgb)) - rgb).max() < 1e-10
    assert np.allclose(lab.linear_rgb_to_lab(np.ones(3)), [100.0, 0.0, 0.0], atol=1e-9)
    # sRGB red / green / blue in CIE Lab (D65): the standard published values.
    primaries = lab.srgb_to_lab(np.eye(3))
    assert np.allclose(primaries, [[53.24, 80.09, 67.20], [87.73, -86.18, 83.18], [32.30, 79.19, -107.86]], atol=0.02)
    # Lightness alone agrees with the full conversion, through the linear segment near black too.
    grey = np.array([0.0, 0.001, 0.008, 0.18, 1.0, 4.0])
    assert np.allclose(lab.luminance_to_lightness(grey), lab.linear_rgb_to_lab(np.repeat(grey[:, None], 3, 1))[:, 0])
    assert lab.linear_rgb_to_lab(rgb.astype(np.float32)).dtype == np.float32


# -- bins, soft-encoding, rebalancing -----------------------------------------------------------
def test_in_gamut_bins_cover_the_srgb_gamut_and_nothing_else():
    centres = gamut_bins.in_gamut_bins()
    assert 240 <= len(centres) <= 330                    # the paper has 313 with an unpublished rule
    assert len(np.unique(centres, axis=0)) == len(centres) and np.all(centres % 10 == 0)
    colours = np.random.default_rng(1).uniform(0, 1, (20000, 3))
    ab = lab.srgb_to_lab(colours)[:, 1:]
    distance = np.abs(centres[gamut_bins.nearest_bins(ab, centres)] - ab).max(1)
    assert distance.max() <= 5.0 + 1e-6, "every sRGB colour falls in the cell of some bin"
    assert not np.any(np.all(np.abs(centres - [100.0, -100.0]) < 1, axis=1)), "a* 100 with b* -100 is out of gamut"


def test_soft_encoding_is_five_gaussian_weighted_nearest_bins():
    centres = gamut_bins.in_gamut_bins()
    ab = torch.tensor([[[[3.0]], [[-2.0]]]])               # (1, 2, 1, 1): near bin (0, 0)
    encoded = gamut_bins.soft_encode(ab, centres)[0, :, 0, 0].numpy()
    assert np.isclose(encoded.sum(), 1.0) and (encoded > 0).sum() == 5
    nearest = np.argsort(((centres - [3.0, -2.0]) ** 2).sum(1))[:5]
    assert set(np.flatnonzero(encoded)) == set(nearest)
    d2 = ((centres[nearest] - [3.0, -2.0]) ** 2).sum(1)
    expected = np.exp(-d2 / (2 * 5.0 ** 2))
    assert np.allclose(encoded[nearest], expected / expected.sum(), atol=1e-6)


def test_rebalancing_weights_favour_rare_colours_and_have_unit_expectation():
    centres = gamut_bins.in_gamut_bins()
    grey = np.zeros((5000, 2))
    red = np.tile([[60.0, 50.0]], (50, 1))
    prior = rebalance.empirical_prior(np.concatenate([grey, red]), centres)
    weights = rebalance.rebalancing_weights(prior, centres)
    smoothed = rebalance.smooth_prior(prior, centres)
    assert np.isclose((smoothed * weights).sum(), 1.0, atol=1e-5)
    grey_bin, red_bin = gamut_bins.nearest_bins(np.array([[0.0, 0.0], [60.0, 50.0]]), centres)
    assert weights[red_bin] > 5 * weights[grey_bin]
    uniform = rebalance.rebalancing_weights(np.full(len(centres), 1.0 / len(centres)), centres)
    assert np.std(uniform) / np.mean(uniform) < 0.2  # near-uniform prior: near-uniform weights
    # lambda = 0.5 bounds the weights: 1 / (0.5 / Q) before normalising, so never-seen bins stay finite.
    assert weights.max() < 2.0 * len(centres)


# -- the network and its decoding ---------------------------------------------------------------
RELEASED_LAYOUT = {  # key -> shape of the released ECCV16 state dict
    "model1.0.weight": (64, 1, 3, 3), "model1.2.weight": (64, 64, 3, 3), "model1.4.running_var": (64,),
    "model2.2.weight": (128, 128, 3, 3), "model2.4.weight": (128,),
    "model3.4.weight": (256, 256, 3, 3), "model3.6.running_mean": (256,),
    "model4.0.weight": (512, 256, 3, 3), "model4.6.bias": (512,),
    "model5.0.weight": (512, 512, 3, 3), "model6.4.bias": (512,), "model7.6.weight": (512,),
    "model8.0.weight": (512, 256, 4, 4), "model8.2.weight": (256, 256, 3, 3), "model8.4.bias": (256,),
    "model8.6.weight": (313, 256, 1, 1), "model8.6.bias": (313,), "model_out.weight": (2, 313, 1, 1),
}


@pytest.fixture(scope="module")
def released_like_state():
    """A state dict in the released layout (random values, real 313-bin table in model_out)."""
    centres = np.random.default_rng(2).integers(-9, 10, (313, 2)).astype(np.float32) * 10
    full = model.Eccv16Colorizer(centres, width=1.0)
    return {key: value.clone() for key, value in full.state_dict().items()}, centres


def test_full_width_model_has_the_released_keys_shapes_and_size(released_like_state):
    state, _ = released_like_state
    for key, shape in RELEASED_LAYOUT.items():
        assert tuple(state[key].shape) == shape, key
    assert all(key.split(".")[0] in {f"model{index}" for index in range(1, 9)} | {"model_out"} for key in state)
    data_bytes = sum(value.numel() * value.element_size() for value in state.values())
    # The release is 128,976,165 bytes: the float32 tensors plus a few KB of pickle framing.
    assert 0 < weights.RELEASED_SIZE - data_bytes < 20_000


def test_released_layout_loads_and_its_bins_come_from_model_out(released_like_state):
    state, centres = released_like_state
    without_counters = {key: value for key, value in state.items() if not key.endswith("num_batches_tracked")}
    loaded = model.from_state_dict(without_counters)
    assert loaded.bins == 313
    assert np.allclose(loaded.bin_centres().numpy(), centres, atol=1e-4)
    with pytest.raises(ValueError, match="not an ECCV16"):
        model.from_state_dict({"conv.weight": torch.zeros(1)})


def test_annealed_mean_matches_the_released_head_and_the_caffe_scaling():
    torch.manual_seed(0)
    centres = gamut_bins.in_gamut_bins()
    small = model.Eccv16Colorizer(centres, width=0.125).eval()
    lightness = torch.rand(1, 1, 32, 32) - 0.5
    logits = small(lightness)
    # T = 1 is exactly what the released code computes with model_out (110 * model_out(softmax)).
    released_mean = model.AB_SCALE * small.model_out(torch.softmax(logits, dim=1))
    assert torch.allclose(decode.annealed_mean(logits, small.bin_centres(), 1.0), released_mean, atol=1e-3)
    # The Caffe deploy's 2.606 x logits is the annealed mean at T = 1 / 2.606 (the spec's default, rounded).
    scaled = torch.einsum("nqhw,qc->nchw", torch.softmax(2.606 * logits, 1), small.bin_centres())
    temperature = 1.0 / 2.606
    assert abs(colorize_spec.DEFAULT_TEMPERATURE - temperature) < 5e-3
    assert torch.allclose(decode.annealed_mean(logits, small.bin_centres(), temperature), scaled, atol=1e-4)
    # T -> 0 is the mode: the centre of the most likely bin.
    mode = decode.annealed_mean(logits, small.bin_centres(), 0.0)
    assert torch.allclose(mode[0, :, 3, 5], small.bin_centres()[logits[0, :, 3, 5].argmax()])


def test_lower_temperature_is_more_vivid_on_a_bimodal_prediction():
    centres = torch.tensor([[0.0, 0.0], [60.0, 40.0], [-50.0, 50.0]])
    logits = torch.log(torch.tensor([0.5, 0.3, 0.2])).view(1, 3, 1, 1)
    chroma = [float(decode.annealed_mean(logits, centres, t).norm()) for t in (1.0, 0.38, 0.0)]
    assert chroma[0] > 0  # the mean of a grey-or-colour distribution is desaturated ...
    assert chroma[2] == 0  # ... the mode here is grey ...
    vivid = torch.log(torch.tensor([0.2, 0.5, 0.3])).view(1, 3, 1, 1)
    chroma = [float(decode.annealed_mean(vivid, centres, t).norm()) for t in (1.0, 0.38, 0.0)]
    assert chroma[0] < chroma[1] < chroma[2]  # ... and annealing moves from the mean towards the mode


def test_upsample_and_recombine_keep_full_resolution_lightness():
    rng = np.random.default_rng(3)
    lightness = rng.uniform(20, 80, (37, 53)).astype(np.float32)
    ab_small = np.tile(np.array([10.0, -5.0], np.float32), (5, 7, 1))
    rgb = decode.recombine(lightness, ab_small)
    back = lab.linear_rgb_to_lab(rgb)
    assert np.abs(back[:, :, 0] - lightness).max() < 1e-3, "the original L* survives, pixel for pixel"
    assert np.allclose(back[:, :, 1:], [10.0, -5.0], atol=1e-2)
    ramp = np.arange(8, dtype=np.float32)[None, :, None].repeat(2, 0)
    wide = decode.upsample(ramp, 2, 32, wrap=False)
    assert np.all(np.diff(wide[0, :, 0]) >= 0) and wide[0, 0, 0] == 0 and wide[0, -1, 0] == 7
    wrapped = decode.upsample(ramp, 2, 32, wrap=True)
    assert wrapped[0, 0, 0] > 0 and wrapped[0, -1, 0] < 7, "wrapping blends the two ends"


def test_strips_bound_memory_and_match_whole_image():
    ab_small = np.random.default_rng(4).normal(0, 20, (9, 11, 2)).astype(np.float32)
    whole = decode.upsample(ab_small, 100, 130)
    strips = np.concatenate([strip for _, strip in decode.upsample_strips(ab_small, 100, 130, strip_rows=7)])
    assert np.array_equal(whole, strips)


def test_seamless_input_gives_a_seamless_output():
    torch.manual_seed(5)
    net = model.Eccv16Colorizer(gamut_bins.in_gamut_bins(), width=0.125).eval()
    with torch.no_grad():  # make the untrained network respond strongly to position and content
        for parameter in net.parameters():
            if parameter.requires_grad:
                parameter.mul_(3.0)
    y, x = np.mgrid[0:96, 0:128]
    tile = (50 + 20 * np.sin(2 * np.pi * x / 64) * np.cos(2 * np.pi * y / 48)).astype(np.float32)
    assert seam_ratio(tile) < 1.2  # the input tiles
    plain = inference.predict_ab(net, tile, torch.device("cpu"), 0.38, 128, seamless_input=False)
    wrapped = inference.predict_ab(net, tile, torch.device("cpu"), 0.38, 128, seamless_input=True)
    full_plain = decode.upsample(plain, 96, 128, wrap=False)
    full_wrapped = decode.upsample(wrapped, 96, 128, wrap=True)
    assert seam_ratio(full_wrapped) < 1.5
    assert seam_ratio(full_plain) > 1.5 * seam_ratio(full_wrapped)


def test_metrics_behave():
    truth = np.array([[0.0, 0.0], [50.0, 0.0]])
    assert metrics.ab_accuracy_auc(truth, truth) == 1.0
    assert metrics.ab_accuracy_auc(truth + [200.0, 0.0], truth) == 0.0
    grey = np.full((8, 8, 3), 0.2)
    assert metrics.colourfulness(grey) < 1e-6
    colourful = np.random.default_rng(6).uniform(0, 1, (8, 8, 3))
    assert metrics.colourfulness(colourful) > 30
    assert metrics.psnr(grey, grey) == float("inf")


# -- weights ------------------------------------------------------------------------------------
def test_missing_or_wrong_weights_give_clear_messages(tmp_path):
    with pytest.raises(weights.WeightsError, match="no colorizer weights at .*colorization_release_v2"):
        weights.load_file(str(tmp_path / "none.pth"))
    fake = tmp_path / "colorization_release_v2-9b330a0b.pth"
    fake.write_bytes(b"not the weights")
    with pytest.raises(weights.WeightsError, match="expected 128,976,165"):
        weights.load_file(str(fake))
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x00" * 100)
    with pytest.raises(weights.WeightsError, match="damaged or not a colorizer checkpoint"):
        weights.load_file(str(junk))


def test_released_choice_without_the_file_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURAL_RENDER_MODELS_DIR", str(tmp_path))
    with pytest.raises(weights.WeightsError) as error:
        weights.choose_model(model="released")
    message = str(error.value)
    assert weights.RELEASED_URL in message and "preferences" in message and "train_colorizer" in message


def test_our_checkpoint_round_trips_through_the_weights_loader(tmp_path):
    images = [np.random.default_rng(7).uniform([30, -20, -20], [70, 20, 20], (40, 40, 3)).astype(np.float32)]
    trainer = training.ColorizerTrainer(training.TrainSettings(crop=32, batch_size=2), images, torch.device("cpu"))
    trainer.step()
    path = tmp_path / "mine.pt"
    training.save_checkpoint(str(path), trainer.payload())
    loaded = weights.load_file(str(path))
    assert not loaded.released and loaded.network_size == 256 and loaded.model.bins == len(gamut_bins.in_gamut_bins())
    assert os.listdir(tmp_path) == ["mine.pt"], "no partial files are left behind"
