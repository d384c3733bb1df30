"""Reading material-map model files (written by scripts/training/train_material_maps.py; the bundled
model is one): a ``torch.save`` dictionary of tensors and plain values tagged with its format, loaded
with ``weights_only=True`` so a model file can never run code.
"""

import torch

from .network import MaterialUNet, fold_batchnorm

FORMAT = "neural-render-material-maps"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    pass


def load_checkpoint(path):
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"no material-maps model at {path}") from None
    except Exception as error:  # truncated, a pickle with code in it, not a torch file ...
        raise CheckpointError(f"{path} is damaged or not a material-maps model ({type(error).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a Neural Render material-maps model")
    version = payload.get("format_version", 0)
    if not isinstance(version, int):
        raise CheckpointError(f"{path} is damaged (its format version is not a number)")
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{path} was written by a newer version (format {payload['format_version']})")
    return payload


def generator_from_checkpoint(payload):
    """The generator for inference: eval mode, float32 (shipped files store float16), BatchNorm folded
    into the convolutions."""
    try:
        settings = payload["settings"]
        model = MaterialUNet(tuple(settings["channels"]), settings.get("prior_strength", 0.0))
        state = {key: value.float() if value.is_floating_point() else value
                 for key, value in payload["generator"].items()}
        model.load_state_dict(state)
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as error:
        first = str(error).strip().splitlines()[-1].strip()[:160]
        raise CheckpointError(f"the model's weights do not fit this version's network ({first})") from None
    return fold_batchnorm(model.eval())
