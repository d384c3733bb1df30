"""Running a worker job in the test process with a real JobContext: progress is recorded and a cancel
can be requested after the N-th progress message (the job then stops at its next check)."""

import threading

from fixtures import in_process_jobs


class Recorder:
    def __init__(self, cancel_after=None):
        self.messages = []
        self.cancel = threading.Event()
        self.cancel_after = cancel_after

    def __call__(self, fraction, message):
        self.messages.append((fraction, message))
        if self.cancel_after is not None and len(self.messages) >= self.cancel_after:
            self.cancel.set()


def run_job(kind, params, inputs, recorder=None, cache=None):
    """``kind``'s job on the CPU; ``cache`` (a ``jobs.ModelCache``) keeps models warm across calls like
    the worker does."""
    recorder = recorder or Recorder()
    return in_process_jobs.run_job(kind, params, inputs, "cpu", cache, report=recorder, cancel=recorder.cancel)
