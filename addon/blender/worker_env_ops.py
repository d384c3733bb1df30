"""The 'Set Up Worker Environment' operator: a venv with the pinned torch stack for the worker.

The environment goes to the extension's user directory (``worker_session.user_dir``), which survives
extension upgrades and is where ``worker_session`` looks for the prepared Python. The download is
large, so from the UI the setup runs in a background thread that a modal timer polls: Blender stays
responsive, progress shows in the status bar and Esc cancels. Called from a script or in background
mode it runs synchronously, like every other operator of the add-on.
"""

import os

import bpy

from . import job_operator, preferences, worker_env, worker_session

# The setup in progress, if any: one at a time, and ``shutdown`` must find it when the add-on goes.
_running = None


def target_dir():
    return os.path.join(worker_session.user_dir(), "worker_env")


def is_running():
    return _running is not None and not _running.done


def shutdown(timeout=10.0):
    """Cancel a setup in progress (the add-on is being disabled); its previous environment stays."""
    global _running
    if _running is not None:
        _running.cancel()
        _running.wait(timeout)
        _running = None


def _host_window(context):
    """The window that hosts the modal handler: not a temporary one such as Preferences.

    The button lives in the Preferences window, which the user may close during the long download;
    Blender would then end the modal operator and so the setup with it. A main window stays.
    """
    if not context.window.screen.is_temporary:
        return context.window
    for window in context.window_manager.windows:
        if not window.screen.is_temporary:
            return window
    return context.window


def _redraw_preferences(context):
    for window in context.window_manager.windows:
        for area in window.screen.areas:
            if area.type == "PREFERENCES":
                area.tag_redraw()


class NEURALRENDER_OT_setup_worker_env(bpy.types.Operator):
    """Create a Python environment with torch for the worker in the extension's user folder
    (downloads several hundred MB for the CPU build, a few GB for CUDA)"""
    bl_idname = "neural_render.setup_worker_env"
    bl_label = "Set Up Worker Environment"

    flavour: bpy.props.EnumProperty(
        name="Build",
        items=(("PREFERENCES", "From Preferences", "The build chosen in the add-on preferences"),
               ("cpu", "CPU", "Smaller download, runs anywhere"),
               ("cuda", "CUDA", "For NVIDIA GPUs")),
        default="PREFERENCES", options={"SKIP_SAVE"})
    packages: bpy.props.StringProperty(
        name="Packages",
        description="Install these pip requirements (space or comma separated) instead of the pinned "
                    "worker packages: for troubleshooting and tests",
        options={"HIDDEN", "SKIP_SAVE"})

    @classmethod
    def poll(cls, context):
        if is_running():
            cls.poll_message_set("The worker environment is already being set up")
            return False
        return True

    # -- shared start / finish ----------------------------------------------------------------
    def _start(self, context):
        """Plan the setup; None (with the error reported) when it cannot even start."""
        global _running
        prefs = preferences.get(context)
        flavour = prefs.env_flavour if self.flavour == "PREFERENCES" else self.flavour
        packages = self.packages.replace(",", " ").split() or None
        try:
            _running = worker_env.WorkerEnvSetup(target_dir(), flavour, packages=packages)
        except (worker_env.SetupError, OSError) as error:
            self.report({"ERROR"}, f"Worker environment: {error}")
            return None
        return _running

    def _finish(self, context, setup):
        global _running
        _running = None
        if setup.cancelled:
            self.report({"WARNING"}, "Worker environment setup cancelled; nothing was changed")
            return {"CANCELLED"}
        if setup.error:
            self.report({"ERROR"}, f"Worker environment: {setup.error}")
            return {"CANCELLED"}
        # A worker started from the replaced environment would keep running the old files: stop it
        # so the next job starts on the new one (unless a job is using it right now).
        if not job_operator.jobs_running():
            worker_session.shutdown()
        note = ""
        if preferences.get(context).worker_python:
            note = " (clear 'Worker Python' in the preferences to use it)"
        self.report({"INFO"}, f"Worker environment ready: {setup.python}{note}")
        return {"FINISHED"}

    # -- synchronous path: scripts and background mode -----------------------------------------
    def execute(self, context):
        setup = self._start(context)
        if setup is None:
            return {"CANCELLED"}
        setup.start()
        shown = None
        try:
            while not setup.wait(0.5):
                if bpy.app.background and setup.progress != shown:
                    # No status bar in background mode: a line per change shows it is alive.
                    shown = setup.progress
                    print(f"Neural Render: {shown[0] * 100:3.0f}% {shown[1]}", flush=True)
        except KeyboardInterrupt:
            setup.cancel()
            setup.wait()
        return self._finish(context, setup)

    # -- modal path: the UI -------------------------------------------------------------------
    def invoke(self, context, event):
        if bpy.app.background or context.window is None:
            return self.execute(context)
        setup = self._start(context)
        if setup is None:
            return {"CANCELLED"}
        self._setup = setup.start()
        self._window = _host_window(context)
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.25, window=self._window)
        with context.temp_override(window=self._window):
            wm.modal_handler_add(self)  # handlers belong to the context's window
        wm.progress_begin(0, 100)
        self._show_progress(context)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        if event.type == "ESC" and event.value == "PRESS":
            self._setup.cancel()  # the next timer tick sees it finish
            return {"RUNNING_MODAL"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        if not self._setup.done:
            self._show_progress(context)
            return {"RUNNING_MODAL"}
        self._end_modal(context)
        return self._finish(context, self._setup)

    def cancel(self, context):
        # Blender ends the modal operator (window closed, file loaded): stop the setup with it.
        self._setup.cancel()
        self._setup.wait(5.0)
        self._end_modal(context)
        global _running
        _running = None

    def _show_progress(self, context):
        fraction, message = self._setup.progress
        context.window_manager.progress_update(int(fraction * 100))
        self._window.workspace.status_text_set(
            f"Worker environment: {fraction * 100:.0f}%  {message}   (Esc to cancel)")
        _redraw_preferences(context)

    def _end_modal(self, context):
        wm = context.window_manager
        wm.event_timer_remove(self._timer)
        wm.progress_end()
        self._window.workspace.status_text_set(None)
        _redraw_preferences(context)


CLASSES = (
    NEURALRENDER_OT_setup_worker_env,
)
