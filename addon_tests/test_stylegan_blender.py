"""StyleGAN texture operators in real Blender (the bpy module) with the real worker process.

Kept fast for a 2-core CI: one model of 32 px crops trained for a couple of steps on a folder of three
small random images serves every test but training's own; projections run two steps."""

import os
import types

import bpy
import numpy as np
import pytest

from neural_render.blender import datablocks
from neural_render.blender.gan.live_preview import LivePreview
from neural_render.protocol.specs import stylegan as spec
from neural_render.worker.gan import checkpoint
from neural_render.worker.imageio.files import write_image
from neural_render.worker.stylegan import network, sampling
from neural_render.worker.stylegan.model import StyleGan
from test_specs import _PanelProxy, _Recorder, _settings_snapshot

QUICK = {"minutes": 0, "steps": 2, "image_size": 32, "batch_size": 2, "augment": False}
QUICK_PROJECT = {"steps": 2, "perceptual_weight": 0.0}


def write_folder(folder, sizes=(64, 80, 96), seed=0):
    """Random scene-linear PNG textures of the given sizes in ``folder`` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for index, size in enumerate(sizes):
        write_image(str(folder / f"texture_{index}.png"), rng.uniform(0.05, 0.9, (size, size, 3)).astype(np.float32))
    return str(folder)


@pytest.fixture(scope="module")
def model_path(addon, tmp_path_factory):
    """A StyleGAN model trained through the operator, shared by the tests that use one."""
    folder = write_folder(tmp_path_factory.mktemp("set") / "stones")
    path = str(tmp_path_factory.mktemp("models") / "stones.nrgan")
    assert bpy.ops.neural_render.stylegan_train("EXEC_DEFAULT", folder=folder, model_path=path, **QUICK) == {"FINISHED"}
    return path


@pytest.fixture
def scene(addon):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.mesh.primitive_plane_add()
    return bpy.context.scene


def _photo(name="my stones", size=64, seed=3):
    rgba = np.ones((size, size, 4), np.float32)
    rgba[:, :, :3] = np.random.default_rng(seed).uniform(0.05, 0.9, (size, size, 3))
    return datablocks.array_to_image(rgba, name)


def _pixels(name):
    """A result datablock's pixels, top row first, as the worker made them."""
    return datablocks.image_to_array(bpy.data.images[name])[::-1]


def _state():
    return (sorted(image.name for image in bpy.data.images), sorted(material.name for material in bpy.data.materials))


# -- train --------------------------------------------------------------------------------------
def test_train_on_the_panel_folder_makes_a_model_and_a_preview(scene, tmp_path):
    settings = scene.neural_render_stylegan
    settings.folder = write_folder(tmp_path / "bark")
    path = str(tmp_path / "bark.nrgan")
    assert bpy.ops.neural_render.stylegan_train("EXEC_DEFAULT", model_path=path, **QUICK) == {"FINISHED"}
    payload = checkpoint.load(path)
    assert payload["model_type"] == network.MODEL_TYPE and payload["trainer"]["steps"] == 2
    assert payload["model_config"]["image_size"] == 32 and payload["data"]["image_count"] == 3
    assert settings.model_path == path, "the trained model becomes the panel's"
    preview = bpy.data.images[datablocks.result_name("StyleGAN preview", "bark")]
    assert tuple(preview.size) == (256, 256) and preview.is_float

    # The panel's Steps are projection's: they are no training budget.
    settings.steps = 50
    with pytest.raises(RuntimeError, match="Give a training time"):
        bpy.ops.neural_render.stylegan_train("EXEC_DEFAULT", minutes=0)
    # The panel's Resume continues the panel's model.
    settings.resume = True
    assert bpy.ops.neural_render.stylegan_train("EXEC_DEFAULT", minutes=0, steps=1, batch_size=2) == {"FINISHED"}
    assert checkpoint.load(path)["trainer"]["steps"] == 3


