"""The sample a training job rewrites (atomically) every few seconds, shown as an image datablock while
the job runs: a modal training operator refreshes it on its timer (GAN and StyleGAN training alike)."""

import os

import bpy


class LivePreview:
    """The preview file at ``path`` as the datablock ``name``, reloaded only when the file changed."""

    def __init__(self, path, name):
        self.path = path
        self.name = name
        self._stamp = None

    def refresh(self):
        """Load or reload the datablock if the worker wrote a new preview; the image, or None before the first."""
        try:
            stamp = os.stat(self.path).st_mtime_ns
        except OSError:
            return None  # not written yet
        image = bpy.data.images.get(self.name)
        if stamp == self._stamp and image is not None:
            return image
        self._stamp = stamp
        if image is None or bpy.path.abspath(image.filepath) != self.path:
            if image is not None:
                bpy.data.images.remove(image)  # an earlier run's result of the same name
            image = bpy.data.images.load(self.path)
            image.name = self.name
        else:
            image.reload()
        image.preview_ensure()
        return image
