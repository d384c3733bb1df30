"""The GAN texture core on real torch: training mechanics, checkpoints, generation, tileability."""

import copy
import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
import torch

from gan_fixtures import TINY_PSGAN, brick_texture, tiny_exemplar_model
from fixtures import texture_metrics as metrics
from neural_render.worker.gan import checkpoint, generate, training_loop
from neural_render.worker.gan.errors import CheckpointError, GanInputError
from neural_render.worker.gan.exemplar_gan import ExemplarGan
from neural_render.worker.gan.noise import sample_noise, seeded_generator
from neural_render.worker.gan.psgan import PsganConfig, PsganGenerator, quantise_wave_numbers


def parameters(module):
    return torch.cat([p.detach().flatten() for p in module.parameters()])


# -- training mechanics ------------------------------------------------------------------------
def test_discriminator_learns_to_tell_real_from_fake():
    """With the generator held still, D's loss on real vs fake must fall from log 4 (undecided)."""
    model = tiny_exemplar_model(batch_size=8)
    first = model.trainer.discriminator_step()
    for _ in range(70):
        stats = model.trainer.discriminator_step()
    assert first["d_loss"] == pytest.approx(2 * np.log(2), abs=0.15)
    assert stats["d_loss"] < first["d_loss"] - 0.25
    assert stats["d_real"] > stats["d_fake"] + 0.1


def test_k_discriminator_steps_per_generator_step():
    model = tiny_exemplar_model(d_steps=3)
    calls, batches = [], []
    draw = model.trainer.fake_batch
    model.trainer.fake_batch = lambda generator, count: batches.append(torch.is_grad_enabled()) or draw(generator, count)
    model.trainer.step(between=lambda: calls.append(model.trainer.discriminator_steps))
    assert calls == [1, 2, 3, 3], "three D updates, then the G update"
    assert model.steps == 1
    # The generator's batch (with gradients) is also the first D update's: 1 + 2 fresh, not 1 + 3.
    assert batches == [True, False, False]


def test_ema_generator_lags_the_live_generator():
    model = tiny_exemplar_model()
    start = parameters(model.sampler)
    for _ in range(30):
        model.trainer.step()
    live, average = parameters(model.generator), parameters(model.sampler)
    assert not torch.equal(average, start), "the average follows training"
    assert (average - start).norm() < (live - start).norm(), "but moves less than the live weights"


def test_exemplar_smaller_than_the_crop_is_refused():
    with pytest.raises(GanInputError, match=r"40x30 px but training crops are 64 px"):
        tiny_exemplar_model(crop_size=64, exemplar=brick_texture(30, 40))


def test_crop_size_must_fit_the_generator():
    with pytest.raises(GanInputError, match="multiple of 4"):
        ExemplarGan(TINY_PSGAN, data={"crop_size": 18})


# -- generation -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained():
    model = tiny_exemplar_model(batch_size=8)
    training_loop.train(model, steps=25)
    return model


def test_same_seed_same_texture_other_seed_other_texture(trained):
    a = generate.generate(trained.sampler, trained.scale, 64, 48, seed=5, tileable=True)
    b = generate.generate(trained.sampler, trained.scale, 64, 48, seed=5, tileable=True)
    c = generate.generate(trained.sampler, trained.scale, 64, 48, seed=6, tileable=True)
    assert a.shape == (48, 64, 3) and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert np.abs(a - c).mean() > 0.01


@pytest.mark.parametrize("size", [(37, 53), (1, 1), (200, 8)])
def test_any_size_when_not_tileable(trained, size):
    width, height = size
    image = generate.generate(trained.sampler, trained.scale, width, height, seed=1, tileable=False)
    assert image.shape == (height, width, 3)
    assert np.isfinite(image).all() and image.min() >= 0


def test_tileable_size_must_be_a_multiple_of_the_upsampling(trained):
    with pytest.raises(GanInputError, match=r"multiple of 4 px.*nearest: 36x52"):
        generate.generate(trained.sampler, trained.scale, 37, 53, tileable=True)
    with pytest.raises(GanInputError, match="whole number"):
        generate.check_size(0, 10, 4, False)


