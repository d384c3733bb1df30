"""Files a TD submits with their farm's own tools, and the templates shipped with the extension.

- ``write_deadline_bundle(folder, farm_job, values)``: an Open Job Description job bundle --
  ``template.json`` and ``parameter_values.json`` -- for ``deadline bundle submit FOLDER`` (AWS Deadline
  Cloud) or ``openjd run FOLDER/template.json --job-param file://FOLDER/parameter_values.json``.
- ``write_flamenco_job(folder, farm_job, values)``: ``flamenco_job.json``, a job for Flamenco Manager's
  submission API (``POST /api/v3/jobs``), whose type is the shipped job type script.
- ``write_shipped_templates(folder)``: every farm job's template and job type script (the extension's
  ``protocol/farm/templates``; scripts/setup/write_farm_templates.py rewrites them from the specs).

Every file is written whole to a temporary name and renamed, so a reader never sees half a file.
"""

import json
import os
import tempfile

from . import flamenco, openjd
from .job_types import FARM_JOBS

TEMPLATES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")


def openjd_template_name(farm_job):
    return f"neural_render_{farm_job.name}.json"


def flamenco_script_name(farm_job):
    return f"neural_render_{farm_job.name}.js"


def flamenco_job_type(farm_job):
    """The job type name Flamenco Manager gives a script: its file name, '_' as '-', without '.js'."""
    return flamenco_script_name(farm_job)[:-3].replace("_", "-")


def _write_text(path, text):
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".writing-", suffix=os.path.splitext(path)[1])
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def write_json(path, document):
    """``document`` as indented JSON, written whole then renamed."""
    _write_text(path, json.dumps(document, indent=2) + "\n")


def write_deadline_bundle(folder, farm_job, values):
    """``values``: {job parameter name: value}, e.g. {'Frames': '/shots/sh010/render', 'FrameEnd': 240}."""
    known = {definition["name"] for definition in openjd.template(farm_job)["parameterDefinitions"]}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"{farm_job.title}: no job parameter {', '.join(unknown)}")
    write_json(os.path.join(folder, "template.json"), openjd.template(farm_job))
    write_json(os.path.join(folder, "parameter_values.json"), openjd.parameter_values(values))
    return folder


def write_flamenco_job(folder, farm_job, settings, name, platform="linux"):
    """``settings``: {Flamenco setting key: value}; keys the job type does not have are refused."""
    known = {entry["key"] for entry in flamenco.job_type(farm_job)["settings"]}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ValueError(f"{farm_job.title}: no Flamenco setting {', '.join(unknown)}")
    path = os.path.join(folder, "flamenco_job.json")
    write_json(path, {"name": name, "type": flamenco_job_type(farm_job), "priority": 50,
                       "submitter_platform": platform, "settings": settings, "metadata": {}})
    return path


def shipped_files():
    """{relative path under templates/: text} of every farm job's template and job type script."""
    files = {}
    for farm_job in FARM_JOBS:
        files[f"openjd/{openjd_template_name(farm_job)}"] = json.dumps(openjd.template(farm_job), indent=2) + "\n"
        files[f"flamenco/{flamenco_script_name(farm_job)}"] = flamenco.job_type_script(farm_job)
    return files


def write_shipped_templates(folder=TEMPLATES_DIR):
    for relative, text in shipped_files().items():
        _write_text(os.path.join(folder, *relative.split("/")), text)
    return folder
