"""Flamenco job types (JavaScript job compiler scripts) for the farm jobs of job_types.py: ``JOB_TYPE`` (the
settings a submitter fills in, with the spec's defaults) and the data ``compileJob`` needs, written above
the shared compiler in flamenco_compile.js. Drop the files into the ``scripts`` folder next to Flamenco
Manager.

    text = flamenco.job_type_script(job_types.find("stylize"))
"""

import json
import os

from .job_types import FLOAT_KIND, INT_KIND, PATH_KIND, snake_case

COMPILER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "flamenco_compile.js")
_TYPES = {INT_KIND: "int32", FLOAT_KIND: "float"}


def _setting(setting, required=False):
    entry = {"key": setting.key, "label": _label(setting.name), "description": setting.description}
    if setting.is_switch:
        entry.update(type="bool", default=setting.default == setting.flag)  # a switch
    else:
        entry["type"] = _TYPES.get(setting.kind, "string")
        if setting.kind == PATH_KIND:
            entry["subtype"] = "dir_path" if setting.object_type == "DIRECTORY" else "file_path"
        if setting.allowed:
            entry["choices"] = list(setting.allowed)
        if setting.default is not None:
            entry["default"] = setting.default
    if required:
        entry["required"] = True
    return entry


def _label(name):
    words = "".join(" " + letter if letter.isupper() else letter for letter in name).split()
    return " ".join([words[0]] + [word.lower() if len(word) > 1 else word for word in words[1:]])


def _option(setting):
    if setting.is_switch:
        return {"key": setting.key, "switch": list(setting.allowed)}
    return {"key": setting.key, "words": setting.words("{value}")}


def job_type(farm_job):
    """JOB_TYPE: label, description and settings, in the order a submission form shows them."""
    settings = [
        {"key": "python", "type": "string", "default": "python3", "required": True, "label": "Python",
         "description": "The Python with torch that runs neural-render on the workers (a Flamenco variable "
                        "such as {neural_render_python} maps it per platform)"},
        {"key": "neural_render_cli", "type": "string", "subtype": "file_path", "required": True,
         "label": "neural-render", "description": "The neural-render command-line script on the workers"},
    ]
    settings += [_setting(setting, required=True) for setting in farm_job.inputs]
    settings += [_setting(setting) for setting in farm_job.settings]
    if farm_job.warmup is not None:
        settings.append(_setting(farm_job.warmup))
    settings += [
        {"key": "frame_start", "type": "int32", "default": farm_job.first_frame, "required": True,
         "label": "Frame start", "description": "The first frame of the shot"},
        {"key": "frame_end", "type": "int32", "required": True, "label": "Frame end",
         "description": "The last frame of the shot"},
        {"key": "chunk_size", "type": "int32", "default": farm_job.chunk_size, "label": "Chunk size",
         "description": "Frames per task"},
        {"key": "output_dir", "type": "string", "subtype": "dir_path", "required": True, "label": "Output folder",
         "description": "Where the frames go (created if missing)"},
        {"key": "output_name", "type": "string", "default": farm_job.output_name, "label": "Output name",
         "description": "The frames' file name; #### is the frame number"},
    ]
    return {"label": f"Neural Render: {farm_job.title}", "description": farm_job.summary, "settings": settings}


def compile_data(farm_job):
    """What compileJob needs beyond the settings: the subcommand and how each setting becomes words."""
    return {
        "subcommand": farm_job.subcommand,
        "inputs": [_option(setting) for setting in farm_job.inputs],
        "options": [_option(setting) for setting in farm_job.settings],
        "warmup": {"key": farm_job.warmup.key, "flag": farm_job.warmup.flag} if farm_job.warmup else None,
    }


def job_type_script(farm_job):
    """The whole job compiler script, as text."""
    with open(COMPILER, encoding="utf-8") as handle:
        compiler = handle.read()
    return (f"// Neural Render: {farm_job.title} -- a Flamenco job type. Written by the Neural Render extension\n"
            f"// from its job spec (protocol/farm/flamenco.py); regenerate rather than edit.\n\n"
            f"const JOB_TYPE = {json.dumps(job_type(farm_job), indent=4)};\n\n"
            f"const NEURAL_RENDER = {json.dumps(compile_data(farm_job), indent=4)};\n\n{compiler}")


def settings_from_values(farm_job, values):
    """A Flamenco job's settings from Open Job Description parameter values: the same values under
    Flamenco's keys, switches as booleans."""
    by_name = {setting.name: setting for setting in farm_job.inputs + farm_job.settings
               + ((farm_job.warmup,) if farm_job.warmup else ())}
    known = {entry["key"] for entry in job_type(farm_job)["settings"]}
    settings = {}
    for name, value in values.items():
        setting = by_name.get(name)
        if setting is not None and setting.is_switch:
            value = value == setting.flag
        key = snake_case(name)
        if key not in known:
            raise ValueError(f"{farm_job.title}: no setting for the job parameter {name}")
        settings[key] = value
    return settings
