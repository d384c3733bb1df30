"""Neural Render: learning-based and image-based rendering for Blender.

Registering must stay fast: nothing here imports torch or starts the worker; that happens on the
first job. The torch side lives in ``worker/`` and runs in its own process.
"""

from .blender import registration

CLASSES = registration.CLASSES


def register():
    registration.register()


def unregister():
    registration.unregister()
