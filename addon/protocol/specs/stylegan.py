"""StyleGAN textures: the parameters of ``stylegan.train``, ``stylegan.generate`` and ``stylegan.project``,
and the limits the worker, the CLI and Blender share."""

from . import training
from .params import BOOL, FLOAT, INT, INTS, PATH, JobSpec, Param

MAX_SIZE = 16384
MAX_COUNT = 64
MAX_WALK_FRAMES = 2000
DEFAULT_MINUTES = 10.0
DEFAULT_WIDTH = 1024
MARGIN_CELLS = 2          # a non-tileable texture is cut from a torus this many 16 px cells larger per side
DEFAULT_PSI = 1.0
UPSAMPLINGS = 4           # the synthesis network doubles its input field this many times
CELL = 2 ** UPSAMPLINGS   # output pixels per input-field cell: tileable sizes are multiples of it
NUM_STYLE_LAYERS = 2 + 2 * UPSAMPLINGS  # w's per image: the base layer, its RGB, two per upsampling
DEFAULT_MIX_LAYER = 4     # the coarse half of the layers: layout scale and big shapes from seed A
PROJECTION_SIZE = 128     # px: the target is fitted at this size (the model's scale of detail)

_MODEL = Param("model_path", PATH, "Model file from stylegan-train", required=True, label="Model", cli="--model")
_PSI = Param("psi", FLOAT, "Truncation: 1 the full range the model learned, lower values stay closer to its "
             "average texture (safer, less varied)", default=DEFAULT_PSI, low=0.0, high=1.5, panel=True)

TRAIN = JobSpec(
    "stylegan.train", "Learn a StyleGAN from a folder of textures (a texture set: stone, wood, ...)",
    (
        Param("model_path", PATH, "The model file, saved atomically every checkpoint_every seconds, at the end "
              "and on cancel", required=True, label="Model", cli="--out"),
        Param("folder", PATH, "A folder of texture images (any sizes, each at least the crop size)",
              required=True, panel=True),
        *training.run_length(DEFAULT_MINUTES),
        Param("image_size", INT, "The training crops (32, 64 or 128 px); the model generates any multiple "
              "of 16 px", default=64, low=32, high=128, unit="px"),
        Param("texture_scale", INT, "Shrink the images by this factor (1, 2, 4 or 8) before cropping: larger "
              "factors let a crop hold more of the texture", default=1, low=1, high=8),
        Param("augment", BOOL, "Differentiable augmentation (colour, translation, cutout) of everything "
              "the discriminator sees: needed for sets of a few hundred images", default=True),
        Param("batch_size", INT, "Crops per step (default: the model's, 16)", low=2, high=256),
        *training.progress(),
    ),
    outputs="preview: a 256 px sample (seed 0) of the trained model")

GENERATE = JobSpec(
    "stylegan.generate", "Textures from a StyleGAN model: any size, seeded, tileable, truncated, mixed",
    (
        _MODEL,
        Param("width", INT, f"Output width (default {DEFAULT_WIDTH}); tileable textures are a multiple of 16",
              low=1, high=MAX_SIZE, unit="px", cli="", panel=True),
        Param("height", INT, "Output height (default: the width)", low=1, high=MAX_SIZE, unit="px", cli="",
              panel=True),
        Param("seed", INT, "Seed of the first texture; more get SEED+1, SEED+2, ...", default=0, low=0,
              high=2 ** 63 - 1 - MAX_COUNT, panel=True),
        Param("count", INT, "Textures with seeds SEED, SEED+1, ...", default=1, low=1, high=MAX_COUNT, panel=True),
        _PSI,
        Param("tileable", BOOL, "Seamlessly tileable output", default=True, panel=True),
        Param("mix_seed", INT, "Style mixing: the fine layers (from mix_layer on) come from this seed's texture",
              low=0, high=2 ** 63 - 1, cli="--mix-with", panel=True),
        Param("mix_layer", INT, "The first layer taken from the mix seed (low: only coarse layout from SEED)",
              default=DEFAULT_MIX_LAYER, low=1, high=NUM_STYLE_LAYERS - 1, panel=True),
        Param("latent_path", PATH, "A projected latent (stylegan-project): its look, the seeds' layouts",
              cli="--latent"),
        Param("walk_frames", INT, "An animated latent walk through COUNT seeds, this many frames between seeds "
              "(0: none)", default=0, low=0, high=MAX_WALK_FRAMES, cli="--walk"),
        Param("output_pattern", PATH, "Latent walks: where the frames go, /dir/walk_####.exr (#### = the "
              "frame's index from 0), each written atomically as soon as it is generated", cli=""),
        Param("walk_range", INTS, "Latent walks: only the frames FIRST..LAST (indices from 0)", low=0, cli=""),
        Param("skip_existing", BOOL, "Latent walks to files: leave frames whose output already exists",
              default=False, cli=""),
    ),
    outputs="texture (count 1) or texture_000...; a walk: last with output_pattern, else frame_0000...")

PROJECT = JobSpec(
    "stylegan.project", "Find the latent of a StyleGAN model that reproduces a texture image, then vary it",
    (
        _MODEL,
        Param("latent_path", PATH, "Where the found latent is saved (for stylegan-generate --latent)",
              required=True, label="Latent", cli="--out"),
        Param("steps", INT, "Optimisation steps", default=300, low=1, high=20000, panel=True),
        Param("variations", INT, "Textures of the found look with other layouts (seeds 0, 1, ...)", default=0,
              low=0, high=MAX_COUNT, panel=True),
        Param("seed", INT, "Seed of the starting layout and of the variations' layouts", default=0, low=0,
              high=2 ** 63 - 1 - MAX_COUNT),
        Param("perceptual_weight", FLOAT, "Weight of the VGG feature distance beside the pixel distance",
              default=1.0, low=0.0, high=100.0),
        Param("noise_weight", FLOAT, "Weight of the regulariser that keeps the fitted noise maps noise-like",
              default=1e4, low=0.0, high=1e7),
    ),
    inputs="image (H, W, C): the texture to reproduce",
    outputs="reconstruction (the fitted texture, at the working size), variation_000...")

SPECS = (TRAIN, GENERATE, PROJECT)
