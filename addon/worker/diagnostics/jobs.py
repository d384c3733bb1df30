"""Diagnostic job kinds. ``identity`` is also what ``neural-render check`` runs end to end."""

import os
import time

import torch

from ..jobs import JobInputError, job


@job("identity")
def identity(context, params, inputs):
    """Return every input unchanged: measures the transport, nothing else."""
    context.progress(1.0, "identity")
    return dict(inputs)


@job("torch_identity")
def torch_identity(context, params, inputs):
    """Push every input through the job's torch device and back: proves torch works on that device."""
    outputs = {}
    for name, array in inputs.items():
        tensor = torch.from_numpy(array.copy()).to(context.device)
        outputs[name] = tensor.cpu().numpy()
    context.progress(1.0, f"round trip through {context.device}")
    return outputs


@job("sleep")
def sleep(context, params, inputs):
    """Work for ``seconds``, reporting progress (and so honouring cancel) every 50 ms."""
    seconds = float(params.get("seconds", 1.0))
    if not 0 <= seconds <= 3600:
        raise JobInputError("seconds must be between 0 and 3600")
    start = time.monotonic()
    while (elapsed := time.monotonic() - start) < seconds:
        context.progress(elapsed / seconds if seconds else 1.0, "sleeping")
        time.sleep(min(0.05, seconds - elapsed))
    return dict(inputs)


@job("hang")
def hang(context, params, inputs):
    """Stop responding without reporting anything: the client's silence timeout must catch it."""
    time.sleep(float(params.get("seconds", 3600)))
    return {}


@job("crash")
def crash(context, params, inputs):
    """Die the way a segfaulting extension module would: no reply, no cleanup."""
    os._exit(int(params.get("exit_code", 3)))


@job("garbage")
def garbage(context, params, inputs):
    """Write bytes that are not a frame onto the reply stream."""
    context.send_raw(b"this is not a frame\n" * 4)
    time.sleep(5)
    return {}


@job("simulated_out_of_memory")
def simulated_out_of_memory(context, params, inputs):
    """Raise the error torch raises when a device is full, to test how it is reported."""
    raise torch.OutOfMemoryError("simulated: tried to allocate 64.00 GiB")


@job("fail")
def fail(context, params, inputs):
    """A job with a bug: the worker must report it and stay alive."""
    raise RuntimeError(params.get("message", "deliberate failure"))
