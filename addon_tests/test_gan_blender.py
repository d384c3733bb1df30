"""GAN texture operators in real Blender (the bpy module) with the real worker process."""

import os

import bpy
import numpy as np
import pytest

from gan_fixtures import brick_texture
from neural_render.blender import datablocks
from neural_render.protocol.specs import gan as spec
from neural_render.worker.gan import checkpoint, generate
from neural_render.worker.gan.exemplar_gan import ExemplarGan

QUICK = {"crop_size": 32, "batch_size": 2}  # a tiny training crop: a step takes milliseconds


@pytest.fixture
def scene_with_exemplar(addon):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.mesh.primitive_plane_add()
    rgba = np.ones((96, 96, 4), np.float32)
    rgba[:, :, :3] = brick_texture(96, 96)
    exemplar = datablocks.array_to_image(rgba[::-1], "bricks")
    return bpy.context.scene, exemplar


def test_make_material_wires_image_to_base_color_with_mapping(scene_with_exemplar):
    _, image = scene_with_exemplar
    result = bpy.ops.neural_render.gan_make_material("EXEC_DEFAULT", image_name=image.name, tiling=3.0)
    assert result == {"FINISHED"}
    material = bpy.context.active_object.data.materials[0]
    tree = material.node_tree
    texture = tree.nodes["NR GAN Texture"]
    assert texture.image == image and texture.extension == "REPEAT"
    shader = next(node for node in tree.nodes if node.bl_idname == "ShaderNodeBsdfPrincipled")
    assert shader.inputs["Base Color"].links[0].from_node == texture
    mapping = tree.nodes["NR GAN Mapping"]
    assert tuple(mapping.inputs["Scale"].default_value) == (3.0, 3.0, 1.0)
    assert texture.inputs["Vector"].links[0].from_node == mapping
    assert image.colorspace_settings.name == "Linear Rec.709", "float result: scene-linear, not Non-Color"
    # Running it again updates the same material instead of piling up copies.
    count = len(bpy.data.materials)
    bpy.ops.neural_render.gan_make_material("EXEC_DEFAULT", image_name=image.name, use_mapping=False)
    assert len(bpy.data.materials) == count


def test_periodic_pattern_gives_the_generator_sinusoid_inputs(scene_with_exemplar, tmp_path):
    _, exemplar = scene_with_exemplar
    path = str(tmp_path / "tiles.nrgan")
    assert bpy.ops.neural_render.gan_train("EXEC_DEFAULT", image_name=exemplar.name, model_path=path, minutes=0,
                                           steps=1, crop_size=32, batch_size=2, periodic_pattern=True) == {"FINISHED"}
    assert checkpoint.load(path)["model_config"]["periodic_channels"] == 2


def test_make_material_without_image_fails_cleanly(scene_with_exemplar):
    with pytest.raises(RuntimeError, match="No image datablock named"):
        bpy.ops.neural_render.gan_make_material("EXEC_DEFAULT", image_name="missing")
    assert not bpy.context.active_object.data.materials


def test_train_then_generate_through_the_worker(scene_with_exemplar, tmp_path):
    scene, exemplar = scene_with_exemplar
    path = str(tmp_path / "bricks.nrgan")
    assert bpy.ops.neural_render.gan_train("EXEC_DEFAULT", image_name=exemplar.name, model_path=path,
                                           minutes=0, steps=2, crop_size=32, batch_size=2) == {"FINISHED"}
    assert checkpoint.load(path)["model_type"] == "psgan"
    assert checkpoint.load(path)["model_config"]["periodic_channels"] == 0, "Periodic Pattern is off by default"
    assert scene.neural_render_gan.model_path == path
    preview = bpy.data.images[datablocks.result_name("GAN preview", exemplar.name)]
    assert tuple(preview.size) == (256, 256)

    assert bpy.ops.neural_render.gan_generate("EXEC_DEFAULT", model_path=path, width=64, height=32, seed=5,
                                              count=2, make_material=True) == {"FINISHED"}
    names = [datablocks.result_name("GAN", f"bricks seed {seed}") for seed in (5, 6)]
    images = [bpy.data.images[name] for name in names]
    assert all(tuple(image.size) == (64, 32) and image.is_float and image.packed_file for image in images)
    pixels = datablocks.image_to_array(images[0])
    assert np.isfinite(pixels).all() and pixels[:, :, :3].std() > 0
    material = bpy.context.active_object.data.materials[0]
    assert material.node_tree.nodes["NR GAN Texture"].image == images[0]

    # Variation reaches the worker: the same seed at full variation is another texture (in the same
    # datablock: a re-run refreshes its result).
    assert bpy.ops.neural_render.gan_generate("EXEC_DEFAULT", model_path=path, width=64, height=32, seed=5,
                                              variation=1.0) == {"FINISHED"}
    varied = datablocks.image_to_array(bpy.data.images[names[0]])
    assert varied.shape == pixels.shape and not np.array_equal(varied, pixels)


def test_bad_generate_request_changes_nothing(scene_with_exemplar, tmp_path):
    before = sorted(image.name for image in bpy.data.images)
    with pytest.raises(RuntimeError, match="No model file"):
        bpy.ops.neural_render.gan_generate("EXEC_DEFAULT", model_path=str(tmp_path / "none.nrgan"))
    bad = tmp_path / "bad.nrgan"
    bad.write_bytes(b"garbage")
    with pytest.raises(RuntimeError, match="not a model of this product"):
        bpy.ops.neural_render.gan_generate("EXEC_DEFAULT", model_path=str(bad), width=64, height=64)
    assert sorted(image.name for image in bpy.data.images) == before
    assert os.listdir(tmp_path) == ["bad.nrgan"]


