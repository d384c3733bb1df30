"""The gan.train / gan.generate worker jobs: in-process with a real JobContext, and through the
real worker process."""

import os

import numpy as np
import pytest
import torch

import neural_render.worker.gan  # noqa: F401  (registers the jobs)
from gan_fixtures import brick_texture, write_folder
from job_runner import Recorder, run_job
from neural_render.protocol.frame_paths import frame_path
from neural_render.worker import jobs
from fixtures import texture_metrics as metrics
from neural_render.worker.gan import checkpoint
from neural_render.worker.imageio.files import read_image

# Small settings so a job trains for a second or two; the default model is what users get.
FAST = {"steps": 3, "batch_size": 2, "crop_size": 32}


def run(kind, params, inputs=None, recorder=None, cache=None):
    return run_job(kind, params, inputs or {}, recorder, CACHE if cache is None else cache)


CACHE = jobs.ModelCache()


@pytest.fixture(scope="module")
def exemplar_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("gan") / "bricks.nrgan"
    outputs = run("gan.train", dict(FAST, model_path=str(path)), {"exemplar": brick_texture(96, 96)})
    return path, outputs


def test_train_writes_a_model_and_returns_a_preview(exemplar_model):
    path, outputs = exemplar_model
    assert checkpoint.load(path)["model_type"] == "psgan"
    assert outputs["preview"].shape == (256, 256, 3)
    assert np.isfinite(outputs["preview"]).all()


@pytest.mark.parametrize("periodic_channels", [0, 3])
def test_periodic_channels_are_a_training_choice(tmp_path, periodic_channels):
    path = tmp_path / "m.nrgan"
    run("gan.train", dict(FAST, model_path=str(path), steps=1, periodic_channels=periodic_channels),
        {"exemplar": brick_texture(64, 64)})
    payload = checkpoint.load(path)
    assert payload["model_config"]["periodic_channels"] == periodic_channels
    first_layer = payload["generator"]["stages.0.conv.weight"]
    config = payload["model_config"]
    assert first_layer.shape[1] == config["local_channels"] + config["global_channels"] + periodic_channels


def test_periodic_channels_out_of_range_are_refused(tmp_path):
    with pytest.raises(jobs.JobInputError, match="periodic_channels must be from 0 to 8"):
        run("gan.train", dict(FAST, model_path=str(tmp_path / "m.nrgan"), periodic_channels=9),
            {"exemplar": brick_texture(64, 64)})
    assert not (tmp_path / "m.nrgan").exists()


def test_train_reports_progress_with_eta(tmp_path):
    recorder = Recorder()  # about a second of training: the context passes a message every quarter second
    run("gan.train", dict(FAST, model_path=str(tmp_path / "m.nrgan"), steps=None, minutes=0.02),
        {"exemplar": brick_texture(64, 64)}, recorder)
    texts = [message for _, message in recorder.messages]
    assert any("ETA" in text for text in texts)
    assert recorder.messages[-1][0] == 1.0


def test_resume_continues_from_the_saved_step(exemplar_model, tmp_path):
    path, _ = exemplar_model
    copy = tmp_path / "copy.nrgan"
    copy.write_bytes(path.read_bytes())
    run("gan.train", dict(FAST, model_path=str(copy), resume=True, steps=2), {"exemplar": brick_texture(96, 96)})
    assert checkpoint.load(copy)["trainer"]["steps"] == 5


def test_preview_file_is_written_during_training(tmp_path):
    preview = tmp_path / "preview.exr"
    run("gan.train", dict(FAST, model_path=str(tmp_path / "m.nrgan"), preview_path=str(preview),
                          preview_every=1.0), {"exemplar": brick_texture(64, 64)})
    assert read_image(str(preview)).shape[:2] == (256, 256)


def test_cancel_stops_training_and_keeps_the_checkpoint(tmp_path):
    path = tmp_path / "m.nrgan"
    recorder = Recorder(cancel_after=4)
    with pytest.raises(jobs.JobCancelled):
        run("gan.train", dict(FAST, model_path=str(path), steps=None, minutes=5),
            {"exemplar": brick_texture(64, 64)}, recorder)
    assert checkpoint.load(path)["trainer"]["steps"] >= 1


