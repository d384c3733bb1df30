"""Reading the colorizer checkpoints the training scripts write (scripts/training/train_colorizer.py
and train_hint_colorizer.py; the bundled models are such files): a ``torch.save`` dictionary of
tensors and plain values tagged with its format, loaded with ``weights_only=True`` so a model file can
never run code. Writing and training live with the training code, outside the add-on.
"""

from ..tagged_model_file import MISFIT_ERRORS, float32_state, misfit, read_tagged
from .hint_model import HintColorizer
from .model import Eccv16Colorizer

FORMAT = "neural-render-colorizer"              # the automatic (ECCV16-style) classifier
HINT_FORMAT = "neural-render-hint-colorizer"    # the hint-conditioned network
FORMAT_VERSION = 1
_KIND = {FORMAT: "colorizer", HINT_FORMAT: "hint colorizer"}


class CheckpointError(ValueError):
    pass


def load_checkpoint(path, expected_format=FORMAT):
    return read_tagged(path, expected_format, FORMAT_VERSION, f"{_KIND[expected_format]} checkpoint", CheckpointError)


def model_from_checkpoint(payload):
    settings = payload["settings"]
    return _loaded(lambda: Eccv16Colorizer(payload["centres"].numpy(), width=settings["width"],
                                           channels=settings.get("channels")), payload)


def hint_model_from_checkpoint(payload):
    return _loaded(lambda: HintColorizer(payload["settings"]["base"]), payload)


def _loaded(build, payload):
    """The model with the checkpoint's weights, or CheckpointError when they do not fit (a file from
    an older layout: say so instead of a size-mismatch traceback)."""
    try:
        model = build()
        model.load_state_dict(float32_state(payload["model"]))
    except MISFIT_ERRORS as error:
        raise CheckpointError(misfit(error, "checkpoint's")) from None
    return model.eval()
