"""Moving image datablocks into worker jobs and results back into datablocks, without extra copies.

Inputs are written straight from ``pixels.foreach_get`` into the job's shared-memory files (rows
bottom-first, as Blender stores them); outputs are requested bottom-first so ``foreach_set`` reads
the mapped file directly.
"""

import shutil

from ..protocol import images
from . import datablocks


def submit_image_job(client, kind, params, input_images, extra_arrays=None):
    """Submit ``kind`` with each ``bpy.types.Image`` in ``input_images`` (name -> image) as an input."""
    job_dir = client.new_job_dir()
    refs = {}
    try:
        for name, image in input_images.items():
            width, height = image.size
            ref, mapped = images.allocate_shm(job_dir, "in_" + name, height, width, 4, origin="bottom")
            datablocks.image_to_array(image, out=mapped)
            mapped.flush()
            del mapped
            refs[name] = ref
        for name, array in (extra_arrays or {}).items():
            refs[name] = images.write_image(array, job_dir, "in_" + name)
    except BaseException:
        shutil.rmtree(job_dir, ignore_errors=True)
        raise
    return client.submit(kind, params, input_refs=refs, job_dir=job_dir, output_origin="bottom",
                         remove_dir_on_cleanup=True)


def result_to_datablock(handle, output_name, datablock_name):
    """Create or refresh the float datablock ``datablock_name`` from the job output ``output_name``."""
    array = handle.outputs(copy=False)[output_name]
    channels = array.shape[2]
    if channels != 4:  # Blender images are RGBA: grey fills RGB, missing alpha is opaque
        import numpy as np
        rgba = np.ones(array.shape[:2] + (4,), dtype=np.float32)
        rgba[:, :, :3 if channels == 1 else channels] = array
        array = rgba
    image = datablocks.array_to_image(array, datablock_name)
    del array
    return image
