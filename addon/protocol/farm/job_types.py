"""What a farm job of each capability is: the ``neural-render`` sequence subcommand it runs, its inputs and
the settings a TD may change -- taken from the capability's parameter spec, so a template cannot offer a
value the worker would refuse. The Open Job Description templates (openjd.py) and the Flamenco job types
(flamenco.py) are both written from these descriptions.

A task runs ``PYTHON NEURAL_RENDER_CLI SUBCOMMAND <inputs> <settings> --range A-B --out OUTPUT_DIR/OUTPUT_NAME
--device DEVICE``; the subcommands are idempotent (finished frames are skipped, every file is written
atomically), so a farm may re-queue or duplicate any task.
"""

from dataclasses import dataclass

from ..specs import colorize, gan, relight, relight_image, stylize
from ..specs.params import BOOL, CHOICE, FLOAT, INT, PATH

# Setting kinds, as Open Job Description names its job parameter types.
INT_KIND, FLOAT_KIND, STRING_KIND, PATH_KIND = "INT", "FLOAT", "STRING", "PATH"


@dataclass(frozen=True)
class Setting:
    """One job parameter of a farm job and the command-line words it becomes.

    ``args``: the words, with ``{value}`` for the setting's value (default: ``flag {value}``; a switch's
    value is its flag itself, e.g. ``--seamless`` or ``--no-seamless``). ``object_type`` (FILE or
    DIRECTORY) and ``data_flow`` (IN or OUT) tell a farm which paths to transfer or map."""
    name: str
    kind: str
    description: str
    flag: str = None
    default: object = None
    low: float = None
    high: float = None
    allowed: tuple = ()
    object_type: str = None
    data_flow: str = None
    args: tuple = None

    @property
    def is_switch(self):
        """A BOOL parameter: its value is its flag or the --no- flag itself."""
        return self.args == ("{value}",) and len(self.allowed) == 2 and self.allowed[0] == self.flag

    @property
    def key(self):
        return snake_case(self.name)

    def words(self, value):
        pattern = self.args if self.args is not None else (self.flag, "{value}")
        return [word.replace("{value}", str(value)) for word in pattern]


def snake_case(name):
    """FrameStart -> frame_start: a job parameter's name as Flamenco names settings."""
    return "".join("_" + letter.lower() if letter.isupper() else letter for letter in name).lstrip("_")


def from_spec(param, name=None, default=None, description=None):
    """The farm setting for a spec parameter: its flag, limits and choices, the default overridable.
    A switch (BOOL) becomes a choice between its flag and the --no- flag."""
    name = name or "".join(part.title() for part in param.name.split("_"))
    default = param.default if default is None else default
    description = description or param.description
    if param.type == BOOL:
        negative = "--no-" + param.flag[2:]
        return Setting(name, STRING_KIND, description, param.flag, param.flag if default else negative,
                       allowed=(param.flag, negative), args=("{value}",))
    if param.type == CHOICE:
        return Setting(name, STRING_KIND, description, param.flag, default, allowed=param.values)
    if param.type in (INT, FLOAT):
        return Setting(name, INT_KIND if param.type == INT else FLOAT_KIND, description, param.flag, default,
                       low=param.low, high=param.high)
    if param.type == PATH:
        return Setting(name, PATH_KIND, description, param.flag, default, object_type="FILE", data_flow="IN")
    raise ValueError(f"parameter {param.name} ({param.type}) cannot be a farm setting")


def path_input(name, flag, description, folder):
    return Setting(name, PATH_KIND, description, flag, object_type="DIRECTORY" if folder else "FILE",
                   data_flow="IN")


@dataclass(frozen=True)
class FarmJob:
    """One capability's farm job: a sequence subcommand over a frame range cut into chunks."""
    name: str                 # file names: neural_render_<name>.json / .js
    title: str
    subcommand: str
    summary: str
    inputs: tuple             # Settings of PATH kind, every one required
    settings: tuple           # Settings with defaults
    first_frame: int = 1
    output_name: str = "frame_####.exr"
    chunk_size: int = 12
    warmup: Setting = None    # stylize: frames of history a chunk re-stylizes before its first


