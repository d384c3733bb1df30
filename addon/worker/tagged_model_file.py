"""Reading the model files the training scripts write (the bundled models are such files): a
``torch.save`` dictionary of tensors and plain values tagged with a format name and version, loaded
with ``weights_only=True`` so a model file can never run code. Each capability's ``checkpoint.py``
says which format it reads and builds its network; the refusals, worded alike for all, are here.
"""

import torch


def read_tagged(path, expected_format, newest_version, what, error_class):
    """The payload dict of ``path``, or ``error_class`` saying why not (``what``: "relighting model"...)."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise error_class(f"no {what} at {path}") from None
    except Exception as error:  # a truncated zip, a pickle with code in it, a random file ...
        raise error_class(f"{path} is damaged or not a {what} ({type(error).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != expected_format:
        raise error_class(f"{path} is not a Neural Render {what}")
    version = payload.get("format_version", 0)
    if not isinstance(version, int):
        raise error_class(f"{path} is damaged (its format version is not a number)")
    if version > newest_version:
        raise error_class(f"{path} was written by a newer version (format {version})")
    return payload


def float32_state(state):
    """Shipped models may store their weights as float16 (half the size); compute is float32."""
    return {key: value.float() if value.is_floating_point() else value for key, value in state.items()}


def misfit(error, noun="model's"):
    """The message for weights that do not fit the network (a file from another layout): the last line
    of torch's size-mismatch report instead of a traceback."""
    first = str(error).strip().splitlines()[-1].strip()[:160] if str(error).strip() else type(error).__name__
    return f"the {noun} weights do not fit this version's network ({first})"


# What loading a state dict into a network raises when the file's layout is another.
MISFIT_ERRORS = (KeyError, TypeError, ValueError, RuntimeError, AttributeError)
