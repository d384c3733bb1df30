"""Device choice: CUDA > MPS > CPU unless the user's preference names one."""

import torch

from ..protocol.specs.common import DEVICES as CHOICES


def available_devices():
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.insert(0, "cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.insert(0, "mps")
    return devices


def choose_device(preference="auto"):
    """Return (torch.device, note). A preferred device that is missing falls back with a note."""
    preference = (preference or "auto").lower()
    kind, _, index = preference.partition(":")
    if kind == "cuda" and index.isdigit():  # one GPU of several (a farm node's assignment)
        if "cuda" not in available_devices():
            return torch.device("cpu"), f"{preference.upper()} is not available; using the CPU"
        if int(index) >= torch.cuda.device_count():
            raise ValueError(f"no GPU {preference}: this machine has {torch.cuda.device_count()} CUDA device(s), "
                             f"cuda:0 to cuda:{torch.cuda.device_count() - 1}")
        return torch.device(preference), ""
    if preference not in CHOICES:
        raise ValueError(f"unknown device {preference!r}; choose one of {', '.join(CHOICES)}")
    available = available_devices()
    if preference == "auto":
        for name in ("cuda", "mps", "cpu"):
            if name in available:
                return torch.device(name), ""
    if preference in available:
        return torch.device(preference), ""
    return torch.device("cpu"), f"{preference.upper()} is not available; using the CPU"


def is_out_of_memory(error):
    if isinstance(error, (MemoryError, getattr(torch, "OutOfMemoryError", ()))):
        return True
    return isinstance(error, RuntimeError) and "out of memory" in str(error).lower()


def free_device_memory(device):
    if device.type == "cuda":
        torch.cuda.empty_cache()
    elif device.type == "mps" and hasattr(torch, "mps"):
        torch.mps.empty_cache()