def _stylize():
    spec = stylize.SEQUENCE
    return FarmJob(
        "stylize", "Stylize Sequence", "stylize-sequence",
        "Stylize a rendered shot (multilayer EXRs with the Vector pass), held frame to frame; each chunk "
        "re-stylizes a few frames before its first as warm-up, so chunk boundaries do not jump",
        inputs=(path_input("Frames", "--frames", "Folder of the rendered frames (multilayer EXRs with the Combined "
                           "and Vector passes)", folder=True),
                path_input("Style", "--style", "The style image", folder=False)),
        settings=(from_spec(spec["preset"]), from_spec(spec["strength"], default=1.0),
                  from_spec(spec["seed"]), from_spec(spec["temporal"])),
        warmup=from_spec(spec["warmup"], default=stylize.DEFAULT_CHUNK_WARMUP,
                         description="Frames re-stylized before each chunk's first as history, then discarded"),
        chunk_size=24)  # three times the warm-up: a chunk spends a quarter of its time warming up


def _relight():
    spec = relight.APPLY
    return FarmJob(
        "relight", "Relight Sequence", "relight-sequence",
        "Relight a light-stage set under a world animated frame by frame (rotation and strength from a JSON or "
        "CSV file); every frame is independent, so any chunking gives identical files",
        inputs=(path_input("LightSet", spec["set"].flag, spec["set"].description, folder=True),
                path_input("World", spec["world"].flag, "Equirectangular environment image", folder=False),
                path_input("WorldAnimation", "--animation", "Per-frame world rotation (degrees about Z) and "
                           "strength: JSON [{frame, rotation, strength}] or CSV frame,rotation[,strength]",
                           folder=False)),
        settings=(from_spec(spec["strength"]),), chunk_size=24)


def _relight_image():
    spec = relight_image.APPLY
    return FarmJob(
        "relight_image", "Relight Image Sequence", "relight-image-sequence",
        "Relight one image (a plate, a product shot) with the learned relighting under a world animated frame "
        "by frame (rotation and strength from a JSON or CSV file); every frame is independent, so any "
        "chunking gives identical files",
        inputs=(path_input("Image", "--in", "The image to relight (its alpha is the subject's matte)", folder=False),
                path_input("World", spec["world"].flag, "Equirectangular environment image", folder=False),
                path_input("WorldAnimation", "--animation", "Per-frame world rotation (degrees about Z) and "
                           "strength: JSON [{frame, rotation, strength}] or CSV frame,rotation[,strength]",
                           folder=False)),
        settings=(from_spec(spec["strength"]), from_spec(spec["background"]), from_spec(spec["network_side"])),
        chunk_size=24)


def _colorize():
    spec = colorize.AUTO
    return FarmJob(
        "colorize", "Colorize Sequence", "colorize-sequence",
        "Colorize greyscale frames with the learned colorizer; every frame is independent, so any chunking "
        "gives identical files",
        inputs=(path_input("Frames", "--frames", "Folder of the greyscale frames", folder=True),),
        settings=(from_spec(spec["model"]), from_spec(spec["temperature"]), from_spec(spec["seamless"])),
        chunk_size=24)


def _gan_walk():
    spec = gan.GENERATE
    return FarmJob(
        "gan_walk", "GAN Texture Walk", "gan-generate",
        "An animated latent walk through a GAN model's textures (frame indices from 0); every frame depends "
        "only on its index, so any chunking gives identical files",
        inputs=(path_input("Model", spec["model_path"].flag, spec["model_path"].description, folder=False),),
        settings=(Setting("Width", INT_KIND, "Texture width", default=gan.DEFAULT_WIDTH,
                          low=spec["width"].low, high=spec["width"].high, args=("--size", "{value}")),
                  Setting("Height", INT_KIND, "Texture height", default=gan.DEFAULT_WIDTH, low=spec["height"].low,
                          high=spec["height"].high, args=("{value}",)),
                  from_spec(spec["count"], default=2, description="Seeds the walk passes through (2 or more)"),
                  from_spec(spec["walk_frames"], default=24),
                  from_spec(spec["seed"]), from_spec(spec["tileable"]), from_spec(spec["variation"])),
        first_frame=0, output_name="walk.exr", chunk_size=24)


FARM_JOBS = (_stylize(), _relight(), _relight_image(), _colorize(), _gan_walk())


def find(name):
    for farm_job in FARM_JOBS:
        if farm_job.name == name:
            return farm_job
    raise KeyError(f"no farm job {name!r}; known: {', '.join(job.name for job in FARM_JOBS)}")
