"""The registry of job kinds the worker can run, and the context a running job talks through.

A job is a function ``run(context, params, inputs) -> outputs`` where ``inputs``/``outputs`` map names
to float32 (H, W, C) top-first numpy arrays. Capabilities register theirs with ``@job("name")``; the
server only knows this registry, so adding a capability never touches the server.
"""

import importlib

_REGISTRY = {}

# Packages whose import registers jobs. Each capability appends its package here.
JOB_PACKAGES = (
    "diagnostics",
    "gan",
    "stylize",
    "relight",
    "colorize",
)


class JobCancelled(Exception):
    """Raised inside a job by ``context.check_cancelled()`` once the client asked to cancel."""


class JobInputError(ValueError):
    """A job's parameters or inputs are invalid: reported to the user as a bad request, not a bug."""


def job(name):
    def register(function):
        if name in _REGISTRY and _REGISTRY[name] is not function:
            raise RuntimeError(f"job kind {name!r} registered twice")
        _REGISTRY[name] = function
        return function
    return register


def load_job_packages():
    for package in JOB_PACKAGES:
        importlib.import_module(f"{__package__}.{package}")


def find(name):
    return _REGISTRY.get(name)


def names():
    return sorted(_REGISTRY)


class JobContext:
    """What a running job may do besides computing: report progress, notice cancellation, pick a device.

    ``report`` is the server's sink for progress messages; ``cancel_event`` is set by the server's
    reader thread when a cancel message for this job arrives.
    """

    def __init__(self, job_id, device, cancel_event, report, cache, send_raw=None):
        self.job_id = job_id
        self.send_raw = send_raw  # raw reply-stream access, for the client-robustness diagnostics only
        self.device = device
        self._cancel_event = cancel_event
        self._report = report
        self.cache = cache  # a dict that outlives jobs: keeps models warm

    @property
    def cancelled(self):
        return self._cancel_event.is_set()

    def check_cancelled(self):
        if self._cancel_event.is_set():
            raise JobCancelled()

    def progress(self, fraction, message=""):
        """Report progress and honour cancellation: call this at least every half second of work."""
        self.check_cancelled()
        self._report(min(max(float(fraction), 0.0), 1.0), message)