def test_generate_count_seeds_and_tileable(exemplar_model):
    path, _ = exemplar_model
    outputs = run("gan.generate", {"model_path": str(path), "width": 64, "height": 32, "seed": 3, "count": 3,
                                   "tileable": True})
    assert sorted(outputs) == ["texture_000", "texture_001", "texture_002"]
    assert all(image.shape == (32, 64, 3) for image in outputs.values())
    single = run("gan.generate", {"model_path": str(path), "width": 64, "height": 32, "seed": 4})
    assert np.array_equal(single["texture"], outputs["texture_001"]), "count N uses seeds seed..seed+N-1"
    assert metrics.seam_ratio(single["texture"]) < 1.5


def test_generate_variation_is_passed_to_the_sampler(exemplar_model):
    path, _ = exemplar_model
    base = {"model_path": str(path), "width": 32, "height": 32, "seed": 2}
    default = run("gan.generate", base)["texture"]
    assert np.array_equal(run("gan.generate", dict(base, variation=0.0))["texture"], default)
    assert not np.array_equal(run("gan.generate", dict(base, variation=1.0))["texture"], default)


def test_generate_walk_frames(exemplar_model):
    path, _ = exemplar_model
    outputs = run("gan.generate", {"model_path": str(path), "width": 32, "height": 32, "count": 2,
                                   "walk_frames": 3})
    assert sorted(outputs) == [f"frame_{index:04d}" for index in range(6)]


def test_walk_with_an_output_pattern_writes_each_frame_and_returns_the_last(exemplar_model, tmp_path):
    path, _ = exemplar_model
    walk = {"model_path": str(path), "width": 32, "height": 32, "count": 2, "walk_frames": 3}
    in_memory = run("gan.generate", walk)
    pattern = str(tmp_path / "new folder" / "walk_###.exr")
    outputs = run("gan.generate", dict(walk, output_pattern=pattern))
    assert sorted(outputs) == ["last"], "the frames are in the files, not in the reply"
    assert sorted(os.listdir(tmp_path / "new folder")) == [f"walk_{index:03d}.exr" for index in range(6)]
    for index in range(6):
        written = read_image(frame_path(pattern, index))
        assert np.allclose(written[:, :, :3], in_memory[f"frame_{index:04d}"], atol=1e-6)
    assert np.array_equal(outputs["last"], in_memory["frame_0005"])


def test_a_walk_written_to_files_is_not_held_in_memory(exemplar_model, tmp_path, monkeypatch):
    """The job's memory limit counts what it returns: a walk written frame by frame holds one frame."""
    from neural_render.worker.gan import job as gan_job
    path, _ = exemplar_model
    monkeypatch.setattr(gan_job, "MAX_TOTAL_PIXELS", 5 * 32 * 32)  # five frames of the six
    walk = {"model_path": str(path), "width": 32, "height": 32, "count": 2, "walk_frames": 3}
    with pytest.raises(jobs.JobInputError, match="too much for one job.*output_pattern"):
        run("gan.generate", walk)
    run("gan.generate", dict(walk, output_pattern=str(tmp_path / "f_####.png")))
    assert len(os.listdir(tmp_path)) == 6


def test_generate_keeps_the_model_warm_and_notices_a_replaced_file(exemplar_model, tmp_path):
    path, _ = exemplar_model
    copy = tmp_path / "copy.nrgan"
    copy.write_bytes(path.read_bytes())
    cache = jobs.ModelCache()
    request = {"model_path": str(copy), "width": 32, "height": 32, "seed": 1}
    first = run("gan.generate", request, cache=cache)["texture"]
    assert len(cache) == 1
    assert np.array_equal(run("gan.generate", request, cache=cache)["texture"], first)
    run("gan.train", dict(FAST, model_path=str(copy), resume=True, steps=2), {"exemplar": brick_texture(96, 96)})
    retrained = run("gan.generate", request, cache=cache)["texture"]
    assert not np.array_equal(retrained, first), "the retrained file is loaded, not the warm old model"
    assert len(cache) == 1, "the old model is dropped, not kept beside the new one"


@pytest.mark.parametrize("params, message", [
    ({}, "model_path is required"),
    ({"model_path": "/nonexistent/m.nrgan"}, "no model file"),
    ({"width": 100, "height": 64}, "multiple of 8"),
    ({"width": -3}, "width must be from 1"),
    ({"count": 0}, "count must be from 1"),
    ({"seed": "seven"}, "seed must be a whole number"),
    ({"variation": 2}, "variation must be from 0 to 1"),
    ({"width": 64, "output_pattern": "/tmp/frame_####.exr"}, "output_pattern is for latent walks"),
    ({"width": 16384, "height": 16384, "count": 2}, "too much for one job"),
])
def test_generate_bad_params_are_input_errors(exemplar_model, params, message):
    path, _ = exemplar_model
    full = dict({"model_path": str(path), "width": 64, "height": 64}, **params)
    if params == {}:
        full.pop("model_path")
    with pytest.raises(jobs.JobInputError, match=message):
        run("gan.generate", full)


