"""Moving float32 images between the processes without lossy conversion.

An image crosses the process boundary as an *image reference*: a small dict naming a file in the
slot file plus its shape and row order. The one transport is ``"shm"``: raw float32 samples in a
memory-mapped file. On Linux the slots live in ``/dev/shm`` so the file is shared memory; elsewhere it
is a temp file the OS keeps in its page cache. The Blender side fills it straight from
``pixels.foreach_get`` (no intermediate copy). (An EXR-file transport was measured against it and
dropped: 11-12x slower at 2K and 4K; ``scripts/bench/bench_worker.py`` still times that comparison.)

One more kind of reference names a layer of an OpenEXR file on disk (``"exr_layer"``): Blender
cannot give Python the pixels of a multi-layer datablock, so the worker reads that layer itself
(``protocol/exr_layers.py`` picks it; the shape in the reference is what the file's header says,
and the worker checks the pixels it reads against it).

``origin`` says which row comes first: ``"top"`` (image files, numpy convention) or ``"bottom"``
(Blender's pixel buffers). Readers return a top-first view; writers accept either, so the Blender side
never pays for a flip copy.
"""

import os
import sys
import tempfile

import numpy as np

TRANSPORTS = ("shm",)
DEFAULT_TRANSPORT = "shm"
EXR_LAYER = "exr_layer"   # a layer of an EXR file, read by the worker
MAX_PIXELS = 16384 * 16384  # refuse absurd shapes before allocating anything


class ImageRefError(ValueError):
    """An image reference is malformed or points at data that does not match it."""


def job_root():
    """Where per-job folders go: shared memory when the OS exposes it as a filesystem."""
    shm = "/dev/shm"
    if sys.platform.startswith("linux") and os.path.isdir(shm) and os.access(shm, os.W_OK):
        return shm
    return tempfile.gettempdir()


def validated_shape(height, width, channels):
    for name, value in (("height", height), ("width", width), ("channels", channels)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ImageRefError(f"image {name} must be a whole number, got {value!r}")
    height, width, channels = int(height), int(width), int(channels)
    if height <= 0 or width <= 0:
        raise ImageRefError(f"image has zero size ({width}x{height})")
    if channels not in (1, 3, 4):
        raise ImageRefError(f"image has {channels} channels; expected 1, 3 or 4")
    if height * width > MAX_PIXELS:
        raise ImageRefError(f"image of {width}x{height} is larger than the supported maximum")
    return height, width, channels


def make_ref(path, height, width, channels, transport=DEFAULT_TRANSPORT, origin="top"):
    if transport not in TRANSPORTS:
        raise ImageRefError(f"unknown transport {transport!r}")
    if origin not in ("top", "bottom"):
        raise ImageRefError(f"unknown row origin {origin!r}")
    height, width, channels = validated_shape(height, width, channels)
    return {"transport": transport, "path": str(path), "height": height, "width": width,
            "channels": channels, "dtype": "float32", "origin": origin}


def make_exr_layer_ref(path, layer, height, width, channels):
    """A reference to the layer ``layer`` ('' for the automatic choice) of the EXR file at ``path``."""
    if not isinstance(layer, str):
        raise ImageRefError(f"an EXR layer must be named by a string, got {layer!r}")
    height, width, channels = validated_shape(height, width, channels)
    return {"transport": EXR_LAYER, "path": str(path), "layer": layer, "height": height, "width": width,
            "channels": channels, "dtype": "float32", "origin": "top"}


def check_ref(ref):
    """Validate a reference received from the other process; return it normalised."""
    if not isinstance(ref, dict):
        raise ImageRefError("image reference must be an object")
    if ref.get("transport") == EXR_LAYER:
        if not isinstance(ref.get("path"), str) or not ref["path"]:
            raise ImageRefError(f"an EXR layer reference needs a file path, got {ref.get('path')!r}")
        return make_exr_layer_ref(ref["path"], ref.get("layer", ""), ref.get("height"), ref.get("width"),
                                  ref.get("channels"))
    if not isinstance(ref.get("path"), str):
        raise ImageRefError(f"image reference path must be a string, got {ref.get('path')!r}")
    missing = [key for key in ("transport", "path", "height", "width", "channels") if key not in ref]
    if missing:
        raise ImageRefError(f"image reference lacks {', '.join(missing)}")
    if ref.get("dtype", "float32") != "float32":
        raise ImageRefError(f"image dtype {ref.get('dtype')!r} is not float32")
    return make_ref(ref["path"], ref["height"], ref["width"], ref["channels"], ref["transport"],
                    ref.get("origin", "top"))


def allocate_shm(directory, name, height, width, channels, origin="top"):
    """Create a shared-memory image and return (ref, writable (H, W, C) array in stored row order)."""
    ref = make_ref(os.path.join(directory, name + ".f32"), height, width, channels, "shm", origin)
    mapped = np.memmap(ref["path"], dtype=np.float32, mode="w+",
                       shape=(ref["height"], ref["width"], ref["channels"]))
    return ref, mapped


def write_image(array, directory, name, transport=DEFAULT_TRANSPORT, origin="top"):
    """Write a top-first (H, W, C) float array for the other process; return its reference.

    ``origin="bottom"`` stores rows bottom-first, the order Blender's ``foreach_set`` wants.
    """
    array = np.asarray(array)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3:
        raise ImageRefError(f"image array must be (H, W, C); got shape {array.shape}")
    height, width, channels = array.shape
    rows = array[::-1] if origin == "bottom" else array
    if transport not in TRANSPORTS:
        raise ImageRefError(f"unknown transport {transport!r}")
    ref, mapped = allocate_shm(directory, name, height, width, channels, origin)
    mapped[...] = rows
    mapped.flush()
    del mapped
    return ref


def read_image(ref, stored_order=False, mappings=None):
    """Return the image behind ``ref`` as an (H, W, C) float32 array, top row first.

    For shm the array is a read-only memory map (no copy): callers that keep it past the job's life
    must copy. ``mappings`` (an ``arena.MappingCache``) reuses mappings across jobs.
    ``stored_order=True`` skips the flip view and returns rows as stored.
    """
    ref = check_ref(ref)
    if ref["transport"] == EXR_LAYER:
        raise ImageRefError("an EXR layer reference is read by the worker's image reader, not mapped")
    if mappings is None:
        from .arena import MappingCache
        mappings = MappingCache(max_entries=1)
    stored = mappings.read(ref)
    if stored_order or ref["origin"] == "top":
        return stored
    return stored[::-1]
