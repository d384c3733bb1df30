"""The base every worker-backed operator builds on.

Invoked from the UI it runs modally: the job goes to the worker, a 0.1 s timer polls it, progress
shows in the status bar, the window manager's progress cursor and the panels, and Esc cancels.
Called from a script (``bpy.ops.neural_render.x('EXEC_DEFAULT')``, ``blender -b``, the ``bpy``
module) it runs synchronously and returns when the result is in the scene, so pipelines can chain it.

Subclasses implement two methods and never deal with polling, cancel or error reporting:

- ``submit_job(context, client) -> JobHandle``: read what the job needs and submit it. Raise
  ``UserFacingError`` (or ``ValueError``) for bad input: it is reported, nothing changes.
- ``apply_result(context, handle) -> str``: write the outputs back into Blender; return a
  one-line summary for the info report. Runs only on success, so a failed job leaves the scene as it was.

A capability's operator names its panel settings (``settings_attribute``, the scene property) and
builds its job parameters with ``self.job_params(context, SPEC)``: the settings rule of
``spec_properties`` (a property the caller left unset takes the panel's value), in one place.
"""

import bpy

from . import spec_properties, worker_session
from .worker_client import WorkerError
from ..protocol import messages

_active_handles = set()


class UserFacingError(ValueError):
    """Bad input the user can fix; its message is shown as is."""


class NeuralRenderJobStatus(bpy.types.PropertyGroup):
    """What the panels show about the job in flight (stored on the window manager, never saved)."""
    running: bpy.props.BoolProperty(default=False)
    fraction: bpy.props.FloatProperty(default=0.0, min=0.0, max=1.0, subtype="FACTOR")
    message: bpy.props.StringProperty(default="")
    label: bpy.props.StringProperty(default="")


def jobs_running():
    return bool(_active_handles)


def cancel_all_jobs():
    for handle in list(_active_handles):
        handle.cancel()
    return bool(_active_handles)


def _status(context):
    return getattr(context.window_manager, "neural_render_job", None)


def _redraw_panels(context):
    for window in context.window_manager.windows:
        for area in window.screen.areas:
            if area.type in {"IMAGE_EDITOR", "NODE_EDITOR", "PROPERTIES"}:
                area.tag_redraw()


class WorkerJobOperator:
    """Mixin for ``bpy.types.Operator`` subclasses that run one worker job."""

    job_label = "Neural Render"
    settings_attribute = None   # the scene's PropertyGroup of this capability's panel, e.g. "neural_render_gan"

    def panel_settings(self, context):
        return getattr(context.scene, self.settings_attribute, None) if self.settings_attribute else None

    def setting(self, context, name):
        """One value under the settings rule (the caller's, else the panel's)."""
        return spec_properties.resolve(self, self.panel_settings(context), name)

    def job_params(self, context, spec, names=None):
        """The job parameters of the operator's spec properties under the settings rule."""
        return spec_properties.resolved_params(self, self.panel_settings(context), spec, names)

    def submit_job(self, context, client):
        raise NotImplementedError

    def apply_result(self, context, handle):
        raise NotImplementedError

    # -- shared start / finish ----------------------------------------------------------------
    def _start(self, context):
        try:
            handle = self.submit_job(context, worker_session.client(context))
        except WorkerError as error:
            self.report({"ERROR"}, error.message)
            return None
        except (UserFacingError, ValueError, OSError) as error:
            self.report({"ERROR"}, str(error))
            return None
        _active_handles.add(handle)
        return handle

    def _finish(self, context, handle):
        _active_handles.discard(handle)
        try:
            if handle.error is not None:
                level = {"WARNING"} if handle.error.code == messages.CANCELLED else {"ERROR"}
                self.report(level, f"{self.job_label}: {handle.error.message}")
                return {"CANCELLED"}
            try:
                summary = self.apply_result(context, handle)
            except (UserFacingError, ValueError, OSError, WorkerError) as error:
                self.report({"ERROR"}, f"{self.job_label}: {error}")
                return {"CANCELLED"}
            self.report({"INFO"}, summary or f"{self.job_label}: done")
            return {"FINISHED"}
        finally:
            handle.cleanup()

    # -- synchronous path: scripts and background mode -----------------------------------------
    def execute(self, context):
        handle = self._start(context)
        if handle is None:
            return {"CANCELLED"}
        try:
            handle.wait()
        except WorkerError:
            pass  # the handle carries the error; _finish reports it
        except KeyboardInterrupt:
            handle.cancel()
            try:
                handle.wait(timeout=5)
            except WorkerError:
                pass
        return self._finish(context, handle)

    # -- modal path: the UI -------------------------------------------------------------------
    def invoke(self, context, event):
        if bpy.app.background or context.window is None:
            return self.execute(context)
        self._handle = self._start(context)
        if self._handle is None:
            return {"CANCELLED"}
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.1, window=context.window)
        wm.modal_handler_add(self)
        wm.progress_begin(0, 100)
        self._set_status(context, running=True)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        if event.type == "ESC" and event.value == "PRESS":
            self._handle.cancel()
            return {"RUNNING_MODAL"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        self._handle.poll()
        if not self._handle.finished:
            self._set_status(context, running=True)
            return {"RUNNING_MODAL"}
        wm = context.window_manager
        wm.event_timer_remove(self._timer)
        wm.progress_end()
        self._set_status(context, running=False)
        return self._finish(context, self._handle)

    def _set_status(self, context, running):
        handle = self._handle
        status = _status(context)
        if status is not None:
            status.running = running
            status.fraction = handle.fraction
            status.message = handle.message
            status.label = self.job_label
        if running:
            context.window_manager.progress_update(int(handle.fraction * 100))
            context.workspace.status_text_set(
                f"{self.job_label}: {handle.fraction * 100:.0f}%  {handle.message}   (Esc to cancel)")
        else:
            context.workspace.status_text_set(None)
        _redraw_panels(context)
