"""Diagnostics jobs for the tests: the failure modes (crash, hang, garbage output, out of memory, a
job's bug) the client must survive, and a job that works for a while. Not part of the product: a
worker registers them only when started with ``--test-jobs`` and this file's path, as the tests' own
worker fixture does; a worker started the way the add-on starts it refuses them."""

import gc
import os
import time

import torch

from neural_render.protocol.specs.params import FLOAT, INT, TEXT, JobSpec, Param
from neural_render.worker.jobs import job

SLEEP = JobSpec("sleep", "Work for a while, reporting progress every 50 ms",
                (Param("seconds", FLOAT, "How long", default=1.0, low=0.0, high=3600.0),))
HANG = JobSpec("hang", "Stop responding without reporting anything",
               (Param("seconds", FLOAT, "How long", default=3600.0, low=0.0, high=86400.0),))
CRASH = JobSpec("crash", "Die the way a segfaulting extension module would: no reply, no cleanup",
                (Param("exit_code", INT, "The exit code", default=3, low=0, high=255),))
GARBAGE = JobSpec("garbage", "Write bytes that are not a frame onto the reply stream", ())
OUT_OF_MEMORY = JobSpec("simulated_out_of_memory", "Raise the error torch raises when a device is full", ())
FAIL = JobSpec("fail", "A job with a bug", (Param("message", TEXT, "The error", default="deliberate failure"),))


@job(SLEEP)
def sleep(context, params, inputs):
    seconds = params["seconds"]
    start = time.monotonic()
    while (elapsed := time.monotonic() - start) < seconds:
        context.progress(elapsed / seconds if seconds else 1.0, "sleeping")
        time.sleep(min(0.05, seconds - elapsed))
    return dict(inputs)


@job(HANG)
def hang(context, params, inputs):
    time.sleep(params["seconds"])
    return {}


@job(CRASH)
def crash(context, params, inputs):
    os._exit(params["exit_code"])


@job(GARBAGE)
def garbage(context, params, inputs):
    # The product gives jobs no access to the reply stream; the test finds the server's writer itself.
    writer = next(obj for obj in gc.get_objects() if type(obj).__name__ == "ReplyWriter")
    with writer._lock:
        writer._stream.write(b"this is not a frame\n" * 4)
        writer._stream.flush()
    time.sleep(5)
    return {}


@job(OUT_OF_MEMORY)
def simulated_out_of_memory(context, params, inputs):
    raise torch.OutOfMemoryError("simulated: tried to allocate 64.00 GiB")


@job(FAIL)
def fail(context, params, inputs):
    raise RuntimeError(params["message"])
