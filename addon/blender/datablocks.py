"""Image datablocks <-> float32 numpy arrays, and datablocks -> EXR files, without per-pixel Python.

The array contract, on both directions:

- (H, W, 4) float32, **bottom row first** (Blender's own order; the transport flips where needed).
- Colour images are scene-linear **Rec.709** with associated (premultiplied) alpha, the convention
  of Blender's float buffers and of OpenEXR. Data images (Non-Color: normals, masks) pass through
  untouched, alpha included.

What ``image.pixels`` actually returns (verified on bpy 5.0.1), and so what is converted here:

- Float images (EXR, HDR, 16-bit PNG/TIFF) come back already linear, in the blend file's *working
  space*: Blender converts from the image's colour space when it loads the file, premultiplying alpha
  if the file's is straight. The working space is Linear Rec.709 unless a 5.0 file chose Linear
  Rec.2020 or ACEScg (``bpy.data.colorspace.working_space``); then a 3x3 matrix takes it to Rec.709.
- Byte images (8-bit PNG/JPEG) come back as their *encoded* values, ``byte / 255``, whatever their
  colour space: an sRGB 128 reads 0.50196. They are decoded here (table below), and straight alpha
  is premultiplied, as Blender does when it makes a float buffer from bytes.
- Non-Color images, byte or float, are raw values in every case.
"""

import functools
import os
import uuid
import zlib
from contextlib import contextmanager

import bpy
import numpy as np

LINEAR_COLORSPACE = "Linear Rec.709"   # the exact 4.x/5.0 name of scene-linear Rec.709
DATA_COLORSPACE = "Non-Color"
ACCEPTED_COLORSPACES = (LINEAR_COLORSPACE, DATA_COLORSPACE)

# Blender truncates longer ID names, which would break "same name, same datablock".
MAX_NAME_BYTES = 255 if bpy.app.version >= (5, 0, 0) else 63


class DatablockError(ValueError):
    """An image datablock cannot be used as asked; the message is for the user."""


# --- Colour -------------------------------------------------------------------------------------
# Primaries and white points as Blender's OCIO config defines its colour spaces. The matrices are
# derived from them (RGB -> XYZ, Bradford adaptation between white points, XYZ -> RGB), which is how
# OCIO builds them; the tests check them against Blender's own conversions.

_D65 = (0.3127, 0.3290)
_ACES_WHITE = (0.32168, 0.33767)
_GAMUTS = {
    "rec709": ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06), _D65),
    "p3d65": ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060), _D65),
    "rec2020": ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046), _D65),
    "ap1": ((0.713, 0.293), (0.165, 0.830), (0.128, 0.044), _ACES_WHITE),
}
_BRADFORD = np.array([[0.8951, 0.2664, -0.1614],
                      [-0.7502, 1.7135, 0.0367],
                      [0.0389, -0.0685, 1.0296]])

# Working spaces a 5.0 blend file can have -> gamut of its float buffers.
_WORKING_GAMUTS = {"Linear Rec.709": "rec709", "Linear Rec.2020": "rec2020", "ACEScg": "ap1"}

# Colour spaces a byte image can be decoded from: name -> (transfer curve, gamut).
_BYTE_ENCODINGS = {
    "sRGB": ("srgb", "rec709"),
    "Display P3": ("srgb", "p3d65"),
    "Rec.1886": ("gamma24", "rec709"),
    "Rec.2020": ("gamma24", "rec2020"),
    "Linear Rec.709": ("linear", "rec709"),
    "Linear Rec.2020": ("linear", "rec2020"),
    "Linear DCI-P3 D65": ("linear", "p3d65"),
    "ACEScg": ("linear", "ap1"),
}


def srgb_to_linear(values):
    """The sRGB (IEC 61966-2-1) decoding curve, elementwise."""
    values = np.asarray(values, dtype=np.float64)
    return np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4).astype(np.float32)


def _decode(transfer, values):
    if transfer == "srgb":
        return srgb_to_linear(values)
    if transfer == "gamma24":  # Rec.1886 / Rec.2020 display: a pure 2.4 power
        return (np.maximum(np.asarray(values, dtype=np.float64), 0.0) ** 2.4).astype(np.float32)
    return np.asarray(values, dtype=np.float32)


@functools.lru_cache(maxsize=None)
def _decode_table(transfer):
    # Byte pixels are exactly k/255, so a 256-entry table decodes 4K in a fraction of the curve's time.
    return _decode(transfer, np.arange(256) / 255.0)


def _xyz(xy):
    x, y = xy
    return np.array([x / y, 1.0, (1.0 - x - y) / y])


