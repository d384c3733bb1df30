"""Training the colorizer on images that ship with bpy (studio HDRIs, matcaps): the loss falls,
checkpoints resume exactly, the script works, and the trained model beats the constant baselines on
held-out crops (measured honestly: see the metrics used)."""

import json
import os

import numpy as np
import pytest
import torch

from neural_render.worker.colorize import rebalance, weights
from neural_render.worker.imageio.files import write_image
from training import colorize_evaluation as evaluation
from training import colorize_training as training
from training import colorize_training_data as training_data
from training import train_colorizer

SMALL = dict(crop=32, batch_size=4, long_side=64)


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """This module's small convolutions run on one torch thread (see conftest)."""


@pytest.fixture(scope="module")
def bundled_lab(hdri_paths, bpy_data_dir):
    matcaps = [os.path.join(bpy_data_dir, "studiolights", "matcap", name)
               for name in ("clay_brown.exr", "red_wax.exr", "metal_carpaint.exr")]
    images = [training_data.read_colour_image(path) for path in hdri_paths[:3] + matcaps]
    return training_data.to_lab_arrays(images, long_side=SMALL["long_side"])


def _fixed_batch_loss(trainer, batch):
    """The training objective on a fixed batch (train-mode normalisation, no update)."""
    lightness, ab = training.targets_at_output(batch)
    with torch.no_grad():
        trainer.model.train()
        return float(training.rebalanced_loss(trainer.model(lightness), ab, trainer.centres, trainer.weights))


def test_loss_falls_on_the_bundled_images(bundled_lab):
    trainer = training.ColorizerTrainer(training.TrainSettings(**SMALL, learning_rate=3e-3), bundled_lab,
                                        torch.device("cpu"))
    batch = training.random_crops(bundled_lab, 16, 32, torch.Generator().manual_seed(99))
    before = _fixed_batch_loss(trainer, batch)
    training.train(trainer, steps=80)
    after = _fixed_batch_loss(trainer, batch)
    assert after < 0.85 * before, (before, after)
    assert np.mean(trainer.losses[-15:]) < np.mean(trainer.losses[:15])


def test_resumed_training_continues_exactly(bundled_lab, tmp_path):
    settings = training.TrainSettings(**SMALL)
    straight = training.ColorizerTrainer(settings, bundled_lab, torch.device("cpu"))
    training.train(straight, steps=4)
    path = tmp_path / "c.pt"
    first = training.ColorizerTrainer(settings, bundled_lab, torch.device("cpu"))
    training.train(first, steps=2, checkpoint_path=str(path))
    resumed = training.trainer_from_checkpoint(training.load_checkpoint(str(path)), bundled_lab, torch.device("cpu"))
    assert resumed.steps == 2
    training.train(resumed, steps=2, checkpoint_path=str(path))
    assert np.allclose(resumed.losses, straight.losses, rtol=1e-4), "same crops, same updates"
    assert training.load_checkpoint(str(path))["steps"] == 4
    assert os.listdir(tmp_path) == ["c.pt"]


def test_cancel_saves_the_checkpoint_first(bundled_lab, tmp_path):
    trainer = training.ColorizerTrainer(training.TrainSettings(**SMALL), bundled_lab, torch.device("cpu"))

    def cancel(fraction, message):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        training.train(trainer, steps=50, report=cancel, report_every=0.0, checkpoint_path=str(tmp_path / "c.pt"))
    assert training.load_checkpoint(str(tmp_path / "c.pt"))["steps"] == trainer.steps >= 1


def test_script_trains_and_resumes_on_a_folder(tmp_path, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(3):
        image = np.clip(rng.uniform(0, 1, (48, 48, 3)) * [[[1.0, 0.6, 0.3]]], 0, 1).astype(np.float32)
        write_image(str(folder / f"p{index}.png"), image)
    out = tmp_path / "c.pt"
    args = ["--images", str(folder), "--out", str(out), "--steps", "2", "--crop", "32", "--batch-size", "2",
            "--long-side", "48"]
    assert train_colorizer.main(args) == 0
    assert json.loads(capsys.readouterr().out)["total_steps"] == 2
    assert train_colorizer.main(args[:6] + ["--steps", "1", "--resume"]) == 0
    assert json.loads(capsys.readouterr().out)["total_steps"] == 3
    assert train_colorizer.main(["--images", str(tmp_path / "nope"), "--out", str(out)]) == 2
    assert "no folder" in capsys.readouterr().err


def _heldout_report(model_payload, model):
    train, heldout = train_colorizer.bundled_split(model_payload["settings"]["long_side"])
    centres = model.bin_centres()
    rebalancing = torch.as_tensor(rebalance.rebalancing_weights(model_payload["prior"].numpy(), centres.numpy()))
    constant = evaluation.best_constant_logits(train, centres, rebalancing)
    model_loss, constant_loss = evaluation.heldout_loss(model, heldout, rebalancing, constant)
    scores = evaluation.evaluate(model, heldout, evaluation.mean_ab(train), torch.device("cpu"),
                                 network_size=model_payload["settings"]["long_side"])
    return model_loss, constant_loss, scores


FIRST_SMALL_MODEL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "bench",
                                 "data", "small_colorizer_v0.pt")


def test_the_first_small_model_beats_the_constant_baselines_on_heldout_crops():
    """The first shipped model, now the benchmarks' baseline (trained by scripts/training/train_colorizer.py
    --bundled on the left 70 % of each bpy-bundled image) against input-independent predictions on the
    right 25 % it never saw.

    Scored on the distribution it predicts (the training objective), which is fair to any decode:
    it must beat the *best* constant distribution, which in turn beats "mean a*b*" expressed as a
    distribution. Decoded point estimates are reported by the benchmark, where — honestly — this
    tiny model does not beat the mean-a*b* constant on plain AuC and only ties it class-rebalanced.
    """
    payload = training.load_checkpoint(FIRST_SMALL_MODEL)
    model = training.model_from_checkpoint(payload)
    model_loss, constant_loss, scores = _heldout_report(payload, model)
    assert model_loss < 0.9 * constant_loss, (model_loss, constant_loss)


@pytest.mark.slow
def test_training_from_scratch_beats_the_constant_baselines(tmp_path):
    """Reproduces the bundled model's claim from scratch: the bundled model's exact command (a few
    minutes with one thread; many more steps over-fit 27 small images and lose the held-out loss)."""
    out = tmp_path / "c.pt"
    assert train_colorizer.main(["--bundled", "--out", str(out), "--steps", "2500", "--crop", "64",
                                 "--long-side", "96", "--threads", "1"]) == 0
    payload = training.load_checkpoint(str(out))
    model_loss, constant_loss, scores = _heldout_report(payload, training.model_from_checkpoint(payload))
    assert model_loss < constant_loss, (model_loss, constant_loss)
