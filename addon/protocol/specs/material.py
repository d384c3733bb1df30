"""Material maps: the parameters of ``material.from_photo`` and ``material.normal_to_height``."""

from .params import BOOL, CHOICE, INT, PATH, Choice, JobSpec, Param

DEFAULT_TILE = 1024
MIN_SIDE = 32          # px: smaller photos hold too little surface to read
HEIGHT_SOURCES = (
    Choice("network", "Learned", "The network's height, fitted onto the integral of its normals so the "
           "whole picture shares one surface"),
    Choice("integrated", "From Normals", "The Frankot–Chellappa integral of the predicted normals alone"),
)
GREEN = (
    Choice("opengl", "OpenGL (+Y)", "Blender's, Substance's OpenGL and most DCCs' convention: green is up"),
    Choice("directx", "DirectX (−Y)", "Unreal's and DirectX engines' convention: green is down"),
)

_TILEABLE = Param("tileable", BOOL, "The picture tiles: keep the maps tileable (wrap-around context, no "
                  "border seams)", default=False, panel=True)

FROM_PHOTO = JobSpec(
    "material.from_photo", "Normal and height maps from a photographed texture (pix2pix, trained on real "
    "material textures)",
    (
        _TILEABLE,
        Param("height_source", CHOICE, "Where the height map comes from", default="network",
              choices=HEIGHT_SOURCES, label="Height", panel=True),
        Param("weights_path", PATH, "A material-maps model file from train_material_maps.py (default: the "
              "bundled model)", label="Model", cli="--weights", panel=True),
        Param("photo_is_encoded", BOOL, "The input holds display-encoded values (a photo datablock tagged "
              "Non-Color) rather than scene-linear colour", default=False, cli=""),
        Param("tile_size", INT, "Largest window the network sees at once (memory; results do not depend "
              "on it beyond the blend)", default=DEFAULT_TILE, low=64, high=4096, unit="px", cli=""),
    ),
    inputs="image (H, W, 1|2|3|4) scene-linear photo; alpha is ignored",
    outputs="normal (H, W, 3) tangent-space OpenGL normals encoded 0.5·n + 0.5 (Non-Color data); "
            "height (H, W, 1) in [0, 1]")

NORMAL_TO_HEIGHT = JobSpec(
    "material.normal_to_height", "A height map from a tangent-space normal map (Frankot–Chellappa "
    "integration)",
    (
        _TILEABLE,
        Param("green", CHOICE, "The normal map's green-channel convention", default="opengl", choices=GREEN,
              panel=True),
        Param("colour_tagged", BOOL, "The map was read as sRGB colour (its datablock is not tagged Non-Color): "
              "its values are re-encoded before use", default=False, cli=""),
    ),
    inputs="normal (H, W, 3|4) encoded 0.5·n + 0.5, as stored (Non-Color data)",
    outputs="height (H, W, 1) in [0, 1]; curl (1, 1, 1): how far the map is from any surface's normals "
            "(0 = a height field's; real maps read the right way measure 0.3-0.45, the wrong way 0.95)")

SPECS = (FROM_PHOTO, NORMAL_TO_HEIGHT)
