"""Proof against ground truth: Cycles rendering a scene under a rotated HDRI world, versus relighting
the virtual light-stage capture of the same scene against the same world.

Same scene, camera, seed and light paths for both; transparent film, so only object pixels
(alpha > 0.99) are compared; no clamping, no glossy filter, no denoising. The reference gets more
samples than each light (it is one render, the set is an average of many). A wrong rotation sign
or a mirrored azimuth in the weights must cost more than the stated margin.
"""

import pytest

from neural_render.blender.relight import capture
from neural_render.protocol import sphere
from neural_render.worker.imageio.files import read_image
from neural_render.worker.relight import engine, light_sets, weights
from fixtures.relight_scene import build_scene, render_top_first, set_hdri_world, tonemapped_psnr

ROTATION_DEG = 37.0
STRENGTH = 1.7
HDRI = "forest.exr"


def _hdri(hdri_paths):
    return next(path for path in hdri_paths if path.endswith(HDRI))


def _psnrs(hdri_path, grid, light_samples, reference_samples, folder):
    scene = build_scene(samples=reference_samples)
    set_hdri_world(scene, hdri_path, ROTATION_DEG, STRENGTH)
    reference = render_top_first(scene)
    scene.cycles.samples = light_samples
    capture.capture_light_stage(scene, str(folder), sphere.latlong_grid_directions(*grid))
    light_set = light_sets.load_light_set(folder)
    loaded = engine.load_set(light_set, "cpu")
    hdri = read_image(hdri_path)
    mask = reference[..., 3] > 0.99
    assert mask.sum() > 1000, "the objects and floor fill most of the frame"

    def psnr(image, rotation_deg):
        environment = weights.Environment(image, strength=STRENGTH, mapping=weights.z_rotation(rotation_deg))
        relit = engine.relight(loaded, weights.light_weights(environment, light_set.directions))[0]
        return tonemapped_psnr(reference, relit, mask)

    # The relit alpha is the capture's: the same coverage as the reference.
    return {"right": psnr(hdri, ROTATION_DEG), "wrong_sign": psnr(hdri, -ROTATION_DEG),
            "mirrored": psnr(hdri[:, ::-1], ROTATION_DEG)}


def test_relit_8x4_capture_matches_cycles(hdri_paths, tmp_path):
    result = _psnrs(_hdri(hdri_paths), (8, 4), light_samples=64, reference_samples=256, folder=tmp_path)
    print("8x4", result)
    assert result["right"] >= 34.0  # measured 35.8 dB: 8x4 cells (45 degrees) blur the world
    assert result["wrong_sign"] < result["right"] - 8.0
    assert result["mirrored"] < result["right"] - 8.0


@pytest.mark.slow
def test_relit_32x16_capture_matches_cycles_to_40_db(hdri_paths, tmp_path):
    result = _psnrs(_hdri(hdri_paths), (32, 16), light_samples=64, reference_samples=1024, folder=tmp_path)
    print("32x16", result)
    assert result["right"] >= 40.0
    assert result["wrong_sign"] < result["right"] - 15.0
    assert result["mirrored"] < result["right"] - 15.0
