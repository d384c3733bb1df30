"""Model cards of the models that ship with the add-on: small JSON files beside each model saying
what it is, what it was trained on (packages, licences), for how long, and by which command.

Pure (no torch): the Blender panels show a model's card without loading it, and the worker names
the model in its messages from the same file. Cards are written with the models by
scripts/training/export_bundled_model.py.
"""

import json
import os

_ADDON = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# name -> the model file; its card is the same path with .json
BUNDLED_MODELS = {
    "texture_colorizer": os.path.join(_ADDON, "worker", "colorize", "data", "texture_colorizer.pt"),
    "hint_colorizer": os.path.join(_ADDON, "worker", "colorize", "data", "hint_colorizer.pt"),
}


def card_path(name):
    return os.path.splitext(BUNDLED_MODELS[name])[0] + ".json"


def card(name):
    """The card of a bundled model as a dict, or None if the model or its card is not installed."""
    if not os.path.isfile(BUNDLED_MODELS[name]):
        return None
    try:
        with open(card_path(name), encoding="utf-8") as file:
            loaded = json.load(file)
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def summary(name):
    """One line for a panel or a message: "<title>: <trained on ...>", or None."""
    found = card(name)
    if not found:
        return None
    return f"{found.get('title', name)}: {found.get('trained_on', 'provenance unknown')}"
