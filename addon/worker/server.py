"""The job server: reads requests from stdin, runs jobs one at a time, streams replies to stdout.

Threads: the main thread runs jobs from a queue; a reader thread parses incoming frames so that a
cancel (or an info request) is seen while a job computes. Replies go through one lock-protected
writer. The frame stream is a private duplicate of the original stdout; file descriptor 1 itself is
pointed at stderr so that a stray ``print`` (ours or a library's, Python or C) lands in the log
instead of corrupting the protocol.
"""

import os
import platform
import queue
import sys
import threading
import time
import traceback

import numpy as np

from ..protocol import arena, framing, images, messages
from ..protocol.specs.common import DEVICE
from . import device as devices
from . import jobs

_STOP = object()


class ReplyWriter:
    def __init__(self, stream):
        self._stream = stream
        self._lock = threading.Lock()
        self.broken = False   # the client is gone: replies are dropped

    def send(self, message):
        """Send a reply; once the client is gone (a broken pipe) replies are dropped, not raised."""
        with self._lock:
            if self.broken:
                return
            try:
                framing.write_frame(self._stream, message)
            except (BrokenPipeError, ConnectionError, ValueError):
                self.broken = True


class PendingJob:
    def __init__(self, request):
        self.request = request
        self.job_id = request["job_id"]
        self.cancel_event = threading.Event()


