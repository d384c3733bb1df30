"""Relight: the parameters of the job ``relight.apply`` (a light-stage set relit against a world), and
the conventions of light-stage sets both sides share (file names, the virtual light stage's grid)."""

from .params import CHOICE, FLOAT, FLOATS, INT, INTS, OBJECT, PATH, Choice, JobSpec, Param

MAX_FRAMES = 10_000
DEFAULT_MEMORY_LIMIT_MB = 4096
DEFAULT_PREVIEW_RANK = 16        # the panel's Preview button starts here (the job's default is exact)

# A set is a folder of images plus one of these descriptions (``worker/relight/light_sets.py``); the
# virtual light stage (``blender/relight/capture.py``) writes the first.
LIGHTS_CSV = "lights.csv"
LIGHT_GRID = "lightgrid.json"

APPLY = JobSpec(
    "relight.apply", "A light-stage set relit against an equirectangular world: relit = sum_i w_i I_i",
    (
        Param("set", PATH, "Folder of the light-stage set (lights.csv or lightgrid.json)", required=True),
        Param("world", PATH, "Equirectangular environment image (EXR linear; PNG/TIFF/JPEG sRGB)"),
        Param("colour", FLOATS, "A plain background colour [r, g, b] instead of an image", low=0.0, cli=""),
        Param("strength", FLOAT, "The world's Background strength", default=1.0, low=0.0, high=1e9,
              soft_high=10.0, panel=True),
        Param("mapping", OBJECT, "The world's Mapping node {'type', 'location', 'rotation' (radians XYZ), "
              "'scale'}", cli=""),
        Param("rotation_deg", FLOAT, "World rotation about Z, exactly as the Mapping node's (replaces the "
              "mapping's Z rotation)", low=-1e6, high=1e6, soft_high=360.0, unit="deg", label="Rotation",
              cli="--rotation", panel=True),
        Param("frames", OBJECT, f"Per-frame overrides [{{'rotation': [x, y, z] radians, 'strength': s}}], 1 to "
              f"{MAX_FRAMES} frames", cli=""),
        Param("output_pattern", PATH, "With frames: where the worker writes them, /dir/relit_####.exr "
              "(#### = frame number; EXR linear, PNG/TIFF/JPEG sRGB), each atomically as soon as it is done",
              cli=""),
        Param("frame_numbers", INTS, "The frames' numbers in output_pattern (default 0, 1, ...)", low=0,
              cli=""),
        Param("rank", INT, "Relight through a rank-k factorisation of the set: a fast preview (default: "
              "exact)", low=1, high=1 << 20, label="Preview Rank", panel=True),
        Param("storage", CHOICE, "How the set is held in memory", default="float32",
              choices=(Choice("float32", "Float32", "Full precision"),
                       Choice("float16", "Float16", "Half the memory"))),
        Param("memory_limit_mb", FLOAT, "A set larger than this is streamed from disk in chunks",
              default=float(DEFAULT_MEMORY_LIMIT_MB), low=0.001, high=float(1 << 24), unit="MB"),
    ),
    inputs="environment (optional): the equirectangular map, top row first, scene-linear (instead of the "
           "world file; the colour parameter replaces both)",
    outputs="relit (H, W, 4), alpha from the set; with frames: frame_0000, frame_0001... or, with "
            "output_pattern, the files and last (the last frame)")

SPECS = (APPLY,)

# Not job parameters: the virtual light stage runs in Blender (the capture operator, the panel and
# ``neural-render capture-lightstage``), one sun lamp per cell of a lat-long grid of this size.
CAPTURE_COLUMNS = Param("columns", INT, "Lights around the subject (azimuth) in the virtual light stage",
                        default=32, low=1, high=256)
CAPTURE_ROWS = Param("rows", INT, "Lights from the zenith to the nadir (elevation) in the virtual light stage",
                     default=16, low=1, high=128)
