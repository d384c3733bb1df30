"""Which colorizer weights a job uses, and loading them safely.

Order of choice (``choose_model``):

1. an explicit file (the job's ``weights_path``, i.e. the add-on preference or ``--weights``): either
   the authors' release or a checkpoint from scripts/training/train_colorizer.py, told apart by content;
2. ``model="bundled"`` (the default): the texture colorizer shipped with the add-on, trained by our
   own script on thousands of real material textures (its model card, ``data/texture_colorizer.json``,
   says on what, under which licences, for how long);
3. ``model="released"``: Zhang et al.'s release (trained on ImageNet photos) from the models folder
   (model_store.models_dir()), or a first-use download when the user allowed network access; it
   fails with a message that says how to get it.
The release (BSD-2, Zhang et al.) is hash-checked (size and SHA-256 prefix) before torch reads it;
everything is read with ``torch.load(weights_only=True)`` so a model file can never run code.
"""

import os

from ...protocol import model_cards
from ...protocol.specs import colorize as spec
from .. import model_store
from . import model as model_module
from . import checkpoint

RELEASED_NAME = "colorization_release_v2-9b330a0b.pth"
RELEASED_SIZE = 128_976_165
RELEASED_SHA256_PREFIX = "9b330a0b"
RELEASED_URL = "https://colorizers.s3.us-east-2.amazonaws.com/" + RELEASED_NAME
BUNDLED_PATH = model_cards.BUNDLED_MODELS["texture_colorizer"]
HINT_MODEL_PATH = model_cards.BUNDLED_MODELS["hint_colorizer"]
RELEASED_NETWORK_SIZE = 256   # the release was trained on 256 x 256 (resized) ImageNet images


class WeightsError(ValueError):
    """Weights are missing or not usable; the message says what to do."""


class LoadedColorizer:
    """A model plus what decoding it needs to know: the network size it was trained at, and where it came from."""

    def __init__(self, model, network_size, source, released):
        self.model = model
        self.network_size = network_size
        self.source = source
        self.released = released

    @property
    def description(self):
        if self.released:
            return "the released ECCV16 weights"
        if self.source == BUNDLED_PATH:
            return "the bundled texture colorizer"
        return f"the model {os.path.basename(self.source)}"


def missing_release_message():
    return (f"the released colorization weights are not installed: download {RELEASED_URL} "
            f"({RELEASED_SIZE:,} bytes) and set its path in the add-on preferences (Colorize weights) or pass "
            f"--weights, put it in {model_store.models_dir(create=False)}, or allow downloads in the "
            "preferences; or train your own with scripts/training/train_colorizer.py")


def released_path_in_store():
    return os.path.join(model_store.models_dir(create=False), RELEASED_NAME)


def load_released(path):
    """The release as a width-1 Eccv16Colorizer (313 bins, centres from its model_out)."""
    try:
        state = model_store.load_state_dict(path, RELEASED_SHA256_PREFIX, RELEASED_SIZE)
    except model_store.ModelFileError as error:
        raise WeightsError(f"{error}. {missing_release_message()}") from error
    try:
        return model_module.from_state_dict(state, width=1.0).eval()
    except ValueError as error:
        raise WeightsError(f"{path}: {error}") from error


def load_file(path):
    """A file the user chose: our checkpoint (by its format tag) or the release (hash-checked)."""
    path = os.path.abspath(os.path.expanduser(path))
    if not os.path.isfile(path):
        raise WeightsError(f"no colorizer weights at {path}. {missing_release_message()}")
    if os.path.getsize(path) == RELEASED_SIZE:
        return LoadedColorizer(load_released(path), RELEASED_NETWORK_SIZE, path, released=True)
    try:
        payload = checkpoint.load_checkpoint(path)
    except checkpoint.CheckpointError as error:
        if path.endswith(".pth"):  # meant as the release: say what is wrong with it (size, hash)
            load_released(path)
        raise WeightsError(f"{error}: expected {RELEASED_NAME} or a checkpoint of "
                           "scripts/training/train_colorizer.py") from None
    return _ours(payload, path)


def _ours(payload, path):
    """A LoadedColorizer of one of our checkpoints (trained here, or the bundled one)."""
    try:
        model = checkpoint.model_from_checkpoint(payload)
    except checkpoint.CheckpointError as error:
        raise WeightsError(f"{path}: {error}") from None
    return LoadedColorizer(model, int(payload["settings"]["long_side"]), path, released=False)


def choose_model(weights_path=None, model=spec.DEFAULT_MODEL, allow_network=False, progress=None):
    """The LoadedColorizer to use (see the module docstring for the order)."""
    if model not in spec.AUTO["model"].values:
        raise WeightsError(f"model must be one of {spec.AUTO['model'].limits_text()}, got {model!r}")
    if weights_path:
        return load_file(weights_path)
    if model == "released":
        stored = released_path_in_store()
        if not os.path.isfile(stored):
            if not allow_network:
                raise WeightsError(missing_release_message())
            try:
                model_store.download(RELEASED_URL, os.path.join(model_store.models_dir(), RELEASED_NAME),
                                     RELEASED_SHA256_PREFIX, RELEASED_SIZE, allow_network=True, progress=progress)
            except (OSError, model_store.ModelFileError) as error:
                raise WeightsError(f"could not download the released weights: {error}. "
                                   f"{missing_release_message()}") from error
        return LoadedColorizer(load_released(stored), RELEASED_NETWORK_SIZE, stored, released=True)
    if not os.path.isfile(BUNDLED_PATH):
        raise WeightsError(f"the bundled texture colorizer is missing ({BUNDLED_PATH}): reinstall the add-on; "
                           f"or {missing_release_message()}")
    try:
        payload = checkpoint.load_checkpoint(BUNDLED_PATH)
    except checkpoint.CheckpointError as error:
        raise WeightsError(f"{error}: reinstall the add-on") from None
    return _ours(payload, BUNDLED_PATH)


def load_hint_model(path=None):
    """The hint-conditioned network (hint_model.py) and its working size, or None when not shipped."""
    path = path or HINT_MODEL_PATH
    if not os.path.isfile(path):
        return None
    try:
        payload = checkpoint.load_checkpoint(path, checkpoint.HINT_FORMAT)
        return checkpoint.hint_model_from_checkpoint(payload), int(payload["settings"]["long_side"])
    except checkpoint.CheckpointError as error:
        raise WeightsError(f"{path}: {error}") from error
