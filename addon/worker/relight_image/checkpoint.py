"""Reading relighting model files (written by scripts/training/train_relight_image.py; the bundled
model is one): a ``torch.save`` dictionary of tensors and plain values tagged with its format, loaded
with ``weights_only=True`` so a model file can never run code.
"""

import torch

from ...protocol.specs.relight_image import GRID_COLUMNS, GRID_ROWS
from .network import RelightUNet

FORMAT = "neural-render-relight-image"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    pass


def load_checkpoint(path):
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"no relighting model at {path}") from None
    except Exception as error:  # truncated, a pickle with code in it, not a torch file ...
        raise CheckpointError(f"{path} is damaged or not a relighting model ({type(error).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a Neural Render relighting model")
    version = payload.get("format_version")
    if not isinstance(version, int):
        raise CheckpointError(f"{path} is damaged (its format version is not a number)")
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{path} was written by a newer version (format {version})")
    grid = tuple(payload.get("settings", {}).get("grid", ()))
    if grid != (GRID_COLUMNS, GRID_ROWS):
        raise CheckpointError(f"{path} was trained on a {grid} light grid; this version reads "
                              f"{GRID_COLUMNS} x {GRID_ROWS}")
    return payload


def network_from_checkpoint(payload):
    """The network for inference: eval mode, float32 (shipped files store float16)."""
    try:
        model = RelightUNet(tuple(payload["settings"]["widths"]))
        state = {key: value.float() if value.is_floating_point() else value
                 for key, value in payload["network"].items()}
        model.load_state_dict(state)
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as error:
        first = str(error).strip().splitlines()[-1].strip()[:160]
        raise CheckpointError(f"the model's weights do not fit this version's network ({first})") from None
    return model.eval()
