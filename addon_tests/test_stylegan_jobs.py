"""The stylegan.train / generate / project jobs in-process with a real JobContext, and the command line
(`neural-render stylegan-*`) on real files: outputs, refusals before work, exit codes."""

import numpy as np
import pytest

import neural_render.worker.stylegan  # noqa: F401  (registers the jobs)
from gan_fixtures import write_folder
from job_runner import run_job
from neural_render.worker import jobs
from neural_render.worker.imageio.files import read_image
from neural_render.worker.stylegan.model import StyleGan

FAST = {"steps": 2, "batch_size": 2, "image_size": 32}
CACHE = jobs.ModelCache()


def run(kind, params, inputs=None):
    return run_job(kind, params, inputs or {}, None, CACHE)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("set") / "bricks"
    write_folder(path, count=3, size=48)
    return path


@pytest.fixture(scope="module")
def model_path(folder, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "bricks.nrgan"
    outputs = run("stylegan.train", dict(FAST, model_path=str(path), folder=str(folder)))
    assert outputs["preview"].shape == (256, 256, 3) and np.isfinite(outputs["preview"]).all()
    return path


def test_training_saves_a_model_with_what_it_learned_from(model_path):
    model = StyleGan.load(model_path)
    assert model.steps == 2 and model.data["image_count"] == 3
    assert model.data["augment"] == ["color", "translation", "cutout"]


def test_training_without_augmentation_and_resuming(folder, tmp_path):
    path = tmp_path / "plain.nrgan"
    run("stylegan.train", dict(FAST, model_path=str(path), folder=str(folder), augment=False, steps=1))
    assert StyleGan.load(path).data["augment"] == []
    run("stylegan.train", dict(FAST, model_path=str(path), folder=str(folder), steps=1, resume=True))
    assert StyleGan.load(path).steps == 2


def test_generate_sizes_seeds_mixing_and_truncation(model_path):
    base = {"model_path": str(model_path), "width": 64, "height": 48}
    one = run("stylegan.generate", dict(base, seed=3))["texture"]
    assert one.shape == (48, 64, 3)
    several = run("stylegan.generate", dict(base, seed=3, count=3))
    assert sorted(several) == ["texture_000", "texture_001", "texture_002"]
    assert np.array_equal(several["texture_000"], one)
    mixed = run("stylegan.generate", dict(base, seed=3, mix_seed=5, mix_layer=2))["texture"]
    assert not np.array_equal(mixed, one)
    truncated = run("stylegan.generate", dict(base, seed=3, psi=0.0))["texture"]
    assert not np.array_equal(truncated, one)
    plain = run("stylegan.generate", dict(base, width=50, height=30, tileable=False))["texture"]
    assert plain.shape == (30, 50, 3)


@pytest.mark.parametrize("params, message", [
    ({"width": 50}, "multiple of 16"),
    ({"walk_frames": 2, "mix_seed": 1}, "leave out the mix seed"),
    ({"output_pattern": "/tmp/x_####.exr"}, "output_pattern is for latent walks"),
    ({"count": 64, "width": 4096}, "too much for one job"),
    ({"latent_path": "/nonexistent/l.nrlatent"}, "no latent file"),
    ({"latent_path": "/nonexistent/l.nrlatent", "mix_seed": 2}, "not both"),
])
def test_generate_refuses_bad_requests(model_path, params, message):
    with pytest.raises(jobs.JobInputError, match=message):
        run("stylegan.generate", dict({"model_path": str(model_path), "width": 32}, **params))


def test_a_missing_or_foreign_model_is_refused(folder, tmp_path):
    with pytest.raises(jobs.JobInputError, match="no model file"):
        run("stylegan.generate", {"model_path": str(tmp_path / "none.nrgan")})
    with pytest.raises(jobs.JobInputError, match="no folder"):
        run("stylegan.train", dict(FAST, model_path=str(tmp_path / "m.nrgan"), folder=str(tmp_path / "nothing")))


def test_projection_writes_a_latent_that_generate_uses(model_path, tmp_path):
    target = np.random.default_rng(0).uniform(0.1, 0.8, (40, 40, 3)).astype(np.float32)
    latent = tmp_path / "mine.nrlatent"
    outputs = run("stylegan.project", {"model_path": str(model_path), "latent_path": str(latent), "steps": 3,
                                       "variations": 2}, {"image": target})
    assert outputs["reconstruction"].shape == (32, 32, 3)
    assert sorted(outputs) == ["reconstruction", "variation_000", "variation_001"]
    assert not np.array_equal(outputs["variation_000"], outputs["variation_001"])
    assert latent.is_file()
    from_latent = run("stylegan.generate", {"model_path": str(model_path), "latent_path": str(latent),
                                            "width": 32, "seed": 1})["texture"]
    assert np.allclose(from_latent, outputs["variation_000"], atol=1e-6), "same look, seed 1's layout"
    with pytest.raises(jobs.JobInputError, match="folder does not exist"):
        run("stylegan.project", {"model_path": str(model_path), "latent_path": str(tmp_path / "no" / "l.nrlatent")},
            {"image": target})


def test_the_command_line_trains_generates_and_projects(cli, capsys, folder, tmp_path):
    model = tmp_path / "set.nrgan"
    assert cli(["stylegan-train", "--folder", str(folder), "--out", str(model), "--steps", "1",
                "--image-size", "32", "--batch-size", "2"]) == 0
    out = tmp_path / "tex.png"
    assert cli(["stylegan-generate", "--model", str(model), "--size", "48", "32", "--count", "2",
                "--mix-with", "4", "--mix-layer", "3", "--psi", "0.8", "--out", str(out)]) == 0
    assert read_image(tmp_path / "tex_001.png").shape == (32, 48, 3)
    assert cli(["stylegan-project", "--model", str(model), "--image", str(tmp_path / "tex_000.png"),
                "--out", str(tmp_path / "fit.nrlatent"), "--steps", "2", "--variations", "1",
                "--perceptual-weight", "0"]) == 0
    assert (tmp_path / "fit.exr").is_file() and (tmp_path / "fit_000.exr").is_file()
    capsys.readouterr()
    # Refused before any work, in one line, exit 2.
    assert cli(["stylegan-generate", "--model", str(model), "--size", "50", "50", "--out", str(out)]) == 2
    assert cli(["stylegan-generate", "--model", str(model), "--mix-layer", "3", "--out", str(out)]) == 2
    assert cli(["stylegan-generate", "--model", str(model), "--out", str(tmp_path / "x.webp")]) == 2
    assert cli(["stylegan-train", "--category", "rock", "--library", str(tmp_path / "none"), "--out",
                str(model)]) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("neural-render")]
    assert len(lines) == 4 and all("error" in line for line in lines)
    assert "Traceback" not in capsys.readouterr().err
