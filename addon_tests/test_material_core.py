"""The material-map core: normal-map conventions and transforms, Fourier integration, tiled inference
and tileability (pure functions, no worker)."""

import numpy as np
import pytest
import torch

from material_fixtures import bumpy_height, normals_of, random_model
from neural_render.worker.material import checkpoint, core, tiles
from neural_render.worker.material import height as heights
from neural_render.worker.material import normals as normal_maps


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
def test_rotating_a_normal_map_turns_its_vectors_like_the_surface(turns):
    surface = bumpy_height(64, 80, seed=turns, tileable=True)
    expected = normals_of(np.rot90(surface, turns), tileable=True)
    rotated = normal_maps.rotate90(normals_of(surface, tileable=True), turns)
    assert normal_maps.angular_error_degrees(rotated, expected).max() < 1e-4
    if turns % 2:  # rotating the pixels alone is wrong: the test can tell
        moved_only = np.rot90(normals_of(surface, tileable=True), turns)
        assert normal_maps.angular_error_degrees(moved_only, expected).mean() > 5


@pytest.mark.parametrize("columns,rows", [(True, False), (False, True), (True, True)])
def test_flipping_a_normal_map_mirrors_its_vectors(columns, rows):
    surface = bumpy_height(48, 64, seed=3, tileable=True)
    mirrored = surface[:, ::-1] if columns else surface
    mirrored = mirrored[::-1] if rows else mirrored
    flipped = normal_maps.flip(normals_of(surface, tileable=True), columns, rows)
    assert normal_maps.angular_error_degrees(flipped, normals_of(mirrored, tileable=True)).max() < 1e-4


def test_opengl_normals_tilt_up_where_the_surface_rises_towards_the_bottom_rows():
    ramp = np.repeat(np.arange(32.0)[:, None], 32, axis=1) * 0.5   # higher further down the image
    vectors = normals_of(ramp)
    assert (vectors[4:-4, 4:-4, 1] > 0.4).all() and np.abs(vectors[..., 0]).max() < 1e-9


@pytest.mark.parametrize("tileable", [False, True])
def test_integration_recovers_the_surface_from_its_normals(tileable):
    surface = bumpy_height(72, 100, seed=5, tileable=tileable) * 8
    recovered = heights.integrate(normals_of(surface, tileable), tileable)
    assert heights.affine_fit_error(recovered, surface) < 0.01
    # Reading the green channel the wrong way gives a different, worse surface.
    wrong = heights.integrate(normal_maps.flip_green(normals_of(surface, tileable)), tileable)
    assert heights.affine_fit_error(wrong, surface) > 0.3


def test_the_curl_tells_the_green_convention():
    vectors = normals_of(bumpy_height(96, 96, seed=7, tileable=True) * 6, tileable=True)
    assert normal_maps.curl_ratio(vectors) < 0.05
    assert normal_maps.curl_ratio(normal_maps.flip_green(vectors)) > 0.5


def test_integration_on_a_reduced_grid_above_the_limit_keeps_the_shape(monkeypatch):
    # Broad features (a reduced grid cannot keep detail finer than its cells): blur sigma 10 px.
    surface = heights.gaussian_blur(np.random.default_rng(9).normal(size=(128, 160)), 10.0) * 400
    monkeypatch.setattr(core, "MAX_INTEGRATION_SIDE", 64)
    recovered = core.integrate_normals(normals_of(surface))
    assert recovered.shape == surface.shape and heights.affine_fit_error(recovered, surface) < 0.1


@pytest.mark.parametrize("tileable", [False, True])
@pytest.mark.parametrize("shape", [(200, 300), (130, 97)])
def test_the_fourier_blur_of_the_height_fusion_is_the_direct_gaussian(shape, tileable):
    """core._blur multiplies spectra (fast at 2048²); it must equal the separable convolution with the same
    taps and boundary -- reflected, or wrapped for a tileable picture."""
    image = np.random.default_rng(11).random(shape).astype(np.float32)
    direct = heights.gaussian_blur(image.astype(np.float64), 16.0, tileable)
    np.testing.assert_allclose(core._blur(image, 16.0, tileable), direct, atol=2e-6)


