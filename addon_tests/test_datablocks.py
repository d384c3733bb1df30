"""Image datablocks <-> arrays, EXR files and packing, on the real bpy 5.0 module.

Also pins down what ``image.pixels`` returns for byte, float and data images, and checks the
add-on's colour conversions against Blender's own (OCIO) conversions.
"""

import os

import bpy
import numpy as np
import OpenEXR
import pytest
from PIL import Image as PILImage

from neural_render.blender import datablocks
from neural_render.blender.datablocks import DatablockError

SPECIAL_VALUES = np.array([1e-8, 0.5, 123.456, -2.25, 0.0, 65504.0, 1e-30, -0.0], dtype=np.float32)


@pytest.fixture(autouse=True)
def factory_settings():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    yield


def pixels_of(image):
    values = np.empty(len(image.pixels), dtype=np.float32)
    image.pixels.foreach_get(values)
    return values.reshape(image.size[1], image.size[0], 4)


def write_exr(path, array_top_first):
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    with OpenEXR.File(header, {"RGBA": np.ascontiguousarray(array_top_first)}) as handle:
        handle.write(str(path))


def read_exr(path):
    """(RGBA top-first float32 array, header) through the OpenEXR package, not Blender."""
    handle = OpenEXR.File(str(path))
    return handle.channels()["RGBA"].pixels, handle.header()


def special_array(height=5, width=7):
    return np.resize(SPECIAL_VALUES, (height, width, 4)).astype(np.float32)


def all_bytes_png(path):
    """A 16x16 RGBA PNG holding every byte value in each channel, alpha included."""
    ramp = np.arange(256, dtype=np.uint8)
    rgba = np.stack([ramp, ramp[::-1], np.roll(ramp, 85), np.where(ramp % 3 == 0, 255, ramp)], -1)
    PILImage.fromarray(rgba.reshape(16, 16, 4), "RGBA").save(path)
    return rgba.reshape(16, 16, 4)


# --- What Blender hands to Python ---------------------------------------------------------------

def test_colour_space_names_on_5_0():
    names = datablocks.colorspace_names()
    for name in ("Linear Rec.709", "Non-Color", "sRGB", "ACEScg", "Display P3", "Rec.1886"):
        assert name in names
    assert "Linear" not in names, "the 3.x name is gone"
    assert bpy.data.images.new("float", 2, 2, float_buffer=True).colorspace_settings.name == "Linear Rec.709"
    assert bpy.data.images.new("byte", 2, 2).colorspace_settings.name == "sRGB"
    assert datablocks.working_space() == "Linear Rec.709"


def test_byte_pixels_are_encoded_values_whatever_the_colour_space(tmp_path):
    PILImage.fromarray(np.full((2, 3, 4), [128, 64, 255, 255], np.uint8)).save(tmp_path / "grey.png")
    image = bpy.data.images.load(str(tmp_path / "grey.png"))
    assert not image.is_float and image.colorspace_settings.name == "sRGB"
    encoded = np.array([128, 64, 255, 255], np.float32) / 255
    for name in ("sRGB", "Non-Color", "Linear Rec.709"):
        image.colorspace_settings.name = name
        # Blender does not decode: byte / 255, to an ulp
        np.testing.assert_allclose(pixels_of(image)[0, 0], encoded, rtol=0, atol=1e-7, err_msg=name)


def test_float_pixels_are_already_linear_and_data_is_raw(tmp_path):
    stored = np.array([[[0.5, 0.25, 1.0, 1.0], [2.0, 0.0, 0.1, 1.0]]], np.float32)
    write_exr(tmp_path / "values.exr", stored)
    image = bpy.data.images.load(str(tmp_path / "values.exr"))
    assert image.is_float and image.colorspace_settings.name == "Linear Rec.709"
    assert np.array_equal(datablocks.image_to_array(image), stored)
    image.colorspace_settings.name = "sRGB"  # Blender decodes on load: we must not decode again
    decoded = pixels_of(image)
    assert decoded[0, 0, 1] == pytest.approx(0.0508761, abs=1e-5)
    assert np.array_equal(datablocks.image_to_array(image), decoded)
    image.colorspace_settings.name = "Non-Color"
    assert np.array_equal(datablocks.image_to_array(image), stored)


# --- Byte images are linearised like Blender does ----------------------------------------------

@pytest.mark.parametrize("colorspace", ["sRGB", "Display P3", "Rec.1886", "Rec.2020", "Linear Rec.2020",
                                        "Linear DCI-P3 D65", "ACEScg"])
