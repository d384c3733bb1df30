"""GAN textures: the parameters of ``gan.train`` and ``gan.generate``, and the conventions the
worker, the CLI and Blender share (limits, defaults, the panel's "Periodic Pattern")."""

from . import training
from .params import BOOL, FLOAT, INT, INTS, PATH, JobSpec, Param

MAX_SIZE = 16384           # px a side of a generated texture
MAX_COUNT = 64             # textures (or walk seeds) per job
MAX_WALK_FRAMES = 2000     # frames between two seeds of a latent walk
DEFAULT_MINUTES = 10.0     # training time when neither minutes nor steps is given
DEFAULT_WIDTH = 1024       # px, an exemplar model's texture when no width is given
DEFAULT_VARIATION = 0.0
PERIODIC_PATTERN_CHANNELS = 2   # the panel's "Periodic Pattern": one sinusoid per lattice direction

TRAIN = JobSpec(
    "gan.train", "Learn a texture GAN from one exemplar image (PSGAN) or a folder of textures (DCGAN)",
    (
        Param("model_path", PATH, "The model file, saved atomically every checkpoint_every seconds, at the "
              "end and on cancel", required=True, label="Model", cli="--out"),
        Param("folder", PATH, "A folder of same-sized texture images (a folder model); without it the "
              "input 'exemplar' is learnt (an exemplar model)"),
        *training.run_length(DEFAULT_MINUTES),
        Param("crop_size", INT, "Exemplar models: the training crop, a multiple of 8 (default: the model's, "
              "64)", low=16, high=1024, unit="px"),
        Param("periodic_channels", INT, "Exemplar models: sinusoid noise channels for regular patterns "
              "(bricks, tiles, weaves); 0 for irregular textures (default: the model's, 0)", low=0, high=8),
        Param("batch_size", INT, "Crops or images per step (default: the model's)", low=1, high=256),
        Param("d_steps", INT, "Discriminator steps per generator step (default: the model's, 1)", low=1,
              high=10),
        Param("image_size", INT, "Folder models: the size they learn and generate (32, 64 or 128)",
              default=64, low=32, high=128, unit="px"),
        *training.progress(),
    ),
    inputs="exemplar (H, W, C) for an exemplar model; none for a folder model",
    outputs="preview: a 256 px sample (seed 0) of the trained model")

GENERATE = JobSpec(
    "gan.generate", "Textures from a trained GAN model: any size, seeded, tileable",
    (
        Param("model_path", PATH, "Model file from gan-train", required=True, label="Model", cli="--model"),
        Param("width", INT, f"Output width (exemplar models; default {DEFAULT_WIDTH}); a folder model makes "
              "its trained size", low=1, high=MAX_SIZE, unit="px", cli="", panel=True),
        Param("height", INT, "Output height (default: the width)", low=1, high=MAX_SIZE, unit="px", cli="",
              panel=True),
        Param("seed", INT, "Seed of the first texture; more get SEED+1, SEED+2, ...", default=0, low=0,
              high=2 ** 63 - 1 - MAX_COUNT, panel=True),
        Param("count", INT, "Textures with seeds SEED, SEED+1, ...", default=1, low=1, high=MAX_COUNT,
              panel=True),
        Param("walk_frames", INT, "An animated latent walk through COUNT seeds, this many frames between "
              "seeds (0: none)", default=0, low=0, high=MAX_WALK_FRAMES, cli="--walk"),
        Param("tileable", BOOL, "Seamlessly tileable output (exemplar models)", default=True, panel=True),
        Param("variation", FLOAT, "How far a seed may move the overall colour and brightness from the "
              "exemplar's (exemplar models): 0 keeps the exemplar's look, seeds differ in layout; 1 the "
              "full range the model learned", default=DEFAULT_VARIATION, low=0.0, high=1.0, panel=True),
        Param("output_pattern", PATH, "Latent walks: where the frames go, /dir/walk_####.exr (#### = the "
              "frame's index from 0), each written atomically as soon as it is generated", cli=""),
        Param("walk_range", INTS, "Latent walks: only the frames FIRST..LAST (indices from 0) -- a farm task's "
              "share; each frame is the same as in the whole walk", low=0, cli=""),
        Param("skip_existing", BOOL, "Latent walks to files: leave frames whose output already exists (a "
              "re-queued farm task)", default=False, cli=""),
    ),
    outputs="texture (count 1) or texture_000...; a walk: last (its last frame) with output_pattern, "
            "else frame_0000...")

SPECS = (TRAIN, GENERATE)
