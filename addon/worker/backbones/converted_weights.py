"""Weights converted once from another framework's file into a torch state dict in the models folder.

The conversion runs on first use; later loads read the cached ``.pt`` with ``weights_only=True``. A
cache file that torch cannot read, or that does not fit the network, is rebuilt from the source, never
trusted.
"""

import os

from .. import model_store


def converted_path(file_name, convert, create=True):
    """The cached state dict ``file_name``; ``convert()`` builds it when it is missing."""
    import torch
    path = os.path.join(model_store.models_dir(), file_name)
    if create and not os.path.isfile(path):
        state = convert()
        model_store.write_atomically(path, lambda temporary: torch.save(state, temporary))
    return path


def load_into(network, file_name, convert):
    """``network`` with the cached (or freshly converted) weights loaded."""
    import torch
    path = converted_path(file_name, convert)
    try:
        network.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    except Exception:  # damaged or stale: rebuild from the source
        os.remove(path)
        network.load_state_dict(torch.load(converted_path(file_name, convert), map_location="cpu",
                                           weights_only=True))
    return network
