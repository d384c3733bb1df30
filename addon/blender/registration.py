"""Every class the add-on registers, in order, and the register/unregister pair."""

import bpy

from . import job_operator, multilayer, operators, panels, preferences, render_hook, worker_env_ops, worker_session
from . import gan
from . import stylegan
from . import relight
from . import relight_image
from . import stylize
from . import colorize
from . import material
from . import farm

# One Blender-side package per capability; each exposes CLASSES and SETTINGS (scene property, group).
CAPABILITIES = (
    gan,
    stylegan,
    relight,
    relight_image,
    stylize,
    colorize,
    material,
    farm,
)

CLASSES = (
    preferences.NeuralRenderPreferences,
    job_operator.NeuralRenderJobStatus,
    *operators.CLASSES,
    *worker_env_ops.CLASSES,
    *panels.CLASSES,
    *(cls for capability in CAPABILITIES for cls in capability.CLASSES),
)


def register():
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.WindowManager.neural_render_job = bpy.props.PointerProperty(
        type=job_operator.NeuralRenderJobStatus)
    multilayer.register()
    for capability in CAPABILITIES:
        name, group = capability.SETTINGS
        setattr(bpy.types.Scene, name, bpy.props.PointerProperty(type=group))


def unregister():
    worker_env_ops.shutdown()  # a setup in progress is cancelled, not orphaned
    worker_session.shutdown()
    render_hook.disable()  # no handler of ours outlives the add-on
    for capability in reversed(CAPABILITIES):
        delattr(bpy.types.Scene, capability.SETTINGS[0])
    multilayer.unregister()
    del bpy.types.WindowManager.neural_render_job
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
