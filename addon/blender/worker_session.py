"""The one worker client of this Blender session, configured from the preferences.

The client (and its warm worker) lives as long as the add-on is enabled. A change of interpreter or
device in the preferences restarts the worker on the next job.
"""

import os
import sys

import bpy

from . import ADDON_PACKAGE, preferences
from .worker_client import WorkerClient, WorkerConfig, WorkerError
from ..protocol import messages

_client = None


def user_dir(*parts, create=True):
    """A folder that survives extension upgrades: the extension's user directory when installed."""
    path = os.path.join(*parts) if parts else ""
    try:
        return bpy.utils.extension_path_user(ADDON_PACKAGE, path=path, create=create)
    except (ValueError, TypeError, RuntimeError):
        # Not running as an installed extension (tests, a checkout): use Blender's user scripts dir.
        base = bpy.utils.user_resource("SCRIPTS", path=os.path.join("neural_render_suite", path), create=create)
        return base


def prepared_env_python():
    env_dir = user_dir("worker_env", create=False)
    name = os.path.join("Scripts", "python.exe") if sys.platform == "win32" else os.path.join("bin", "python")
    return os.path.join(env_dir, name)


def resolve_worker_python(prefs):
    """The interpreter for the worker: the preference, else the bpy module's own, else the prepared env."""
    if prefs.worker_python:
        path = bpy.path.abspath(prefs.worker_python)
        if not os.path.isfile(path):
            raise WorkerError(messages.WORKER_DIED, f"Worker Python not found: {path}")
        return path
    if not bpy.app.binary_path:
        # Running as the ``bpy`` module inside a regular Python: that Python is the natural choice.
        return sys.executable
    prepared = prepared_env_python()
    if os.path.isfile(prepared):
        return prepared
    raise WorkerError(messages.WORKER_DIED,
                      "No Python with torch is set up: open Preferences > Add-ons > Neural Render and "
                      "press 'Set Up Worker Environment', or set 'Worker Python'")


def config_from_preferences(context=None):
    prefs = preferences.get(context)
    return WorkerConfig(python=resolve_worker_python(prefs), device=prefs.device,
                        silence_timeout=prefs.silence_timeout,
                        log_path=os.path.join(user_dir("logs"), "worker.log"), models_dir=user_dir("models"))


def client(context=None):
    """The session's client, reconfigured (and so restarted) if the preferences changed."""
    global _client
    config = config_from_preferences(context)
    if _client is None:
        _client = WorkerClient(config)
    elif _client.config.key() != config.key():
        _client.shutdown()
        _client = WorkerClient(config)
    else:
        _client.config = config
    return _client


def shutdown():
    global _client
    if _client is not None:
        _client.shutdown()
        _client = None
