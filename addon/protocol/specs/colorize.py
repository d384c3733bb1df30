"""Colorize: the parameters of ``colorize.auto``, ``colorize.reference`` and ``colorize.scribbles``."""

from .common import PREMULTIPLIED
from .params import BOOL, CHOICE, FLOAT, INT, PATH, Choice, JobSpec, Param

# Declared once here; the worker's decode.py and scribbles.py take them from this module.
DEFAULT_TEMPERATURE = 0.38   # Zhang et al. 2016's annealed-mean temperature
DEFAULT_SOLVE_SIZE = 512
DEFAULT_MODEL = "bundled"

_COMMON = (
    PREMULTIPLIED,
    Param("decode_srgb", BOOL, "The input holds sRGB-encoded values (e.g. a Non-Color tagged greyscale "
          "texture)", default=False, cli=""),
)
_OUTPUTS = ("image (H, W, 3, or 4 with the input's alpha) scene-linear colour whose L* is the input's; "
            "input_was_colour (1, 1, 1)")
_INPUT = "image (H, W, 1|2|3|4) scene-linear"

AUTO = JobSpec(
    "colorize.auto", "Learned colorization: a distribution over quantized a*b* bins, annealed mean",
    _COMMON + (
        Param("temperature", FLOAT, "Vibrancy: the annealing temperature, 0 = the most likely colour per "
              "pixel (vivid, can be patchy), 1 = the mean (muted); 0.38 is the paper's",
              default=DEFAULT_TEMPERATURE, low=0.0, high=1.0, label="Vibrancy", panel=True),
        Param("seamless", BOOL, "The input tiles: keep the output tileable", default=False, panel=True),
        Param("weights_path", PATH, "Colorizer weights file: the release (colorization_release_v2-9b330a0b.pth) "
              "or a checkpoint of train_colorizer.py (default: the add-on preference in Blender, else the "
              "bundled texture colorizer)", label="Weights", cli="--weights", panel=True),
        Param("model", CHOICE, "Which colorizer without weights_path", default=DEFAULT_MODEL,
              choices=(Choice("bundled", "Textures (bundled)", "The colorizer trained on real material "
                              "textures that ships with the add-on"),
                       Choice("released", "Released", "Zhang et al.'s released ECCV16 weights (ImageNet photos), "
                              "from the models folder or downloaded")), panel=True),
        Param("allow_download", BOOL, "Download the released weights if missing", default=False),
        Param("network_size", INT, "Working size of the network (default: the model's)", low=32, high=2048,
              unit="px", cli=""),
    ),
    inputs=_INPUT, outputs=_OUTPUTS)

REFERENCE = JobSpec(
    "colorize.reference", "Colours taken from a colour reference image, region by region",
    _COMMON + (
        Param("method", CHOICE, "How colours are matched", default="deep",
              choices=(Choice("deep", "Deep Features", "Per region, matched by VGG features"),
                       Choice("global", "Global", "One global colour statistics transfer (Reinhard)"))),
    ),
    inputs=_INPUT + "; reference (a colour image)", outputs=_OUTPUTS)

SCRIBBLES = JobSpec(
    "colorize.scribbles", "Painted colour strokes spread along luminance edges (Levin et al. 2004)",
    _COMMON + (
        Param("propagation", CHOICE, "How the strokes spread", default="network",
              choices=(Choice("network", "Learned", "The hint-conditioned network trained on textures (falls "
                              "back to the edge-aware solve when it is not installed)"),
                       Choice("levin", "Edge-Aware Solve", "Levin et al.'s optimisation: strokes spread along "
                              "luminance edges")), panel=True),
        Param("solve_size", INT, "Working long side of the sparse solve", default=DEFAULT_SOLVE_SIZE, low=64,
              high=4096, unit="px", cli=""),
    ),
    inputs=_INPUT + "; hints (RGBA: painted where alpha > 0.5; RGB: coloured pixels)",
    outputs=_OUTPUTS + "; learned_hints (1, 1, 1): 1.0 when the learned hint network ran, 0.0 for the solve")

SPECS = (AUTO, REFERENCE, SCRIBBLES)
