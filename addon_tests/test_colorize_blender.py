"""Colorize operators in real Blender (the bpy module) with the real worker process."""

import bpy
import numpy as np
import pytest

from colorize_fixtures import coloured_two_region_reference, tiny_checkpoint, two_region_grey
from neural_render.blender import datablocks
from neural_render.worker.colorize import lab


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """This module's small convolutions run on one torch thread (see conftest)."""


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return str(tiny_checkpoint(tmp_path_factory.mktemp("colorize-blender") / "tiny.pt"))


def _rgba(grey_or_rgb):
    rgb = np.repeat(grey_or_rgb, 3, 2) if grey_or_rgb.shape[2] == 1 else grey_or_rgb
    return np.concatenate([rgb, np.ones(rgb.shape[:2] + (1,), np.float32)], 2)


@pytest.fixture
def grey_image(addon):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    return datablocks.array_to_image(_rgba(two_region_grey())[::-1], "scan")


def _lightness(image):
    return lab.linear_rgb_to_lab(datablocks.image_to_array(image)[:, :, :3])[:, :, 0]


def test_colorize_image_makes_a_new_colour_datablock_and_rerun_replaces(grey_image, checkpoint):
    before = datablocks.image_to_array(grey_image).copy()
    assert bpy.ops.neural_render.colorize("EXEC_DEFAULT", image_name="scan", weights_path=checkpoint) == {"FINISHED"}
    result = bpy.data.images[datablocks.result_name("Colorize", "scan")]
    assert result.is_float and result.packed_file and result.colorspace_settings.name == "Linear Rec.709"
    assert tuple(result.size) == tuple(grey_image.size)
    assert np.array_equal(datablocks.image_to_array(grey_image), before), "the original is untouched"
    assert np.abs(_lightness(result) - _lightness(grey_image)).max() < 0.05
    count = len(bpy.data.images)
    assert bpy.ops.neural_render.colorize("EXEC_DEFAULT", image_name="scan", weights_path=checkpoint,
                                          temperature=0.0) == {"FINISHED"}
    assert len(bpy.data.images) == count, "re-running replaces the previous result"


def test_colorize_node_rewires_and_rerun_starts_from_the_original(grey_image, checkpoint):
    material = bpy.data.materials.new("Wall")
    if material.node_tree is None:  # (5.0 gives new materials a node tree already)
        material.use_nodes = True
    node = material.node_tree.nodes.new("ShaderNodeTexImage")
    node.name = "Scan"
    node.image = grey_image
    args = dict(material_name="Wall", node_name="Scan", weights_path=checkpoint)
    assert bpy.ops.neural_render.colorize("EXEC_DEFAULT", **args) == {"FINISHED"}
    result_name = datablocks.result_name("Colorize", "scan")
    assert node.image.name == result_name
    assert "scan" in bpy.data.images, "the original stays"
    count = len(bpy.data.images)
    assert bpy.ops.neural_render.colorize("EXEC_DEFAULT", **args) == {"FINISHED"}
    assert len(bpy.data.images) == count and node.image.name == result_name
    assert datablocks.result_name("Colorize", result_name) not in bpy.data.images, "never colorizes its own result"


def test_non_color_source_is_read_as_encoded_values(addon, checkpoint):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    encoded = np.linspace(0.1, 0.9, 32 * 32, dtype=np.float32).reshape(32, 32, 1)
    data = datablocks.array_to_image(_rgba(encoded)[::-1], "height scan", colorspace="Non-Color")
    assert bpy.ops.neural_render.colorize("EXEC_DEFAULT", image_name=data.name, weights_path=checkpoint) == {"FINISHED"}
    result = bpy.data.images[datablocks.result_name("Colorize", data.name)]
    assert result.colorspace_settings.name == "Linear Rec.709", "the result is colour, not data"
    expected = lab.luminance_to_lightness(lab.srgb_decode(encoded[::-1, :, 0]))
    assert np.abs(_lightness(result) - expected).max() < 0.05


def test_reference_and_scribble_modes(grey_image):
    reference = datablocks.array_to_image(_rgba(coloured_two_region_reference())[::-1], "photo")
    assert bpy.ops.neural_render.colorize("EXEC_DEFAULT", image_name="scan", mode="REFERENCE",
                                          reference_name=reference.name) == {"FINISHED"}
    result = datablocks.image_to_array(bpy.data.images[datablocks.result_name("Colorize", "scan")])
    chroma = np.hypot(*lab.linear_rgb_to_lab(result[:, :, :3])[:, :, 1:].transpose(2, 0, 1))
    assert np.median(chroma) > 15

    assert bpy.ops.neural_render.colorize_new_hints("EXEC_DEFAULT", image_name="scan") == {"FINISHED"}
    hints = bpy.context.scene.neural_render_colorize.hints
    assert tuple(hints.size) == tuple(grey_image.size)
    pixels = np.zeros((64, 96, 4), np.float32)
    pixels[30:34, 60:70] = [0.8, 0.1, 0.05, 1.0]     # bottom-first rows: a red stroke on the right half
    hints.pixels.foreach_set(pixels.ravel())
    assert bpy.ops.neural_render.colorize("EXEC_DEFAULT", image_name="scan", mode="SCRIBBLES",
                                          hints_name=hints.name) == {"FINISHED"}
    result = datablocks.image_to_array(bpy.data.images[datablocks.result_name("Colorize", "scan")])
    right = lab.linear_rgb_to_lab(result[:, 52:, :3])[:, :, 1]
    assert np.median(right) > 20, "the red stroke fills its region"
    assert bpy.ops.neural_render.colorize("EXEC_DEFAULT", image_name="scan", mode="SCRIBBLES") == {"FINISHED"}
    assert np.allclose(_result(), result), "without hints_name, the panel's hints image (New Hints picked it)"


