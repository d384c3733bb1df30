"""VGG19 with torchvision's ImageNet weights: the default backbone on users' machines.

The weights come from a file the user points to, from torchvision's own download cache, or, where
the user allows the network, through torchvision's download on first use. Whatever the source, the
file must carry torchvision's published SHA-256 prefix and is read with ``weights_only=True``.
"""

import os
import re
import threading

from .. import model_store
from .vgg_features import VggFeatures, frozen, torchvision_preprocess

WEIGHTS_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"
WEIGHTS_FILE = os.path.basename(WEIGHTS_URL)
SHA256_PREFIX = "dcbb9e9d"  # torchvision names its files after the first hex digits of their SHA-256

_networks = {}
_lock = threading.Lock()


def cached_weights_path():
    """Where torchvision keeps (or would keep) the downloaded file."""
    import torch
    return os.path.join(torch.hub.get_dir(), "checkpoints", WEIGHTS_FILE)


def weights_path(user_path=None, allow_network=False, progress=None):
    """The verified weights file: the user's, torchvision's cached one, or a fresh download."""
    if user_path:
        return model_store.verify(os.path.expanduser(user_path), SHA256_PREFIX)
    cached = cached_weights_path()
    if os.path.isfile(cached):
        return model_store.verify(cached, SHA256_PREFIX)
    return model_store.download(WEIGHTS_URL, cached, SHA256_PREFIX, allow_network=allow_network,
                                progress=progress)


def features_state(torchvision_state):
    """Map torchvision's ``features.<i>.weight`` keys, in order, onto our named conv stack."""
    convolutions = sorted({int(match.group(1)) for key in torchvision_state
                           if (match := re.fullmatch(r"features\.(\d+)\.weight", key))})
    reference = VggFeatures("vgg19")
    ours = [index for index, module in enumerate(reference.layers) if module.__class__.__name__ == "Conv2d"]
    if len(convolutions) != len(ours):
        raise model_store.ModelFileError(f"expected VGG19 weights with {len(ours)} convolutions, found "
                                         f"{len(convolutions)}")
    state = {}
    for theirs, mine in zip(convolutions, ours):
        state[f"layers.{mine}.weight"] = torchvision_state[f"features.{theirs}.weight"]
        state[f"layers.{mine}.bias"] = torchvision_state[f"features.{theirs}.bias"]
    return state


def load(device, pooling="max", user_path=None, allow_network=False, progress=None):
    key = (str(device), pooling, user_path)
    with _lock:
        if key not in _networks:
            path = weights_path(user_path, allow_network, progress)
            network = VggFeatures("vgg19", pooling, preprocess=torchvision_preprocess)
            network.load_state_dict(features_state(model_store.load_state_dict(path, SHA256_PREFIX)))
            _networks[key] = frozen(network, device)
        return _networks[key]
