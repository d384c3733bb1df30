"""The worker's own jobs: the round trips ``neural-render check`` and the add-on's Check Worker run."""

from .params import JobSpec

IDENTITY = JobSpec("identity", "Every input returned unchanged: measures the transport, nothing else", (),
                   inputs="any images", outputs="the same images")
TORCH_IDENTITY = JobSpec("torch_identity", "Every input pushed through the job's torch device and back", (),
                         inputs="any images", outputs="the same images")

SPECS = (IDENTITY, TORCH_IDENTITY)