@pytest.mark.parametrize("alpha_mode", ["STRAIGHT", "CHANNEL_PACKED"])
def test_byte_images_match_blenders_own_conversion(tmp_path, colorspace, alpha_mode):
    all_bytes_png(tmp_path / "all.png")
    image = bpy.data.images.load(str(tmp_path / "all.png"))
    image.colorspace_settings.name = colorspace
    image.alpha_mode = alpha_mode
    ours = datablocks.image_to_array(image)
    # Blender's writer turns the byte buffer into linear Rec.709 float through OCIO.
    with datablocks.exr_output_scene() as scene:
        image.save_render(str(tmp_path / "blender.exr"), scene=scene)
    theirs = read_exr(tmp_path / "blender.exr")[0][::-1]
    assert theirs.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-4)  # Blender's curves are LUT-approximate


def test_straight_alpha_is_premultiplied_and_data_is_untouched(tmp_path):
    rgba = all_bytes_png(tmp_path / "all.png")[::-1].reshape(-1, 4) / 255.0
    image = bpy.data.images.load(str(tmp_path / "all.png"))
    colour = datablocks.image_to_array(image).reshape(-1, 4)
    expected = datablocks.srgb_to_linear(rgba[:, :3]) * rgba[:, 3:]
    np.testing.assert_allclose(colour[:, :3], expected, rtol=1e-6, atol=1e-7)
    image.colorspace_settings.name = "Non-Color"
    # (Blender computes byte * (1 / 255) in float32: within an ulp of k / 255.)
    np.testing.assert_allclose(datablocks.image_to_array(image).reshape(-1, 4), rgba, rtol=0, atol=1e-7)


def test_unsupported_byte_colour_space_is_refused(tmp_path):
    all_bytes_png(tmp_path / "all.png")
    image = bpy.data.images.load(str(tmp_path / "all.png"))
    image.colorspace_settings.name = "AgX Log"
    slot = np.full((16, 16, 4), -1.0, np.float32)
    with pytest.raises(DatablockError, match="AgX Log"):
        datablocks.image_to_array(image, out=slot)
    assert (slot == -1).all(), "refused before anything is read"


# --- image_to_array buffers and errors ----------------------------------------------------------

def test_reads_straight_into_a_memory_map(tmp_path):
    array = special_array(6, 9)
    image = datablocks.array_to_image(array, "NR mapped")
    mapped = np.memmap(tmp_path / "slot.bin", dtype=np.float32, mode="w+", shape=(6, 9, 4))
    assert datablocks.image_to_array(image, out=mapped) is mapped
    mapped.flush()
    assert np.array_equal(np.fromfile(tmp_path / "slot.bin", dtype=np.float32).reshape(6, 9, 4), array)


@pytest.mark.parametrize("buffer", [
    np.empty((6, 9, 3), np.float32), np.empty((6, 9, 4), np.float64),
    np.empty((9, 6, 4), np.float32), np.empty((6, 18, 4), np.float32)[:, ::2],
])
def test_unfit_buffers_are_refused(buffer):
    image = datablocks.array_to_image(special_array(6, 9), "NR buffer")
    with pytest.raises(DatablockError, match="C-contiguous float32"):
        datablocks.image_to_array(image, out=buffer)


def test_images_without_pixels_are_refused(tmp_path):
    PILImage.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tmp_path / "gone.png")
    image = bpy.data.images.load(str(tmp_path / "gone.png"))
    image.filepath = str(tmp_path / "missing.png")
    with pytest.raises(DatablockError, match=r"no pixels \(file .*missing.png"):
        datablocks.image_to_array(image)
    with pytest.raises(DatablockError, match="No image"):
        datablocks.image_to_array(None)


# --- array_to_image -----------------------------------------------------------------------------

def test_array_becomes_a_float_datablock_bit_for_bit():
    array = special_array()
    image = datablocks.array_to_image(array, "NR exact")
    assert image.name == "NR exact" and image.is_float and tuple(image.size) == (7, 5)
    assert image.colorspace_settings.name == "Linear Rec.709" and image.alpha_mode == "PREMUL"
    assert np.array_equal(pixels_of(image), array)
    assert np.array_equal(datablocks.image_to_array(image), array)


def test_read_only_and_float64_arrays_are_accepted():
    array = special_array()
    read_only = array.copy()
    read_only.flags.writeable = False
    assert np.array_equal(datablocks.image_to_array(datablocks.array_to_image(read_only, "NR ro")), array)
    as_double = array.astype(np.float64)
    assert np.array_equal(datablocks.image_to_array(datablocks.array_to_image(as_double, "NR f64")), array)