@pytest.mark.parametrize("full_resolution_channels", [0, 4])
def test_tileable_generator_is_exactly_periodic(full_resolution_channels):
    """Rolling the local noise by whole cells (and shifting the phases to match) must roll the
    output by exactly that many pixels: every layer wraps and the periodic channels fit the torus."""
    torch.manual_seed(0)
    generator = PsganGenerator(replace(TINY_PSGAN, full_resolution_channels=full_resolution_channels)).eval()
    field = sample_noise(TINY_PSGAN, 1, 6, 5, seeded_generator(3))
    with torch.no_grad():
        k = quantise_wave_numbers(generator.waves(field.global_), 6, 5)
        base = generator(field, periodic=True)
        shift = (2, 3)  # cells down, right
        field.local = torch.roll(field.local, shift, dims=(2, 3))
        field.phases = field.phases - (k[:, :, 0] * shift[0] + k[:, :, 1] * shift[1])
        moved = generator(field, periodic=True)
    pixels = (shift[0] * TINY_PSGAN.upsampling, shift[1] * TINY_PSGAN.upsampling)
    assert torch.allclose(moved, torch.roll(base, pixels, dims=(2, 3)), atol=1e-5)


def test_tileable_output_has_no_seam_and_plain_output_has_one(trained):
    tile = generate.generate(trained.sampler, trained.scale, 96, 96, seed=2, tileable=True)
    plain = generate.generate(trained.sampler, trained.scale, 96, 96, seed=2, tileable=False)
    assert 0.6 < metrics.seam_ratio(tile) < 1.4
    assert metrics.seam_ratio(plain) > metrics.seam_ratio(tile)


def test_cpu_models_run_channels_last_and_the_layout_changes_nothing():
    """The exemplar generator on a CPU keeps weights and activations channels-last (faster there);
    its textures must equal those of the same weights in the default layout, tileable or not."""
    model = tiny_exemplar_model()
    generator = model.generator
    first_conv = generator.stages[0].conv.weight
    assert first_conv.is_contiguous(memory_format=torch.channels_last) and not first_conv.is_contiguous()
    assert model.trainer.ema.model.memory_format == torch.channels_last
    plain = copy.deepcopy(generator).use_memory_format(torch.contiguous_format)
    assert plain.stages[0].conv.weight.is_contiguous()
    field = sample_noise(TINY_PSGAN, 3, 6, 5, seeded_generator(4))
    for periodic in (False, True):
        fast, reference = generator(field, periodic=periodic), plain(field, periodic=periodic)
        assert fast.is_contiguous(memory_format=torch.channels_last) and reference.is_contiguous()
        assert torch.allclose(fast, reference, atol=1e-5)


@pytest.mark.parametrize("full_resolution_channels", [0, 8])
def test_margin_makes_crops_independent_of_the_padding(full_resolution_channels):
    """Kept pixels of a non-tileable texture must not see the field's edge: the padding (zeros or
    wrap-around) may change only the margin that is cut away."""
    torch.manual_seed(1)
    config = PsganConfig(local_channels=4, global_channels=4, periodic_channels=2,
                         generator_channels=(16, 8, 8), input_convs=2, discriminator_channels=(8,),
                         full_resolution_channels=full_resolution_channels)
    generator = PsganGenerator(config).eval()
    field = sample_noise(config, 1, 10, 10, seeded_generator(0))
    with torch.no_grad():
        zero_padded = generator(field, periodic=False)
        for stage in generator.stages:  # same weights, wrap-around padding
            stage.conv.forward = lambda x, wrap=False, conv=stage.conv: type(conv).forward(conv, x, True)
        wrapped = generator(field, periodic=False)
    margin = config.margin_cells * config.upsampling
    inner = (slice(None), slice(None), slice(margin, -margin), slice(margin, -margin))
    assert not torch.allclose(zero_padded, wrapped)
    assert torch.allclose(zero_padded[inner], wrapped[inner], atol=1e-6)


def test_variation_scales_only_the_global_code(trained):
    """Variation 0 gives what the generator draws with the global code at its mean; the seed's local
    noise (its layout) is the same at every variation, and seeds still differ."""
    config = trained.sampler.config
    full = generate.seeded_field(config, 32, 32, 7, True, variation=1.0)
    none = generate.seeded_field(config, 32, 32, 7, True, variation=0.0)
    assert torch.equal(full.local, none.local) and torch.equal(full.phases, none.phases)
    assert full.global_.abs().sum() > 0 and none.global_.abs().sum() == 0
    half = generate.seeded_field(config, 32, 32, 7, True, variation=0.5)
    assert torch.allclose(half.global_, 0.5 * full.global_)

    at_mean = generate.encoding.decode(generate.render_field(trained.sampler, none, 32, 32, True, "cpu"), trained.scale)
    default = generate.generate(trained.sampler, trained.scale, 32, 32, seed=7)
    assert np.array_equal(default, at_mean), "the default variation is 0"
    varied = generate.generate(trained.sampler, trained.scale, 32, 32, seed=7, variation=1.0)
    assert np.abs(varied - default).mean() > 1e-4, "the global code reaches the output"
    other_seed = generate.generate(trained.sampler, trained.scale, 32, 32, seed=8)
    assert np.abs(other_seed - default).mean() > 1e-3, "seeds differ at variation 0"


