"""The material.from_photo / material.normal_to_height worker jobs: in process with a real
JobContext, and through the real worker process."""

import threading

import numpy as np
import pytest
import torch

import neural_render.worker.material  # noqa: F401  (registers the jobs)
from material_fixtures import bumpy_height, normals_of, photo_of, random_model
from neural_render.worker import jobs
from neural_render.worker.imageio.colour import srgb_to_linear
from neural_render.worker.material import height as heights
from neural_render.worker.material import normals as normal_maps

CACHE = jobs.ModelCache()


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """This module's small convolutions run on one torch thread (see conftest)."""


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return random_model(tmp_path_factory.mktemp("material-jobs") / "random.pt")


def run(kind, params, inputs, cancel=None):
    messages = []
    context = jobs.JobContext("test", torch.device("cpu"), cancel or threading.Event(),
                              lambda fraction, message: messages.append((fraction, message)), CACHE)
    return jobs.find(kind)(context, params, inputs), messages


def test_photo_to_maps_gives_unit_normals_and_a_unit_range_height(model_path):
    photo = srgb_to_linear(photo_of(bumpy_height(80, 112, seed=1)))
    outputs, messages = run("material.from_photo", {"weights_path": model_path}, {"image": photo})
    normal, height = outputs["normal"], outputs["height"]
    assert normal.shape == (80, 112, 3) and height.shape == (80, 112, 1)
    lengths = np.linalg.norm(normal * 2 - 1, axis=-1)
    assert np.abs(lengths - 1).max() < 0.01 and (normal[..., 2] >= 0.5).all()
    assert height.min() >= 0 and height.max() <= 1 and height.std() > 0.05
    assert messages[-1] == (1.0, "made normal and height maps")


def test_greyscale_and_alpha_photos_are_read_and_said_so(model_path):
    grey = srgb_to_linear(photo_of(bumpy_height(64, 64, seed=2))[..., :1])
    rgba = np.concatenate([np.repeat(grey, 3, 2), np.full_like(grey, 0.5)], 2)
    _, messages = run("material.from_photo", {"weights_path": model_path}, {"image": grey})
    assert "greyscale" in messages[-1][1]
    _, messages = run("material.from_photo", {"weights_path": model_path}, {"image": rgba})
    assert "alpha channel was ignored" in messages[-1][1] and "greyscale" in messages[-1][1]


@pytest.mark.parametrize("image,match", [
    (np.zeros((16, 200, 3), np.float32), "too small"),
    (np.full((64, 64, 3), np.nan, np.float32), "NaN"),
    (np.zeros((64, 64, 5), np.float32), "expected an"),
])
def test_bad_photos_are_refused_before_any_work(model_path, image, match):
    with pytest.raises(jobs.JobInputError, match=match):
        run("material.from_photo", {"weights_path": model_path}, {"image": image})


def test_a_normal_map_given_as_a_photo_is_refused(model_path):
    encoded = normal_maps.encode(normals_of(bumpy_height(64, 96, seed=3) * 2)).astype(np.float32)
    with pytest.raises(jobs.JobInputError, match="looks like a normal map"):
        run("material.from_photo", {"weights_path": model_path, "photo_is_encoded": True}, {"image": encoded})


def test_a_missing_or_damaged_model_is_an_input_error(tmp_path):
    (tmp_path / "broken.pt").write_bytes(b"\x00" * 100)
    with pytest.raises(jobs.JobInputError, match="damaged"):
        run("material.from_photo", {"weights_path": str(tmp_path / "broken.pt")}, {"image": np.zeros((64, 64, 3), np.float32)})


def test_cancel_stops_the_job(model_path):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(jobs.JobCancelled):
        run("material.from_photo", {"weights_path": model_path}, {"image": np.zeros((64, 64, 3), np.float32)}, cancel)


def test_normal_to_height_integrates_a_known_surface():
    surface = bumpy_height(90, 120, seed=4) * 4
    encoded = normal_maps.encode(normals_of(surface)).astype(np.float32)
    outputs, messages = run("material.normal_to_height", {}, {"normal": encoded})
    assert heights.affine_fit_error(outputs["height"][..., 0], surface) < 0.05
    assert outputs["curl"].item() < 0.2 and "probably" not in messages[-1][1]
    # The same map in DirectX convention, declared as such, gives the same surface ...
    directx = encoded.copy()
    directx[..., 1] = 1 - directx[..., 1]
    outputs, _ = run("material.normal_to_height", {"green": "directx"}, {"normal": directx})
    assert heights.affine_fit_error(outputs["height"][..., 0], surface) < 0.05
    # ... and undeclared, it is reported as probably the other convention.
    outputs, messages = run("material.normal_to_height", {}, {"normal": directx})
    assert "probably DirectX" in messages[-1][1] and outputs["curl"].item() > 0.5


