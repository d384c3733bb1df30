"""Reading relighting model files (written by scripts/training/train_relight_image.py; the bundled
model is one), through ``tagged_model_file``: never code, only tensors and plain values.
"""

from ...protocol.specs.relight_image import GRID_COLUMNS, GRID_ROWS
from ..tagged_model_file import MISFIT_ERRORS, float32_state, misfit, read_tagged
from .network import RelightUNet

FORMAT = "neural-render-relight-image"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    pass


def load_checkpoint(path):
    payload = read_tagged(path, FORMAT, FORMAT_VERSION, "relighting model", CheckpointError)
    settings = payload.get("settings")
    grid = tuple(settings.get("grid") or ()) if isinstance(settings, dict) else None
    if grid != (GRID_COLUMNS, GRID_ROWS):
        raise CheckpointError(f"{path} was trained on a {grid} light grid; this version reads "
                              f"{GRID_COLUMNS} x {GRID_ROWS}")
    return payload


def network_from_checkpoint(payload):
    """The network for inference: eval mode, float32 (shipped files store float16)."""
    try:
        model = RelightUNet(tuple(payload["settings"]["widths"]))
        model.load_state_dict(float32_state(payload["network"]))
    except MISFIT_ERRORS as error:
        raise CheckpointError(misfit(error)) from None
    return model.eval()
