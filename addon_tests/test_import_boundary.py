"""The process boundary, checked on the source with ``ast``:

- Blender-side code (everything outside ``addon/worker/``) never imports torch: Blender's Python has
  no torch, and the add-on must load in milliseconds. It doesn't import the worker's modules either,
  since those may import torch.
- Worker code (``addon/worker/``) never imports Blender's modules (bpy, bmesh, mathutils, bl_*, …):
  it runs in a plain Python, and it doesn't reach into ``blender/`` or the package root (which
  imports the Blender side).
- The protocol (``addon/protocol/``) is shared by both processes: at module level it imports only the
  standard library, numpy and itself. A few optional packages may be imported inside the function
  that needs them (listed in ``PROTOCOL_DEFERRED_OPTIONAL``).

Every import statement counts, wherever it is (also inside functions and ``try``), and so do
``importlib.import_module("…")`` / ``__import__("…")`` calls with a literal name.
"""

import ast
import os
import sys

import pytest

ADDON_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "addon")
PACKAGE_NAME = "neural_render"      # the add-on's name in tools and the worker (see worker/bootstrap.py)
SUBPACKAGES = ("blender", "protocol", "worker")

TORCH_MODULES = {"torch", "torchvision", "torchaudio", "functorch", "torchtext"}
BLENDER_MODULES = {"bpy", "bmesh", "mathutils", "gpu", "gpu_extras", "bgl", "blf", "aud", "imbuf",
                   "idprop", "freestyle", "bpy_extras", "bpy_types", "addon_utils", "rna_prop_ui",
                   "nodeitems_utils", "keyingsets_utils", "bl_math"}
PROTOCOL_DEFERRED_OPTIONAL = {
    "OpenEXR": "the EXR transport, used only when the shared-memory transport is not",
}


def is_blender_module(name):
    return name in BLENDER_MODULES or name.startswith(("bl_", "_bpy"))


def is_torch_module(name):
    return name in TORCH_MODULES


def region_of(relative_path):
    """'worker', 'protocol', 'blender' or 'root' (the package's own __init__ and loose modules)."""
    first = relative_path.replace(os.sep, "/").split("/")[0]
    return first if first in SUBPACKAGES else "root"


class Import:
    """One import found in a file: what it names, where, and whether it runs at module import."""

    def __init__(self, line, top_name, internal_region, deferred):
        self.line = line
        self.top_name = top_name                # first component of an external module, else None
        self.internal_region = internal_region  # the add-on region it reaches, else None
        self.deferred = deferred                # inside a function body


def _package_parts(relative_path):
    """The package a module lives in, as path components below the add-on root."""
    parts = relative_path.replace(os.sep, "/")[:-len(".py")].split("/")
    return parts[:-1]  # for __init__.py too: its package is its folder


def _resolve_relative(relative_path, level, module):
    """The add-on region a ``from <dots><module> import …`` reaches, or None for the root itself."""
    package = _package_parts(relative_path)
    if level - 1 > len(package):
        return "outside the add-on"
    base = package[:len(package) - (level - 1)]
    target = base + (module.split(".") if module else [])
    # Anything else at the top (``from .. import name``) comes from the root __init__.
    return target[0] if target and target[0] in SUBPACKAGES else "root"


def _function_ranges(tree):
    ranges = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            ranges.append((node.lineno, node.end_lineno))
    return ranges