def test_normal_to_height_re_encodes_a_colour_tagged_map():
    surface = bumpy_height(64, 64, seed=5) * 3
    encoded = normal_maps.encode(normals_of(surface)).astype(np.float32)
    outputs, _ = run("material.normal_to_height", {"colour_tagged": True}, {"normal": srgb_to_linear(encoded)})
    assert heights.affine_fit_error(outputs["height"][..., 0], surface) < 0.05


def test_a_photo_given_as_a_normal_map_is_refused():
    photo = photo_of(bumpy_height(64, 64, seed=6))
    with pytest.raises(jobs.JobInputError, match="does not look like a tangent-space normal map"):
        run("material.normal_to_height", {}, {"normal": photo})


# -- through the real worker process ----------------------------------------------------------
def test_jobs_run_in_the_real_worker(tmp_path, model_path):
    from neural_render.blender.worker_client import WorkerClient, WorkerConfig, WorkerError
    worker = WorkerClient(WorkerConfig(log_path=str(tmp_path / "worker.log")))
    try:
        worker.wait_ready()
        assert {"material.from_photo", "material.normal_to_height"} <= set(worker.info()["jobs"])
        photo = np.concatenate([photo_of(bumpy_height(64, 96, seed=7)), np.ones((64, 96, 1), np.float32)], 2)
        outputs = worker.run("material.from_photo", {"weights_path": model_path}, {"image": photo})
        assert outputs["normal"].shape == (64, 96, 3) and outputs["height"].shape == (64, 96, 1)
        with pytest.raises(WorkerError, match="too small"):
            worker.run("material.normal_to_height", {}, {"normal": np.zeros((8, 8, 3), np.float32)})
    finally:
        worker.shutdown()


@pytest.mark.parametrize("tileable", [False, True])
def test_the_smallest_accepted_photos_work(model_path, tileable):
    """32-48 px sides: the height fusion's blur is wider than the picture there (torch cannot pad
    that far; the job must not fail)."""
    photo = srgb_to_linear(photo_of(bumpy_height(40, 64, seed=8, tileable=tileable), tileable))
    outputs, _ = run("material.from_photo", {"weights_path": model_path, "tileable": tileable}, {"image": photo})
    assert outputs["height"].shape == (40, 64, 1) and np.isfinite(outputs["height"]).all()


def test_an_opaque_alpha_channel_is_not_reported(model_path):
    photo = srgb_to_linear(photo_of(bumpy_height(48, 48, seed=9)))
    rgba = np.concatenate([photo, np.ones((48, 48, 1), np.float32)], 2)
    _, messages = run("material.from_photo", {"weights_path": model_path}, {"image": rgba})
    assert messages[-1][1] == "made normal and height maps"


def test_a_model_file_with_a_wrong_shape_inside_is_an_input_error(tmp_path):
    torch.save({"format": "neural-render-material-maps", "format_version": "1", "settings": {}},
               str(tmp_path / "odd.pt"))
    with pytest.raises(jobs.JobInputError, match="damaged"):
        run("material.from_photo", {"weights_path": str(tmp_path / "odd.pt")}, {"image": np.zeros((64, 64, 3), np.float32)})
    torch.save({"format": "neural-render-material-maps", "format_version": 1, "settings": {"channels": [16]},
                "generator": [1, 2]}, str(tmp_path / "list.pt"))
    with pytest.raises(jobs.JobInputError, match="do not fit"):
        run("material.from_photo", {"weights_path": str(tmp_path / "list.pt")}, {"image": np.zeros((64, 64, 3), np.float32)})


def test_the_bundled_model_is_small_safe_and_described():
    import json
    import os
    from neural_render.protocol import model_cards
    from neural_render.worker.material import checkpoint, job
    assert os.path.getsize(job.BUNDLED_PATH) < 30 * 2 ** 20
    payload = checkpoint.load_checkpoint(job.BUNDLED_PATH)       # weights_only=True inside
    model = checkpoint.generator_from_checkpoint(payload)
    assert model.prior_strength > 0
    with open(model_cards.card_path("material_maps"), encoding="utf-8") as file:
        card = json.load(file)
    packages = {source["package"] for source in card["provenance"]["sources"]}
    assert packages == {"ufoai-textures", "nexuiz-textures", "0ad-data"}
    assert card["title"] and card["licence"] and card["command"].startswith("train_material_maps.py")
    photo = srgb_to_linear(photo_of(bumpy_height(64, 64, seed=10)))
    outputs, _ = run("material.from_photo", {}, {"image": photo})
    assert outputs["normal"].shape == (64, 64, 3)
