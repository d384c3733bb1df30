"""``neural-render check``: is torch usable here, on which device, and does the worker process work?"""

import platform
import sys

import numpy as np


def add_parser(subparsers):
    parser = subparsers.add_parser("check", help="report Python, torch and device; test the worker",
                                   description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    parser.add_argument("--python", help="interpreter for the worker process (default: this one)")
    return parser


def run(args):
    from neural_render.blender.worker_client import WorkerClient, WorkerConfig

    from .engine import run_job

    probe = np.linspace(-1, 4, 16 * 16 * 4, dtype=np.float32).reshape(16, 16, 4)
    in_process = run_job("torch_identity", {}, {"image": probe}, device=args.device, quiet=True)["image"]
    import torch
    print(f"python       {platform.python_version()} ({sys.executable})")
    print(f"torch        {torch.__version__}")
    print(f"in-process   {'ok' if np.array_equal(in_process, probe) else 'CORRUPTED'}")

    client = WorkerClient(WorkerConfig(python=args.python or sys.executable, device=args.device))
    try:
        info = client.info()
        through_worker = client.run("torch_identity", {}, {"image": probe}, timeout=120)["image"]
    finally:
        client.shutdown()
    print(f"worker       pid {info['pid']}, Python {info['python']}, torch {info['torch']}")
    print(f"device       {info['device']}" + (f" ({info['device_note']})" if info["device_note"] else ""))
    print(f"available    {', '.join(info['devices'])}")
    worker_ok = np.array_equal(through_worker, probe)
    print(f"round trip   {'ok' if worker_ok else 'CORRUPTED'}")
    return 0 if worker_ok and np.array_equal(in_process, probe) else 1
