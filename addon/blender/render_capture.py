"""A render's pixels as an array: (H, W, 4) float32, bottom row first, scene-linear Rec.709.

In background mode (``blender -b``, the bpy module) the Render Result's ``pixels`` are empty and no
Viewer image is made, but ``save_render`` still writes the result. So it is saved as a 32-bit float
EXR into a temporary folder and loaded back; the scene's output format is restored afterwards, the
temporary image datablock is removed and the folder deleted.
"""

import os
import shutil
import tempfile
from contextlib import contextmanager

import bpy

from . import compositor, datablocks
from .datablocks import DatablockError


def render_to_array(scene):
    """Render ``scene`` (a still of the current frame, compositor included if the scene uses it).

    The render is not written to the output path, so no ``render_write`` handler (ours or another
    add-on's) mistakes it for a frame; its pixels are taken from the Render Result instead.
    """
    try:
        bpy.ops.render.render(scene=scene.name)
    except RuntimeError as error:
        raise DatablockError(f"Rendering scene '{scene.name}' failed: {_first_line(error)}") from None
    return render_result_to_array(scene)


def render_result_to_array(scene):
    """Pixels of ``scene``'s last render (F12 or ``bpy.ops.render.render``), from the Render Result.

    The Render Result image shows the render of whichever scene it is asked with, so ``scene``
    matters; a scene that was not rendered raises DatablockError. In background mode the image's
    ``pixels`` are empty, but Blender can still save it: hence the temporary file.
    """
    result = next((image for image in bpy.data.images if image.type == "RENDER_RESULT"), None)
    if result is None:
        raise DatablockError(f"There is no render of scene '{scene.name}' yet: render first (F12)")
    with _temporary_folder() as folder:
        path = os.path.join(folder, "result.exr")
        try:
            with _exr_output(scene):  # save_render takes the format from the scene it reads
                result.save_render(path, scene=scene)
        except RuntimeError as error:
            raise DatablockError(f"The Render Result of scene '{scene.name}' has no pixels: "
                                 f"{_first_line(error)}") from None
        return read_exr_file(path)


def compositor_output_to_array(scene):
    """Render ``scene`` with its compositor on and return the compositor's output image."""
    tree = compositor.get_compositor_tree(scene, create=False)
    socket = compositor.output_socket(tree)
    if socket is None or not socket.is_linked:
        raise DatablockError(f"Scene '{scene.name}' has no compositor output to read")
    render = scene.render
    saved = render.use_compositing
    # 4.2-4.5 only composite when the scene uses nodes; 5.0 deprecates use_nodes, so leave it there.
    saved_nodes = None if compositor.uses_node_groups(scene) else scene.use_nodes
    try:
        render.use_compositing = True
        if saved_nodes is not None:
            scene.use_nodes = True
        return render_to_array(scene)
    finally:
        render.use_compositing = saved
        if saved_nodes is not None:
            scene.use_nodes = saved_nodes


def read_exr_file(path):
    """A float EXR holding working-space values (as Blender writes renders here) as a Rec.709 array."""
    image = bpy.data.images.load(path, check_existing=False)
    try:
        # Tagged as data, the file's values come through untouched, with no colour conversion on
        # load. Set before the first pixel read, so the file is read only once.
        image.colorspace_settings.name = datablocks.DATA_COLORSPACE
        return datablocks.working_to_rec709(datablocks.image_to_array(image))
    finally:
        bpy.data.images.remove(image)


@contextmanager
def _temporary_folder():
    folder = tempfile.mkdtemp(prefix="neural-render-render-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# Restored first, in this order: the others' valid values depend on them.
_LEADING_SETTINGS = ("media_type", "file_format")
# Nested colour settings of the output: a file format change re-initialises them (an override's
# view transform and exposure, its linear colour space).
_NESTED_SETTINGS = ("linear_colorspace_settings", "view_settings", "display_settings")
# Derived from temperature and tint, and deriving them back with rounding errors: restoring both
# sides would make them drift, so only temperature and tint are put back.
_DERIVED_SETTINGS = {"white_balance_whitepoint"}


@contextmanager
def _exr_output(scene):
    """Switch ``scene``'s output format to 32-bit float EXR; put every setting back afterwards.

    The file holds the working space as is (no colour override), and the conversion to Rec.709
    happens on the array (a no-op in a Rec.709 file).
    """
    settings = scene.render.image_settings
    saved = _snapshot(settings)
    saved_nested = {name: _snapshot(getattr(settings, name)) for name in _nested_settings(settings)}
    try:
        datablocks.configure_exr_output(settings, convert_to_rec709=False)
        yield
    finally:
        _restore(settings, saved)
        for name, values in saved_nested.items():
            _restore(getattr(settings, name), values)


def _nested_settings(settings):
    """The nested colour settings that hold a value: the output's linear colour space only under a colour
    override (otherwise it is unset, and merely reading its name makes Blender warn that '-1' matches
    no enum)."""
    names = [name for name in _NESTED_SETTINGS if hasattr(settings, name)]
    if getattr(settings, "color_management", "OVERRIDE") != "OVERRIDE":
        names = [name for name in names if name != "linear_colorspace_settings"]
    return names


def _snapshot(struct):
    values = {}
    for prop in struct.bl_rna.properties:
        if (prop.is_readonly or prop.type in {"POINTER", "COLLECTION"}
                or prop.identifier in _DERIVED_SETTINGS or prop.identifier == "rna_type"):
            continue
        value = getattr(struct, prop.identifier)
        if prop.type == "ENUM" and value == "":
            continue  # never initialised (a fresh scene's output colour space): nothing to put back
        values[prop.identifier] = tuple(value) if getattr(prop, "is_array", False) else value
    return values


def _restore(struct, values):
    order = [name for name in _LEADING_SETTINGS if name in values]
    order += [name for name in values if name not in _LEADING_SETTINGS]
    for name in order:
        if getattr(struct, name) != values[name]:
            setattr(struct, name, values[name])


def _first_line(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
