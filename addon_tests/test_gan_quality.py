"""Long quality run (marked slow): the default exemplar model trained for 10 minutes on the
Blender-rendered stone exemplar. scripts/bench/bench_gan.py reports the full figures; this checks the
ones that need no VGG backbone."""

import numpy as np
import pytest

from fixtures import texture_metrics as metrics
from neural_render.worker.gan import generate, training_loop
from neural_render.worker.gan.exemplar_gan import ExemplarGan
from neural_render.worker.imageio.colour import linear_to_srgb


def colour_histogram(images, bins=8):
    pixels = np.concatenate([image.reshape(-1, 3) for image in images])
    histogram, _ = np.histogramdd(np.clip(pixels, 0, 0.999), bins=bins, range=[(0, 1)] * 3)
    return histogram / histogram.sum()


@pytest.mark.slow
def test_ten_minute_exemplar_model_learns_the_texture(tmp_path):
    from fixtures.gan_exemplar import render_exemplar
    exemplar = render_exemplar(256)
    model = ExemplarGan(seed=0)
    model.attach_exemplar(exemplar)
    training_loop.train(model, seconds=600, checkpoint_path=tmp_path / "stones.nrgan")

    def display(linear):
        return np.clip(linear_to_srgb(np.clip(linear, 0, None)), 0, 1)

    target = display(exemplar)
    samples = [display(generate.generate(model.sampler, model.scale, 128, 128, seed, tileable=False))
               for seed in range(8)]
    crops = metrics.random_crops(target, 128, 8, seed=1)
    rng = np.random.default_rng(0)
    noise = [np.clip(rng.normal(target.mean((0, 1)), target.std((0, 1)), (128, 128, 3)), 0, 1) for _ in range(8)]

    reference = colour_histogram([target])
    sample_error = np.abs(colour_histogram(samples) - reference).sum()
    noise_error = np.abs(colour_histogram(noise) - reference).sum()
    assert sample_error < 0.5 * noise_error, "the colours are the exemplar's, not a blur of them"
    assert metrics.mean_pairwise_difference(samples) > 0.4 * metrics.mean_pairwise_difference(crops), \
        "seeds give different textures (no mode collapse)"
    tile = display(generate.generate(model.sampler, model.scale, 512, 512, 3, tileable=True))
    assert 0.8 < metrics.seam_ratio(tile) < 1.25