@pytest.mark.parametrize("variation", [-0.1, 1.5, True, "0.5", float("nan")])
def test_variation_outside_0_to_1_is_refused(trained, variation):
    with pytest.raises(GanInputError, match="variation must be a number from 0 to 1"):
        generate.generate(trained.sampler, trained.scale, 32, 32, variation=variation)
    with pytest.raises(GanInputError, match="variation must be a number from 0 to 1"):
        list(generate.latent_walk(trained.sampler, trained.scale, 32, 32, [1, 2], 2, variation=variation))


def test_latent_walk_starts_at_the_seed_and_moves_smoothly(trained):
    frames = list(generate.latent_walk(trained.sampler, trained.scale, 32, 32, [3, 9], frames_between=6))
    assert len(frames) == 12, "looping: 6 frames from 3 to 9, 6 back"
    assert np.array_equal(frames[0], generate.generate(trained.sampler, trained.scale, 32, 32, seed=3))
    steps = [np.abs(a - b).mean() for a, b in zip(frames, frames[1:])]
    assert max(steps) < np.abs(frames[0] - frames[6]).mean(), "neighbouring frames are closer than the ends"


def test_2048_texture_is_generated_whole_and_tiles_exactly():
    """The size users ask for (its time is in scripts/bench/bench_gan.py, not here)."""
    model = ExemplarGan(device="cpu")
    image = generate.generate(model.sampler, 1.0, 2048, 2048, seed=0, tileable=True)
    assert image.shape == (2048, 2048, 3) and np.isfinite(image).all()
    assert metrics.seam_ratio(image) < 1.25


# -- checkpoints ------------------------------------------------------------------------------
def test_checkpoint_round_trip_gives_the_same_textures(trained, tmp_path):
    path = tmp_path / "model.nrgan"
    trained.save(path)
    loaded = ExemplarGan.load(path)
    assert loaded.steps == trained.steps and loaded.scale == trained.scale
    for name in ("generator", "discriminator"):
        assert torch.equal(parameters(getattr(loaded, name)), parameters(getattr(trained, name)))
    a = generate.generate(trained.sampler, trained.scale, 32, 32, seed=4)
    b = generate.generate(loaded.sampler, loaded.scale, 32, 32, seed=4)
    assert np.array_equal(a, b)
    payload = torch.load(path, weights_only=True)  # loads with the safe unpickler
    assert payload["model_type"] == "psgan"


def test_resumed_training_continues_exactly(tmp_path):
    straight = tiny_exemplar_model(seed=7)
    training_loop.train(straight, steps=6)
    first = tiny_exemplar_model(seed=7)
    training_loop.train(first, steps=3, checkpoint_path=tmp_path / "m.nrgan")
    resumed = ExemplarGan.load(tmp_path / "m.nrgan")
    resumed.attach_exemplar(brick_texture())
    training_loop.train(resumed, steps=3)
    assert resumed.steps == 6
    assert torch.allclose(parameters(resumed.generator), parameters(straight.generator), atol=1e-6)
    assert torch.allclose(parameters(resumed.sampler), parameters(straight.sampler), atol=1e-6)


def test_cancel_during_training_keeps_a_valid_checkpoint(tmp_path):
    model = tiny_exemplar_model()
    path = tmp_path / "m.nrgan"
    calls = []

    class Stop(Exception):
        pass

    def report(fraction, message):
        calls.append(message)
        if len(calls) == 5:
            raise Stop()

    with pytest.raises(Stop):
        training_loop.train(model, seconds=60, report=report, checkpoint_path=path, report_interval=0)
    saved = ExemplarGan.load(path)
    assert saved.steps == model.steps >= 1
    assert "ETA" in calls[-1]


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("content, message", [
    (b"", "not a model of this product"),
    (b"\x89PNG\r\n\x1a\n", "not a model of this product"),  # an image given as a model
    (b"PK\x03\x04 truncated zip", "damaged or not"),
    (b"\x80\x04K\x05.", "not a model of this product"),  # a pickle, not a torch file
])
def test_corrupt_checkpoint_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.nrgan"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=message):
        ExemplarGan.load(path)


