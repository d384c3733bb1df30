"""A projected latent on disk: w+ and the layout it was fitted with, for ``stylegan-generate --latent``.

One ``torch.save`` dictionary of tensors and plain values, written atomically, loaded with
``weights_only=True`` (a file someone sends cannot run code). It names the model it belongs to by
its shape; a latent of another model is refused rather than fed to the wrong network.
"""

import os
import pickle
import zipfile

import torch

from ..gan.errors import GanInputError
from ..imageio.atomic import write_atomically

FORMAT = "neural-render-stylegan-latent"
FORMAT_VERSION = 1


def save(path, ws, size, model_path):
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "ws": ws.detach().cpu().contiguous(),
               "size": [int(size[0]), int(size[1])], "model": os.path.basename(model_path)}
    write_atomically(path, lambda temporary: torch.save(payload, temporary))


def load(path, config):
    """(ws (1, num_ws, w_dim), (width, height) it was fitted at); GanInputError for anything else."""
    if not os.path.isfile(path):
        raise GanInputError(f"no latent file at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError):
        raise GanInputError(f"{path} is not a latent of this product (stylegan-project writes them)") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise GanInputError(f"{path} is not a latent of this product (stylegan-project writes them)")
    ws = payload.get("ws")
    expected = (1, config.num_ws, config.w_dim)
    if not isinstance(ws, torch.Tensor) or tuple(ws.shape) != expected or not torch.isfinite(ws).all():
        raise GanInputError(f"{path} is a latent of another model (shape {tuple(getattr(ws, 'shape', ()))}, "
                            f"this model takes {expected})")
    return ws.float(), tuple(payload.get("size", (0, 0)))
