"""Moving image datablocks into worker jobs and results back into datablocks, without extra copies.

Inputs are written straight from ``pixels.foreach_get`` into the job's shared-memory files (rows
bottom-first, as Blender stores them); outputs are requested bottom-first so ``foreach_set`` reads
the mapped file directly. A multi-layer EXR datablock, whose pixels Blender does not give Python,
goes as a reference to its chosen layer's file, which the worker reads (``multilayer``).
"""

from ..protocol import images
from . import datablocks, multilayer


def submit_image_job(client, kind, params, input_images, extra_arrays=None):
    """Submit ``kind`` with each ``bpy.types.Image`` in ``input_images`` (name -> image) as an input."""
    refs = {}
    try:
        for name, image in input_images.items():
            if multilayer.is_multilayer(image):
                refs[name] = multilayer.layer_ref(image)
                continue
            width, height = image.size
            ref, slot = client.acquire_input(height, width, 4, origin="bottom")
            refs[name] = ref
            datablocks.image_to_array(image, out=slot)
    except Exception:
        client.release_inputs(refs)  # a refused image leaves no slot taken
        raise
    return client.submit(kind, params, extra_arrays, input_refs=refs, output_origin="bottom")


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
