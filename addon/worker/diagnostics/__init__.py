"""Jobs that exercise the worker machinery itself: an identity job for round-trip measurements and
the failure modes (crash, hang, garbage output, simulated out-of-memory) the client must survive."""

from . import jobs  # noqa: F401  (registers the jobs)
