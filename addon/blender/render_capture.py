"""Getting a render's pixels. In background mode the Render Result has no pixels and no Viewer image
is produced, so renders are saved as 32-bit EXR into a temporary file and read back."""

import os
import tempfile

import bpy

from . import datablocks


def _read_exr_as_array(path):
    image = bpy.data.images.load(path, check_existing=False)
    try:
        return datablocks.image_to_array(image)
    finally:
        bpy.data.images.remove(image)


class _Float32Output:
    """Temporarily switch the scene's output to 32-bit float RGBA EXR; restore it afterwards."""

    def __init__(self, scene):
        self.settings = scene.render.image_settings
        self.scene = scene

    def __enter__(self):
        settings = self.settings
        self.saved = (settings.file_format, settings.color_depth, settings.color_mode, settings.exr_codec,
                      self.scene.render.filepath)
        settings.file_format = "OPEN_EXR"
        settings.color_depth = "32"
        settings.color_mode = "RGBA"
        settings.exr_codec = "ZIP"
        return self

    def __exit__(self, *exc):
        settings = self.settings
        (settings.file_format, settings.color_depth, settings.color_mode, settings.exr_codec,
         self.scene.render.filepath) = self.saved


def render_to_array(scene):
    """Render ``scene`` (still, current frame) and return its pixels (H, W, 4) bottom-first, linear."""
    folder = tempfile.mkdtemp(prefix="neural-render-render-")
    path = os.path.join(folder, "render.exr")
    try:
        with _Float32Output(scene):
            scene.render.filepath = path
            bpy.ops.render.render(write_still=True, scene=scene.name)
        return _read_exr_as_array(path)
    finally:
        if os.path.exists(path):
            os.remove(path)
        os.rmdir(folder)


def render_result_to_array(scene):
    """Pixels of the existing Render Result (after F12 or bpy.ops.render.render)."""
    result = bpy.data.images.get("Render Result")
    if result is None:
        raise datablocks.DatablockError("There is no render yet: render the scene first (F12)")
    folder = tempfile.mkdtemp(prefix="neural-render-render-")
    path = os.path.join(folder, "result.exr")
    try:
        with _Float32Output(scene):
            try:
                result.save_render(path, scene=scene)
            except RuntimeError as error:
                raise datablocks.DatablockError(f"The Render Result has no pixels: {error}") from None
        return _read_exr_as_array(path)
    finally:
        if os.path.exists(path):
            os.remove(path)
        os.rmdir(folder)
