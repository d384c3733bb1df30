"""Make the add-on's packages importable as ``neural_render.*`` from a checkout (tools, tests).

    import addon_path
    addon_path.install()
    from neural_render.worker.imageio import files

The add-on's top-level ``__init__`` registers Blender classes, so a plain Python process cannot import
the package normally. The worker's own loader, ``addon/worker/bootstrap.py``, registers an empty
``neural_render`` package whose search path is the add-on folder; this module loads that file by its
path (no package exists yet to import it from) and calls it. Every tool, benchmark and the test suite
go through here, so there is one way to do it.

``scripts/`` itself must be importable first: pytest's ``pythonpath = scripts`` (pytest.ini) does it for
the tests, ``scripts/neural-render`` for the CLI, and each script run as a file inserts its
``scripts/`` folder in two lines at its top.
"""

import importlib.util
import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDON_DIR = os.path.join(REPO_ROOT, "addon")
BOOTSTRAP = os.path.join(ADDON_DIR, "worker", "bootstrap.py")
PACKAGE_NAME = "neural_render"


def install():
    """Register the ``neural_render`` package (the add-on folder) without its Blender ``__init__``;
    return the package. Calling it again returns the package already registered."""
    existing = sys.modules.get(PACKAGE_NAME)
    if existing is not None:
        return existing
    spec = importlib.util.spec_from_file_location("_neural_render_bootstrap", BOOTSTRAP)
    bootstrap = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bootstrap)
    return bootstrap.install(ADDON_DIR)
