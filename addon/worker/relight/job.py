"""Worker job ``relight.apply``: a light-stage set relit against an environment.

Its parameters, inputs and outputs are declared in ``protocol/specs/relight.py``; the job receives its
parameters checked against that spec, defaults filled in. What the spec cannot say is checked here:
the structure of ``mapping`` and ``frames``, the rank against the set's size, the environment image.

Animation frames (``frames``) are relit in blocks of GEMMs (below) and returned as ``frame_0000``, ``frame_0001``...,
or, with ``output_pattern``, each written (atomically) to ``frame_path(pattern, number)`` as soon as
it is relit and only ``last`` returned: frames leave memory as they are done, in blocks of at most
``FRAME_BLOCK`` frames and ``FRAME_BATCH_BYTES``, and a crash keeps the finished ones. (A set streamed
from disk is the exception: all frames accumulate over one pass through its files, then are written.)

Written frames are bit-identical however a shot is cut into jobs (a farm's chunks): BLAS picks its
kernels by the matrix shapes, so a frame relit among 5 others can differ in the last bit from the same
frame relit among 12. Each block therefore has the same shape whatever the job -- FRAME_BLOCK rows, the
frames whose number // FRAME_BLOCK is the block's, at row number % FRAME_BLOCK, the other rows zero.
(Streamed sets are exact to float rounding, not bit-identical across cuts.)
"""

import numpy as np
import torch

from ...protocol.frame_paths import frame_path
from ...protocol.specs import relight as spec
from ..imageio.errors import ImageFileError
from ..imageio.files import write_image
from ..jobs import JobInputError, job
from . import engine, light_sets, world_request
from .weights import light_weights

# Frames relit at once when they are written to files: their pixels (float32 RGBA out, RGB in the
# GEMM) stay under this, so a long 1080p animation never holds more than a few frames.
FRAME_BATCH_BYTES = 1 << 28
FRAME_BLOCK = 16  # rows of every GEMM that writes frames (see above): cheap padding, the set read once per block


