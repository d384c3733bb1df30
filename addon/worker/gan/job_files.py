"""What the texture-GAN jobs share: reading and writing image files as job errors, and a latent walk's
frames written one by one to a numbered pattern (or returned), for farm tasks and the panels."""

import os

from ...protocol.frame_paths import complete_output, frame_path
from ..jobs import JobInputError, file_stamp


def warm_model(context, kind, path, load):
    """The model file at ``path``, kept warm between jobs (many generations reload nothing); a replaced
    file (retrained, resumed) has another stamp, so it is loaded afresh with ``load(path, device)``."""
    if not os.path.isfile(path):
        raise JobInputError(f"no model file at {path}")
    return context.models.get((kind, path, file_stamp(path), str(context.device)),
                              lambda: load(path, context.device))


def read_image(path):
    from ..imageio.errors import ImageFileError
    from ..imageio.files import read_image
    try:
        return read_image(path)
    except ImageFileError as error:
        raise JobInputError(str(error)) from error


def write_image(path, image):
    from ..imageio.files import write_image
    write_image(path, image)  # atomic: the Blender side may be reading the previous one


def walk_indices(params, total):
    """The walk's frame indices this job makes: ``walk_range`` (or all), less finished files."""
    first, last = 0, total - 1
    if params["walk_range"] is not None:
        if len(params["walk_range"]) != 2 or params["walk_range"][0] > params["walk_range"][1]:
            raise JobInputError("walk_range is two frame indices, FIRST <= LAST")
        first, last = params["walk_range"]
        if last >= total:
            raise JobInputError(f"walk_range ends at frame {last}, after the walk's last frame {total - 1}")
    pattern = params["output_pattern"]
    if params["skip_existing"] and pattern:
        return [index for index in range(first, last + 1) if not complete_output(frame_path(pattern, index))]
    return list(range(first, last + 1))


def walk(context, make_frames, total, params):
    """A latent walk's frames: written to the pattern one by one as they come (returning the last),
    or, without a pattern, all returned as frame_0000... ``make_frames(indices)`` yields those frames."""
    pattern = params["output_pattern"]
    if pattern:
        os.makedirs(os.path.dirname(os.path.abspath(pattern)), exist_ok=True)
    indices = walk_indices(params, total)
    if not indices:
        context.progress(1.0, "every frame of the range was already written")
        last_index = params["walk_range"][1] if params["walk_range"] else total - 1
        return {"last": read_image(frame_path(pattern, last_index))}
    outputs, last = {}, None
    for done, (index, frame) in enumerate(zip(indices, make_frames(indices)), 1):
        if pattern:
            write_image(frame_path(pattern, index), frame)
            last = frame
        else:
            outputs[f"frame_{index:04d}"] = frame
        context.progress(done / len(indices), f"frame {index} ({done} of {len(indices)})")
    return {"last": last} if pattern else outputs