class JobServer:
    CLIENT_GONE_GRACE = 2.0  # seconds a job may take to notice the cancel once the client is gone

    def __init__(self, reader, writer, device_preference="auto"):
        self._reader = reader
        self._writer = writer
        self._queue = queue.Queue()
        self._pending = {}  # job_id -> PendingJob, queued or running
        self._pending_lock = threading.Lock()
        self._models = jobs.ModelCache()         # warm models, shared by every job
        self._stopped = threading.Event()        # set once the main loop has finished
        self._outputs = arena.BufferArena()      # output slots, reused once the client releases them
        self._input_maps = arena.MappingCache()  # the client's input slots, mapped once
        self.device, self.device_note = devices.choose_device(device_preference)

    # -- identity of this worker --------------------------------------------------------------
    def describe(self):
        import torch
        return {
            "protocol": framing.PROTOCOL_VERSION,
            "pid": os.getpid(),
            "python": platform.python_version(),
            "executable": sys.executable,
            "torch": torch.__version__,
            "device": str(self.device),
            "device_note": self.device_note,
            "devices": devices.available_devices(),
            "jobs": jobs.names(),
            "arena": self._outputs.directory,
        }

    # -- reader thread ------------------------------------------------------------------------
    def _read_requests(self):
        client_gone = False
        while True:
            try:
                message = framing.read_frame(self._reader)
            except framing.StreamClosed:
                client_gone = True  # the client went away (closed, or its process died)
                break
            except framing.MalformedMessage as error:  # a whole frame: the stream is still in step
                self._writer.send(messages.error(None, messages.BAD_REQUEST, str(error)))
                continue
            except framing.FramingError as error:
                # A broken request stream cannot be resynchronised; say why and stop.
                self._writer.send(messages.error(None, messages.BAD_REQUEST, str(error)))
                client_gone = True
                break
            try:
                if self._dispatch(message) is _STOP:
                    break  # shutdown: read no more, so no thread is left blocked on stdin at exit
            except Exception as error:  # a malformed message must never leave a deaf worker
                self._writer.send(messages.error(None, messages.BAD_REQUEST,
                                                 f"malformed {str(message.get('type'))[:40]!r} message: "
                                                 f"{type(error).__name__}: {error}"))
        self._cancel_all()
        self._queue.put(_STOP)
        if client_gone and not self._stopped.wait(self.CLIENT_GONE_GRACE):
            # The client is gone and the job in hand does not notice the cancel (a long operation
            # without progress checks): nobody will read its result. Clean up and leave now.
            self._outputs.close()
            os._exit(0)

    def _dispatch(self, message):
        kind = message.get("type")
        if kind == "submit":
            problem = _check_submit(message)
            if problem:
                self._writer.send(messages.error(message.get("job_id"), messages.BAD_REQUEST, problem))
                return
            pending = PendingJob(message)
            with self._pending_lock:
                if pending.job_id in self._pending:
                    self._writer.send(messages.error(pending.job_id, messages.BAD_REQUEST,
                                                     "a job with this id is already queued"))
                    return
                self._pending[pending.job_id] = pending
            self._queue.put(pending)
        elif kind == "cancel":
            job_id = message.get("job_id")
            if not isinstance(job_id, str):
                raise TypeError(f"job_id must be a string, got {job_id!r}")
            with self._pending_lock:
                pending = self._pending.get(job_id)
            if pending is not None:
                pending.cancel_event.set()
        elif kind == "release":
            paths = message.get("paths", [])
            if not isinstance(paths, list) or not all(isinstance(path, str) for path in paths):
                raise TypeError(f"paths must be a list of slot paths, got {paths!r}")
            for path in paths:
                self._outputs.release(path)
        elif kind == "shutdown":
            return _STOP
        else:
            self._writer.send(messages.error(message.get("job_id"), messages.BAD_REQUEST,
                                             f"unknown message type {kind!r}"))

    def _cancel_all(self):
        with self._pending_lock:
            for pending in self._pending.values():
                pending.cancel_event.set()

    # -- main thread --------------------------------------------------------------------------
    def serve(self):
        self._writer.send(dict(self.describe(), type="ready"))
        reader = threading.Thread(target=self._read_requests, name="request-reader", daemon=True)
        reader.start()
        while True:
            pending = self._queue.get()
            if pending is _STOP:
                self._outputs.close()
                self._stopped.set()
                reader.join(timeout=5)  # it put the STOP, so it is finishing, not blocked on stdin
                return
            try:
                self._run(pending)
            finally:
                with self._pending_lock:
                    self._pending.pop(pending.job_id, None)

    def _run(self, pending):
        request = pending.request
        job_id = pending.job_id
        if pending.cancel_event.is_set():
            self._writer.send(messages.error(job_id, messages.CANCELLED, "cancelled before it started"))
            return
        function = jobs.find(request["kind"])
        if function is None:
            self._writer.send(messages.error(job_id, messages.UNKNOWN_JOB,
                                             f"this worker has no job {request['kind']!r}"))
            return

        def report(fraction, text):
            self._writer.send(messages.progress(job_id, fraction, text))

        started = time.perf_counter()
        try:
            inputs = {name: self._read_input(ref) for name, ref in request["inputs"].items()}
            outputs, note = self._call_with_fallback(function, pending, report, inputs)
            refs = {name: self._store_output(request, name, array) for name, array in outputs.items()}
        except jobs.JobCancelled:
            self._writer.send(messages.error(job_id, messages.CANCELLED, "cancelled"))
            return
        except (jobs.JobInputError, images.ImageRefError) as error:
            self._writer.send(messages.error(job_id, messages.BAD_INPUT, str(error)))
            return
        except Exception as error:  # a job's bug must not take the worker down
            if devices.is_out_of_memory(error):
                self._writer.send(messages.error(job_id, messages.OUT_OF_MEMORY, _out_of_memory_text(error)))
                return
            traceback.print_exc(file=sys.stderr)
            self._writer.send(messages.error(job_id, messages.INTERNAL,
                                             f"{type(error).__name__}: {error}"))
            return
        info = {"seconds": time.perf_counter() - started, "device": str(self.device)}
        if note:
            info["note"] = note
        self._writer.send(messages.result(job_id, refs, info))

    def _read_input(self, ref):
        if ref.get("transport") != images.EXR_LAYER:
            return images.read_image(ref, mappings=self._input_maps)
        ref = images.check_ref(ref)
        from .imageio.errors import ImageFileError
        from .imageio.exr import read_exr
        try:
            array = read_exr(ref["path"], layer=ref["layer"] or None)
        except ImageFileError as error:
            raise images.ImageRefError(str(error)) from None
        expected = (ref["height"], ref["width"], ref["channels"])
        if array.shape != expected:  # the file changed since the add-on read its header
            raise images.ImageRefError(f"'{ref['path']}' layer '{ref['layer']}' is {array.shape[1]}x{array.shape[0]}x"
                                       f"{array.shape[2]}, not the {expected[1]}x{expected[0]}x{expected[2]} its "
                                       "header said: was the file replaced? Reload the image")
        return array

    def _store_output(self, request, name, array):
        array = np.asarray(array, dtype=np.float32)
        if array.ndim == 2:
            array = array[:, :, None]
        origin = request.get("output_origin", "top")
        ref, slot = self._outputs.acquire(*array.shape, origin=origin)
        np.copyto(slot, array[::-1] if origin == "bottom" else array)
        return ref

    def _call_with_fallback(self, function, pending, report, inputs):
        """Run the job; if a GPU runs out of memory, free it and retry once on the CPU.

        The product's one out-of-memory policy: jobs never catch it themselves. Out of memory on
        the CPU (or again after the retry) ends the job with OUT_OF_MEMORY and the worker carries on.
        """
        context = jobs.JobContext(pending.job_id, self.device, pending.cancel_event, report, self._models)
        try:
            return function(context, pending.request["params"], inputs), ""
        except Exception as error:
            if self.device.type == "cpu" or not devices.is_out_of_memory(error):
                raise
        self._models.clear()  # the GPU's copies of the models are what filled it
        devices.free_device_memory(self.device)
        import torch
        context = jobs.JobContext(pending.job_id, torch.device("cpu"), pending.cancel_event, report, self._models)
        note = f"{self.device} ran out of memory; this job ran on the CPU instead"
        return function(context, pending.request["params"], inputs), note


