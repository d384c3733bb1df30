"""Add-on preferences: which Python runs the worker, on which device, and how it is supervised."""

import bpy

from ..protocol.specs.common import DEVICE
from . import ADDON_PACKAGE, spec_properties


class NeuralRenderPreferences(bpy.types.AddonPreferences):
    bl_idname = ADDON_PACKAGE

    worker_python: bpy.props.StringProperty(
        name="Worker Python",
        description="Python interpreter with torch installed that runs the worker. Empty: the "
                    "environment prepared by 'Set Up Worker Environment'",
        subtype="FILE_PATH",
    )
    device: spec_properties.property_for(DEVICE)
    silence_timeout: bpy.props.FloatProperty(
        name="Worker Timeout", description="Stop a worker that reports nothing for this long",
        default=120.0, min=5.0, max=3600.0, subtype="TIME_ABSOLUTE", unit="TIME_ABSOLUTE")
    allow_downloads: bpy.props.BoolProperty(
        name="Allow Model Downloads",
        description="Let the worker download pretrained weights on first use",
        default=False)
    vgg19_weights_path: bpy.props.StringProperty(
        name="VGG19 Weights",
        description="torchvision's vgg19-dcbb9e9d.pth for style transfer (checked by its hash). Empty: "
                    "torchvision's download cache, or a download if allowed; else the offline VGG16",
        subtype="FILE_PATH")
    colorize_weights_path: bpy.props.StringProperty(
        name="Colorization Weights",
        description="The ECCV16 release colorization_release_v2-9b330a0b.pth (checked by its hash). "
                    "Empty: the small model that ships with the add-on",
        subtype="FILE_PATH")
    env_flavour: bpy.props.EnumProperty(
        name="Build", items=(("cpu", "CPU", "Smaller download, runs anywhere"),
                             ("cuda", "CUDA", "For NVIDIA GPUs")), default="cpu")

    def draw(self, context):
        layout = self.layout
        column = layout.column()
        column.prop(self, "worker_python")
        row = column.row(align=True)
        row.prop(self, "env_flavour", expand=True)
        row.operator("neural_render.setup_worker_env", icon="CONSOLE")
        column.prop(self, "device")
        column.prop(self, "silence_timeout")
        column.prop(self, "allow_downloads")
        models = column.box()
        models.label(text="Pretrained weights (optional)", icon="FILE_BLANK")
        models.prop(self, "vgg19_weights_path")
        models.prop(self, "colorize_weights_path")
        column.operator("neural_render.check_worker", icon="CHECKMARK")


class DefaultPreferences:
    """The preference values used when the add-on runs without being enabled (tests, scripts)."""
    worker_python = ""
    device = DEVICE.default
    silence_timeout = 120.0
    allow_downloads = False
    env_flavour = "cpu"
    vgg19_weights_path = ""
    colorize_weights_path = ""


def get(context=None):
    context = context or bpy.context
    addon = context.preferences.addons.get(ADDON_PACKAGE)
    return addon.preferences if addon is not None else DefaultPreferences()