def test_rerun_replaces_in_place_and_keeps_users():
    first = np.random.default_rng(0).random((6, 8, 4), dtype=np.float32)
    image = datablocks.array_to_image(first, "NR replace")
    material = bpy.data.materials.new("uses result")
    texture = material.node_tree.nodes.new("ShaderNodeTexImage")
    texture.image = image
    count = len(bpy.data.images)
    for shape in [(6, 8, 4), (10, 4, 4), (3, 3, 4)]:  # same size, then resized both ways
        array = np.random.default_rng(len(shape) + shape[0]).random(shape, dtype=np.float32)
        again = datablocks.array_to_image(array, "NR replace")
        assert again == image and len(bpy.data.images) == count
        assert texture.image == image
        assert np.array_equal(datablocks.image_to_array(again), array)


def test_replace_false_keeps_the_previous_result():
    datablocks.array_to_image(special_array(), "NR keep")
    other = datablocks.array_to_image(special_array() * 2, "NR keep", replace=False)
    assert other.name == "NR keep.001"
    assert np.array_equal(datablocks.image_to_array(bpy.data.images["NR keep"]), special_array())


def test_a_byte_image_of_that_name_is_taken_over_with_its_users(tmp_path):
    PILImage.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tmp_path / "old.png")
    old = bpy.data.images.load(str(tmp_path / "old.png"))
    old.name = "NR takeover"
    material = bpy.data.materials.new("uses it")
    texture = material.node_tree.nodes.new("ShaderNodeTexImage")
    texture.image = old
    image = datablocks.array_to_image(special_array(), "NR takeover")
    assert image.name == "NR takeover" and image.is_float and texture.image == image
    assert [i.name for i in bpy.data.images] == ["NR takeover"]


def test_data_arrays_are_tagged_non_color():
    image = datablocks.array_to_image(special_array(), "NR normals", colorspace="Non-Color")
    assert image.colorspace_settings.name == "Non-Color" and image.colorspace_settings.is_data
    assert np.array_equal(datablocks.image_to_array(image), special_array())


@pytest.mark.parametrize("array, name, kwargs, message", [
    (np.zeros((4, 4, 3), np.float32), "NR bad", {}, r"\(H, W, 4\)"),
    (np.zeros((0, 4, 4), np.float32), "NR bad", {}, r"\(H, W, 4\)"),
    (np.zeros((4, 4, 4), np.uint8), "NR bad", {}, "float pixels"),
    (np.zeros((4, 4, 4), np.float32), "NR bad", {"colorspace": "sRGB"}, "Colour space 'sRGB'"),
    (np.zeros((4, 4, 4), np.float32), "NR bad", {"colorspace": "Linear"}, "Colour space 'Linear'"),
    (np.zeros((4, 4, 4), np.float32), "x" * 300, {}, "255 bytes"),
    (np.zeros((4, 4, 4), np.float32), "", {}, "255 bytes"),
])
def test_bad_input_is_refused_before_anything_changes(array, name, kwargs, message):
    existing = datablocks.array_to_image(special_array(), "NR bad")
    with pytest.raises(DatablockError, match=message):
        datablocks.array_to_image(array, name, **kwargs)
    assert [i.name for i in bpy.data.images] == ["NR bad"]
    assert np.array_equal(datablocks.image_to_array(existing), special_array())


def test_result_names_are_predictable_and_fit():
    assert datablocks.result_name("denoise", "Render") == "NR denoise Render"
    long_a, long_b = datablocks.result_name("x", "a" * 300), datablocks.result_name("x", "a" * 299 + "b")
    assert long_a != long_b
    assert len(long_a.encode()) <= datablocks.MAX_NAME_BYTES
    image = datablocks.array_to_image(special_array(), long_a)
    assert image.name == long_a


# --- EXR files and packing ----------------------------------------------------------------------

