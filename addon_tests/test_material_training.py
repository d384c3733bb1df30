"""The material-map trainer (scripts/training/train_material_maps.py) on a tiny archive the test builds
itself: real zip, real library shards, real torch steps; chunks resume, an export is a model file the
job loads, and a new run can start from a model file and says so in its card."""

import json
import zipfile
from dataclasses import replace

import pytest
import torch

from texture_archive_fixtures import colour_texture, encode, normal_map, validation_name
from training.textures import build, sources, split

PACKAGE = sources.UFOAI.package  # the trainer converts each package's normal convention, so use a real one


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    folder = tmp_path_factory.mktemp("material_textures")
    archive, copyright_file = folder / "0textures.pk3", folder / "copyright"
    copyright_file.write_text("Files: *\nCopyright: 2002 Somebody\nLicense: GPL-2+\n")
    names = [validation_name("rock", PACKAGE, wanted=split.TRAIN), validation_name("granite", PACKAGE),
             validation_name("slate", PACKAGE, wanted=split.TRAIN), validation_name("basalt", PACKAGE)]
    with zipfile.ZipFile(archive, "w") as opened:
        for seed, name in enumerate(names, 1):
            hue = (0.5 + 0.1 * seed, 0.6, 0.9 - 0.1 * seed)
            opened.writestr(f"textures/tex_rock/{name}.png", encode(colour_texture(seed, hue=hue)))
            opened.writestr(f"textures/tex_rock/{name}_nm.png", encode(normal_map(seed)))
    source = replace(sources.UFOAI, archive=str(archive), copyright_file=str(copyright_file))
    out = tmp_path_factory.mktemp("material_library")
    index = build.build(str(out), [source], size=64, processes=1, report=lambda message: None)
    assert index["counts"]["train"] and index["counts"]["validation"], index["dropped"]
    return str(out)


def _common(library):
    return ["--library", library, "--crop", "32", "--batch-size", "2", "--threads", "1", "--device", "cpu",
            "--validate-minutes", "100"]


def test_chunks_resume_and_export_a_model_the_job_loads(library, tmp_path):
    from neural_render.worker.material.checkpoint import generator_from_checkpoint, load_checkpoint
    from training import train_material_maps
    work = tmp_path / "work"
    train_material_maps.main(_common(library) + ["--work", str(work), "--minutes", "0.02"])
    first = torch.load(str(work / "state.pt"), weights_only=False)
    assert first["step"] > 0 and first["history"][-1]["validation"]["all"] > 0
    train_material_maps.main(_common(library) + ["--work", str(work), "--minutes", "0.02", "--adversarial-weight", "0"])
    second = torch.load(str(work / "state.pt"), weights_only=False)
    assert second["step"] > first["step"]
    assert [phase["adversarial_weight"] for phase in second["phases"]] == [1.0, 0.0]
    model = tmp_path / "maps.pt"
    train_material_maps.main(["--work", str(work), "--export", str(model)])
    card = json.loads((tmp_path / "maps.json").read_text())
    assert card["provenance"]["sources"][0]["package"] == PACKAGE and "initialised_from" not in card["provenance"]
    generator = generator_from_checkpoint(load_checkpoint(str(model)))
    normals, height = generator(torch.rand(1, 3, 32, 48))
    assert normals.shape == (1, 3, 32, 48) and torch.allclose(normals.norm(dim=1), torch.ones(1, 32, 48), atol=1e-4)


def test_a_new_run_can_start_from_a_model_file_and_records_its_lineage(library, tmp_path):
    from neural_render.worker.material.network import CHANNELS, PRIOR_STRENGTH, MaterialUNet
    from training import train_material_maps
    first = tmp_path / "first"
    train_material_maps.main(_common(library) + ["--work", str(first), "--minutes", "0.02", "--learning-rate", "1e-2"])
    parent = tmp_path / "parent.pt"
    train_material_maps.main(["--work", str(first), "--export", str(parent)])
    child = tmp_path / "child"
    train_material_maps.main(_common(library) + ["--work", str(child), "--minutes", "0", "--init-from", str(parent)])
    state = torch.load(str(child / "state.pt"), weights_only=False)
    assert state["step"] == 0
    shipped = torch.load(str(parent), weights_only=True)["generator"]
    torch.manual_seed(0)  # the trainer's own start, so a child that ignored --init-from would equal it
    fresh = MaterialUNet(CHANNELS, PRIOR_STRENGTH).state_dict()
    assert any(value.is_floating_point() and not torch.equal(fresh[key], value.float())
               for key, value in shipped.items()), "the parent must differ from a fresh network"
    for key, value in shipped.items():
        assert torch.equal(state["generator"][key], value.float() if value.is_floating_point() else value), key
    exported = tmp_path / "child_model.pt"
    train_material_maps.main(["--work", str(child), "--export", str(exported)])
    card = json.loads((tmp_path / "child_model.json").read_text())
    lineage = card["provenance"]["initialised_from"]
    assert lineage["file"] == "parent.pt" and lineage["step"] == torch.load(str(parent), weights_only=True)["step"]
    # Resuming the child keeps its lineage even without --init-from.
    train_material_maps.main(_common(library) + ["--work", str(child), "--minutes", "0"])
    assert torch.load(str(child / "state.pt"), weights_only=False)["initialised_from"]["file"] == "parent.pt"


def test_a_damaged_model_file_to_start_from_is_a_clear_error(library, tmp_path):
    from training import train_material_maps
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(b"not a model")
    with pytest.raises(SystemExit, match="--init-from .*damaged.pt"):
        train_material_maps.main(_common(library) + ["--work", str(tmp_path / "w"), "--minutes", "0",
                                                     "--init-from", str(damaged)])