def _rgb_to_xyz(gamut):
    red, green, blue, white = _GAMUTS[gamut]
    primaries = np.column_stack([_xyz(red), _xyz(green), _xyz(blue)])
    return primaries * np.linalg.solve(primaries, _xyz(white))


@functools.lru_cache(maxsize=None)
def gamut_matrix(source, target):
    """3x3 float32 matrix taking linear RGB in gamut ``source`` to gamut ``target`` (names in _GAMUTS)."""
    adapt = np.eye(3)
    if _GAMUTS[source][3] != _GAMUTS[target][3]:
        cone_source = _BRADFORD @ _xyz(_GAMUTS[source][3])
        cone_target = _BRADFORD @ _xyz(_GAMUTS[target][3])
        adapt = np.linalg.inv(_BRADFORD) @ np.diag(cone_target / cone_source) @ _BRADFORD
    return (np.linalg.inv(_rgb_to_xyz(target)) @ adapt @ _rgb_to_xyz(source)).astype(np.float32)


def _apply_gamut(rgb, source, target):
    """Convert an (..., 3) view in place."""
    if source != target:
        rgb[...] = rgb @ gamut_matrix(source, target).T


def working_to_rec709(array):
    """Convert an (H, W, 4) working-space array to Rec.709 in place (a no-op in Rec.709 files)."""
    _apply_gamut(array[:, :, :3], _working_gamut(), "rec709")
    return array


def working_space():
    """The blend file's scene-linear space: 5.0 files may choose it; 4.x is always Linear Rec.709."""
    colorspace = getattr(bpy.data, "colorspace", None)
    return colorspace.working_space if colorspace is not None else LINEAR_COLORSPACE


def _working_gamut():
    name = working_space()
    if name not in _WORKING_GAMUTS:
        raise DatablockError(f"The blend file's working colour space '{name}' is not supported")
    return _WORKING_GAMUTS[name]


def colorspace_names():
    """Every colour space name Blender offers for images (the exact enum identifiers)."""
    prop = bpy.types.ColorManagedInputColorspaceSettings.bl_rna.properties["name"]
    return [item.identifier for item in prop.enum_items]


# --- Datablock -> array -------------------------------------------------------------------------

def result_name(capability, source_name):
    """The predictable name of a capability's result for a source image: re-runs reuse it.

    Names that would not fit Blender's limit are shortened with a hash of the full name, so two
    long sources never share a result.
    """
    name = f"NR {capability} {source_name}"
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    suffix = f" ~{zlib.crc32(name.encode('utf-8')):08x}"
    head = name.encode("utf-8")[:MAX_NAME_BYTES - len(suffix)].decode("utf-8", errors="ignore")
    return head + suffix


def image_to_array(image, out=None):
    """Pixels of ``image`` as (H, W, 4) float32, bottom row first, scene-linear Rec.709 for colour.

    ``out`` may be a preallocated C-contiguous float32 (H, W, 4) buffer (a memory map, a
    shared-memory slot): the pixels are read straight into it and it is returned.
    """
    width, height = _checked_size(image)
    colour = not image.colorspace_settings.is_data
    byte_encoding = _byte_encoding(image) if colour and not image.is_float else None  # raises first
    if out is None:
        out = np.empty((height, width, 4), dtype=np.float32)
    elif (not isinstance(out, np.ndarray) or out.shape != (height, width, 4) or out.dtype != np.float32
          or not out.flags.c_contiguous or not out.flags.writeable):
        # A non-contiguous buffer would make reshape copy, and the pixels would land in the copy.
        raise DatablockError(f"The buffer for image '{image.name}' must be a writable C-contiguous "
                             f"float32 array of shape {(height, width, 4)}")
    image.pixels.foreach_get(out.reshape(-1))
    if byte_encoding is not None:
        _linearise_bytes(out, byte_encoding, image.alpha_mode)
    elif colour:
        working_to_rec709(out)
    return out


def _checked_size(image):
    if image is None:
        raise DatablockError("No image given")
    if image.type in {"RENDER_RESULT", "COMPOSITING"}:
        raise DatablockError(f"'{image.name}' has no pixels in Python: read renders with render_capture")
    if image.source == "TILED":
        raise DatablockError(f"Image '{image.name}' is a UDIM tile set: use a single-tile image")
    width, height = image.size  # reading the size loads a file image that was not loaded yet
    if width == 0 or height == 0 or not image.has_data:
        where = f" (file '{image.filepath}' is missing or unreadable)" if image.source == "FILE" else ""
        raise DatablockError(f"Image '{image.name}' has no pixels{where}")
    return width, height