@pytest.mark.parametrize("colorspace", ["Linear Rec.709", "Non-Color"])
def test_blenders_exr_reads_back_bit_for_bit_with_openexr(tmp_path, colorspace):
    array = special_array()
    image = datablocks.array_to_image(array, "NR exr", colorspace=colorspace)
    path = datablocks.save_image_exr(image, str(tmp_path / "out.exr"))
    assert os.listdir(tmp_path) == ["out.exr"], "no partial file is left behind"
    top_first, header = read_exr(path)
    assert top_first.dtype == np.float32 and header["compression"] == OpenEXR.ZIP_COMPRESSION
    assert sorted(channel.name for channel in header["channels"]) == ["A", "B", "G", "R"]
    assert np.array_equal(top_first[::-1], array)
    # And the other way: an EXR written with OpenEXR loads into Blender unchanged.
    write_exr(tmp_path / "ours.exr", array[::-1])
    assert np.array_equal(datablocks.image_to_array(bpy.data.images.load(str(tmp_path / "ours.exr"))), array)


def test_saving_replaces_atomically_and_reports_bad_folders(tmp_path):
    (tmp_path / "out.exr").write_bytes(b"old")
    image = datablocks.array_to_image(special_array(), "NR exr")
    datablocks.save_image_exr(image, str(tmp_path / "out.exr"))
    assert np.array_equal(read_exr(tmp_path / "out.exr")[0][::-1], special_array())
    assert oct(os.stat(tmp_path / "out.exr").st_mode & 0o777) != oct(0o600), "not mkstemp's private mode"
    with pytest.raises(DatablockError, match="Folder does not exist"):
        datablocks.save_image_exr(image, str(tmp_path / "nope" / "out.exr"))


def test_packed_result_survives_save_and_reload_and_reruns_repack(tmp_path):
    array = special_array()
    array[..., 3] = 0.5  # partial alpha: a straight-alpha image would come back premultiplied
    image = datablocks.pack_image(datablocks.array_to_image(array, "NR packed"))
    assert image.packed_file is not None and image.file_format == "OPEN_EXR"
    assert image.use_fake_user, "a result nothing uses yet would not be saved otherwise"
    blend = str(tmp_path / "scene.blend")
    bpy.ops.wm.save_as_mainfile(filepath=blend)
    bpy.ops.wm.open_mainfile(filepath=blend)
    assert np.array_equal(datablocks.image_to_array(bpy.data.images["NR packed"]), array)

    second = array * 3
    datablocks.array_to_image(second, "NR packed")
    bpy.ops.wm.save_as_mainfile(filepath=blend)
    bpy.ops.wm.open_mainfile(filepath=blend)
    assert np.array_equal(datablocks.image_to_array(bpy.data.images["NR packed"]), second)
    assert len(bpy.data.images) == 1


# --- A 5.0 file whose working space is ACEScg ---------------------------------------------------

def test_acescg_working_space_keeps_the_rec709_contract(tmp_path):
    assert bpy.ops.wm.set_working_color_space(working_space="ACEScg", convert_colors=False) == {"FINISHED"}
    assert datablocks.working_space() == "ACEScg"
    array = np.random.default_rng(5).random((4, 6, 4), dtype=np.float32) * 2
    array[..., 3] = 1

    # Blender's own view of a Rec.709 file in this working space is the reference for the matrix.
    write_exr(tmp_path / "rec709.exr", array[::-1])
    loaded = bpy.data.images.load(str(tmp_path / "rec709.exr"))
    image = datablocks.array_to_image(array, "NR aces")
    assert image.colorspace_settings.name == "ACEScg"
    np.testing.assert_allclose(pixels_of(image), pixels_of(loaded), rtol=1e-5, atol=1e-6)

    np.testing.assert_allclose(datablocks.image_to_array(image), array, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(datablocks.image_to_array(loaded), array, rtol=1e-5, atol=1e-6)
    datablocks.save_image_exr(image, str(tmp_path / "saved.exr"))
    np.testing.assert_allclose(read_exr(tmp_path / "saved.exr")[0][::-1], array, rtol=1e-5, atol=1e-6)

    datablocks.pack_image(image)
    image.reload()
    np.testing.assert_allclose(datablocks.image_to_array(image), array, rtol=1e-5, atol=1e-6)


def test_a_packed_result_rewritten_many_times_keeps_its_pixels():
    """Re-running a capability rewrites and re-packs its result each time; packing an already packed,
    unchanged image used to drop the packed file, so the third re-run found an image without pixels."""
    import bpy
    rng = np.random.default_rng(3)
    for run in range(4):
        array = rng.random((16, 24, 4), dtype=np.float32)
        image = datablocks.pack_image(datablocks.array_to_image(array, "NR rerun"))
        datablocks.pack_image(image)  # as operators do after array_to_image
        assert image.packed_file is not None, f"run {run}: the result is no longer packed"
        assert np.array_equal(datablocks.image_to_array(image), array)
    bpy.data.images.remove(image)