def test_a_model_without_a_name_goes_beside_the_saved_blend_named_after_its_folder(scene, tmp_path):
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "shot.blend"))
    scene = bpy.context.scene
    scene.neural_render_stylegan.folder = write_folder(tmp_path / "moss")
    assert bpy.ops.neural_render.stylegan_train("EXEC_DEFAULT", **QUICK) == {"FINISHED"}
    expected = str(tmp_path / "moss_stylegan.nrgan")
    assert os.path.isfile(expected) and scene.neural_render_stylegan.model_path == expected


def test_the_live_preview_loads_and_reloads_the_file_the_worker_rewrites(addon, tmp_path):
    path = str(tmp_path / "preview.exr")
    preview = LivePreview(path, "NR StyleGAN preview live")
    assert preview.refresh() is None, "nothing written yet"
    write_image(path, np.full((8, 8, 3), 0.25, np.float32))
    image = preview.refresh()
    assert image.name == "NR StyleGAN preview live" and tuple(image.size) == (8, 8)
    assert preview.refresh() == image
    write_image(path, np.full((8, 8, 3), 0.75, np.float32))  # the worker's next preview
    os.utime(path, ns=(1, 1))  # another stamp even on a coarse clock
    assert preview.refresh() == image
    assert datablocks.image_to_array(image)[0, 0, 0] == pytest.approx(0.75)
    bpy.data.images.remove(image)


# -- generate and mix ---------------------------------------------------------------------------
def test_generate_makes_float_textures_of_the_asked_size(scene, model_path):
    assert bpy.ops.neural_render.stylegan_generate("EXEC_DEFAULT", model_path=model_path, width=64, height=32,
                                                   seed=5, count=2, make_material=True) == {"FINISHED"}
    names = [datablocks.result_name("StyleGAN", f"stones seed {seed}") for seed in (5, 6)]
    images = [bpy.data.images[name] for name in names]
    assert all(tuple(image.size) == (64, 32) and image.is_float and image.packed_file for image in images)
    model = StyleGan.load(model_path)
    expected = sampling.generate(model.sampler, model.scale, 64, 32, seed=5)
    assert np.allclose(_pixels(names[0])[:, :, :3], expected, atol=1e-5), "the worker's seed 5, tileable"
    assert not np.allclose(_pixels(names[1])[:, :, :3], expected, atol=1e-3)
    material = bpy.context.active_object.data.materials[0]
    assert material.node_tree.nodes["NR GAN Texture"].image == images[0]
    assert tuple(material.node_tree.nodes["NR GAN Mapping"].inputs["Scale"].default_value) == (1.0, 1.0, 1.0)


def test_generate_takes_the_panel_settings(scene, model_path):
    settings = scene.neural_render_stylegan
    settings.model_path = model_path
    settings.width, settings.height, settings.seed, settings.psi, settings.tileable = 40, 24, 7, 0.5, False
    assert bpy.ops.neural_render.stylegan_generate("EXEC_DEFAULT") == {"FINISHED"}
    model = StyleGan.load(model_path)
    expected = sampling.generate(model.sampler, model.scale, 40, 24, seed=7, psi=0.5, tileable=False)
    assert np.allclose(_pixels(datablocks.result_name("StyleGAN", "stones seed 7"))[:, :, :3], expected, atol=1e-5)
    assert not bpy.context.active_object.data.materials, "Make Material is off"


