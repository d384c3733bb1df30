"""Multi-layer EXR datablocks as inputs: Blender gives Python none of their pixels, so the chosen
layer is read from the file by the worker. The header reader both processes use is checked against
the OpenEXR library on single-part, multi-part and damaged files."""

import os
import types

import bpy
import numpy as np
import OpenEXR
import pytest

from neural_render.blender import datablocks, multilayer
from neural_render.protocol import exr_layers
from neural_render.worker.imageio import exr

HEIGHT, WIDTH = 6, 10


def _planes(seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.05, 2.0, (HEIGHT, WIDTH, 3)).astype(np.float32)


def write_layered(path, layers):
    """One part, channels ``<layer>.R/G/B`` (the matcaps' layout)."""
    channels = {f"{layer}.{letter}": np.ascontiguousarray(pixels[:, :, index])
                for layer, pixels in layers.items() for index, letter in enumerate("RGB")}
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    OpenEXR.File(header, channels).write(str(path))


def write_multi_part(path, passes):
    """One part per pass, named ``ViewLayer.<pass>`` with bare channel names (Blender 5.0's renders)."""
    parts = []
    for name, pixels in passes.items():
        header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
        channels = {letter: np.ascontiguousarray(pixels[:, :, index]) for index, letter in enumerate("RGBA"[:pixels.shape[2]])}
        parts.append(OpenEXR.Part(header, channels, name=f"ViewLayer.{name}"))
    OpenEXR.File(parts).write(str(path))


@pytest.fixture
def layered_file(tmp_path):
    layers = {"diffuse": _planes(1), "specular": _planes(2)}
    path = tmp_path / "matcap.exr"
    write_layered(path, layers)
    return path, layers


def test_the_header_reader_agrees_with_the_openexr_library(layered_file, tmp_path):
    path, layers = layered_file
    width, height, found = exr_layers.read_layers(str(path))
    assert (width, height) == (WIDTH, HEIGHT)
    assert sorted(found) == exr.list_layers(str(path)) == ["diffuse", "specular"]
    assert found["diffuse"] == {"R": "diffuse.R", "G": "diffuse.G", "B": "diffuse.B"}

    combined = np.concatenate([_planes(3), np.ones((HEIGHT, WIDTH, 1), np.float32)], axis=2)
    multi = tmp_path / "render.exr"
    write_multi_part(multi, {"Combined": combined, "Normal": _planes(4)})
    width, height, found = exr_layers.read_layers(str(multi))
    assert sorted(found) == exr.list_layers(str(multi)) == ["ViewLayer.Combined", "ViewLayer.Normal"]
    assert exr_layers.pick_layer(found) == "ViewLayer.Combined"
    assert exr_layers.pick_layer(found, "Normal") == "ViewLayer.Normal"


def test_damaged_or_foreign_files_are_refused_with_a_reason(layered_file, tmp_path):
    path, _ = layered_file
    data = path.read_bytes()
    for cut in (0, 3, 7, 20, 60):
        damaged = tmp_path / f"cut_{cut}.exr"
        damaged.write_bytes(data[:cut])
        with pytest.raises(exr_layers.ExrHeaderError, match="truncated|not an OpenEXR"):
            exr_layers.read_layers(str(damaged))
    png = tmp_path / "picture.exr"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    with pytest.raises(exr_layers.ExrHeaderError, match="not an OpenEXR"):
        exr_layers.read_layers(str(png))
    with pytest.raises(exr_layers.ExrHeaderError, match="several layers"):
        exr_layers.pick_layer(exr_layers.read_layers(str(path))[2])


def _load(path, layer=""):
    image = bpy.data.images.load(str(path), check_existing=False)
    assert multilayer.is_multilayer(image) and tuple(image.size) == (0, 0), "Blender hides its pixels"
    setattr(image, multilayer.LAYER_PROPERTY, layer)
    return image