def test_bad_requests_change_nothing(grey_image):
    before = sorted(image.name for image in bpy.data.images)
    with pytest.raises(RuntimeError, match="Pick a colour reference"):
        bpy.ops.neural_render.colorize("EXEC_DEFAULT", image_name="scan", mode="REFERENCE")
    with pytest.raises(RuntimeError, match="no colorizer weights"):
        bpy.ops.neural_render.colorize("EXEC_DEFAULT", image_name="scan", weights_path="/nowhere/w.pth")
    with pytest.raises(RuntimeError, match="No image datablock named"):
        bpy.ops.neural_render.colorize("EXEC_DEFAULT", image_name="missing")
    assert sorted(image.name for image in bpy.data.images) == before


def _result(image_name="scan"):
    return datablocks.image_to_array(bpy.data.images[datablocks.result_name("Colorize", image_name)]).copy()


def _region_ab(result):
    """Mean a*b* of the stripes (left) and of the smooth part (right) of two_region_grey's layout."""
    ab = lab.linear_rgb_to_lab(result[:, :, :3])[:, :, 1:]
    width = ab.shape[1]
    return ab[:, 4:width // 2 - 4].reshape(-1, 2).mean(0), ab[:, width // 2 + 4:-4].reshape(-1, 2).mean(0)


def test_exec_default_takes_the_panels_mode_and_images_and_a_keyword_wins(grey_image, checkpoint):
    """The settings rule for Blender's own settings: what the caller leaves unset comes from the panel."""
    settings = bpy.context.scene.neural_render_colorize
    photo = datablocks.array_to_image(_rgba(coloured_two_region_reference())[::-1], "photo")
    green = np.broadcast_to(lab.lab_to_linear_rgb(np.array([60.0, -45.0, 35.0], np.float32)), (64, 96, 3))
    green = datablocks.array_to_image(_rgba(np.ascontiguousarray(green, np.float32)), "green")
    settings.mode, settings.reference = "REFERENCE", photo
    assert bpy.ops.neural_render.colorize("EXEC_DEFAULT", image_name="scan") == {"FINISHED"}
    left, right = _region_ab(_result())
    assert left[0] > 25 and right[1] < -20, f"the panel's mode and reference image were used: {left}, {right}"

    assert bpy.ops.neural_render.colorize("EXEC_DEFAULT", image_name="scan", reference_name="green") == {"FINISHED"}
    left, right = _region_ab(_result())
    assert left[0] < -20 and right[0] < -20, f"the keyword's reference won over the panel's: {left}, {right}"
    assert settings.reference == photo, "the panel is left as it was"

    settings.mode = "AUTO"
    assert bpy.ops.neural_render.colorize("EXEC_DEFAULT", image_name="scan", mode="REFERENCE") == {"FINISHED"}
    left, right = _region_ab(_result())
    assert left[0] > 25 and right[1] < -20, "the keyword's mode won; the image still comes from the panel"

    settings.mode = "SCRIBBLES"  # no hints image anywhere: refused
    with pytest.raises(RuntimeError, match="hints image"):
        bpy.ops.neural_render.colorize("EXEC_DEFAULT", image_name="scan")


def test_exec_default_takes_the_panels_colorizer_settings_and_a_keyword_wins(grey_image, checkpoint):
    """The spec's parameters (vibrancy, weights) under the same rule."""
    settings = bpy.context.scene.neural_render_colorize
    settings.weights_path = "/nowhere/w.pth"
    with pytest.raises(RuntimeError, match="no colorizer weights"):
        bpy.ops.neural_render.colorize("EXEC_DEFAULT", image_name="scan")
    settings.weights_path = checkpoint

    settings.temperature = 0.0   # the mode of the distribution: vivid
    assert bpy.ops.neural_render.colorize("EXEC_DEFAULT", image_name="scan") == {"FINISHED"}
    vivid = _result()
    settings.temperature = 1.0   # the annealed mean: muted
    assert bpy.ops.neural_render.colorize("EXEC_DEFAULT", image_name="scan") == {"FINISHED"}
    muted = _result()
    assert np.abs(vivid - muted).max() > 1e-3, "the panel's vibrancy changes the result"

    assert bpy.ops.neural_render.colorize("EXEC_DEFAULT", image_name="scan", temperature=0.0) == {"FINISHED"}
    assert np.allclose(_result(), vivid, atol=1e-5), "the keyword's vibrancy won over the panel's"
    assert settings.temperature == 1.0, "the panel is left as it was"
