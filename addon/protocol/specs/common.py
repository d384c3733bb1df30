"""Conventions every capability shares: the device choice and the colour handling of image files."""

from .params import BOOL, CHOICE, Choice, Param

DEVICES = ("auto", "cpu", "cuda", "mps")
DEVICE_CHOICES = (
    Choice("auto", "Automatic", "CUDA, then Apple Metal (MPS), then the CPU"),
    Choice("cpu", "CPU", "The processor: always available, slowest"),
    Choice("cuda", "CUDA", "An NVIDIA GPU"),
    Choice("mps", "Apple Metal", "The GPU of an Apple silicon Mac"),
)

# Not a job parameter: the process's device (the worker's --device, the CLI's --device, the
# add-on preference). Declared here once so all three offer the same choices.
DEVICE = Param("device", CHOICE, "Where torch runs: automatic picks CUDA, then Apple Metal, then the CPU",
               default="auto", choices=DEVICE_CHOICES)

PREMULTIPLIED = Param("premultiplied", BOOL,
                      "The input's colour is premultiplied by its alpha (Blender's and EXR's convention; "
                      "PNG/TIFF alpha is straight)", default=True, cli="")
