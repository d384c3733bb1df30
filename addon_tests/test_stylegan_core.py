"""StyleGAN core, called directly: tiling by construction, any size, seeds, mixing, truncation, the
fused single-image path, DiffAugment, resumable training, projection and latent files."""

import numpy as np
import pytest
import torch

from gan_fixtures import brick_texture
from fixtures.texture_metrics import seam_ratio
from neural_render.worker.gan import training_loop
from neural_render.worker.gan.errors import CheckpointError, GanInputError
from neural_render.worker.stylegan import augment, latent_file, network, projection, sampling
from neural_render.worker.stylegan.model import StyleGan
from neural_render.worker.stylegan.network import CELL, StyleGanConfig

TINY = StyleGanConfig(image_size=32, full_resolution_channels=4, max_channels=32, discriminator_channels=4,
                      z_dim=16, w_dim=16, input_channels=4)


def tiny_model(seed=0, images=None, **data):
    model = StyleGan(TINY, StyleGan.default_settings().__class__(
        **dict(StyleGan.default_settings().to_dict(), batch_size=4)), data, "cpu", seed)
    model.attach_images(images if images is not None else [brick_texture(48, 40, seed=index) for index in range(3)])
    return model


@pytest.fixture(scope="module")
def trained():
    torch.manual_seed(0)
    model = tiny_model()
    training_loop.train(model, steps=3)
    # Non-zero noise strengths and biases, so the tests see every term of the synthesis at work.
    with torch.no_grad():
        for parameter in model.trainer.ema.model.parameters():
            if parameter.ndim <= 1:
                parameter.add_(torch.randn(parameter.shape, generator=torch.Generator().manual_seed(1)) * 0.2)
    return model


def _srgb(linear):
    return np.clip(linear, 0, 1) ** (1 / 2.2)


