"""Entry point of the worker process, started by file path: ``python .../worker/main.py [--device D]``.

Runs under any Python that has torch (a prepared venv, or the bpy-module interpreter itself). It makes
the add-on's pure packages importable without Blender, then hands over to the job server.
"""

import os
import runpy
import sys

if __name__ == "__main__":
    _here = os.path.dirname(os.path.abspath(__file__))
    runpy.run_path(os.path.join(_here, "bootstrap.py"))["install"](os.path.dirname(_here))
    from neural_render.worker.server import main

    sys.exit(main(sys.argv[1:]))
