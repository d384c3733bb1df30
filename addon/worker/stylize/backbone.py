"""Which network measures content and style (the names and their sources: backbones/registry.py).

``vgg16`` (ImageNet VGG16, offline) is the default; where its weights are missing (an environment set
up by an older version) the HED VGG16 stands in, with a note. A backbone the user picks by hand
(``vgg16_hed``, ``vgg19``) must be there, or the job fails saying why.

Average pooling, as Gatys et al. recommend for synthesis (smoother gradients than max pooling).
"""

from ...protocol.specs.stylize import IMAGE
from ..backbones import registry
from ..model_store import ModelFileError

BACKBONES = IMAGE["backbone"].values
POOLING = "avg"


def load(device, name=registry.DEFAULT, weights_path=None, allow_download=False):
    """(network, backbone name, note)."""
    if name not in BACKBONES:
        raise ValueError(f"backbone must be one of {', '.join(BACKBONES)}, got {name!r}")
    if name == registry.DEFAULT:
        return registry.load_default(device, POOLING)
    try:
        return registry.load(name, device, POOLING, weights_path, allow_download), name, ""
    except (ModelFileError, OSError) as error:
        raise ModelFileError(f"the {name} weights are not available: {error}") from error
