"""Reading the colorizer checkpoints the training scripts write (scripts/training/train_colorizer.py
and train_hint_colorizer.py; the bundled models are such files): a ``torch.save`` dictionary of
tensors and plain values tagged with its format, loaded with ``weights_only=True`` so a model file can
never run code. Writing and training live with the training code, outside the add-on.
"""

import torch

from .hint_model import HintColorizer
from .model import Eccv16Colorizer

FORMAT = "neural-render-colorizer"              # the automatic (ECCV16-style) classifier
HINT_FORMAT = "neural-render-hint-colorizer"    # the hint-conditioned network
FORMAT_VERSION = 1
_KIND = {FORMAT: "colorizer", HINT_FORMAT: "hint colorizer"}


class CheckpointError(ValueError):
    pass


def load_checkpoint(path, expected_format=FORMAT):
    kind = _KIND[expected_format]
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"no {kind} checkpoint at {path}") from None
    except Exception as error:  # a truncated zip, a pickle with code in it, a random file ...
        raise CheckpointError(f"{path} is damaged or not a {kind} checkpoint ({type(error).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != expected_format:
        raise CheckpointError(f"{path} is not a Neural Render {kind} checkpoint")
    if payload.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(f"{path} was written by a newer version (format {payload['format_version']})")
    return payload


def model_from_checkpoint(payload):
    return _loaded(lambda: Eccv16Colorizer(payload["centres"].numpy(), width=payload["settings"]["width"]), payload)


def hint_model_from_checkpoint(payload):
    return _loaded(lambda: HintColorizer(payload["settings"]["base"]), payload)


def _loaded(build, payload):
    """The model with the checkpoint's weights, or CheckpointError when they do not fit (a file from
    an older layout: say so instead of a size-mismatch traceback)."""
    try:
        model = build()
        model.load_state_dict(_float32(payload["model"]))
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        first = str(error).strip().splitlines()[-1].strip()[:160]
        raise CheckpointError(f"the checkpoint's weights do not fit this version's network ({first})") from None
    return model.eval()


def _float32(state):
    """Shipped models may store their weights as float16 (half the size); compute is float32."""
    return {key: value.float() if value.is_floating_point() else value for key, value in state.items()}
