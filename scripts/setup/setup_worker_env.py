#!/usr/bin/env python3
"""Create a Python environment for the Neural Render worker from a shell.

The same steps and pins as the add-on's *Set Up Worker Environment* button:

    python scripts/setup/setup_worker_env.py --target DIR [--flavour cpu|cuda] [--python PATH]

then point the add-on's *Worker Python* preference at ``DIR/bin/python`` (``DIR\\Scripts\\python.exe``
on Windows). Prints one line per progress change; exits 0, 1 with a one-line error, 130 on Ctrl-C.
"""

import argparse
import os
import sys

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402


def _import_worker_env():
    """The add-on's bpy-free module, imported without the extension's Blender-side __init__."""
    addon_path.install()
    from neural_render.blender import worker_env
    return worker_env


def main(argv=None):
    worker_env = _import_worker_env()
    parser = argparse.ArgumentParser(description="Create the Neural Render worker's Python environment.")
    parser.add_argument("--target", required=True, help="folder for the new virtual environment")
    parser.add_argument("--flavour", choices=worker_env.FLAVOURS, default="cpu",
                        help="torch build: cpu (any machine) or cuda (NVIDIA GPUs)")
    parser.add_argument("--python", help="the Python that creates the venv (default: this one)")
    parser.add_argument("--package", action="append", dest="packages", metavar="REQUIREMENT",
                        help="install this instead of the pinned worker packages (repeatable; "
                             "for testing and troubleshooting)")
    args = parser.parse_args(argv)

    try:
        setup = worker_env.WorkerEnvSetup(args.target, args.flavour, python=args.python,
                                          packages=args.packages)
    except worker_env.SetupError as error:
        print(f"setup_worker_env: {error}", file=sys.stderr)
        return 1
    print(f"log: {setup.log_path}", flush=True)
    setup.start()
    shown = None
    try:
        while not setup.wait(0.2):
            shown = _show(setup.progress, shown)
    except KeyboardInterrupt:
        setup.cancel()
        setup.wait()
        print(f"setup_worker_env: {setup.error}", file=sys.stderr)
        return 130
    _show(setup.progress, shown)
    if setup.error:
        print(f"setup_worker_env: {setup.error}", file=sys.stderr)
        return 1
    print(f"worker python: {setup.python}", flush=True)
    return 0


def _show(progress, shown):
    if progress != shown:
        fraction, message = progress
        print(f"[{fraction * 100:3.0f}%] {message}", flush=True)
    return progress


if __name__ == "__main__":
    sys.exit(main())