def _out_of_memory_text(error):
    detail = str(error) or "no more memory could be allocated"
    return (f"out of memory: {detail}. Try a smaller image or setting, close other programs, or choose "
            "another device in the add-on preferences")


def _check_submit(message):
    if not isinstance(message.get("job_id"), str) or not message["job_id"]:
        return "submit needs a non-empty string job_id"
    for name, ref in (message.get("inputs") or {}).items() if isinstance(message.get("inputs"), dict) else ():
        try:
            images.check_ref(ref)
        except (images.ImageRefError, TypeError, ValueError, OverflowError) as error:
            return f"input {name!r}: {error}"
    if not isinstance(message.get("kind"), str):
        return "submit needs a job kind"
    if not isinstance(message.get("params", {}), dict):
        return "params must be an object"
    if not isinstance(message.get("inputs", {}), dict):
        return "inputs must be an object of image references"
    if message.get("output_origin", "top") not in ("top", "bottom"):
        return "output_origin must be 'top' or 'bottom'"
    message.setdefault("params", {})
    message.setdefault("inputs", {})
    return ""


def take_over_stdio():
    """Return (request stream, reply stream) and point fd 1 at stderr so nothing else reaches the pipe."""
    reply_fd = os.dup(sys.stdout.fileno())
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    return sys.stdin.buffer, os.fdopen(reply_fd, "wb", buffering=0)


def main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(description="Neural Render torch worker (speaks frames on stdio)")
    parser.add_argument("--device", default=DEVICE.default, choices=DEVICE.values)
    parser.add_argument("--test-jobs", metavar="FILE", action="append", default=[],
                        help="also register the jobs of this Python file (the test suite's diagnostics)")
    args = parser.parse_args(argv)
    reader, reply_stream = take_over_stdio()
    jobs.load_job_packages()
    for path in args.test_jobs:
        jobs.load_job_file(path)
    server = JobServer(reader, ReplyWriter(reply_stream), args.device)
    server.serve()
    return 0
