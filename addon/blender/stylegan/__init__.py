"""StyleGAN textures inside Blender: train on a folder of textures (modal, progress, live preview, Esc
keeps the last checkpoint), generate and mix textures as float datablocks, project an image of your
own into the model and make variations of it, wired into a material.
"""

from . import operators, panels, settings

# The scene property the panels edit, and its PropertyGroup (registration attaches it).
SETTINGS = ("neural_render_stylegan", settings.NeuralRenderStyleGanSettings)
CLASSES = (
    settings.NeuralRenderStyleGanSettings,
    *operators.CLASSES,
    *panels.CLASSES,
)