def _byte_encoding(image):
    """(transfer curve, gamut) of a byte colour image, or DatablockError if it is not one we decode."""
    name = image.colorspace_settings.name
    if name not in _BYTE_ENCODINGS:
        raise DatablockError(f"8-bit image '{image.name}' uses colour space '{name}', which cannot be "
                             f"linearised here: set it to sRGB, Linear Rec.709 or Non-Color")
    return _BYTE_ENCODINGS[name]


def _linearise_bytes(out, encoding, alpha_mode):
    transfer, gamut = encoding
    rgb, alpha = out[:, :, :3], out[:, :, 3:4]
    premultiplied = alpha_mode == "PREMUL"
    if premultiplied:  # colour was encoded after premultiplying: decode it straight, off the k/255 grid
        safe = np.where(alpha > 0, alpha, 1.0)
        rgb[...] = _decode(transfer, rgb / safe)
    elif transfer != "linear":
        rgb[...] = _decode_table(transfer)[np.rint(rgb * 255.0).astype(np.uint8)]
    _apply_gamut(rgb, gamut, "rec709")
    if premultiplied or alpha_mode == "STRAIGHT":
        rgb *= alpha  # NONE / CHANNEL_PACKED: alpha is not coverage, colour stays as is


# --- Array -> datablock -------------------------------------------------------------------------

def array_to_image(array, name, *, colorspace=LINEAR_COLORSPACE, replace=True):
    """Create or refresh the float image datablock ``name`` from a bottom-first (H, W, 4) array.

    ``colorspace`` says what the array holds: 'Linear Rec.709' (colour) or 'Non-Color' (data). With
    ``replace`` (the default) a re-run with the same name rewrites the existing datablock in place,
    resizing it if needed, so compositor nodes and materials that use it follow; nothing piles up as
    'name.001'. Everything is checked before any datablock is touched.
    """
    pixels = _checked_array(array)
    is_data = _checked_colorspace(colorspace)
    if not name or len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise DatablockError(f"Image name must be 1 to {MAX_NAME_BYTES} bytes long (see result_name)")
    tag = colorspace
    if not is_data:
        # Float buffers hold the working space; in a Rec.709 file this is a no-op (bit-exact).
        target = _working_gamut()
        if target != "rec709":
            pixels = pixels.copy()
            _apply_gamut(pixels[:, :, :3], "rec709", target)
        tag = working_space()  # the truthful tag: packed and reloaded, the pixels stay the same
    existing = bpy.data.images.get(name) if replace else None
    if existing is not None and existing.library is not None:
        raise DatablockError(f"Image '{name}' is linked from a library and cannot be replaced")

    height, width = pixels.shape[:2]
    if existing is not None and _rewritable(existing):
        image = existing
        if image.source == "GENERATED" and not image.use_generated_float:
            image.use_generated_float = True  # regenerates a float buffer; its pixels follow below
        _resize(image, width, height)
    else:
        image = bpy.data.images.new(name, width, height, alpha=True, float_buffer=True, is_data=is_data)
        if existing is not None:  # a byte, UDIM or movie image of that name: take over its users
            existing.user_remap(image)
            bpy.data.images.remove(existing)
            image.name = name
    # Order matters: changing the colour space regenerates a generated image's buffer (and reloads
    # a file image), so it goes before the pixels.
    if image.colorspace_settings.name != tag:
        image.colorspace_settings.name = tag
    image.alpha_mode = "PREMUL"  # Blender's float convention; straight would be re-premultiplied on reload
    image.pixels.foreach_set(pixels.reshape(-1))
    image.update()
    if image.packed_file is not None:
        pack_image(image)  # otherwise the .blend would keep the previous result's packed pixels
    return image


def _checked_array(array):
    array = np.asarray(array)
    if array.dtype.kind != "f":
        raise DatablockError(f"Expected float pixels, got {array.dtype} (divide byte images by 255 first)")
    if array.ndim != 3 or array.shape[2] != 4 or array.shape[0] == 0 or array.shape[1] == 0:
        raise DatablockError(f"Expected an (H, W, 4) RGBA array, got shape {array.shape}")
    # foreach_set wants float32 (float64 raises); this is a no-op for contiguous float32 input.
    return np.ascontiguousarray(array, dtype=np.float32)


def _checked_colorspace(colorspace):
    if colorspace not in ACCEPTED_COLORSPACES:
        raise DatablockError(f"Colour space '{colorspace}' is not one of {', '.join(ACCEPTED_COLORSPACES)}: "
                             f"results are float, so they are scene-linear colour or data")
    return colorspace == DATA_COLORSPACE


