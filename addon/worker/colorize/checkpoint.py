"""Reading the colorizer checkpoints that scripts/training/train_colorizer.py writes (the bundled small
model is one): a ``torch.save`` dictionary of tensors and plain values tagged with ``FORMAT``, loaded
with ``weights_only=True`` so a model file can never run code. Writing and training live with the
training code, outside the add-on (scripts/training/colorize_training.py).
"""

import torch

from .model import Eccv16Colorizer

FORMAT = "neural-render-colorizer"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    pass


def load_checkpoint(path):
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"no colorizer checkpoint at {path}") from None
    except Exception as error:  # a truncated zip, a pickle with code in it, a random file ...
        raise CheckpointError(f"{path} is damaged or not a colorizer checkpoint ({type(error).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a Neural Render colorizer checkpoint")
    if payload.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(f"{path} was written by a newer version (format {payload['format_version']})")
    return payload


def model_from_checkpoint(payload):
    model = Eccv16Colorizer(payload["centres"].numpy(), width=payload["settings"]["width"])
    model.load_state_dict(payload["model"])
    return model.eval()
