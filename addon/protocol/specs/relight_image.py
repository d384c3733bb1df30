"""Relight Image: the parameters of ``relight_image.apply`` (one image relit against a world by a
network trained on virtual light stages), and the conventions both sides share.

The world is read exactly as the light-stage relighting reads it (image or plain colour, Background
strength, Mapping node, a Z rotation) -- those parameters are the same declarations as
``relight.apply``'s, not copies. The image is taken as seen from Blender's Front view: the camera looks
along +Y with +Z up, so a world direction means the same to the network as to a light-stage set
captured from the front. The network sees the world as a lat-long grid of GRID_COLUMNS x GRID_ROWS
cells (each the world's radiance averaged over the cell), the light grid of its training stage.
"""

import dataclasses

from . import relight
from .params import CHOICE, INT, PATH, Choice, JobSpec, Param

GRID_COLUMNS, GRID_ROWS = 16, 8   # the training light stage: cells of 22.5 degrees in both angles
DEFAULT_NETWORK_SIDE = 128        # px: the side the network runs at; the result is transferred to full size
MIN_SIDE = 16                     # px: smaller images hold too little to relight

BACKGROUNDS = (
    Choice("keep", "Keep", "Outside the matte the input stays as it is"),
    Choice("world", "World", "Outside the matte the world is seen, as from the Front view"),
    Choice("transparent", "Transparent", "Outside the matte is transparent (alpha = the matte)"),
)

_WORLD = tuple(relight.APPLY[name] for name in ("world", "colour", "strength", "mapping", "rotation_deg",
                                                "frames", "output_pattern", "frame_numbers"))


def _source(name, description, **changes):
    """The world the image was lit by, when the user knows it: the same declaration as the world to
    light with (``relight.APPLY[name]``), prefixed ``source_``, never a panel setting (Blender picks a
    World datablock for it)."""
    return dataclasses.replace(relight.APPLY[name], name="source_" + name, description=description, panel=False,
                               **changes)


# Known, the source world replaces the network's estimate of it, which is far more accurate
# (docs/BENCHMARKS.md: +2.9 dB over the irradiance-ratio baseline, against +0.25 dB estimated).
_SOURCE = (
    _source("world", "The world the image was lit by, if known (an equirectangular HDRI, e.g. shot on set; "
            "EXR linear): used instead of the network's estimate", cli="--source-world"),
    _source("colour", "The plain background colour [r, g, b] the image was lit by, if known", cli=""),
    _source("strength", "The source world's Background strength (the image's exposure against it)",
            cli="--source-strength"),
    _source("mapping", "The source world's Mapping node {'type', 'location', 'rotation', 'scale'}", cli=""),
    _source("rotation_deg", "The source world's rotation about Z, as the Mapping node's", label="Source Rotation",
            cli="--source-rotation"),
)

APPLY = JobSpec(
    "relight_image.apply", "One image relit against a world by a network trained on virtual light stages",
    _WORLD + _SOURCE + (
        Param("background", CHOICE, "What becomes of the image outside the matte", default="keep",
              choices=BACKGROUNDS, panel=True),
        Param("network_side", INT, "The side the network runs at; the predicted shading is carried to full "
              "size by a guided upsampling, so detail survives", default=DEFAULT_NETWORK_SIDE, low=64,
              high=512, unit="px", label="Network Resolution", panel=True),
        Param("weights_path", PATH, "A relighting model file from train_relight_image.py (default: the "
              "bundled model)", label="Model", cli="--weights", panel=True),
    ),
    inputs="image (H, W, 3|4) scene-linear, premultiplied; matte (optional, H x W, 1-4 channels: the "
           "first is coverage; default: the image's alpha, else everything); environment (optional): "
           "the equirectangular map, top row first, scene-linear; source_environment (optional): the same, for "
           "the world the image was lit by",
    outputs="relit (H, W, 4); source_environment (GRID_ROWS, GRID_COLUMNS, 3): the lighting the network "
            "estimated the image was taken under (radiance per cell, top row first; estimated even when the "
            "source world is given); with frames: frame_0000... or, with output_pattern, the files and last")

SPECS = (APPLY,)
