"""Each job kind's parameters, declared once (see ``params.py``); one module per capability.

``SPECS`` maps every job kind the product runs to its spec. A capability adds its module to
``CAPABILITY_MODULES``; the worker, the CLI and the Blender side read the specs from here.
"""

import importlib

from .params import JobSpec, Param, ParamError  # noqa: F401  (the vocabulary, re-exported)

CAPABILITY_MODULES = ("system", "stylize", "relight", "colorize", "gan", "material", "stylegan", "relight_image")


def _collect():
    specs = {}
    for name in CAPABILITY_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        for spec in module.SPECS:
            if spec.kind in specs:
                raise RuntimeError(f"job kind {spec.kind!r} declared twice")
            specs[spec.kind] = spec
    return specs


SPECS = _collect()