def test_panel_and_operators_share_one_declaration_of_each_setting(addon):
    settings = bpy.context.scene.neural_render_gan.bl_rna.properties
    for operator, names in ((bpy.ops.neural_render.gan_train, ("minutes", "resume")),
                            (bpy.ops.neural_render.gan_generate,
                             ("width", "height", "seed", "count", "tileable", "variation"))):
        properties = operator.get_rna_type().properties
        for name in names + ("model_path",):
            ours, theirs = settings[name], properties[name]
            assert ours.description.startswith(theirs.description[:40])
            for attribute in ("default", "hard_min", "hard_max"):
                if hasattr(ours, attribute):
                    assert getattr(ours, attribute) == getattr(theirs, attribute), (name, attribute)
    assert settings["minutes"].default == spec.DEFAULT_MINUTES and settings["width"].default == spec.DEFAULT_WIDTH
    assert settings["count"].hard_max == spec.MAX_COUNT and settings["width"].hard_max == spec.MAX_SIZE
    assert settings["tileable"].default is True, "tileable by default, as in the worker and the CLI"


def _trained_model(exemplar, path):
    assert bpy.ops.neural_render.gan_train("EXEC_DEFAULT", image_name=exemplar.name, model_path=path, minutes=0,
                                           steps=1, **QUICK) == {"FINISHED"}
    return ExemplarGan.load(path)


def test_train_takes_the_panel_settings_and_keywords_win(scene_with_exemplar, tmp_path):
    scene, exemplar = scene_with_exemplar
    settings = scene.neural_render_gan
    path = str(tmp_path / "panel.nrgan")
    settings.model_path, settings.minutes, settings.periodic_pattern = path, 0.02, True
    assert bpy.ops.neural_render.gan_train("EXEC_DEFAULT", image_name=exemplar.name, **QUICK) == {"FINISHED"}
    payload = checkpoint.load(path)
    assert payload["model_config"]["periodic_channels"] == spec.PERIODIC_PATTERN_CHANNELS, \
        "the panel's Periodic Pattern"
    assert 1.15 < payload["seconds_trained"] < 60, "the panel's 0.02 minutes, not the default 10"

    # Keywords win over the panel: no periodic channels, a step budget, another file.
    other = str(tmp_path / "keywords.nrgan")
    assert bpy.ops.neural_render.gan_train("EXEC_DEFAULT", image_name=exemplar.name, model_path=other, minutes=0,
                                           steps=2, periodic_pattern=False, **QUICK) == {"FINISHED"}
    payload = checkpoint.load(other)
    assert payload["model_config"]["periodic_channels"] == 0 and payload["trainer"]["steps"] == 2
    assert settings.model_path == other, "the trained model becomes the panel's"

    # The panel's Resume continues the panel's model (now the one just trained).
    settings.resume = True
    assert bpy.ops.neural_render.gan_train("EXEC_DEFAULT", image_name=exemplar.name, minutes=0, steps=1,
                                           **QUICK) == {"FINISHED"}
    assert checkpoint.load(other)["trainer"]["steps"] == 3


def test_generate_takes_the_panel_settings_and_keywords_win(scene_with_exemplar, tmp_path):
    scene, exemplar = scene_with_exemplar
    path = str(tmp_path / "bricks.nrgan")
    model = _trained_model(exemplar, path)
    settings = scene.neural_render_gan
    assert settings.model_path == path
    settings.width, settings.height, settings.seed, settings.count = 40, 24, 7, 2
    settings.variation, settings.tileable, settings.make_material = 1.0, False, True

    def texture(seed):  # top row first, as the worker made it
        return datablocks.image_to_array(bpy.data.images[datablocks.result_name("GAN", f"bricks seed {seed}")])[::-1]

    assert bpy.ops.neural_render.gan_generate("EXEC_DEFAULT") == {"FINISHED"}
    first, second = texture(7), texture(8)
    assert first.shape[:2] == second.shape[:2] == (24, 40), "the panel's size, seed and count"
    expected = generate.generate(model.sampler, model.scale, 40, 24, seed=7, tileable=False, variation=1.0)
    assert np.allclose(first[:, :, :3], expected, atol=1e-5), "the panel's variation and tileable reach the worker"
    for other in (dict(tileable=True, variation=1.0), dict(tileable=False, variation=0.0)):
        assert not np.allclose(first[:, :, :3], generate.generate(model.sampler, model.scale, 40, 24, seed=7, **other),
                               atol=1e-3)
    material = bpy.context.active_object.data.materials[0]
    assert material.node_tree.nodes["NR GAN Texture"].image.name == datablocks.result_name("GAN", "bricks seed 7")

    # Keywords win; height 0 means "the width".
    assert bpy.ops.neural_render.gan_generate("EXEC_DEFAULT", width=32, height=0, seed=3, count=1, tileable=True,
                                              variation=0.0) == {"FINISHED"}
    image = texture(3)
    assert image.shape[:2] == (32, 32)
    assert np.allclose(image[:, :, :3], generate.generate(model.sampler, model.scale, 32, 32, seed=3, tileable=True,
                                                          variation=0.0), atol=1e-5)