@job(spec.APPLY)
def apply(context, params, inputs):
    context.progress(0.0, "reading the light set")
    light_set = _light_set(params)
    rank = params["rank"]
    if rank is not None and rank > light_set.count:
        raise JobInputError(f"rank must be a whole number from 1 to {light_set.count} (the set's lights), "
                            f"got {rank}")
    storage = torch.float16 if params["storage"] == "float16" else torch.float32
    limit = params["memory_limit_mb"] * 2 ** 20
    itemsize = 2 if storage == torch.float16 else 4
    streaming = light_set.bytes_needed(itemsize) > limit
    if streaming and rank is not None:
        raise JobInputError(f"the set needs {light_set.bytes_needed(itemsize) / 2**20:.0f} MB, more than "
                            f"memory_limit_mb: a low-rank preview needs it in memory")
    environment = world_request.environment(params, inputs)
    frames = world_request.frame_environments(params, environment)
    output = world_request.output(params, frames)  # last: it creates the output folder
    report = context.stage(0.0, 0.1)
    weights = []
    for index, frame_environment in enumerate(frames):
        weights.append(light_weights(frame_environment, light_set.directions))
        report((index + 1) / len(frames), f"weights for frame {index + 1} of {len(frames)}")
    weights = np.stack(weights)
    if streaming:
        lights_per_chunk = max(1, int(limit // 4 // (light_set.pixels * 3 * itemsize)))
        try:
            streamed = engine.relight_streaming(
                light_set, weights, context.device, lights_per_chunk,
                np.float16 if storage == torch.float16 else np.float32,
                progress=context.stage(0.1, 0.8 if output else 0.9))
        except light_sets.LightSetError as error:  # a light image unreadable half-way through
            raise JobInputError(str(error)) from None
        relight, batch = (lambda batch_weights: streamed), None  # noqa: E731 (one pass, no blocks)
    else:
        resident = _resident_set(context, light_set, storage)
        if rank is not None:
            preview = _low_rank(context, resident, rank)
            context.progress(0.85, f"rank {preview.rank} preview: relative error of the set "
                                   f"{preview.relative_error():.4f}")
            relight = preview.relight
        else:
            context.progress(0.9, f"relighting {len(frames)} frame(s)")
            relight = lambda batch_weights: engine.relight(resident.loaded, batch_weights)  # noqa: E731
        # The block depends on the set's size only, so every job of a shot uses the same one.
        batch = min(FRAME_BLOCK, max(1, FRAME_BATCH_BYTES // (light_set.pixels * 7 * 4)))
    if output is None and params["frames"] is None:
        relit = relight(weights)
        context.progress(1.0, "done")
        return {"relit": relit[0]}
    if output is None:  # frames returned: relit in the same blocks as written frames, so they are the same
        numbers = list(range(len(frames)))
        returned = {f"frame_{position:04d}": frame
                    for position, frame in _relit_in_blocks(context, weights, numbers, relight, batch)}
        context.progress(1.0, "done")
        return returned
    return {"last": _write_frames(context, output, weights, relight, batch)}


def _blocks(numbers, block):
    """[(block index, [(position in numbers, row)])] in order: frame ``number`` goes to block
    number // block, row number % block."""
    grouped = {}
    for position, number in enumerate(numbers):
        grouped.setdefault(number // block, []).append((position, number % block))
    return sorted(grouped.items())


def _relit_in_blocks(context, weights, numbers, relight, block):
    """Yield (position in numbers, frame), block by block (all at once when ``block`` is None)."""
    if block is None:
        groups, rows = [(0, list(enumerate(range(len(numbers)))))], len(numbers)
    else:
        groups, rows = _blocks(numbers, block), block
    for _, members in groups:
        context.check_cancelled()
        block_weights = np.zeros((rows,) + weights.shape[1:], np.float32)
        for position, row in members:
            block_weights[row] = weights[position]
        relit = relight(block_weights)
        for position, row in members:
            yield position, relit[row]
        del relit


def _write_frames(context, output, weights, relight, block):
    """Relight the frames block by block and write each as soon as its block is done; the last."""
    pattern, numbers = output
    report = context.stage(0.9, 0.1)
    last = None
    for done, (position, frame) in enumerate(_relit_in_blocks(context, weights, numbers, relight, block), 1):
        try:
            write_image(frame_path(pattern, numbers[position]), frame)
        except (ImageFileError, OSError) as error:
            raise JobInputError(f"cannot write frame {numbers[position]}: {error}") from None
        last = frame
        report(done / len(numbers), f"relit and wrote {done} of {len(numbers)} frames")
    return last


def _light_set(params):
    try:
        return light_sets.load_light_set(params["set"])
    except light_sets.LightSetError as error:
        raise JobInputError(str(error)) from None


class _Resident:
    """A set's pixels on the device and the low-rank factorisations made of them (by rank)."""

    def __init__(self, loaded):
        self.loaded = loaded
        self.low_rank = {}


def _resident_set(context, light_set, storage):
    """The set on the device, kept warm in ``context.models`` while its files do not change (the key
    holds every file's size and modification time); another set or device replaces it."""
    def load():
        try:
            return _Resident(engine.load_set(light_set, context.device, storage, progress=context.stage(0.1, 0.7),
                                             lights_per_chunk=max(1, (1 << 22) // light_set.pixels)))
        except light_sets.LightSetError as error:
            raise JobInputError(str(error)) from None

    return context.models.get(("relight.set", light_set.signature(), str(context.device), str(storage)), load)


def _low_rank(context, resident, rank):
    if rank not in resident.low_rank:
        context.progress(0.8, f"factorising the set to rank {rank}")
        resident.low_rank[rank] = engine.LowRankSet(resident.loaded, rank)
    return resident.low_rank[rank]
