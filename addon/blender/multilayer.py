"""Multi-layer EXR datablocks as job inputs: the layer chosen in the panel, read by the worker.

Blender keeps a multi-layer image (a multilayer render, a matcap) as one buffer per pass and gives
Python none of them: ``size`` is 0x0 and ``pixels`` is empty. So the image's layer is chosen by name
in the capability's panel (``Image.neural_render_layer``, saved with the image, empty for the
automatic choice: the plain or Combined layer), the file's header tells which layers exist and
their size, and the job is sent a reference to that layer of the file, which the worker reads with
the same reader as the command line's ``--layer``. Its pixels are the file's scene-linear values.
"""

import os

import bpy

from ..protocol import exr_layers, images
from .datablocks import DatablockError

LAYER_PROPERTY = "neural_render_layer"
_headers = {}  # path -> ((mtime, size), header or the error's text): panels redraw often


def is_multilayer(image):
    """Whether ``image`` is a multi-layer EXR file image."""
    if image is None or image.source != "FILE":
        return False
    # Its type is known once Blender has loaded it; reading is_float loads it (size does not, for
    # a multi-layer file, whose size stays 0x0).
    image.is_float  # noqa: B018
    return image.type == "MULTILAYER"


def _file_of(image):
    if image.packed_file is not None:
        raise DatablockError(f"Image '{image.name}' is a packed multi-layer EXR: unpack it (Image > Unpack) "
                             "so its layers can be read from the file")
    path = os.path.normpath(bpy.path.abspath(image.filepath, library=image.library))
    if not os.path.isfile(path):
        raise DatablockError(f"Image '{image.name}': its file is missing ({path})")
    return path


def _header(path):
    """(width, height, layers) of the file, cached by its stamp; DatablockError if unreadable."""
    status = os.stat(path)
    stamp = (status.st_mtime_ns, status.st_size)
    cached = _headers.get(path)
    if cached is None or cached[0] != stamp:
        try:
            found = exr_layers.read_layers(path)
        except exr_layers.ExrHeaderError as error:
            found = str(error)
        cached = _headers[path] = (stamp, found)
    if isinstance(cached[1], str):
        raise DatablockError(f"'{path}': {cached[1]}")
    return cached[1]


def layer_names(image):
    """The file's layers, sorted; none when it cannot be read (the job then says why)."""
    try:
        return sorted(_header(_file_of(image))[2])
    except (DatablockError, OSError):
        return []


def layer_ref(image):
    """An image reference to the chosen layer of ``image``'s file; DatablockError naming the choices."""
    path = _file_of(image)
    width, height, layers = _header(path)
    chosen_name = getattr(image, LAYER_PROPERTY, "")
    try:
        chosen = exr_layers.pick_layer(layers, chosen_name)
    except exr_layers.ExrHeaderError as error:
        raise DatablockError(f"Image '{image.name}': {error}; choose its layer in the panel") from None
    channels = len(exr_layers.layer_letters(layers[chosen], explicit=bool(chosen_name)))
    if channels not in (1, 3, 4):
        raise DatablockError(f"Image '{image.name}': layer '{chosen}' has {channels} channels; an input "
                             "needs 1 (grey), 3 (RGB) or 4 (RGBA)")
    return images.make_exr_layer_ref(path, chosen_name, height, width, channels)


def _search_layers(image, context, edit_text):
    return [name for name in layer_names(image) if edit_text.lower() in name.lower()]


def draw_layer_choice(layout, image):
    """The layer field under an input image, for multi-layer ones only."""
    if is_multilayer(image):
        layout.prop(image, LAYER_PROPERTY, icon="RENDERLAYERS")


def register():
    setattr(bpy.types.Image, LAYER_PROPERTY, bpy.props.StringProperty(
        name="Layer", search=_search_layers,
        description="The layer of this multi-layer EXR that Neural Render reads (e.g. ViewLayer.Combined, "
                    "diffuse); empty: the plain or Combined layer"))


def unregister():
    delattr(bpy.types.Image, LAYER_PROPERTY)
    _headers.clear()
