"""Make ``neural_render.*`` importable in a process that is not Blender.

The extension's top-level ``__init__`` registers Blender classes and imports bpy, so a plain Python
process (the worker, the command-line tools, unit tests) cannot import the package normally. Instead
it registers an empty package object named ``neural_render`` whose search path is the add-on folder:
sub-packages (``protocol``, ``worker``) then import normally, relative imports included, and the
Blender-side ``__init__`` never runs.

This file is executed by path (``runpy``/``exec``) before any package exists, so it imports nothing
from the add-on.
"""

import os
import sys
import types

PACKAGE_NAME = "neural_render"


def install(addon_dir=None):
    addon_dir = os.path.abspath(addon_dir or os.path.dirname(os.path.dirname(__file__)))
    existing = sys.modules.get(PACKAGE_NAME)
    if existing is not None:
        return existing
    package = types.ModuleType(PACKAGE_NAME)
    package.__path__ = [addon_dir]
    package.__package__ = PACKAGE_NAME
    package.__file__ = None
    sys.modules[PACKAGE_NAME] = package
    return package
