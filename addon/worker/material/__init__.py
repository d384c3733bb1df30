"""Material maps from a photo: a pix2pix network (U-Net generator, PatchGAN critic, trained on real
material textures) predicts tangent-space normals and height; a Fourier integration turns any normal
map into height.

Importing the package registers the worker jobs ``material.from_photo`` and
``material.normal_to_height`` (job.py). Every other module is I/O-free.
"""

from . import job  # noqa: F401  (registers the jobs)
