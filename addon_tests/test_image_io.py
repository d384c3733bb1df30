"""Image files and datablocks: real HDRIs, files Blender writes, corrupt input, colour handling."""

import os

import bpy
import numpy as np
import pytest

from neural_render.blender import datablocks
from neural_render.worker.imageio import colour, exr, files
from neural_render.worker.imageio.errors import ImageFileError


def test_bundled_hdris_read_as_linear_hdr(hdri_paths):
    assert len(hdri_paths) == 8
    for path in hdri_paths:
        image = exr.read_exr(path)
        assert image.shape[:2] == (512, 1024) and image.dtype == np.float32
        # DWAB is lossy: near-black texels may come back very slightly negative.
        assert np.isfinite(image).all() and image.min() > -0.01
    assert max(exr.read_exr(path).max() for path in hdri_paths) > 1.0, "HDRIs carry values above 1"


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("compression", ["NO", "ZIP", "PIZ"])
def test_float_exr_round_trip_is_bit_exact(tmp_path, channels, compression):
    image = np.random.default_rng(channels).normal(0, 100, (9, 13, channels)).astype(np.float32)
    exr.write_exr(tmp_path / "x.exr", image, compression=compression)
    assert np.array_equal(exr.read_exr(tmp_path / "x.exr"), image)
    assert os.listdir(tmp_path) == ["x.exr"], "no temporary file is left behind"


def test_blender_writer_and_openexr_agree_bit_for_bit(tmp_path):
    values = np.array([1e-8, 0.5, 123.456, -2.25], dtype=np.float32)
    array = np.resize(values, (5, 7, 4)).astype(np.float32)
    image = datablocks.array_to_image(array, "NR exr agreement")
    datablocks.save_image_exr(image, str(tmp_path / "blender.exr"))
    assert np.array_equal(exr.read_exr(tmp_path / "blender.exr")[::-1], array)
    exr.write_exr(tmp_path / "ours.exr", array[::-1])
    loaded = bpy.data.images.load(str(tmp_path / "ours.exr"))
    assert np.array_equal(datablocks.image_to_array(loaded), array)


def test_datablock_replaced_not_duplicated_and_bit_exact():
    first = np.random.default_rng(0).random((6, 8, 4), dtype=np.float32)
    second = np.random.default_rng(1).random((10, 4, 4), dtype=np.float32)
    image = datablocks.array_to_image(first, "NR replace")
    count = len(bpy.data.images)
    again = datablocks.array_to_image(second, "NR replace")
    assert again == image and len(bpy.data.images) == count
    assert np.array_equal(datablocks.image_to_array(again), second)


def test_byte_srgb_images_are_linearised_and_data_images_are_not(tmp_path):
    from PIL import Image
    Image.fromarray(np.full((2, 3, 3), 128, np.uint8)).save(tmp_path / "grey.png")
    image = bpy.data.images.load(str(tmp_path / "grey.png"))
    linear = datablocks.image_to_array(image)
    assert np.allclose(linear[:, :, :3], colour.srgb_to_linear(128 / 255), atol=1e-6)
    image.colorspace_settings.name = "Non-Color"
    assert np.allclose(datablocks.image_to_array(image)[:, :, :3], 128 / 255, atol=1e-6)
    assert np.allclose(files.read_image(tmp_path / "grey.png"), colour.srgb_to_linear(128 / 255), atol=1e-6)


def test_sixteen_bit_png_keeps_precision(tmp_path):
    from PIL import Image
    ramp = np.arange(0, 65536, 257, dtype=np.uint16).reshape(16, 16)
    Image.fromarray(ramp).save(tmp_path / "ramp.png")
    image = files.read_image(tmp_path / "ramp.png")
    assert np.allclose(image[:, :, 0], colour.srgb_to_linear(ramp / 65535.0), atol=1e-6)


def test_srgb_curves_are_inverse():
    values = np.linspace(0, 1, 1001, dtype=np.float32)
    assert np.allclose(colour.linear_to_srgb(colour.srgb_to_linear(values)), values, atol=1e-5)


