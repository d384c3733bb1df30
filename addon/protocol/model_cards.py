"""Model cards of the models that ship with the add-on: small JSON files beside each model saying
what it is, what it was trained on (packages, licences), for how long, and by which command.

Pure (no torch): the Blender panels show a model's card without loading the model. The worker
finds the bundled model files through ``BUNDLED_MODELS`` too, so their paths are declared once.
Cards are written with the models by scripts/training/export_bundled_model.py.
"""

import json
import os

_ADDON = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# name -> the model file; its card is the same path with .json
BUNDLED_MODELS = {
    "texture_colorizer": os.path.join(_ADDON, "worker", "colorize", "data", "texture_colorizer.pt"),
    "hint_colorizer": os.path.join(_ADDON, "worker", "colorize", "data", "hint_colorizer.pt"),
    "magenta_arbitrary_style": os.path.join(_ADDON, "worker", "stylize", "data", "magenta_arbitrary_style.pt"),
    "material_maps": os.path.join(_ADDON, "worker", "material", "data", "material_maps.pt"),
    "relight_image": os.path.join(_ADDON, "worker", "relight_image", "data", "relight_image.pt"),
}


def card_path(name):
    return os.path.splitext(BUNDLED_MODELS[name])[0] + ".json"


_READ = {}   # card path -> (file stamp, card): a panel redraws often, the file rarely changes


def card(name):
    """The card of a bundled model as a dict, or None if the model or its card is not installed."""
    if not os.path.isfile(BUNDLED_MODELS[name]):
        return None
    path = card_path(name)
    try:
        status = os.stat(path)
    except OSError:
        return None
    stamp = (status.st_mtime_ns, status.st_size)
    cached = _READ.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        with open(path, encoding="utf-8") as file:
            loaded = json.load(file)
    except (OSError, ValueError):
        loaded = None
    loaded = loaded if isinstance(loaded, dict) else None
    _READ[path] = (stamp, loaded)
    return loaded
