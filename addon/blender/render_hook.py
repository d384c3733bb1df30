"""Opt-in "process every rendered frame": after each frame of an animation render is written, a
callback receives (scene, frame, filepath) so a capability can turn the render into a processed EXR
sequence.

The handler itself only records the frame and calls the callback; capabilities queue worker jobs
there rather than computing inside Blender's render loop. Handlers are ``@persistent`` so they
survive loading another .blend, and enabling twice never registers twice.
"""

import bpy
from bpy.app.handlers import persistent

_callbacks = []


@persistent
def _on_render_write(scene, *args):
    # render_write fires once the frame's file is on disk; render_post may fire before the write.
    filepath = scene.render.frame_path(frame=scene.frame_current)
    for callback in list(_callbacks):
        callback(scene, scene.frame_current, filepath)


def enable(callback):
    if callback not in _callbacks:
        _callbacks.append(callback)
    if _on_render_write not in bpy.app.handlers.render_write:
        bpy.app.handlers.render_write.append(_on_render_write)


def disable(callback=None):
    """Stop calling ``callback`` (or every callback); the handler goes when none is left."""
    if callback is None:
        _callbacks.clear()
    elif callback in _callbacks:
        _callbacks.remove(callback)
    if not _callbacks and _on_render_write in bpy.app.handlers.render_write:
        bpy.app.handlers.render_write.remove(_on_render_write)


def is_enabled():
    return _on_render_write in bpy.app.handlers.render_write