def _rewritable(image):
    """Whether ``image`` can take new float pixels in place (a generated or file float image)."""
    # (Generated images report type 'UV_TEST'; render results, viewers and multi-layer EXRs have no
    # single buffer to write.)
    if image.type in {"RENDER_RESULT", "COMPOSITING", "MULTILAYER"}:
        return False
    if image.source not in {"GENERATED", "FILE"}:  # sequences, movies, UDIMs
        return False
    if image.source == "GENERATED":
        return True
    width, height = image.size  # a file image: only a loaded float one can be rewritten
    return image.has_data and width > 0 and height > 0 and image.is_float


def _resize(image, width, height):
    if tuple(image.size) == (width, height):
        return
    if image.source == "GENERATED":
        # Regenerating at the new size is nearly free; scale() would resample pixels we overwrite.
        image.generated_width, image.generated_height = width, height
    else:
        image.scale(width, height)


def pack_image(image):
    """Keep a result inside the .blend as 32-bit float EXR, so it survives save and reload.

    Also gives it a fake user: Blender does not save datablocks nothing uses, and a fresh result
    is often only looked at in the Image Editor.
    """
    image.use_fake_user = True
    if image.packed_file is not None and not image.is_dirty:
        # Already packed with these pixels. (Packing again is not a no-op: bpy 5.0.1 then drops the
        # packed file, and the next re-run found an image without pixels.)
        return image
    if image.is_float:
        image.file_format = "OPEN_EXR"
        image.use_half_precision = False  # (Blender packed float32 either way in 5.0.1; be explicit)
    image.pack()
    return image


# --- Datablock -> EXR file ----------------------------------------------------------------------

@contextmanager
def exr_output_scene(convert_to_rec709=True):
    """A throwaway scene whose output settings are 32-bit float RGBA ZIP OpenEXR, for ``save_render``.

    ``save_render`` takes the file format from a scene; using a temporary one leaves the user's
    scene untouched. (Not for the Render Result, which shows the render of the scene it is asked with.)
    """
    scene = bpy.data.scenes.new("NR temporary EXR output")
    try:
        configure_exr_output(scene.render.image_settings, convert_to_rec709)
        yield scene
    finally:
        bpy.data.scenes.remove(scene)


def configure_exr_output(settings, convert_to_rec709=True):
    """Set ``ImageFormatSettings`` to single-layer 32-bit float RGBA ZIP OpenEXR.

    With ``convert_to_rec709`` colour is written as Linear Rec.709 whatever the file's working space
    (bit-exact when that is Rec.709); without, as stored. Data images must be written as stored:
    the override converts them too.
    """
    if hasattr(settings, "media_type"):  # 5.0: multi-layer and video are media types
        settings.media_type = "IMAGE"
    settings.file_format = "OPEN_EXR"
    settings.color_mode = "RGBA"
    settings.color_depth = "32"
    settings.exr_codec = "ZIP"
    if hasattr(settings, "color_management"):
        settings.color_management = "OVERRIDE" if convert_to_rec709 else "FOLLOW_SCENE"
        if convert_to_rec709:
            settings.linear_colorspace_settings.name = LINEAR_COLORSPACE


def save_image_exr(image, filepath):
    """Write ``image`` as a 32-bit float ZIP RGBA OpenEXR with Blender's writer, atomically.

    Uses ``save_render`` with a temporary scene's format rather than ``Image.save``: the latter uses
    the image's own settings (no codec choice) and re-points the datablock at the file.
    """
    _checked_size(image)
    filepath = bpy.path.abspath(filepath)
    folder = os.path.dirname(filepath) or "."
    if not os.path.isdir(folder):
        raise DatablockError(f"Folder does not exist: {folder}")
    # Same folder, so os.replace is an atomic rename; not mkstemp, whose 0600 mode the file would keep.
    partial = os.path.join(folder, f".nr-partial-{uuid.uuid4().hex}.exr")
    try:
        with exr_output_scene(convert_to_rec709=not image.colorspace_settings.is_data) as scene:
            image.save_render(partial, scene=scene)
        os.replace(partial, filepath)  # readers never see a half-written file
    except RuntimeError as error:
        raise DatablockError(f"Could not write '{filepath}': {error}") from None
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return filepath



# --- EXR sequence -> datablock ------------------------------------------------------------------

def load_exr_sequence(first_path, name):
    """The scene-linear EXR frames a job wrote (``first_path``: the first of them) as one image
    sequence datablock ``name``; an earlier datablock of that name is removed first, so a re-run
    replaces it instead of piling up 'name.001'."""
    image = bpy.data.images.get(name)
    if image is not None:
        bpy.data.images.remove(image)
    image = bpy.data.images.load(first_path, check_existing=False)
    image.name = name
    image.source = "SEQUENCE"
    image.colorspace_settings.name = LINEAR_COLORSPACE
    return image