def test_truncated_checkpoint_is_a_clear_error(trained, tmp_path):
    path = tmp_path / "m.nrgan"
    trained.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="damaged or not"):
        ExemplarGan.load(path)


def test_foreign_and_mismatched_files_are_refused(trained, tmp_path):
    other = tmp_path / "other.pt"
    torch.save({"state_dict": {"w": torch.zeros(2)}}, other)
    with pytest.raises(CheckpointError, match="not a Neural Render GAN model"):
        checkpoint.load(other)
    malicious = tmp_path / "code.pt"
    torch.save({"format": checkpoint.FORMAT, "payload": os.system}, malicious)
    with pytest.raises(CheckpointError, match="damaged or not"):
        checkpoint.load(malicious)  # weights_only refuses arbitrary objects
    path = tmp_path / "m.nrgan"
    trained.save(path)
    with pytest.raises(CheckpointError, match="holds an exemplar texture model.*folder model \\(DCGAN\\) is needed"):
        checkpoint.load(path, expected_type="dcgan")


def test_checkpoint_with_wrong_shapes_is_refused(trained, tmp_path):
    path = tmp_path / "m.nrgan"
    payload = trained.payload()
    payload["model_config"]["generator_channels"] = [32, 8]
    checkpoint.save(path, payload)
    with pytest.raises(CheckpointError, match="inconsistent"):
        ExemplarGan.load(path)


def test_model_files_from_before_the_full_resolution_convolution_still_load(tmp_path):
    """Files written before ``full_resolution_channels`` existed lack the key and had no such layer."""
    model = ExemplarGan(replace(TINY_PSGAN, full_resolution_channels=0), data={"crop_size": 16})
    payload = model.payload()
    del payload["model_config"]["full_resolution_channels"]
    checkpoint.save(tmp_path / "old.nrgan", payload)
    loaded = ExemplarGan.load(tmp_path / "old.nrgan")
    assert loaded.model_config.full_resolution_channels == 0
    field = sample_noise(loaded.model_config, 1, 4, 4, seeded_generator(0))
    with torch.no_grad():
        assert torch.equal(loaded.generator(field), model.generator(field))


def test_disk_full_while_saving_keeps_the_previous_checkpoint(trained, tmp_path):
    """A real write failure: the save runs in a process whose file-size limit is smaller than a
    model, which makes write() fail the way a full disk does."""
    path = tmp_path / "m.nrgan"
    trained.save(path)
    before = path.read_bytes()
    script = f"""
import resource, signal, sys
sys.path[:0] = [{os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts")!r},
                {os.path.dirname(os.path.abspath(__file__))!r}]  # addon_path; gan_fixtures
import addon_path
addon_path.install()
from gan_fixtures import tiny_exemplar_model
from neural_render.worker.gan.errors import CheckpointError
model = tiny_exemplar_model(seed=3)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    model.save({str(path)!r})
except CheckpointError as error:
    print(error)
    sys.exit(7)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 7, done.stderr
    assert "could not save the model" in done.stdout and "previous model file" in done.stdout
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.nrgan"], "no temporary file is left behind"


# -- metrics ----------------------------------------------------------------------------------
def test_seam_ratio_tells_tileable_from_not():
    rng = np.random.default_rng(0)
    # Low-pass filtered noise made with the FFT is periodic: a seamless tile with texture-like detail.
    spectrum = np.fft.fft2(rng.normal(size=(128, 128, 3)), axes=(0, 1))
    frequency = np.hypot(*np.meshgrid(np.fft.fftfreq(128), np.fft.fftfreq(128), indexing="ij"))
    tile = np.real(np.fft.ifft2(spectrum * (frequency < 0.06)[:, :, None], axes=(0, 1)))
    assert metrics.seam_ratio(tile) == pytest.approx(1.0, abs=0.3)
    assert metrics.seam_ratio(tile[:80, :80]) > 3, "a crop of it does not wrap"


def test_gram_distance_is_zero_for_the_same_statistics_only():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU())
    features = lambda image: [net(image)]  # noqa: E731
    texture = np.clip(brick_texture(64, 64), 0, 1)
    meter = metrics.GramMeter(features, texture)
    assert meter.distance(texture) == 0
    assert meter.distance(np.roll(texture, 24, axis=1)) < 0.1 * meter.distance(texture[::-1, :, ::-1] * 0.5)
    assert metrics.mean_pairwise_difference([texture, texture]) == 0
    assert metrics.mean_pairwise_difference([texture, 1 - texture]) > 0.1
