"""Talks to the torch worker process. Pure Python (no bpy, no torch), so tools and tests use it too.

The client owns one worker process at a time. Jobs are submitted without waiting (the worker queues
them); a reader thread routes replies to per-job handles; callers ``poll()`` (from a modal timer) or
``wait()`` (from scripts). Whatever happens to the worker — exit, kill -9, garbage on its stdout, a
hang — every outstanding handle ends in a ``WorkerError`` with a readable message, the process is
reaped, and the next submit starts a fresh worker.
"""

import collections
import itertools
import os
import shutil
import subprocess
import sys
import threading
import time

import numpy as np

from ..protocol import arena, framing, images, messages

WORKER_MAIN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "worker", "main.py")


class WorkerError(Exception):
    """A job did not produce a result. ``code`` is one of protocol.messages.ERROR_CODES."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def private_log_dir():
    """A folder only this user can enter (0700), for logs when the caller names none: never a fixed
    name in the shared temporary folder, where another user could plant a link to redirect them."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    folder = os.path.join(base, "neural_render", "logs")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    if sys.platform != "win32":
        os.chmod(folder, 0o700)
    return folder


def open_log(path):
    """The log opened for appending without following a symbolic link, created 0600."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags, 0o600)
    except OSError as error:
        raise WorkerError(messages.WORKER_DIED, f"cannot open the worker log {path}: {error.strerror} "
                                                "(a link there is refused)") from None
    return os.fdopen(descriptor, "ab")


class WorkerConfig:
    """How to start and supervise the worker. Built from the add-on preferences on the Blender side."""

    def __init__(self, python=None, device="auto", start_timeout=180.0, silence_timeout=60.0,
                 cancel_grace=1.0, log_path=None, models_dir=None, worker_args=()):
        self.python = python or sys.executable
        self.device = device
        self.start_timeout = start_timeout      # torch's first import can be slow on a cold disk
        self.silence_timeout = silence_timeout  # a running job must report progress more often
        self.cancel_grace = cancel_grace        # after this, a cancel is enforced by killing
        self.log_path = log_path or os.path.join(private_log_dir(), "worker.log")
        self.models_dir = models_dir            # where the worker keeps model files (None: its default)
        self.worker_args = tuple(worker_args)   # more command-line arguments (the tests' --test-jobs)

    def key(self):
        return (self.python, self.device, self.worker_args)


class JobHandle:
    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"

    def __init__(self, client, job_id, kind, input_slots=(), process=None):
        self._client = client
        self._input_slots = list(input_slots)  # client arena slots to free on cleanup
        self._process = process                # the worker that owns this job's output slots
        self.job_id = job_id
        self.kind = kind
        self.state = self.QUEUED
        self.fraction = 0.0
        self.message = "waiting for the worker"
        self.last_progress = ""   # the job's last progress message (its notes), kept after "done"
        self.error = None
        self.result_refs = None
        self.info = {}
        self.cancel_requested_at = None
        self._events = collections.deque()
        self._finished = threading.Event()

    # Called from the client's reader thread.
    def _deliver(self, message):
        self._events.append(message)
        if message["type"] in ("result", "error"):
            self._finished.set()

    def _fail(self, code, text):
        self._events.append(messages.error(self.job_id, code, text))
        self._finished.set()

    @property
    def finished(self):
        return self.state in (self.DONE, self.FAILED)

    def poll(self):
        """Apply replies received so far and supervise the worker. Never blocks. Returns ``state``."""
        self._client.supervise()
        while self._events:
            message = self._events.popleft()
            if message["type"] == "progress":
                self.state = self.RUNNING
                self.fraction = message["fraction"]
                self.message = self.last_progress = message["message"]
            elif message["type"] == "result":
                self.state, self.fraction = self.DONE, 1.0
                self.result_refs = message["outputs"]
                self.info = message.get("info", {})
                self.message = "done"
            elif message["type"] == "error":
                self.state = self.FAILED
                self.error = WorkerError(message["code"], message["message"])
                self.message = message["message"]
        return self.state

    def wait(self, timeout=None):
        """Block until the job ends; return its outputs as arrays (see ``outputs``) or raise."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() not in (self.DONE, self.FAILED):
            if deadline is not None and time.monotonic() > deadline:
                raise WorkerError(messages.TIMEOUT, f"job {self.kind} did not finish in {timeout:.0f} s")
            self._finished.wait(0.05)
        if self.error:
            raise self.error
        return self.outputs()

    def outputs(self, copy=True):
        """The job's output images, top row first unless it asked for bottom-first storage.

        With ``copy=False`` the arrays map the worker's slots: use them before ``cleanup()``.
        """
        if self.state != self.DONE:
            raise WorkerError(messages.INTERNAL, "the job has no result")
        arrays = {}
        for name, ref in self.result_refs.items():
            array = images.read_image(ref, stored_order=True, mappings=self._client.mappings)
            arrays[name] = array.copy() if copy else array
        return arrays

    def cancel(self):
        if not self.finished and self.cancel_requested_at is None:
            self.cancel_requested_at = time.monotonic()
            self._client.send(messages.cancel(self.job_id))

    def cleanup(self):
        """Free what the job held: its input slots and the worker's output slots."""
        self._client.forget(self)
        self._client.release_slots(self)


