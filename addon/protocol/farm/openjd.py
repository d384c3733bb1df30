"""Open Job Description templates (``jobtemplate-2023-09``, the TASK_CHUNKING extension) for the farm jobs
of job_types.py: one step whose tasks are contiguous chunks of the frame range, each one ``neural-render``
command. AWS Deadline Cloud runs them as they are; ``openjd run`` runs them locally.

    template = openjd.template(job_types.find("stylize"))     # a dict; json.dump it to a .json template

The device is not a job parameter: a worker host picks it with NEURAL_RENDER_DEVICE (or
CUDA_VISIBLE_DEVICES), since which GPU a host has is the host's business, not the job's.
"""

from .job_types import INT_KIND, PATH_KIND

SPECIFICATION = "jobtemplate-2023-09"
CHUNK_PARAMETER = "Frame"


def _parameter(setting, required=False):
    definition = {"name": setting.name, "type": setting.kind, "description": setting.description}
    if setting.kind == PATH_KIND:
        definition.update(objectType=setting.object_type, dataFlow=setting.data_flow)
    if setting.default is not None and not required:
        definition["default"] = setting.default
    if setting.allowed:
        definition["allowedValues"] = list(setting.allowed)
    if setting.low is not None:
        definition["minValue"] = int(setting.low) if setting.kind == INT_KIND else setting.low
    if setting.high is not None:
        definition["maxValue"] = int(setting.high) if setting.kind == INT_KIND else setting.high
    return definition


def _command_parameters(farm_job):
    return [
        {"name": "Python", "type": "STRING", "default": "python3", "minLength": 1,
         "description": "The Python with torch that runs neural-render on the worker hosts"},
        {"name": "NeuralRenderCli", "type": "PATH", "objectType": "FILE", "dataFlow": "NONE",
         "description": "The neural-render command-line script on the worker hosts (scripts/neural-render)"},
        {"name": "FrameStart", "type": "INT", "default": farm_job.first_frame, "minValue": 0,
         "description": "The first frame of the shot"},
        {"name": "FrameEnd", "type": "INT", "minValue": 0, "description": "The last frame of the shot"},
        {"name": "ChunkSize", "type": "INT", "default": farm_job.chunk_size, "minValue": 1,
         "description": "Frames per task"},
        {"name": "OutputDir", "type": "PATH", "objectType": "DIRECTORY", "dataFlow": "OUT",
         "description": "Where the frames go (created if missing)"},
        {"name": "OutputName", "type": "STRING", "default": farm_job.output_name, "minLength": 1,
         "description": "The frames' file name; #### is the frame number"},
    ]


def _args(farm_job):
    args = ["{{Param.NeuralRenderCli}}", farm_job.subcommand]
    for setting in farm_job.inputs + farm_job.settings:
        args += setting.words("{{Param.%s}}" % setting.name)
    if farm_job.warmup is not None:  # the chunk's history: never from before the shot's first frame
        args += farm_job.warmup.words("{{Param.%s}}" % farm_job.warmup.name)
        args += ["--shot-start", "{{Param.FrameStart}}"]
    args += ["--range", "{{Task.Param.%s}}" % CHUNK_PARAMETER, "--out", "{{Param.OutputDir}}/{{Param.OutputName}}"]
    return args


def template(farm_job):
    """The job template of ``farm_job`` as a JSON-ready dict."""
    settings = farm_job.settings + ((farm_job.warmup,) if farm_job.warmup else ())
    step = farm_job.title.replace(" ", "")
    return {
        "specificationVersion": SPECIFICATION,
        "extensions": ["TASK_CHUNKING"],
        "name": f"Neural Render {farm_job.title} {{{{Param.FrameStart}}}}-{{{{Param.FrameEnd}}}}",
        "description": farm_job.summary,
        "parameterDefinitions": (_command_parameters(farm_job) + [_parameter(setting, required=True)
                                                                  for setting in farm_job.inputs]
                                 + [_parameter(setting) for setting in settings]),
        "steps": [{
            "name": step,
            "parameterSpace": {"taskParameterDefinitions": [{
                "name": CHUNK_PARAMETER, "type": "CHUNK[INT]",
                "range": "{{Param.FrameStart}}-{{Param.FrameEnd}}",
                "chunks": {"defaultTaskCount": "{{Param.ChunkSize}}", "rangeConstraint": "CONTIGUOUS"},
            }]},
            "script": {"actions": {"onRun": {"command": "{{Param.Python}}", "args": _args(farm_job)}}},
        }],
    }


def parameter_values(values):
    """A Deadline Cloud job bundle's parameter_values document from {name: value}."""
    return {"parameterValues": [{"name": name, "value": value} for name, value in values.items()]}
