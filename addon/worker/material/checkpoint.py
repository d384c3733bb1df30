"""Reading material-map model files (written by scripts/training/train_material_maps.py; the bundled
model is one): a ``torch.save`` dictionary of tensors and plain values tagged with its format, loaded
with ``weights_only=True`` so a model file can never run code.
"""

from ..tagged_model_file import MISFIT_ERRORS, float32_state, misfit, read_tagged
from .network import MaterialUNet, fold_batchnorm

FORMAT = "neural-render-material-maps"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    pass


def load_checkpoint(path):
    return read_tagged(path, FORMAT, FORMAT_VERSION, "material-maps model", CheckpointError)


def generator_from_checkpoint(payload):
    """The generator for inference: eval mode, float32 (shipped files store float16), BatchNorm folded
    into the convolutions."""
    try:
        settings = payload["settings"]
        model = MaterialUNet(tuple(settings["channels"]), settings.get("prior_strength", 0.0))
        model.load_state_dict(float32_state(payload["generator"]))
    except MISFIT_ERRORS as error:
        raise CheckpointError(misfit(error)) from None
    return fold_batchnorm(model.eval())