class WorkerClient:
    def __init__(self, config=None):
        self.config = config or WorkerConfig()
        self._process = None
        self._log_file = None
        self._ready = None          # the worker's ready message, once received
        self._started_at = 0.0
        self._last_heard = 0.0
        self._handles = {}
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._death = None          # why the current worker died, once it has
        self._log_offset = 0
        self._arena = None          # input slots, made on first use
        self.mappings = arena.MappingCache()  # the worker's output slots, mapped once

    # -- process lifecycle --------------------------------------------------------------------
    @property
    def running(self):
        return self._process is not None and self._process.poll() is None and self._death is None

    def start(self):
        with self._lock:
            if self.running:
                return
            self._reap()
            if not os.path.isfile(self.config.python):
                raise WorkerError(messages.WORKER_DIED,
                                  f"the worker Python {self.config.python!r} does not exist")
            env = dict(os.environ, PYTHONUNBUFFERED="1")
            if self.config.models_dir:
                env["NEURAL_RENDER_MODELS_DIR"] = self.config.models_dir
            if os.path.realpath(self.config.python) != os.path.realpath(sys.executable):
                # Blender's own Python settings must not leak into a different interpreter.
                for name in ("PYTHONHOME", "PYTHONPATH"):
                    env.pop(name, None)
            self._log_file = open_log(self.config.log_path)
            self._log_offset = self._log_file.tell()  # error messages quote only this worker's lines
            self._process = subprocess.Popen(
                [self.config.python, WORKER_MAIN, "--device", self.config.device, *self.config.worker_args],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log_file, env=env,
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
            self._ready = None
            self._death = None
            self._started_at = self._last_heard = time.monotonic()
            threading.Thread(target=self._read_replies, args=(self._process,), daemon=True,
                             name="neural-render-worker-replies").start()

    def wait_ready(self, timeout=None):
        """Start the worker if needed and block until it has announced itself; return that message."""
        self.start()
        deadline = time.monotonic() + (timeout or self.config.start_timeout)
        while self._ready is None:
            self.supervise()
            if self._death:
                raise WorkerError(messages.WORKER_DIED, self._death)
            if time.monotonic() > deadline:
                self._kill(messages.TIMEOUT, "the worker did not start in time")
                raise WorkerError(messages.TIMEOUT, "the worker did not start in time")
            time.sleep(0.02)
        return self._ready

    def info(self, timeout=None):
        """Start the worker if needed and return what it announced (python, torch, device, jobs)."""
        return dict(self.wait_ready(timeout))

    @property
    def worker_info(self):
        """What the running worker announced, without waiting; empty before it is ready."""
        return dict(self._ready or {})

    def shutdown(self, timeout=5.0):
        with self._lock:
            process = self._process
            if process is None:
                return
            if process.poll() is None:
                try:
                    self.send(messages.shutdown())
                    process.wait(timeout)
                except (WorkerError, subprocess.TimeoutExpired):
                    process.kill()
            self._reap()
            if self._arena is not None:
                self._arena.close()
                self._arena = None

    @property
    def pid(self):
        return self._process.pid if self._process else None

    # -- jobs -----------------------------------------------------------------------------------
    def acquire_input(self, height, width, channels, origin="top"):
        """A reusable shared-memory slot to fill in place: (ref, writable array in stored order)."""
        if self._arena is None:
            self._arena = arena.BufferArena()
        return self._arena.acquire(height, width, channels, origin)

    def submit(self, kind, params=None, inputs=None, *, input_refs=None, output_origin="top"):
        """Queue a job. ``inputs`` maps names to top-first float arrays; alternatively pass
        ``input_refs`` from ``acquire_input`` (the Blender side fills slots in place)."""
        refs = dict(input_refs or {})
        try:
            for name, array in (inputs or {}).items():
                array = np.asarray(array, dtype=np.float32)
                array = array[:, :, None] if array.ndim == 2 else array
                refs[name], slot = self.acquire_input(*array.shape)
                np.copyto(slot, array)
        except Exception:
            self.release_inputs(refs)
            raise
        job_id = f"job-{os.getpid()}-{next(self._ids)}"
        with self._lock:
            try:
                self.start()
            except WorkerError:
                self.release_inputs(refs)
                raise
            slots = [ref["path"] for ref in refs.values() if self._arena and self._arena.owns(ref["path"])]
            handle = JobHandle(self, job_id, kind, slots, self._process)
            self._handles[job_id] = handle
        if not self._last_pending_before(handle):
            self._last_heard = time.monotonic()  # the silence clock starts when work is waiting
        self.send(messages.submit(job_id, kind, params or {}, refs, output_origin))
        return handle

    def run(self, kind, params=None, inputs=None, timeout=None, **options):
        """Submit and wait; return the outputs as arrays. For scripts and tools."""
        handle = self.submit(kind, params, inputs, **options)
        try:
            return handle.wait(timeout)
        finally:
            handle.cleanup()

    def forget(self, handle):
        with self._lock:
            self._handles.pop(handle.job_id, None)

    def release_inputs(self, refs):
        """Give back the slots of input references that were never submitted."""
        for ref in refs.values():
            if self._arena is not None and self._arena.owns(ref["path"]):
                self._arena.release(ref["path"])

    def release_slots(self, handle):
        for path in handle._input_slots:
            self._arena.release(path)
        handle._input_slots = []
        outputs = [ref["path"] for ref in (handle.result_refs or {}).values() if ref["transport"] == "shm"]
        with self._lock:
            if outputs and handle._process is self._process and self.running:
                self.send(messages.release(outputs))

    def send(self, message):
        process = self._process
        try:
            process.stdin.write(framing.encode_frame(message))
            process.stdin.flush()
        except (OSError, ValueError, AttributeError):
            self._kill(messages.WORKER_DIED, "the worker stopped accepting requests", process)

    def _last_pending_before(self, handle):
        return any(h is not handle and not h._finished.is_set() for h in self._handles.values())

    # -- supervision --------------------------------------------------------------------------
    def supervise(self):
        """Detect exit, silence and unanswered cancels; fail the affected jobs. Cheap; call often."""
        with self._lock:
            process = self._process
            if process is None:
                return
            now = time.monotonic()
            if process.poll() is not None and self._death is None:
                self._kill(messages.WORKER_DIED, self._exit_description(process.returncode), process)
                return
            waiting = [h for h in self._handles.values() if not h._finished.is_set()]
            if not waiting:
                return
            if self._ready is None:
                if now - self._started_at > self.config.start_timeout:
                    self._kill(messages.TIMEOUT, f"the worker did not start within "
                               f"{self.config.start_timeout:.0f} s", process)
                return
            if now - self._last_heard > self.config.silence_timeout:
                self._kill(messages.TIMEOUT, f"the worker stopped responding for "
                           f"{self.config.silence_timeout:.0f} s and was stopped", process)
                return
            for handle in waiting:
                if handle.cancel_requested_at and now - handle.cancel_requested_at > self.config.cancel_grace:
                    # The job is stuck inside one long operation: enforce the cancel.
                    self._kill(messages.WORKER_DIED, "the worker was restarted to stop a cancelled job", process)
                    return

    def _read_replies(self, process):
        stream = process.stdout
        while True:
            try:
                message = framing.read_frame(stream)
            except framing.StreamClosed:
                reason = None
            except framing.FramingError as error:
                reason = f"the worker sent data that is not a protocol frame ({error})"
            else:
                self._on_message(process, message)
                continue
            if reason is None:  # the pipe closed: the process is exiting, learn how
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
                reason = self._exit_description(process.returncode)
            # Only this reader's own worker: by now the main thread may have seen the exit first and
            # started a fresh worker for the next job, which must not die of the old one's death.
            self._kill(messages.WORKER_DIED, reason, process)
            return

    def _on_message(self, process, message):
        with self._lock:
            if process is not self._process:
                return
            self._last_heard = time.monotonic()
            kind = message.get("type")
            if kind == "ready":
                self._ready = message
                return
            handle = self._handles.get(message.get("job_id"))
            if handle is not None:
                handle._deliver(message)

    def _exit_description(self, returncode):
        detail = self._log_tail()
        text = f"the worker exited unexpectedly (exit code {returncode})"
        if returncode is not None and returncode < 0:
            text = f"the worker was killed by signal {-returncode}"
        return f"{text}; see {self.config.log_path}" + (f": {detail}" if detail else "")

    def _log_tail(self):
        try:
            with open(self.config.log_path, "rb") as log:
                log.seek(max(self._log_offset, os.path.getsize(self.config.log_path) - 400))
                lines = log.read().decode("utf-8", "replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1][:200] if lines else ""

    def _kill(self, code, reason, process=None):
        """Stop the worker ``process`` (default: the current one) and fail its outstanding jobs with
        ``reason``. A worker that is no longer the current one changes nothing: whoever noticed its
        death first has already failed its jobs, and the current worker's jobs are not its."""
        with self._lock:
            if process is None:
                process = self._process
            if process is None or process is not self._process:
                return
            if self._death is None:
                self._death = reason
            if process.poll() is None:
                process.kill()
            for handle in list(self._handles.values()):
                if handle._finished.is_set() or handle._process is not process:
                    continue
                if handle.cancel_requested_at is not None:
                    handle._fail(messages.CANCELLED, "cancelled")
                else:
                    handle._fail(code, reason)

    def _reap(self):
        process, self._process = self._process, None
        worker_arena = (self._ready or {}).get("arena")
        self.mappings.clear()
        if process is not None:
            if process.poll() is None:
                process.kill()
            process.wait()
            for stream in (process.stdin, process.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            if worker_arena and os.path.basename(worker_arena).startswith("neural-render-arena-"):
                shutil.rmtree(worker_arena, ignore_errors=True)  # a killed worker cannot clean up
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
