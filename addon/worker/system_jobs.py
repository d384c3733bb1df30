"""The worker's own jobs: round trips that prove the transport and torch work (``neural-render check``,
the add-on's Check Worker and Round Trip operators)."""

import torch

from ..protocol.specs import system
from .jobs import job


@job(system.IDENTITY)
def identity(context, params, inputs):
    """Return every input unchanged: measures the transport, nothing else."""
    context.progress(1.0, "identity")
    return dict(inputs)


@job(system.TORCH_IDENTITY)
def torch_identity(context, params, inputs):
    """Push every input through the job's torch device and back: proves torch works on that device."""
    outputs = {}
    for name, array in inputs.items():
        tensor = torch.from_numpy(array.copy()).to(context.device)
        outputs[name] = tensor.cpu().numpy()
    context.progress(1.0, f"round trip through {context.device}")
    return outputs
