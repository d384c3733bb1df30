"""The sample a training job rewrites (atomically) every few seconds, shown as an image datablock while
the job runs: a modal training operator refreshes it on its timer (GAN and StyleGAN training alike).
``TrainingWithPreview`` is what such an operator adds to ``WorkerJobOperator``."""

import os

import bpy

from ...protocol import messages
from .. import image_jobs


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


class TrainingWithPreview:
    """Mixin for a training ``WorkerJobOperator`` whose ``submit_job`` sets ``self._preview`` (a
    LivePreview) and ``self._model_path``: the preview follows the job, a cancel says the model is
    kept, and the finished preview becomes a datablock and the panel's model."""

    def modal(self, context, event):
        result = super().modal(context, event)
        if event.type == "TIMER":
            self._preview.refresh()
        return result

    def _finish(self, context, handle):
        outcome = super()._finish(context, handle)
        if handle.error is not None and handle.error.code == messages.CANCELLED and os.path.isfile(self._model_path):
            self.report({"INFO"}, f"{self.job_label} stopped; the model trained so far is kept in {self._model_path}")
        return outcome

    def apply_result(self, context, handle):
        image = image_jobs.result_to_datablock(handle, "preview", self._preview.name)
        settings = self.panel_settings(context)
        if settings is not None:
            settings.model_path = self._model_path
        return f"{self.job_label}: model saved to {self._model_path} (preview '{image.name}')"