def test_train_bad_inputs_are_input_errors(tmp_path):
    with pytest.raises(jobs.JobInputError, match="either an exemplar image"):
        run("gan.train", {"model_path": str(tmp_path / "m.nrgan")})
    with pytest.raises(jobs.JobInputError, match="training crops are 64 px"):
        run("gan.train", {"model_path": str(tmp_path / "m.nrgan"), "steps": 1},
            {"exemplar": brick_texture(50, 100)})
    assert not (tmp_path / "m.nrgan").exists(), "nothing is written for bad input"


def test_corrupt_or_foreign_model_is_an_input_error(exemplar_model, tmp_path):
    bad = tmp_path / "bad.nrgan"
    bad.write_bytes(b"\x00" * 100)
    with pytest.raises(jobs.JobInputError, match="not a model of this product"):
        run("gan.generate", {"model_path": str(bad), "width": 64})
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(jobs.JobInputError, match="not a Neural Render GAN model"):
        run("gan.generate", {"model_path": str(foreign), "width": 64})


# -- folder (DCGAN) ---------------------------------------------------------------------------
def test_folder_model_trains_samples_and_interpolates(tmp_path):
    folder = write_folder(tmp_path / "textures", count=6, size=48)
    path = tmp_path / "folder.nrgan"
    outputs = run("gan.train", {"model_path": str(path), "folder": str(folder), "steps": 3, "batch_size": 4,
                                "image_size": 32})
    assert outputs["preview"].shape == (32, 32, 3)
    assert checkpoint.load(path)["model_type"] == "dcgan"
    samples = run("gan.generate", {"model_path": str(path), "count": 2, "seed": 1})
    assert sorted(samples) == ["texture_000", "texture_001"]
    assert not np.array_equal(samples["texture_000"], samples["texture_001"])
    frames = run("gan.generate", {"model_path": str(path), "seed": 1, "walk_frames": 4})
    assert len(frames) == 5
    assert np.allclose(frames["frame_0000"], samples["texture_000"], atol=1e-5)
    written = run("gan.generate", {"model_path": str(path), "seed": 1, "walk_frames": 4,
                                   "output_pattern": str(tmp_path / "walk" / "f_####.exr")})
    assert sorted(written) == ["last"] and np.allclose(written["last"], frames["frame_0004"], atol=1e-5)
    assert sorted(os.listdir(tmp_path / "walk")) == [f"f_{index:04d}.exr" for index in range(5)]
    with pytest.raises(jobs.JobInputError, match="makes 32x32 px images"):
        run("gan.generate", {"model_path": str(path), "width": 64})


def test_folder_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not an image")
    with pytest.raises(jobs.JobInputError, match="has no images"):
        run("gan.train", {"model_path": str(tmp_path / "m.nrgan"), "folder": str(empty), "steps": 1})
    mixed = write_folder(tmp_path / "mixed", count=3, size=48)
    from neural_render.worker.imageio.files import write_image
    write_image(str(mixed / "odd.png"), brick_texture(40, 56))
    with pytest.raises(jobs.JobInputError, match="different sizes.*odd.png is 56x40"):
        run("gan.train", {"model_path": str(tmp_path / "m.nrgan"), "folder": str(mixed), "steps": 1})
    broken = write_folder(tmp_path / "broken", count=2, size=48)
    (broken / "zz.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(jobs.JobInputError, match="zz.png"):
        run("gan.train", {"model_path": str(tmp_path / "m.nrgan"), "folder": str(broken), "steps": 1})
    assert not os.path.exists(tmp_path / "m.nrgan")


def test_exemplar_model_cannot_resume_as_folder_model(exemplar_model, tmp_path):
    path, _ = exemplar_model
    folder = write_folder(tmp_path / "textures", count=3, size=48)
    with pytest.raises(jobs.JobInputError, match="is an exemplar model"):
        run("gan.train", {"model_path": str(path), "folder": str(folder), "resume": True, "steps": 1})
