"""The texture library (scripts/training/textures/): a tiny archive the test builds itself, never the
Debian packages. Real zip, real PNG/TGA/JPEG decoding, real shards; then real training chunks on it."""

import json
import os
import zipfile
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from texture_archive_fixtures import colour_texture, encode, normal_map, validation_name
from training.textures import build, catalogue, licences, screening, shards, sources, split

COPYRIGHT = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

Files: *
Copyright: 2002 Somebody
License: GPL-2+

Files:
 base/textures/tex_nature/moss*.png
Copyright: 2010 Someone Else
License: CC-BY-3.0
"""


@pytest.fixture(scope="module")
def tiny_archive(tmp_path_factory):
    folder = tmp_path_factory.mktemp("textures")
    archive, copyright_file = folder / "0textures.pk3", folder / "copyright"
    copyright_file.write_text(COPYRIGHT)
    held_out = validation_name("granite")
    transparent = colour_texture(5)
    transparent = np.concatenate([transparent, np.zeros(transparent.shape[:2] + (1,), np.uint8)], 2)
    atlas = np.zeros((128, 128, 3), np.uint8)
    atlas[:40, :40] = colour_texture(6)[:40, :40]
    members = {
        "textures/tex_wood/wood001.png": encode(colour_texture(1)),
        "textures/tex_wood/wood001_nm.png": encode(normal_map(1)),
        "textures/tex_wood/wood001_sm.png": encode(colour_texture(1)[:, :, 0]),
        "textures/tex_wood/wood002_blue.png": encode(colour_texture(1, hue=(0.3, 0.5, 1.0))),  # same picture
        "textures/tex_nature/moss01.png": encode(colour_texture(2, hue=(0.4, 0.9, 0.3))),
        "textures/tex_nature/moss01_nm.png": encode(np.full((128, 128, 4), (128, 128, 255, 255), np.uint8)),
        "textures/tex_rock/" + held_out + ".jpg": encode(colour_texture(3, hue=(0.7, 0.7, 0.6)), "JPEG"),
        "textures/tex_rock/slate04.tga": encode(colour_texture(4, hue=(0.5, 0.6, 0.9)), "TGA"),
        "textures/tex_base/concrete_grey.png": encode(np.repeat(colour_texture(7)[:, :, :1], 3, 2)),
        "textures/tex_base/chip.png": encode(colour_texture(8, size=32)),
        "textures/tex_base/glass01.png": encode(transparent),
        "textures/tex_base/atlas01.png": encode(atlas),
        "textures/tex_lights/panel01.png": encode(colour_texture(9)),          # not a material
        "textures/tex_base/broken01.png": b"not an image at all",
        "models/skin.png": encode(colour_texture(10)),                          # outside the include
    }
    with zipfile.ZipFile(archive, "w") as opened:
        for name, data in members.items():
            opened.writestr(name, data)
    source = replace(sources.UFOAI, package="test-textures", archive=str(archive), copyright_file=str(copyright_file))
    return source, held_out


@pytest.fixture(scope="module")
def library(tiny_archive, tmp_path_factory):
    source, _ = tiny_archive
    folder = tmp_path_factory.mktemp("library")
    index = build.build(str(folder), [source], size=64, processes=1, report=lambda message: None)
    return str(folder), index


def test_catalogue_pairs_maps_by_stem_and_skips_what_is_not_a_material(tiny_archive):
    source, held_out = tiny_archive
    found = {material.stem: material for material in catalogue.catalogue(source)}
    assert found["textures/tex_wood/wood001"].maps == {
        "diffuse": "textures/tex_wood/wood001.png", "normal": "textures/tex_wood/wood001_nm.png",
        "specular": "textures/tex_wood/wood001_sm.png"}
    assert "textures/tex_lights/panel01" not in found and "models/skin" not in found
    assert found["textures/tex_wood/wood001"].category == "wood"
    assert found["textures/tex_nature/moss01"].category == "grass"
    assert found["textures/tex_wood/wood001"].family == found["textures/tex_wood/wood002_blue"].family


def test_per_file_licences_follow_the_debian_copyright_file(tiny_archive):
    source, _ = tiny_archive
    found = {material.stem: material.licence for material in catalogue.catalogue(source)}
    assert found["textures/tex_nature/moss01"] == "CC-BY-3.0"
    assert found["textures/tex_wood/wood001"] == "GPL-2+"
    table = licences.LicenceTable([], "GPL-2+")
    assert table.licence("anything") == "GPL-2+"


def test_build_keeps_real_materials_and_says_why_it_dropped_the_rest(library):
    folder, index = library
    kept = {item["key"].split(":")[1].rsplit("/", 1)[1] for item in index["items"]}
    assert {"wood001", "moss01", "slate04"} <= kept
    assert not kept & {"concrete_grey", "chip", "glass01", "atlas01", "broken01", "panel01"}
    assert "wood002_blue" not in kept   # the same picture recoloured: contradictory colour labels
    dropped = index["dropped"]
    for reason in ("greyscale", "tiny", "transparent", "atlas", "near-duplicate", "flat normal"):
        assert dropped.get(reason, 0) >= 1, (reason, dropped)
    assert any(reason.startswith("unreadable") for reason in dropped)
    items = {item["key"].rsplit("/", 1)[1]: item for item in index["items"]}
    assert items["wood001"]["normal"] and not items["moss01"]["normal"]   # a flat normal is not kept
    assert items["moss01"]["licence"] == "CC-BY-3.0" and items["wood001"]["package"] == "test-textures"
    assert index["sources"][0]["bytes"] > 0 and len(index["sources"][0]["sha256_first_mib"]) == 16


def test_the_split_is_by_family_and_deterministic(library, tiny_archive):
    folder, index = library
    _, held_out = tiny_archive
    by_name = {item["key"].rsplit("/", 1)[1]: item["split"] for item in index["items"]}
    assert by_name[held_out] == "validation" and by_name["wood001"] == split.split_of(
        "test-textures:textures/tex_wood/wood")
    assert split.split_of("x:y/z") == split.split_of("x:y/z")


def test_shards_hold_the_decoded_aligned_crops(library, tiny_archive, tmp_path):
    folder, index = library
    loaded = shards.TextureLibrary(folder)
    items, diffuse, normals = loaded.load("train", with_normals=True)
    assert diffuse.dtype == np.uint8 and diffuse.shape[1:] == (64, 64, 3)
    rows = [i for i, item in enumerate(items) if item["key"].endswith("wood001")]
    # 128 px at crop size 64: 2 x 2 crops at full resolution, the maps of one material aligned.
    assert [items[i]["crop"] for i in rows] == [0, 1, 2, 3]
    texture, normal = colour_texture(1), normal_map(1)
    assert np.array_equal(diffuse[rows[0]], texture[:64, :64]) and np.array_equal(diffuse[rows[3]], texture[64:, 64:])
    assert set(normals) == {i for i, item in enumerate(items) if item["normal"]}
    assert np.array_equal(normals[rows[1]], normal[:64, 64:])
    single = build.build(str(tmp_path / "one"), [tiny_archive[0]], size=64, processes=1, grid=1,
                         report=lambda message: None)
    one = shards.TextureLibrary(str(tmp_path / "one")).load("train")[1]
    row = next(i for i, item in enumerate(single["items"]) if item["key"].endswith("wood001"))
    expected = np.asarray(Image.fromarray(texture).resize((64, 64), Image.BOX))
    assert np.abs(one[row].astype(int) - expected.astype(int)).max() <= 2
    assert loaded.provenance()["sources"][0]["package"] == "test-textures"


def test_a_missing_or_foreign_library_is_a_clear_error(tmp_path):
    with pytest.raises(shards.LibraryError, match="no texture library"):
        shards.TextureLibrary(str(tmp_path))
    (tmp_path / "index.json").write_text(json.dumps({"format": "something else"}))
    with pytest.raises(shards.LibraryError, match="not a texture library"):
        shards.TextureLibrary(str(tmp_path))


def test_near_duplicates_keep_the_first_of_a_group():
    base = colour_texture(11)
    other = colour_texture(12)
    hashes = [screening.luminance_hash(image) for image in (base, other, base[:, :, ::-1])]
    assert screening.near_duplicates(hashes) == {2}


def test_training_chunks_on_the_library_resume_and_record_provenance(library, tmp_path):
    from neural_render.worker.colorize import checkpoint
    from training import train_colorizer, train_hint_colorizer
    folder, _ = library
    out = str(tmp_path / "c.pt")
    common = ["--library", folder, "--out", out, "--width", "0.0625", "--crop", "32", "--batch-size", "2",
              "--threads", "1", "--validate-every", "0"]
    assert train_colorizer.main(common + ["--steps", "2"]) == 0
    assert train_colorizer.main(common + ["--steps", "2", "--resume"]) == 0
    payload = checkpoint.load_checkpoint(out)
    assert payload["steps"] == 4 and payload["provenance"]["data"]["sources"][0]["package"] == "test-textures"
    assert [step for step, _ in payload["validation"]][-1] == 4    # the validation curve, one point per check
    hint_out = str(tmp_path / "h.pt")
    hint_common = ["--library", folder, "--out", hint_out, "--base", "4", "--crop", "32", "--batch-size", "2",
                   "--threads", "1", "--validate-every", "0"]
    assert train_hint_colorizer.main(hint_common + ["--steps", "2"]) == 0
    assert train_hint_colorizer.main(hint_common + ["--steps", "1", "--resume"]) == 0
    hint_payload = checkpoint.load_checkpoint(hint_out, checkpoint.HINT_FORMAT)
    assert hint_payload["steps"] == 3 and hint_payload["validation"]


def test_an_exported_model_is_half_precision_with_a_card(library, tmp_path):
    import torch

    from neural_render.worker.colorize import checkpoint
    from training import export_bundled_model, train_colorizer
    folder, _ = library
    out = str(tmp_path / "c.pt")
    assert train_colorizer.main(["--library", folder, "--out", out, "--width", "0.0625", "--crop", "32",
                                 "--batch-size", "2", "--threads", "1", "--steps", "1"]) == 0
    trained = checkpoint.load_checkpoint(out)
    # A BatchNorm variance above float16's range (a real model had 2e5) must survive the export.
    trained["model"]["model1.4.running_var"] = trained["model"]["model1.4.running_var"] * 0 + 2.0e5
    torch.save(trained, out)
    assert export_bundled_model.main(["texture_colorizer", out, "--out-folder", str(tmp_path / "ship")]) == 0
    shipped = str(tmp_path / "ship" / "texture_colorizer.pt")
    payload = checkpoint.load_checkpoint(shipped)
    assert "optimizer" not in payload and payload["model"]["model1.0.weight"].dtype == torch.float16
    assert torch.isfinite(payload["model"]["model1.4.running_var"]).all()
    model = checkpoint.model_from_checkpoint(payload)
    original = checkpoint.model_from_checkpoint(checkpoint.load_checkpoint(out))
    lightness = torch.linspace(-0.5, 0.5, 32 * 32).reshape(1, 1, 32, 32)
    with torch.no_grad():
        assert torch.allclose(model(lightness), original(lightness), atol=0.05)
    card = json.load(open(str(tmp_path / "ship" / "texture_colorizer.json")))
    assert "test-textures" in card["trained_on"] and card["steps"] == 1 and "GPL-2+" in card["licence"]


def test_sigterm_stops_a_training_chunk_after_saving_it(library, tmp_path):
    """A farm (or ``kill``) stopping a chunk: the step in progress finishes, the checkpoint is saved
    and says where it stopped, and --resume continues from there."""
    import re
    import signal
    import subprocess
    import sys
    import time

    from neural_render.worker.colorize import checkpoint
    folder, _ = library
    out = tmp_path / "c.pt"
    script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "training",
                          "train_colorizer.py")
    process = subprocess.Popen([sys.executable, script, "--library", folder, "--out", str(out), "--minutes", "10",
                                "--width", "0.0625", "--crop", "32", "--batch-size", "2", "--threads", "1",
                                "--checkpoint-every", "3600"], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    seen = ""
    # Progress is reported every half second, so wait for any step number of 2 or more.
    while not re.search(r"step ([2-9]|\d\d+) ", seen) and time.monotonic() < deadline:
        seen += process.stderr.read(1)
    assert time.monotonic() < deadline, seen
    process.send_signal(signal.SIGTERM)
    rest = process.communicate(timeout=60)[1]
    assert process.returncode == 130, seen + rest
    steps = int(rest.split("stopped at step ")[1].split(";")[0])
    assert steps >= 2 and checkpoint.load_checkpoint(str(out))["steps"] == steps
