"""Relight Image's I/O-free parts: the world grid, the guided upsampling, the network's conventions,
the core's linearity and compositing, and the training data factory's exact identities."""

import math

import numpy as np
import pytest
import torch

from neural_render.protocol import sphere
from neural_render.protocol.specs.relight_image import GRID_COLUMNS, GRID_ROWS
from neural_render.worker.relight.weights import Environment, Mapping, z_rotation
from neural_render.worker.relight_image import core, environment_grid, guided
from neural_render.worker.relight_image.network import DIVISOR, RATIO_EPSILON, RelightUNet, ratio_of, relit_from_ratio


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """Small convolutions: one torch thread (see conftest)."""


def _banded_world(width=256):
    """An equirect map with a bright band in one azimuth range and a dim rest (varies by column)."""
    image = np.full((width // 2, width, 3), 0.1, np.float32)
    image[:, width // 8: width // 4] = (4.0, 2.0, 1.0)
    return image


# -- the world grid ----------------------------------------------------------------------------
def test_a_plain_world_gives_its_colour_in_every_cell_and_its_integral():
    grid = environment_grid.environment_grid(Environment(None, (0.5, 1.0, 2.0), strength=3.0))
    assert grid.shape == (GRID_ROWS, GRID_COLUMNS, 3)
    np.testing.assert_allclose(grid, np.broadcast_to((1.5, 3.0, 6.0), grid.shape), rtol=1e-9)
    np.testing.assert_allclose(environment_grid.irradiance(grid), 4 * math.pi * np.array([1.5, 3.0, 6.0]), rtol=1e-9)


def test_turning_the_world_by_one_cell_rolls_the_grid_exactly():
    image = _banded_world()
    still = environment_grid.environment_grid(Environment(image))
    turned = environment_grid.environment_grid(Environment(image, mapping=z_rotation(360.0 / GRID_COLUMNS)))
    assert not np.allclose(still, np.roll(still, 1, axis=1))  # the band makes the roll visible
    matches = [np.allclose(turned, np.roll(still, shift, axis=1), rtol=1e-9) for shift in (1, -1)]
    assert sum(matches) == 1


def test_a_large_map_is_box_filtered_without_changing_its_integral():
    rng = np.random.default_rng(0)
    image = rng.random((1024, 2048, 3)).astype(np.float32)
    small = environment_grid.downsampled(image)
    assert small.shape == (256, 512, 3)
    full = environment_grid.environment_grid(Environment(image))
    fast = environment_grid.environment_grid(Environment(small))
    np.testing.assert_allclose(environment_grid.irradiance(fast), environment_grid.irradiance(full), rtol=2e-3)


def test_grid_weights_round_trip_and_encoding_inverts():
    grid = np.random.default_rng(1).random((2, GRID_ROWS, GRID_COLUMNS, 3)) * 50
    np.testing.assert_allclose(environment_grid.weights_to_grid(environment_grid.grid_to_weights(grid)), grid)
    np.testing.assert_allclose(environment_grid.decode(environment_grid.encode(grid)), grid, rtol=1e-9)


# -- guided upsampling -------------------------------------------------------------------------
def test_the_guided_upsampling_reproduces_a_ratio_that_follows_the_guide_exactly():
    """Where the low-resolution ratio is a linear function of the guide, the full-resolution result is
    that same function of the full-resolution guide: sharp edges come back."""
    full_guide = torch.zeros(1, 1, 64, 64)
    full_guide[:, :, :, 31:] = 1.0  # an edge between two low-resolution pixels' centres
    full_guide += torch.linspace(0, 0.3, 64).view(1, 1, 1, 64)
    low_guide = torch.nn.functional.interpolate(full_guide, size=(16, 16), mode="area")
    low_values = 0.7 * low_guide - 0.2
    upsampled = guided.upsample(low_values, low_guide, full_guide, epsilon=1e-6)
    torch.testing.assert_close(upsampled, 0.7 * full_guide - 0.2, atol=2e-3, rtol=0)


def test_a_flat_ratio_stays_flat():
    guide = torch.rand(1, 1, 40, 56)
    low = torch.nn.functional.interpolate(guide, size=(10, 14), mode="area")
    out = guided.upsample(torch.full((1, 3, 10, 14), 0.25), low, guide)
    torch.testing.assert_close(out, torch.full((1, 3, 40, 56), 0.25), atol=1e-5, rtol=0)


# -- the network -------------------------------------------------------------------------------
def test_an_untrained_network_is_the_irradiance_ratio_baseline_and_the_ratio_inverts():
    """Its convolutions start at zero: what is left is the built-in answer, the image scaled per channel
    by the two worlds' total irradiance."""
    torch.manual_seed(0)
    model = RelightUNet().eval()
    image = torch.rand(2, 3, 32, 48) * 3
    source = torch.rand(2, GRID_ROWS, GRID_COLUMNS, 3) * 2
    target = torch.rand(2, GRID_ROWS, GRID_COLUMNS, 3) * 5
    encoded = [torch.as_tensor(environment_grid.encode(g.numpy()), dtype=torch.float32) for g in (source, target)]
    with torch.no_grad():
        ratio, estimate = model(torch.log1p(image), torch.ones(2, 1, 32, 48), encoded[1], encoded[0])
    assert ratio.shape == (2, 3, 32, 48) and estimate.shape == (2, GRID_ROWS, GRID_COLUMNS, 3)
    scale = environment_grid.irradiance(target.double().numpy()) / environment_grid.irradiance(source.double().numpy())
    gain = torch.as_tensor(scale, dtype=torch.float32)[:, :, None, None]
    expected = ((image + RATIO_EPSILON) * gain - RATIO_EPSILON).clamp_min(0.0)  # the ratio acts on image + eps
    torch.testing.assert_close(relit_from_ratio(image, ratio), expected, rtol=2e-3, atol=1e-3)
    wanted = torch.rand(2, 3, 32, 48) * 5
    torch.testing.assert_close(relit_from_ratio(image, ratio_of(wanted, image)), wanted, rtol=1e-5, atol=1e-5)


def test_a_known_source_world_conditions_only_the_samples_it_is_given_for():
    torch.manual_seed(0)
    model = RelightUNet()
    for parameter in model.parameters():  # wake the zero-initialised head and modulations
        torch.nn.init.normal_(parameter, std=0.05)
    model.eval()
    image, matte = torch.rand(2, 3, 32, 32), torch.ones(2, 1, 32, 32)
    target, source = torch.rand(2, GRID_ROWS, GRID_COLUMNS, 3), torch.rand(2, GRID_ROWS, GRID_COLUMNS, 3) * 4
    with torch.no_grad():
        estimated, _ = model(image, matte, target)
        given, _ = model(image, matte, target, source)
        mixed, _ = model(image, matte, target, source, torch.tensor([True, False]))
    assert not torch.allclose(estimated, given)
    torch.testing.assert_close(mixed[0], given[0])
    torch.testing.assert_close(mixed[1], estimated[1])


@pytest.mark.parametrize("shape,side,expected", [((1024, 1024), 128, (128, 128)), ((300, 200), 128, (128, 96)),
                                                 ((20, 900), 128, (16, 128))])
def test_the_network_size_keeps_the_aspect_in_multiples_of_the_divisor(shape, side, expected):
    size = core.network_size(*shape, side)
    assert size == expected and size[0] % DIVISOR == 0 and size[1] % DIVISOR == 0


# -- the core ----------------------------------------------------------------------------------
def test_relighting_is_exactly_linear_in_the_target_world():
    """The core normalises each world and scales the result back: twice the world, twice the light."""
    model = RelightUNet()
    for parameter in model.parameters():
        torch.nn.init.normal_(parameter, std=0.05)
    model.eval()
    rgb = np.random.default_rng(2).random((50, 70, 3)).astype(np.float32)
    matte = np.ones((50, 70), np.float32)
    grid = environment_grid.environment_grid(Environment(_banded_world()))
    relit, estimate = core.relight(model, rgb, matte, [grid, 2.0 * grid, 0.0 * grid], 64)
    assert relit.shape == (3, 50, 70, 3) and estimate.shape == (GRID_ROWS, GRID_COLUMNS, 3)
    np.testing.assert_allclose(relit[1], 2.0 * relit[0], rtol=1e-5, atol=1e-6)
    assert np.abs(relit[2]).max() == 0.0
    assert not np.allclose(relit[0], rgb * (relit[0].mean() / rgb.mean()), rtol=0.05)  # not a plain scale


def test_the_core_relights_at_the_level_the_network_was_trained_at():
    """Training targets have mean irradiance pi (training/relight_data/pairs.normalised); the ratio acts on
    image + eps, so the core must divide each world to that level, relight, and scale back -- another
    level would shift every pixel by eps times the difference. Untrained, the ratio is the worlds'
    irradiance ratio, so the answer is known in closed form."""
    model = RelightUNet().eval()
    rgb = np.random.default_rng(3).random((64, 64, 3)).astype(np.float32)
    source = environment_grid.environment_grid(Environment(_banded_world()))
    target = 7.0 * environment_grid.environment_grid(Environment(None, (1.0, 0.5, 0.25)))
    relit, _ = core.relight(model, rgb, np.ones((64, 64), np.float32), [target], 64, source_grid=source)
    gain = environment_grid.irradiance(target) / environment_grid.irradiance(source)
    level = environment_grid.irradiance(target).mean() / math.pi
    expected = np.clip(((rgb + RATIO_EPSILON) * gain / level - RATIO_EPSILON) * level, 0.0, None)
    np.testing.assert_allclose(relit[0], expected, rtol=2e-3, atol=1e-4)


def test_the_matte_decides_what_is_relit_and_the_background_modes():
    rgb = np.full((32, 40, 3), 0.5, np.float32)
    relit = np.full((32, 40, 3), 2.0, np.float32)
    matte = np.zeros((32, 40), np.float32)
    matte[8:24, 10:30] = 1.0
    alpha = np.full((32, 40), 0.75, np.float32)
    kept = core.composite(relit, rgb, matte, alpha, "keep")
    assert kept[0, 0].tolist() == [0.5, 0.5, 0.5, 0.75] and kept[16, 20].tolist() == [2.0, 2.0, 2.0, 0.75]
    clear = core.composite(relit, rgb, matte, alpha, "transparent")
    assert clear[0, 0].tolist() == [0, 0, 0, 0] and clear[16, 20].tolist() == [2.0, 2.0, 2.0, 1.0]
    world = np.full((32, 40, 3), 7.0, np.float32)
    seen = core.composite(relit, rgb, matte, alpha, "world", world)
    assert seen[0, 0].tolist() == [7.0, 7.0, 7.0, 1.0] and seen[16, 20, :3].tolist() == [2.0, 2.0, 2.0]


def test_the_front_view_looks_along_plus_y():
    """A world bright only around +Y shows its brightness in the middle of the front view."""
    height, width = 64, 128
    uv = sphere.direction_to_uv(sphere.texel_directions(width, height).reshape(-1, 3))
    texels = sphere.texel_directions(width, height).reshape(height, width, 3)
    image = np.where(texels[..., 1:2] > 0.95, 10.0, 0.1).astype(np.float32).repeat(3, axis=2)
    assert uv.shape[0] == height * width
    view = core.front_view(Environment(image), 33, 45)
    assert view[16, 22, 0] == pytest.approx(10.0, rel=0.05) and view[0, 0, 0] < 1.0
    turned = core.front_view(Environment(image, mapping=Mapping(rotation=(0.0, 0.0, math.pi))), 33, 45)
    assert turned[16, 22, 0] < 1.0


@pytest.mark.parametrize("image,matte,match", [
    (np.zeros((32, 32, 5), np.float32), None, "must be"),
    (np.full((32, 32, 3), np.nan, np.float32), None, "NaN"),
    (np.zeros((32, 32, 3), np.float32), np.ones((16, 32), np.float32), "same size"),
])
def test_bad_images_and_mattes_are_refused_with_the_reason(image, matte, match):
    with pytest.raises(core.RelightInputError, match=match):
        core.split_image(image, matte)


def test_the_matte_defaults_to_the_alpha_then_to_everything():
    rgba = np.zeros((16, 16, 4), np.float32)
    rgba[..., 3] = 0.25
    assert core.split_image(rgba)[1].max() == 0.25
    assert core.split_image(rgba[..., :3])[1].min() == 1.0
    assert core.split_image(rgba[..., :1])[0].shape == (16, 16, 3)