def find_imports(source, relative_path):
    tree = ast.parse(source, filename=relative_path)
    functions = _function_ranges(tree)

    def deferred(node):
        return any(start < node.lineno <= end for start, end in functions)

    def absolute(node, name):
        parts = name.split(".")
        if parts[0] == PACKAGE_NAME:  # the add-on under its tool/worker name: an internal import
            region = parts[1] if len(parts) > 1 and parts[1] in SUBPACKAGES else "root"
            return Import(node.lineno, None, region, deferred(node))
        return Import(node.lineno, parts[0], None, deferred(node))

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [absolute(node, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.append(absolute(node, node.module))
            elif node.module is None:
                # ``from .. import blender``: each imported name may be a subpackage.
                for alias in node.names:
                    found.append(Import(node.lineno, None,
                                        _resolve_relative(relative_path, node.level, alias.name),
                                        deferred(node)))
            else:
                found.append(Import(node.lineno, None,
                                    _resolve_relative(relative_path, node.level, node.module),
                                    deferred(node)))
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.append(absolute(node, node.args[0].value))
    return found


def _is_dynamic_import(func):
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def violations_in(relative_path, source):
    region = region_of(relative_path)
    problems = []
    for item in find_imports(source, relative_path):
        where = f"addon/{relative_path.replace(os.sep, '/')}:{item.line}"
        name = item.top_name
        if region == "worker":
            if name and is_blender_module(name):
                problems.append(f"{where} imports {name}: the worker runs outside Blender, without bpy")
            if item.internal_region in ("blender", "root", "outside the add-on"):
                problems.append(f"{where} imports from the add-on's {item.internal_region}: the worker "
                                f"may use only worker/ and protocol/ (the Blender side imports bpy)")
        else:
            if name and is_torch_module(name):
                problems.append(f"{where} imports {name}: only addon/worker/ may import torch "
                                f"(this code runs inside Blender)")
            if item.internal_region == "worker":
                problems.append(f"{where} imports from worker/: Blender-side code must not load worker "
                                f"modules (they may import torch); talk to the worker process instead")
        if region == "protocol":
            if name and is_blender_module(name):
                problems.append(f"{where} imports {name}: the protocol is shared with the worker, no bpy")
            if item.internal_region not in (None, "protocol"):
                problems.append(f"{where} imports from the add-on's {item.internal_region}: the protocol "
                                f"may import only itself")
            if name and not (is_blender_module(name) or is_torch_module(name)):
                allowed = name == "numpy" or name in sys.stdlib_module_names or (
                    item.deferred and name in PROTOCOL_DEFERRED_OPTIONAL)
                if not allowed:
                    problems.append(f"{where} imports {name}: the protocol may import only the standard "
                                    f"library and numpy (optional packages only inside a function)")
    return problems


def python_files(addon_dir):
    for root, dirs, files in os.walk(addon_dir):
        dirs[:] = [d for d in dirs if d != "__pycache__" and not d.startswith(".")]
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(root, name)
                yield os.path.relpath(path, addon_dir), path


def scan(addon_dir):
    problems, counts = [], {}
    for relative_path, path in python_files(addon_dir):
        with open(path, encoding="utf-8") as file:
            problems += violations_in(relative_path, file.read())
        counts[region_of(relative_path)] = counts.get(region_of(relative_path), 0) + 1
    return problems, counts


def test_the_addon_keeps_torch_and_bpy_on_their_own_sides():
    problems, counts = scan(ADDON_DIR)
    for region in ("root", "blender", "protocol", "worker"):
        assert counts.get(region), f"no Python files found for {region} under {ADDON_DIR}: wrong folder?"
    assert not problems, "import boundary violations:\n  " + "\n  ".join(problems)


# The checker itself must be able to fail: each rule, on a tiny made-up add-on.
@pytest.mark.parametrize("path, source, expected", [
    ("blender/ops.py", "import torch\n", "imports torch"),
    ("blender/ops.py", "def f():\n    from torchvision import models\n", "imports torchvision"),
    ("__init__.py", "try:\n    import torch.nn\nexcept ImportError:\n    pass\n", "imports torch"),
    ("blender/ops.py", "import importlib\nimportlib.import_module('torch')\n", "imports torch"),
    ("blender/ops.py", "from ..worker import device\n", "imports from worker/"),
    ("blender/ops.py", "from neural_render.worker.device import pick\n", "imports from worker/"),
    ("worker/jobs.py", "import bpy\n", "imports bpy"),
    ("worker/gan/model.py", "from mathutils import Vector\n", "imports mathutils"),
    ("worker/jobs.py", "import bl_math\n", "imports bl_math"),
    ("worker/jobs.py", "def f():\n    import bmesh\n", "imports bmesh"),
    ("worker/jobs.py", "from ..blender import worker_client\n", "imports from the add-on's blender"),
    ("worker/jobs.py", "from .. import blender\n", "imports from the add-on's blender"),
    ("worker/jobs.py", "from .. import registration\n", "imports from the add-on's root"),
    ("protocol/framing.py", "import torch\n", "imports torch"),
    ("protocol/framing.py", "import bpy\n", "imports bpy"),
    ("protocol/framing.py", "import OpenEXR\n", "only the standard library and numpy"),
    ("protocol/framing.py", "def f():\n    import PIL\n", "only the standard library and numpy"),
    ("protocol/framing.py", "from ..blender import datablocks\n", "may import only itself"),
])
def test_the_checker_reports_each_kind_of_violation(path, source, expected):
    problems = violations_in(path, source)
    assert any(expected in problem for problem in problems), f"{path}: {source!r} gave {problems}"


@pytest.mark.parametrize("path, source", [
    ("worker/server.py", "import numpy\nimport torch\nfrom ..protocol import framing\nfrom . import jobs\n"),
    ("worker/main.py", "def main():\n    from neural_render.worker.server import main\n"),
    ("blender/ops.py", "import bpy\nimport numpy as np\nfrom ..protocol import images\nfrom . import x\n"),
    ("protocol/images.py", "import json, tempfile\nimport numpy as np\nfrom . import arena\n"),
    ("protocol/exr_transport.py", "def write():\n    import OpenEXR\n"),
])
def test_the_checker_accepts_what_each_side_may_import(path, source):
    assert violations_in(path, source) == []
