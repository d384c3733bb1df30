"""Running a worker job inside this process, the way the worker would, with console progress."""

import signal
import sys
import threading
import time


class ConsoleProgress:
    """One self-overwriting line on stderr, at most ten updates a second."""

    def __init__(self, label, stream=sys.stderr):
        self.label = label
        self.stream = stream
        self._last = 0.0

    def __call__(self, fraction, message):
        now = time.monotonic()
        if now - self._last < 0.1 and fraction < 1.0:
            return
        self._last = now
        if self.stream.isatty():
            self.stream.write(f"\r{self.label}: {fraction * 100:5.1f}%  {message[:60]:<60}")
            if fraction >= 1.0:
                self.stream.write("\n")
            self.stream.flush()


def run_job(kind, params, inputs, device="auto", label=None, quiet=False):
    """Run job ``kind`` on top-first float arrays; return its outputs. Ctrl-C cancels cleanly."""
    from neural_render.worker import device as devices
    from neural_render.worker import jobs

    jobs.load_job_packages()
    function = jobs.find(kind)
    if function is None:
        raise RuntimeError(f"no job {kind!r}")
    torch_device, note = devices.choose_device(device)
    if note and not quiet:
        print(f"neural-render: {note}", file=sys.stderr)
    cancel = threading.Event()
    report = (lambda fraction, message: None) if quiet else ConsoleProgress(label or kind)
    context = jobs.JobContext("cli", torch_device, cancel, report)
    previous = signal.getsignal(signal.SIGINT)

    def on_interrupt(signum, frame):  # first Ctrl-C asks the job to stop at its next check
        cancel.set()
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        return function(context, params, inputs)
    except jobs.JobCancelled:
        raise KeyboardInterrupt from None
    finally:
        signal.signal(signal.SIGINT, previous)
