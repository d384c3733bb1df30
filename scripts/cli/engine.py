"""Running a worker job inside this process, the way the worker would, with console progress."""

import signal
import sys
import threading
import time


class ConsoleProgress:
    """Progress on stderr. On a terminal: one self-overwriting line, at most ten updates a second.
    Elsewhere (a farm log, a pipe): plain, complete lines, at most one every ``LOG_INTERVAL`` seconds
    and always the last, so a log reads what happened without carriage returns."""

    LOG_INTERVAL = 5.0

    def __init__(self, label, stream=sys.stderr):
        self.label = label
        self.stream = stream
        self._last = None

    def __call__(self, fraction, message):
        now = time.monotonic()
        terminal = self.stream.isatty()
        interval = 0.1 if terminal else self.LOG_INTERVAL
        if self._last is not None and now - self._last < interval and fraction < 1.0:
            return
        self._last = now
        if terminal:
            width = 100
            self.stream.write(f"\r{self.label}: {fraction * 100:5.1f}%  {message[:width]:<{width}}")
            if fraction >= 1.0:
                self.stream.write("\n")
        else:
            self.stream.write(f"{self.label}: {fraction * 100:5.1f}% {message}\n")
        self.stream.flush()


def in_flags(spec, text):
    """``text`` with each of ``spec``'s parameter names that has a flag written as that flag."""
    import re
    for param in sorted(spec.params, key=lambda param: -len(param.name)):
        if param.flag:
            text = re.sub(rf"(?<![\w-]){re.escape(param.name)}(?![\w-])", param.flag, text)
    return text


def resolve_device(device):
    """(torch.device, note) for --device (None: $NEURAL_RENDER_DEVICE, else automatic); bad input is
    a CliInputError."""
    from neural_render.worker import device as devices

    from .main import CliInputError
    from .spec_options import chosen_device
    try:
        return devices.choose_device(chosen_device(device))
    except ValueError as error:  # a GPU this machine does not have
        raise CliInputError(str(error)) from None


def request_determinism():
    """Ask torch for deterministic kernels where it has them (a farm task's frame must not depend on
    which node ran it twice): cuDNN without autotuning, cuBLAS with a fixed workspace, and the
    deterministic variants of scatter/index ops (warn_only: ops without one still run). CPU kernels
    are deterministic already; on CUDA this is requested, not verified here."""
    import os

    import torch
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # read when cuBLAS initialises
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    torch.use_deterministic_algorithms(True, warn_only=True)


def run_job(kind, params, inputs, device="auto", label=None, quiet=False, models=None):
    """Run job ``kind`` on top-first float arrays; return its outputs. Ctrl-C cancels cleanly.
    ``models``: a ``jobs.ModelCache`` to keep networks loaded across the jobs of one command."""
    from neural_render.worker import jobs

    jobs.load_job_packages()
    function = jobs.find(kind)
    if function is None:
        raise RuntimeError(f"no job {kind!r}")
    torch_device, note = resolve_device(device)
    if note and not quiet:
        print(f"neural-render: {note}", file=sys.stderr)
    cancel = threading.Event()
    report = (lambda fraction, message: None) if quiet else ConsoleProgress(label or kind)
    context = jobs.JobContext("cli", torch_device, cancel, report, models)
    # Ctrl-C and SIGTERM (a farm stopping a task) ask the job to stop at its next check; outputs are
    # written atomically, so nothing half-written is left. A second signal acts as it normally would.
    stopping = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.getsignal(number) for number in stopping}

    def on_stop(signum, frame):
        cancel.set()
        for number in stopping:
            signal.signal(number, previous[number])

    for number in stopping:
        signal.signal(number, on_stop)
    try:
        return function(context, params, inputs)
    except jobs.JobCancelled:
        raise KeyboardInterrupt from None
    except jobs.JobInputError as error:  # the job names its parameters; the user typed flags
        from .main import CliInputError
        raise CliInputError(in_flags(function.spec, str(error))) from None
    finally:
        for number in stopping:
            signal.signal(number, previous[number])