def test_the_chosen_layer_reaches_the_worker_bit_for_bit(addon, layered_file):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    path, layers = layered_file
    image = _load(path, "specular")
    assert multilayer.layer_names(image) == ["diffuse", "specular"]
    assert bpy.ops.neural_render.worker_roundtrip("EXEC_DEFAULT", image_name=image.name) == {"FINISHED"}
    result = bpy.data.images[datablocks.result_name("roundtrip", image.name)]
    assert tuple(result.size) == (WIDTH, HEIGHT)
    pixels = datablocks.image_to_array(result)[::-1]  # top row first, like the file
    assert np.array_equal(pixels[:, :, :3], layers["specular"])
    assert np.all(pixels[:, :, 3] == 1.0)

    image.neural_render_layer = "diffuse"
    assert bpy.ops.neural_render.worker_roundtrip("EXEC_DEFAULT", image_name=image.name) == {"FINISHED"}
    pixels = datablocks.image_to_array(bpy.data.images[result.name])[::-1]
    assert np.array_equal(pixels[:, :, :3], layers["diffuse"])


def test_an_unchosen_or_unknown_layer_is_refused_naming_the_choices(addon, layered_file):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    path, _ = layered_file
    image = _load(path)
    before = sorted(bpy.data.images.keys())
    with pytest.raises(RuntimeError, match=r"several layers, choose one of \['diffuse', 'specular'\].*panel"):
        bpy.ops.neural_render.worker_roundtrip("EXEC_DEFAULT", image_name=image.name)
    image.neural_render_layer = "emission"
    with pytest.raises(RuntimeError, match="no single layer 'emission'"):
        bpy.ops.neural_render.worker_roundtrip("EXEC_DEFAULT", image_name=image.name)
    assert sorted(bpy.data.images.keys()) == before, "a refusal creates no result"


def test_a_file_replaced_after_loading_is_refused_not_misread(addon, layered_file, tmp_path):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    path, layers = layered_file
    image = _load(path, "diffuse")
    ref = multilayer.layer_ref(image)
    small = {name: pixels[:3, :5] for name, pixels in layers.items()}
    write_layered(path, small)  # the same name, another size: the worker must notice
    from neural_render.blender import worker_session
    client = worker_session.client(bpy.context)
    handle = client.submit("torch_identity", {}, input_refs={"image": ref})
    with pytest.raises(Exception, match="was the file replaced"):
        handle.wait(timeout=120)
    handle.cleanup()


def test_a_real_capability_reads_the_layer_and_the_panel_offers_the_choice(addon, layered_file):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    path, _ = layered_file
    image = _load(path, "diffuse")
    from neural_render.blender.colorize import panels
    drawn = []

    class Layout:
        def __getattr__(self, name):
            def call(*args, **kwargs):
                if name == "prop":
                    drawn.append((args[0], args[1]))
                return Layout() if name != "operator" else types.SimpleNamespace()
            return call
    context = types.SimpleNamespace(scene=bpy.context.scene, preferences=bpy.context.preferences,
                                    space_data=types.SimpleNamespace(type="IMAGE_EDITOR", image=image))
    panels.draw_colorize(Layout(), context, bpy.context.scene.neural_render_colorize)
    assert (image, multilayer.LAYER_PROPERTY) in drawn
    assert bpy.ops.neural_render.colorize("EXEC_DEFAULT", image_name=image.name) == {"FINISHED"}
    result = bpy.data.images[datablocks.result_name("Colorize", image.name)]
    assert tuple(result.size) == (WIDTH, HEIGHT)


def test_plain_images_show_no_layer_field(addon, tmp_path):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    plain = datablocks.array_to_image(np.ones((4, 4, 4), np.float32), "plain")
    drawn = []
    layout = types.SimpleNamespace(prop=lambda *args, **kwargs: drawn.append(args))
    multilayer.draw_layer_choice(layout, plain)
    single = tmp_path / "single.exr"
    exr.write_exr(str(single), np.ones((4, 4, 3), np.float32))
    multilayer.draw_layer_choice(layout, bpy.data.images.load(str(single)))
    assert drawn == []
    assert os.path.isfile(single)
