"""The registry of job kinds the worker can run, and the context a running job talks through.

A job is a function ``run(context, params, inputs) -> outputs`` where ``inputs``/``outputs`` map names
to float32 (H, W, C) top-first numpy arrays. Capabilities register theirs with ``@job(SPEC)``, where
``SPEC`` is the job kind's parameter spec from ``protocol/specs``: the registered function checks the
request against it before the job body runs, so a job receives every parameter checked and with its
default filled in. The server only knows this registry, so adding a capability never touches it.
"""

import importlib
import importlib.util
import os
import time

from ..protocol.specs import SPECS, ParamError

_REGISTRY = {}

# Packages whose import registers the product's jobs. Each capability appends its package here.
JOB_PACKAGES = (
    "system_jobs",
    "gan",
    "stylize",
    "relight",
    "colorize",
    "material",
    "stylegan",
    "relight_image",
)


class JobCancelled(Exception):
    """Raised inside a job by ``context.check_cancelled()`` once the client asked to cancel."""


class JobInputError(ValueError):
    """A job's parameters or inputs are invalid: reported to the user as a bad input, not a bug."""


def job(spec):
    """Register the decorated function as the job ``spec.kind``; its params are validated by ``spec``."""
    def register(function):
        def run(context, params, inputs):
            try:
                checked = spec.validate(params or {})
            except ParamError as error:
                raise JobInputError(str(error)) from None
            return function(context, checked, inputs)

        run.spec = spec
        run.__name__ = function.__name__
        run.__doc__ = function.__doc__
        if spec.kind in _REGISTRY:
            raise RuntimeError(f"job kind {spec.kind!r} registered twice")
        _REGISTRY[spec.kind] = run
        return run
    return register


def load_job_packages():
    for package in JOB_PACKAGES:
        importlib.import_module(f"{__package__}.{package}")
    missing = sorted(set(SPECS) - set(_REGISTRY))
    if missing:
        raise RuntimeError(f"job kinds with a spec but no job: {', '.join(missing)}")


def load_job_file(path):
    """Register the jobs of a Python file outside the product (the tests' diagnostics jobs): only a
    worker started with ``--test-jobs`` does this."""
    spec = importlib.util.spec_from_file_location(f"{__package__}._test_jobs_{len(_REGISTRY)}", path)
    if spec is None or not os.path.isfile(path):
        raise RuntimeError(f"no job file at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def find(name):
    return _REGISTRY.get(name)


def names():
    return sorted(_REGISTRY)


class ModelCache:
    """Models kept warm between jobs: ``get(key, loader)``.

    ``key`` is a tuple whose first item names a family (``("gan", path, stamp, device)``). Loading a
    key drops the family's other entries first, so a retrained file or another device replaces the
    old model instead of holding both in memory.
    """

    def __init__(self):
        self._entries = {}

    def get(self, key, loader):
        if key in self._entries:
            return self._entries[key]
        for stale in [entry for entry in self._entries if entry[0] == key[0]]:
            del self._entries[stale]
        value = loader()
        self._entries[key] = value
        return value

    def __len__(self):
        return len(self._entries)

    def clear(self):
        self._entries.clear()


def file_stamp(path):
    """(modification time, size) of a file, for cache keys that must notice a replaced file; None if absent."""
    try:
        stat = os.stat(path)
    except (OSError, TypeError, ValueError):
        return None
    return stat.st_mtime_ns, stat.st_size


class JobContext:
    """What a running job may do besides computing: report progress, notice cancellation, pick a
    device, keep models warm.

    ``report`` is the sink for progress messages (the server's, or the CLI's console); ``cancel_event``
    is set when a cancel for this job arrives. ``progress`` may be called as often as a job likes:
    it always checks for cancellation but passes a message on at most every ``PROGRESS_INTERVAL``
    seconds (and always the final one), so no job throttles for itself.
    """

    PROGRESS_INTERVAL = 0.25

    def __init__(self, job_id, device, cancel_event, report, models=None):
        self.job_id = job_id
        self.device = device
        self._cancel_event = cancel_event
        self._report = report
        self._last_sent = None
        self.models = models if models is not None else ModelCache()

    @property
    def cancelled(self):
        return self._cancel_event.is_set()

    def check_cancelled(self):
        if self._cancel_event.is_set():
            raise JobCancelled()

    def progress(self, fraction, message=""):
        """Report progress and honour cancellation: call this at least every half second of work."""
        self.check_cancelled()
        fraction = min(max(float(fraction), 0.0), 1.0)
        now = time.monotonic()
        if self._last_sent is not None and fraction < 1.0 and now - self._last_sent < self.PROGRESS_INTERVAL:
            return
        self._last_sent = now
        self._report(fraction, message)

    def stage(self, start, span, prefix=""):
        """A progress callback ``(fraction, message="")`` for one part of the job: [0, 1] maps onto
        [start, start + span] of the whole, and messages get ``prefix``."""
        def report(fraction, message=""):
            self.progress(start + span * min(max(float(fraction), 0.0), 1.0), f"{prefix}{message}")
        return report