def test_mixing_takes_the_fine_layers_from_the_mix_seed(scene, model_path):
    settings = scene.neural_render_stylegan
    settings.model_path = model_path
    settings.width = settings.height = 32
    settings.seed = 5
    assert bpy.ops.neural_render.stylegan_generate("EXEC_DEFAULT") == {"FINISHED"}
    plain = _pixels(datablocks.result_name("StyleGAN", "stones seed 5"))

    settings.mix, settings.mix_seed, settings.mix_layer = True, 9, 2
    assert bpy.ops.neural_render.stylegan_generate("EXEC_DEFAULT") == {"FINISHED"}
    mixed = _pixels(datablocks.result_name("StyleGAN", "stones seed 5 mix 9"))
    assert not np.allclose(mixed, plain, atol=1e-3), "mixing changes the texture"
    model = StyleGan.load(model_path)
    expected = sampling.generate(model.sampler, model.scale, 32, 32, seed=5, mix_seed=9, mix_layer=2)
    assert np.allclose(mixed[:, :, :3], expected, atol=1e-5), "the panel's mix seed and layer reach the worker"

    # Keywords win: Mix off is the plain texture again; a script naming a mix seed mixes.
    settings.mix = False
    before = len(bpy.data.images)
    assert bpy.ops.neural_render.stylegan_generate("EXEC_DEFAULT", mix_seed=11) == {"FINISHED"}
    expected = sampling.generate(model.sampler, model.scale, 32, 32, seed=5, mix_seed=11, mix_layer=2)
    assert np.allclose(_pixels(datablocks.result_name("StyleGAN", "stones seed 5 mix 11"))[:, :, :3], expected,
                       atol=1e-5)
    settings.mix = True
    assert bpy.ops.neural_render.stylegan_generate("EXEC_DEFAULT", mix=False) == {"FINISHED"}
    assert len(bpy.data.images) == before + 1, "the plain texture's datablock is refreshed, not copied"
    assert np.array_equal(_pixels(datablocks.result_name("StyleGAN", "stones seed 5")), plain)


# -- project and variations ---------------------------------------------------------------------
def test_project_brings_back_the_fit_and_variations_and_saves_the_latent(scene, model_path):
    photo = _photo()
    assert bpy.ops.neural_render.stylegan_project("EXEC_DEFAULT", image_name=photo.name, model_path=model_path,
                                                  variations=2, **QUICK_PROJECT) == {"FINISHED"}
    latent = os.path.join(os.path.dirname(model_path), "stones_my_stones.nrlatent")
    assert os.path.isfile(latent), "the latent goes beside the model, named after model and image"
    fit = bpy.data.images[datablocks.result_name("StyleGAN fit", photo.name)]
    names = [datablocks.result_name("StyleGAN variation", f"{photo.name} {index:03d}") for index in range(2)]
    variations = [bpy.data.images[name] for name in names]
    for image in (fit, *variations):
        assert tuple(image.size) == (64, 64) and image.is_float and image.packed_file
        assert np.isfinite(datablocks.image_to_array(image)).all()
    assert not np.allclose(_pixels(names[0]), _pixels(names[1]), atol=1e-3), "other layouts"

    # Generate around the projected latent: its look, the seeds' layouts.
    assert bpy.ops.neural_render.stylegan_generate("EXEC_DEFAULT", model_path=model_path, latent_path=latent,
                                                   width=32, height=32, seed=1) == {"FINISHED"}
    assert tuple(bpy.data.images[datablocks.result_name("StyleGAN", "stones stones_my_stones seed 1")].size) == (32, 32)


def test_project_takes_the_panel_settings_and_not_the_panel_seed(scene, model_path, tmp_path):
    settings = scene.neural_render_stylegan
    settings.model_path, settings.steps, settings.variations = model_path, 2, 1
    settings.seed = 7  # generation's seed: projection's own stays 0
    photo = _photo("bark photo", size=48)
    latent = str(tmp_path / "bark.nrlatent")
    variation = datablocks.result_name("StyleGAN variation", "bark photo 000")
    results = []
    for seed in (None, 0, 1):
        keywords = {} if seed is None else {"seed": seed}
        assert bpy.ops.neural_render.stylegan_project("EXEC_DEFAULT", image_name=photo.name, latent_path=latent,
                                                      perceptual_weight=0.0, **keywords) == {"FINISHED"}
        results.append(_pixels(variation))
    assert os.path.isfile(latent)
    assert tuple(bpy.data.images[datablocks.result_name("StyleGAN fit", "bark photo")].size) == (48, 48)
    assert datablocks.result_name("StyleGAN variation", "bark photo 001") not in bpy.data.images, "the panel's 1"
    assert np.array_equal(results[0], results[1]), "the panel's Seed is not projection's"
    assert not np.allclose(results[0], results[2], atol=1e-3), "a seed keyword reaches the worker"


