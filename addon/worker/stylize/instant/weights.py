"""The shipped weights of the instant-style networks: int8 values with per-channel scales, as Magenta
quantised them, dequantised to float32 when loaded (written by scripts/training/convert_magenta_style.py;
read with ``weights_only=True``)."""

import threading

from ....protocol import model_cards
from ...model_store import ModelFileError

FORMAT = "neural-render-instant-style"
FORMAT_VERSION = 1
MODEL_NAME = "magenta_arbitrary_style"

_loaded = {}
_lock = threading.Lock()


def _dequantised(entries):
    state = {}
    for name, entry in entries.items():
        state[name] = entry["value"] if "value" in entry else entry["q"].float() * entry["scale"]
    return state


def networks_from(payload):
    """(StylePredictor, StyleTransformer) in eval mode from a weights payload; ModelFileError if it does
    not fit."""
    from . import networks
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelFileError("not an instant-style weights file of this product")
    if payload.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"instant-style weights version {payload.get('format_version')}; this version "
                             f"reads {FORMAT_VERSION}")
    try:
        predictor_state = _dequantised(payload["predictor"])
        transformer_state = _dequantised(payload["transformer"])
        predictor = networks.StylePredictor()
        predictor.load_state_dict(predictor_state)
        transformer = networks.StyleTransformer(networks.transformer_widths(transformer_state))
        transformer.load_state_dict(transformer_state)
    except (KeyError, RuntimeError, TypeError, AttributeError) as error:
        raise ModelFileError(f"the instant-style weights do not fit the networks ({error})") from error
    for module in (predictor, transformer):
        module.eval()
        for parameter in module.parameters():
            parameter.requires_grad_(False)
    return predictor, transformer


def load(device, path=None):
    """The bundled (or given) networks on ``device``, loaded once per process."""
    import os
    import torch
    path = path or model_cards.BUNDLED_MODELS[MODEL_NAME]
    key = (path, str(device))
    with _lock:
        if key not in _loaded:
            if not os.path.isfile(path):
                raise ModelFileError(f"the instant-style weights are missing ({path}): reinstall the extension")
            try:
                payload = torch.load(path, map_location="cpu", weights_only=True)
            except Exception as error:  # noqa: BLE001 - any unreadable file gets the same clear message
                raise ModelFileError(f"{os.path.basename(path)} is not an instant-style weights file of this "
                                     f"product ({type(error).__name__})") from error
            predictor, transformer = networks_from(payload)
            _loaded[key] = (predictor.to(device), transformer.to(device))
        return _loaded[key]
