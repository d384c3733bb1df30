"""Opt-in "process every rendered frame": after each frame of a render is written to disk, callbacks
receive ``(scene, frame, filepath)``, so a capability can turn a render into a processed EXR sequence.

Why ``render_write``: it fires once per frame *after* the frame's file is written (animation and
``write_still`` renders alike) and not at all for renders that write nothing. ``render_post`` also
fires for unsaved renders and is not documented to come after the write.

The handler runs inside Blender's render loop, so it does nothing heavy itself and callbacks must
stay cheap too: record the frame or queue a worker job, never compute. Handlers are ``@persistent``
(they survive loading another .blend), and enabling twice, or again after the module was reloaded,
never registers twice.
"""

import os
import traceback

import bpy
from bpy.app.handlers import persistent

_callbacks = []


@persistent
def _on_render_write(scene, *_args):
    if not _callbacks:
        return
    frame = scene.frame_current
    filepath = written_path(scene, frame)
    for callback in list(_callbacks):
        try:
            callback(scene, frame, filepath)
        except Exception:  # one failing capability must not stop the others or the render
            traceback.print_exc()


def written_path(scene, frame):
    """The file Blender just wrote for ``frame``: the numbered animation path, or the still path."""
    candidates = [scene.render.frame_path(frame=frame), _still_path(scene)]
    existing = [path for path in candidates if os.path.isfile(path)]
    # Both can exist (a still rendered over an older sequence): the one just written is the newest.
    return max(existing, key=os.path.getmtime) if existing else candidates[0]


def _still_path(scene):
    # A still is written to the output path as is (no frame number), plus the extension if enabled.
    path = bpy.path.abspath(scene.render.filepath)
    extension = scene.render.file_extension
    if scene.render.use_file_extension and not path.lower().endswith(extension.lower()):
        path += extension
    return path


def _registered():
    """Our handler in the list, including copies left by an earlier import of this module."""
    return [handler for handler in bpy.app.handlers.render_write
            if getattr(handler, "__module__", None) == __name__
            and getattr(handler, "__name__", None) == _on_render_write.__name__]


def enable(callback):
    """Call ``callback(scene, frame, filepath)`` after every rendered frame is written."""
    if not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    if callback not in _callbacks:
        _callbacks.append(callback)
    stale = [handler for handler in _registered() if handler is not _on_render_write]
    for handler in stale:
        bpy.app.handlers.render_write.remove(handler)
    if _on_render_write not in bpy.app.handlers.render_write:
        bpy.app.handlers.render_write.append(_on_render_write)


def disable(callback=None):
    """Stop calling ``callback`` (or every callback); the handler goes when none is left."""
    if callback is None:
        _callbacks.clear()
    elif callback in _callbacks:
        _callbacks.remove(callback)
    if not _callbacks:
        for handler in _registered():
            bpy.app.handlers.render_write.remove(handler)


def is_enabled():
    return _on_render_write in bpy.app.handlers.render_write
