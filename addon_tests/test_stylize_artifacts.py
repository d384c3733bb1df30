"""A stylized frame has no printed pixel grid and no band along its edges (the checkerboard and the pale
bottom band the optimisation used to leave with the HED backbone; docs/BENCHMARKS.md "Stylize
artefacts"). Slow: full presets on a 480x270 photograph (about a minute each on 2 cores)."""

import numpy as np
import pytest
import torch

from fixtures.artifact_metrics import border_band, worst_grid_peak
from fixtures.natural_images import hdri_band, hdri_paths
from fixtures.sample_styles import brush_painting
from job_runner import run_job
from neural_render.worker import jobs
from neural_render.worker.stylize import colour

pytestmark = pytest.mark.slow
CACHE = jobs.ModelCache()


def _display(linear):
    return colour.tensor_to_numpy(colour.to_display(colour.numpy_to_tensor(linear[:, :, :3])))


@pytest.fixture(scope="module")
def frame():
    path = next(p for p in hdri_paths() if p.endswith("courtyard.exr"))
    display = hdri_band(path, 270, 480)
    return colour.tensor_to_numpy(colour.srgb_decode(display[None])), colour.tensor_to_numpy(display[None])


# Known and open (docs/BENCHMARKS.md "Stylize artefacts"): on this photograph *Fast* prints a 4-px grid
# (peak 43) and, at 256 px, an edge band (0.20); strict, so the fix turns these into failures to remove.
KNOWN_FAST_ARTEFACT = pytest.mark.xfail(strict=True, reason="Fast leaves a 4-px grid / edge band on this frame")


@pytest.mark.parametrize("preset, size", [pytest.param("fast", None, marks=KNOWN_FAST_ARTEFACT),
                                          pytest.param("fast", 256, marks=KNOWN_FAST_ARTEFACT),
                                          ("default", None)])
def test_optimised_frames_have_no_grid_and_no_edge_band(frame, preset, size):
    linear, display = frame
    style = colour.srgb_decode(torch.from_numpy(brush_painting(256, 256, seed=0))).numpy()
    params = {"preset": preset, **({"size": size} if size else {})}
    result = _display(run_job("stylize.image", params, {"content": linear, "style": style}, None, CACHE)["result"])
    assert worst_grid_peak(result) < 25.0
    assert border_band(result) < max(0.15, 2 * border_band(display))