def test_the_classical_baseline_reads_bright_as_high():
    ramp = np.repeat(np.linspace(0, 1, 40)[:, None], 40, axis=1)   # brighter towards the bottom
    vectors = heights.normals_from_luminance(np.repeat(ramp[..., None], 3, 2), blur=1.0, strength=8.0)
    assert (vectors[5:-5, 5:-5, 1] > 0).all()


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = random_model(tmp_path_factory.mktemp("material") / "random.pt")
    return checkpoint.generator_from_checkpoint(checkpoint.load_checkpoint(path)).to(
        memory_format=torch.channels_last)


@pytest.mark.parametrize("tileable", [False, True])
def test_tiled_inference_matches_one_window(model, tileable):
    photo = np.random.default_rng(1).random((150, 230, 3)).astype(np.float32)
    whole, whole_height = core.predict_maps(model, photo, tileable, tile=4096)
    tiled, tiled_height = core.predict_maps(model, photo, tileable, tile=64)
    assert len(tiles.windows(150, 230, 64, 16)) == 12
    assert normal_maps.angular_error_degrees(whole, tiled).max() < 0.5
    assert np.abs(whole_height - tiled_height).max() < 0.02


def test_tileable_maps_tile(model):
    """Shifting a tileable photo around the torus shifts its maps: no seam at the wrap."""
    photo = np.random.default_rng(2).random((96, 128, 3)).astype(np.float32)
    vectors, surface = core.predict_maps(model, photo, tileable=True)
    shifted, shifted_surface = core.predict_maps(model, np.roll(photo, (40, 50), axis=(0, 1)), tileable=True)
    assert normal_maps.angular_error_degrees(np.roll(vectors, (40, 50), axis=(0, 1)), shifted).max() < 0.05
    assert np.abs(np.roll(surface, (40, 50), axis=(0, 1)) - shifted_surface).max() < 0.01
    # Not tileable: the same shift changes the maps near the old borders.
    plain, _ = core.predict_maps(model, photo, tileable=False)
    plain_shifted, _ = core.predict_maps(model, np.roll(photo, (40, 50), axis=(0, 1)), tileable=False)
    assert normal_maps.angular_error_degrees(np.roll(plain, (40, 50), axis=(0, 1)), plain_shifted).max() > 1


def test_an_untrained_generator_starts_from_the_classical_baseline():
    """The generator refines the classical estimate: before training (a near-zero head) it returns
    the baseline's normals at the prior strength, through the same tiled path as any picture."""
    from neural_render.worker.material import network
    torch.manual_seed(0)
    fresh = network.MaterialUNet().eval()
    photo = np.random.default_rng(3).random((80, 96, 3)).astype(np.float32)
    with torch.no_grad():
        fresh.head.weight.zero_()
    vectors, _ = core.predict_maps(fresh, photo, tile=64)
    baseline = heights.normals_from_luminance(photo, blur=0.0, strength=network.PRIOR_STRENGTH)
    assert normal_maps.angular_error_degrees(vectors, baseline).max() < 0.05


def test_a_normal_map_is_told_from_a_photo():
    vectors = normals_of(bumpy_height(64, 64, seed=4) * 2)
    assert core.looks_like_normal_map(normal_maps.encode(vectors).astype(np.float32))
    photo = np.random.default_rng(0).random((64, 64, 3)).astype(np.float32)
    assert not core.looks_like_normal_map(photo)


def test_a_damaged_or_foreign_model_file_is_refused(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"not a model")
    with pytest.raises(checkpoint.CheckpointError, match="damaged"):
        checkpoint.load_checkpoint(str(tmp_path / "junk.pt"))
    torch.save({"format": "something-else"}, str(tmp_path / "other.pt"))
    with pytest.raises(checkpoint.CheckpointError, match="not a Neural Render"):
        checkpoint.load_checkpoint(str(tmp_path / "other.pt"))


def test_folding_batchnorm_for_inference_keeps_the_outputs():
    import copy
    from neural_render.worker.material import network
    torch.manual_seed(1)
    model = network.MaterialUNet()
    for _ in range(3):   # running statistics that are not the identity
        model(torch.rand(4, 3, 64, 64) * 0.6 + 0.2)
    model.eval()
    folded = network.fold_batchnorm(copy.deepcopy(model))
    assert not any(isinstance(module, torch.nn.BatchNorm2d) for module in folded.modules())
    photo = torch.rand(1, 3, 64, 96)
    with torch.no_grad():
        (vectors, height), (folded_vectors, folded_height) = model(photo), folded(photo)
    assert (vectors - folded_vectors).abs().max() < 1e-5 and (height - folded_height).abs().max() < 1e-5