def test_multilayer_passes_are_selectable(tmp_path):
    # Channel names as Blender's multi-layer EXR writer names them. (A headless bpy 5.0.1 render
    # wrote only the Combined pass here even with Depth/Vector enabled; see the issue note.)
    import OpenEXR
    rng = np.random.default_rng(4)
    planes = {f"ViewLayer.Combined.{c}": rng.random((12, 16), dtype=np.float32) for c in "RGBA"}
    planes["ViewLayer.Depth.Z"] = rng.random((12, 16), dtype=np.float32)
    planes.update({f"ViewLayer.Vector.{c}": rng.random((12, 16), dtype=np.float32) for c in "XYZW"})
    path = str(tmp_path / "layers.exr")
    with OpenEXR.File({"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage},
                      dict(planes)) as handle:  # the constructor replaces the dict's values
        handle.write(path)
    assert exr.list_layers(path) == ["ViewLayer.Combined", "ViewLayer.Depth", "ViewLayer.Vector"]
    combined = exr.read_exr(path)
    assert np.array_equal(combined[:, :, 3], planes["ViewLayer.Combined.A"])
    assert np.array_equal(exr.read_exr(path, layer="Depth")[:, :, 0], planes["ViewLayer.Depth.Z"])
    vector = exr.read_exr(path, layer="ViewLayer.Vector")
    assert np.array_equal(vector[:, :, 1], planes["ViewLayer.Vector.Y"])
    with pytest.raises(ImageFileError, match="Nope"):
        exr.read_exr(path, layer="Nope")


@pytest.mark.parametrize("make", ["empty", "garbage", "truncated"])
def test_corrupt_exr_gives_a_clear_error(tmp_path, hdri_paths, make):
    bad = tmp_path / "bad.exr"
    data = open(hdri_paths[0], "rb").read()
    bad.write_bytes({"empty": b"", "garbage": os.urandom(4096), "truncated": data[: len(data) // 3]}[make])
    with pytest.raises(ImageFileError, match="bad.exr"):
        exr.read_exr(bad)


def test_non_finite_pixels_are_refused_or_repaired(tmp_path):
    import OpenEXR
    image = np.ones((4, 4, 3), dtype=np.float32)
    image[0, 0, 0], image[1, 1, 1] = np.nan, np.inf
    with OpenEXR.File({"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage},
                      {c: image[:, :, i].copy() for i, c in enumerate("RGB")}) as handle:
        handle.write(str(tmp_path / "nan.exr"))
    with pytest.raises(ImageFileError, match="NaN"):
        exr.read_exr(tmp_path / "nan.exr")
    repaired = exr.read_exr(tmp_path / "nan.exr", allow_nonfinite=True)
    assert repaired[0, 0, 0] == 0 and repaired[1, 1, 1] == 65504.0
    with pytest.raises(ImageFileError):
        exr.write_exr(tmp_path / "out.exr", image)
    assert not (tmp_path / "out.exr").exists()


def test_absurdly_large_exr_is_refused_before_allocating(tmp_path):
    import struct
    exr.write_exr(tmp_path / "small.exr", np.ones((4, 4, 3), dtype=np.float32), compression="NO")
    data = bytearray((tmp_path / "small.exr").read_bytes())
    # The header attribute is: name\0 type\0 size(int32) xMin yMin xMax yMax (int32 each).
    at = data.index(b"dataWindow\x00box2i\x00") + len(b"dataWindow\x00box2i\x00") + 4
    data[at + 8:at + 16] = struct.pack("<ii", 999_999, 999_999)
    (tmp_path / "huge.exr").write_bytes(bytes(data))
    with pytest.raises(ImageFileError, match="huge.exr.*1000000x1000000 is outside the supported size"):
        exr.read_exr(tmp_path / "huge.exr")


def _png_header_claiming(width, height):
    """A PNG whose header declares ``width`` x ``height`` (its pixel data is never reached)."""
    import struct
    import zlib
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = lambda kind, data: (struct.pack(">I", len(data)) + kind + data  # noqa: E731
                                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("size", [(100000, 100000), (2 ** 31 - 1, 1), (20000, 10000)])
def test_an_image_declaring_a_huge_size_is_refused_before_decoding(tmp_path, size):
    path = tmp_path / "huge.png"
    path.write_bytes(_png_header_claiming(*size))
    with pytest.raises(files.ImageFileError, match="outside the supported size"):
        files.read_image(str(path))


@pytest.mark.parametrize("value", [np.nan, np.inf, 1e30])
def test_a_float_tiff_with_non_finite_or_huge_values_is_refused_like_an_exr(tmp_path, value):
    from PIL import Image
    data = np.full((4, 4), 0.5, np.float32)
    data[1, 2] = value
    path = tmp_path / "bad.tif"
    Image.fromarray(data, mode="F").save(path)
    with pytest.raises(files.ImageFileError, match="NaN, infinite or out-of-range"):
        files.read_image(str(path))


def test_an_int32_tiff_with_negative_pixels_is_refused(tmp_path):
    from PIL import Image
    path = tmp_path / "negative.tif"
    Image.fromarray(np.array([[-5, 100], [200, 300]], np.int32), mode="I").save(path)
    with pytest.raises(files.ImageFileError, match="negative integer pixels"):
        files.read_image(str(path))



@pytest.mark.parametrize("channels, message", [
    ([("R", 1), ("G", 1), ("B", 1), ("Z", 2)], "different resolutions"),       # a subsampled extra channel
    ([("R", 1), ("G", 2), ("B", 2)], "different resolutions"),                 # subsampled colour channels
    ([("Y", 1), ("RY", 2), ("BY", 2)], r"luminance and chroma \(Y, RY, BY\)"),  # read as Y alone: colour lost
])
def test_subsampled_and_luminance_chroma_exrs_are_refused_not_misread(tmp_path, channels, message):
    from fixtures.malformed_inputs import subsampled_exr_bytes
    path = tmp_path / "subsampled.exr"
    path.write_bytes(subsampled_exr_bytes(channels))
    with pytest.raises(ImageFileError, match=message):
        exr.read_exr(str(path))