def test_variations_of_this_texture_wire_a_variation_into_the_active_object_s_material(scene, model_path):
    photo = _photo()
    # The default perceptual term (VGG features) on this one: two steps.
    assert bpy.ops.neural_render.stylegan_variations("EXEC_DEFAULT", image_name=photo.name, model_path=model_path,
                                                     tiling=3.0, steps=2) == {"FINISHED"}
    variation = bpy.data.images[datablocks.result_name("StyleGAN variation", f"{photo.name} 000")]
    material = bpy.context.active_object.data.materials[0]
    assert material.name == datablocks.result_name("StyleGAN", photo.name)
    tree = material.node_tree
    texture = tree.nodes["NR GAN Texture"]
    assert texture.image == variation and texture.extension == "REPEAT"
    shader = next(node for node in tree.nodes if node.bl_idname == "ShaderNodeBsdfPrincipled")
    assert shader.inputs["Base Color"].links[0].from_node == texture
    assert tuple(tree.nodes["NR GAN Mapping"].inputs["Scale"].default_value) == (3.0, 3.0, 1.0)


# -- errors: reported, nothing changes ----------------------------------------------------------
def test_training_refusals_change_nothing(scene, tmp_path):
    path = tmp_path / "none.nrgan"
    before = _state()
    with pytest.raises(RuntimeError, match="Choose a folder"):
        bpy.ops.neural_render.stylegan_train("EXEC_DEFAULT", model_path=str(path), **QUICK)
    with pytest.raises(RuntimeError, match="No folder at"):
        bpy.ops.neural_render.stylegan_train("EXEC_DEFAULT", folder=str(tmp_path / "missing"), model_path=str(path),
                                             **QUICK)
    with pytest.raises(RuntimeError, match="Nothing to resume"):
        bpy.ops.neural_render.stylegan_train("EXEC_DEFAULT", folder=str(tmp_path), model_path=str(path), resume=True,
                                             **QUICK)
    lonely = write_folder(tmp_path / "lonely", sizes=(64,))
    with pytest.raises(RuntimeError, match="at least 2 images"):  # the worker's refusal, as a job error
        bpy.ops.neural_render.stylegan_train("EXEC_DEFAULT", folder=lonely, model_path=str(path), **QUICK)
    assert _state() == before and not path.exists()
    assert scene.neural_render_stylegan.model_path == ""


def test_generate_and_project_refusals_change_nothing(scene, model_path, tmp_path):
    photo = _photo()
    before = _state()
    missing = str(tmp_path / "none.nrgan")
    with pytest.raises(RuntimeError, match="No model file"):
        bpy.ops.neural_render.stylegan_generate("EXEC_DEFAULT", model_path=missing, width=32, height=32)
    with pytest.raises(RuntimeError, match="No model file"):
        bpy.ops.neural_render.stylegan_project("EXEC_DEFAULT", image_name=photo.name, model_path=missing)
    with pytest.raises(RuntimeError, match="No latent file"):
        bpy.ops.neural_render.stylegan_generate("EXEC_DEFAULT", model_path=model_path, width=32, height=32,
                                                latent_path=str(tmp_path / "none.nrlatent"))
    with pytest.raises(RuntimeError, match="not both"):
        bpy.ops.neural_render.stylegan_generate("EXEC_DEFAULT", model_path=model_path, width=32, height=32,
                                                latent_path=str(tmp_path / "none.nrlatent"), mix_seed=3)
    with pytest.raises(RuntimeError, match="multiple of 16"):  # the worker's refusal of a tileable 40 px
        bpy.ops.neural_render.stylegan_generate("EXEC_DEFAULT", model_path=model_path, width=40, height=32)
    with pytest.raises(RuntimeError, match="No image datablock named"):
        bpy.ops.neural_render.stylegan_project("EXEC_DEFAULT", image_name="missing", model_path=model_path)
    with pytest.raises(RuntimeError, match="No image: open one"):
        bpy.ops.neural_render.stylegan_variations("EXEC_DEFAULT", model_path=model_path)
    tiny = _photo("tiny", size=8)
    before = _state()
    with pytest.raises(RuntimeError, match="projection needs at least"):
        bpy.ops.neural_render.stylegan_variations("EXEC_DEFAULT", image_name=tiny.name, model_path=model_path,
                                                  latent_path=str(tmp_path / "tiny.nrlatent"), **QUICK_PROJECT)
    assert _state() == before and not bpy.context.active_object.data.materials
    assert os.listdir(tmp_path) == []