def test_a_texture_wraps_exactly_shifting_the_torus_shifts_the_image(trained):
    generator = trained.sampler
    field, noises = sampling.seeded_layout(TINY, 5, 4, 6)
    ws = sampling.styles(generator, 5)
    with torch.no_grad():
        image = generator(ws, field, noises)
        shifted = generator(ws, torch.roll(field, (1, 2), (2, 3)),
                            [torch.roll(noise, (noise.shape[2] // 4, noise.shape[3] // 3), (2, 3)) for noise in noises])
    assert torch.allclose(torch.roll(image, (CELL, 2 * CELL), (2, 3)), shifted, atol=1e-5), \
        "the synthesis is shift-equivariant on the torus, so its output tiles"


def test_tileable_textures_have_no_seam_and_plain_ones_are_not_periodic(trained):
    tile = sampling.generate(trained.sampler, trained.scale, 96, 64, seed=2)
    assert tile.shape == (64, 96, 3)
    assert seam_ratio(_srgb(tile)) < 1.6
    plain = sampling.generate(trained.sampler, trained.scale, 96, 64, seed=2, tileable=False)
    assert seam_ratio(_srgb(plain)) > seam_ratio(_srgb(tile))


def test_any_size_when_not_tileable_and_multiples_of_16_when_tileable(trained):
    assert sampling.generate(trained.sampler, trained.scale, 50, 37, seed=0, tileable=False).shape == (37, 50, 3)
    with pytest.raises(GanInputError, match="multiple of 16.*nearest: 48x32"):
        sampling.generate(trained.sampler, trained.scale, 50, 37, seed=0)


def test_a_seed_gives_one_texture_and_other_seeds_others(trained, tmp_path):
    a = sampling.generate(trained.sampler, trained.scale, 32, 32, seed=7)
    assert np.array_equal(a, sampling.generate(trained.sampler, trained.scale, 32, 32, seed=7))
    assert not np.allclose(a, sampling.generate(trained.sampler, trained.scale, 32, 32, seed=8))
    trained.save(tmp_path / "m.nrgan")
    loaded = StyleGan.load(tmp_path / "m.nrgan")
    assert np.array_equal(a, sampling.generate(loaded.sampler, loaded.scale, 32, 32, seed=7)), "saved and loaded"


def test_the_fused_single_image_path_equals_the_batched_training_path(trained):
    generator = trained.sampler
    field, noises = sampling.seeded_layout(TINY, 3, 2, 2)
    ws = sampling.styles(generator, 3).detach()
    with torch.enable_grad():
        batched = generator(ws, field, noises).detach()
    with torch.no_grad():
        fused = generator(ws, field, noises)
    assert torch.allclose(batched, fused, atol=1e-5)


def test_mixing_takes_coarse_layers_from_one_seed_and_fine_from_another(trained):
    generator = trained.sampler
    with torch.no_grad():
        mixed = sampling.styles(generator, 1, mix_seed=2, mix_layer=4)
        first, second = sampling.styles(generator, 1), sampling.styles(generator, 2)
    assert torch.equal(mixed[:, :4], first[:, :4]) and torch.equal(mixed[:, 4:], second[:, 4:])
    with pytest.raises(GanInputError, match="mix layer must be from 1 to 9"):
        sampling.styles(generator, 1, mix_seed=2, mix_layer=10)


def test_truncation_pulls_every_seed_to_the_average_w(trained):
    generator = trained.sampler
    assert generator.mapping.w_average.abs().sum() > 0, "training tracked the average w"
    with torch.no_grad():
        average = sampling.styles(generator, 1, psi=0.0)
        assert torch.allclose(average, sampling.styles(generator, 2, psi=0.0))
        half = sampling.styles(generator, 1, psi=0.5)
        assert torch.allclose(half, (sampling.styles(generator, 1) + average) / 2, atol=1e-6)


def test_a_walk_starts_at_its_first_seed_loops_and_any_subset_is_the_same(trained):
    frames = list(sampling.latent_walk(trained.sampler, trained.scale, 32, 32, [4, 9], 3))
    assert len(frames) == 6
    assert np.allclose(frames[0], sampling.generate(trained.sampler, trained.scale, 32, 32, seed=4), atol=1e-6)
    assert np.allclose(frames[3], sampling.generate(trained.sampler, trained.scale, 32, 32, seed=9), atol=1e-6)
    subset = list(sampling.latent_walk(trained.sampler, trained.scale, 32, 32, [4, 9], 3, indices=[5, 2]))
    assert np.array_equal(subset[0], frames[2]) and np.array_equal(subset[1], frames[5])


def test_diffaugment_is_seeded_differentiable_and_changes_every_image():
    images = torch.rand(6, 3, 32, 32, requires_grad=True)
    one = augment.diff_augment(images, torch.Generator().manual_seed(3))
    two = augment.diff_augment(images, torch.Generator().manual_seed(3))
    assert torch.equal(one, two)
    assert all(not torch.allclose(a, b) for a, b in zip(one, images))
    one.sum().backward()
    assert images.grad is not None and images.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="unknown augmentation"):
        augment.diff_augment(images, torch.Generator(), ("blur",))


def test_training_resumed_from_a_file_continues_exactly(tmp_path):
    previous = torch.get_num_threads()
    torch.set_num_threads(1)  # the same arithmetic order in both runs
    try:
        straight = tiny_model(seed=4)
        training_loop.train(straight, steps=4)
        first = tiny_model(seed=4)
        training_loop.train(first, steps=2, checkpoint_path=str(tmp_path / "m.nrgan"))
        resumed = StyleGan.load(tmp_path / "m.nrgan")
        resumed.attach_images([brick_texture(48, 40, seed=index) for index in range(3)])
        training_loop.train(resumed, steps=2)
    finally:
        torch.set_num_threads(previous)
    assert resumed.steps == straight.steps == 4
    for a, b in zip(straight.generator.state_dict().values(), resumed.generator.state_dict().values()):
        assert torch.equal(a, b)


def test_bad_training_data_is_refused_with_a_reason():
    with pytest.raises(GanInputError, match="at least 2 images"):
        tiny_model(images=[brick_texture(48, 48)])
    with pytest.raises(GanInputError, match="smaller than the 32 px crops"):
        tiny_model(images=[brick_texture(48, 48), brick_texture(20, 48)])
    with pytest.raises(GanInputError, match="smaller than the 32 px crops.*shrinking by 2"):
        tiny_model(images=[brick_texture(48, 48)] * 2, texture_scale=2)
    with pytest.raises(ValueError, match="image size must be one of"):
        StyleGanConfig(image_size=48)


def test_projection_fits_a_texture_the_model_can_make(trained):
    generator = trained.sampler
    target = sampling.generate(generator, trained.scale, 32, 32, seed=11, psi=0.7)
    start = sampling.generate(generator, trained.scale, 32, 32, seed=0, psi=0.0)
    ws, field, noises, size = projection.project(generator, trained.scale, target, steps=60, seed=0,
                                                 perceptual_weight=0.0)
    fit = sampling.render(generator, trained.scale, ws, field, noises, 0, *size)
    assert size == (32, 32)
    assert np.abs(fit - target).mean() < 0.5 * np.abs(start - target).mean()
    assert all(abs(float(noise.std()) - 1) < 1e-3 for noise in noises), "the noise stays unit Gaussian"


def test_the_noise_regulariser_punishes_structure_not_noise():
    white = torch.randn(1, 1, 64, 64, generator=torch.Generator().manual_seed(0))
    smooth = torch.nn.functional.avg_pool2d(white, 5, 1, 2)
    smooth = (smooth - smooth.mean()) / smooth.std()
    assert projection.noise_regularisation([smooth]) > 100 * projection.noise_regularisation([white])


def test_latent_files_round_trip_and_refuse_other_models_and_other_files(trained, tmp_path):
    ws = sampling.styles(trained.sampler, 3).detach()
    path = tmp_path / "mine.nrlatent"
    latent_file.save(str(path), ws, (32, 32), "m.nrgan")
    loaded, size = latent_file.load(str(path), TINY)
    assert torch.equal(loaded, ws) and size == (32, 32)
    with pytest.raises(GanInputError, match="latent of another model"):
        latent_file.load(str(path), StyleGanConfig())
    junk = tmp_path / "junk.nrlatent"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(GanInputError, match="not a latent of this product"):
        latent_file.load(str(junk), TINY)


def test_a_model_file_of_another_kind_is_named(tmp_path):
    from gan_fixtures import tiny_folder_model
    folder = tiny_folder_model([brick_texture(32, 32, seed=index) for index in range(2)])
    folder.save(tmp_path / "dcgan.nrgan")
    with pytest.raises(CheckpointError, match="StyleGAN texture-set model is needed"):
        StyleGan.load(tmp_path / "dcgan.nrgan")


def test_generator_widths_double_towards_the_input_up_to_the_cap():
    config = StyleGanConfig()
    assert [config.generator_channels(level) for level in range(network.UPSAMPLINGS + 1)] == [256, 128, 64, 32, 16]
    assert config.num_ws == 10