# -- the panel ----------------------------------------------------------------------------------
def test_the_panel_draws_every_box_and_the_preview_on_real_data_and_writes_nothing(scene, tmp_path):
    from neural_render.blender.stylegan.panels import NEURALRENDER_PT_stylegan_textures
    settings = scene.neural_render_stylegan
    settings.folder = write_folder(tmp_path / "sand")
    settings.model_path = str(tmp_path / "sand.nrgan")
    assert bpy.ops.neural_render.stylegan_train("EXEC_DEFAULT", **QUICK) == {"FINISHED"}
    bpy.data.images[datablocks.result_name("StyleGAN preview", "sand")].preview_ensure()
    settings.mix = True
    for image in (_photo(), None):
        context = types.SimpleNamespace(scene=scene, window_manager=bpy.context.window_manager,
                                        space_data=types.SimpleNamespace(type="IMAGE_EDITOR", image=image))
        before = _settings_snapshot(scene)
        log = []
        _PanelProxy(NEURALRENDER_PT_stylegan_textures, _Recorder(log)).draw(context)
        assert _settings_snapshot(scene) == before, "drawing the panel changed the scene's settings"
        drawn = {args[1] for kind, args, _ in log if kind == "prop"}
        assert {"model_path", "folder", "minutes", "resume", "width", "height", "seed", "count", "psi", "tileable",
                "make_material", "mix", "mix_seed", "mix_layer", "steps", "variations"} <= drawn
        buttons = [args[0] for kind, args, _ in log if kind == "operator"]
        assert buttons == ["neural_render.stylegan_train", "neural_render.stylegan_generate",
                           "neural_render.stylegan_project", "neural_render.stylegan_variations"]
        assert not [args for kind, args, _ in log if kind == "set"], "buttons carry no copies of the settings"
        assert any(kind == "template_icon" for kind, _, _ in log), "the training preview is shown"
        labels = [kwargs.get("text") for kind, _, kwargs in log if kind == "label"]
        assert ("Open your texture in the Image Editor" in labels) == (image is None)


def test_panel_and_operators_share_one_declaration_of_each_setting(addon):
    settings = bpy.context.scene.neural_render_stylegan.bl_rna.properties
    for operator, names in ((bpy.ops.neural_render.stylegan_train, ("folder", "minutes", "resume")),
                            (bpy.ops.neural_render.stylegan_generate,
                             ("width", "height", "seed", "count", "psi", "tileable", "mix_seed", "mix_layer", "mix",
                              "make_material")),
                            (bpy.ops.neural_render.stylegan_project, ("steps", "variations"))):
        properties = operator.get_rna_type().properties
        for name in names + ("model_path",):
            ours, theirs = settings[name], properties[name]
            assert ours.description.startswith(theirs.description[:40])
            for attribute in ("default", "hard_min", "hard_max", "subtype"):
                if hasattr(ours, attribute):
                    assert getattr(ours, attribute) == getattr(theirs, attribute), (name, attribute)
    assert settings["folder"].subtype == "DIR_PATH"
    assert settings["minutes"].default == spec.DEFAULT_MINUTES and settings["width"].default == spec.DEFAULT_WIDTH
    assert settings["mix"].default is False and settings["mix_seed"].default != settings["seed"].default
    assert settings["mix_layer"].default == spec.DEFAULT_MIX_LAYER
    assert settings["mix_layer"].hard_max == spec.NUM_STYLE_LAYERS - 1
