"""Worker job ``relight_image.apply``: one image relit against a world by the trained network.

Parameters, inputs and outputs are declared in ``protocol/specs/relight_image.py``; the world is read
by the same code as the light-stage relighting's (``relight/world_request.py``). Bad input is
refused before any work: not an image, too small or too large, not finite, a matte of another size,
a model file that is not one.
"""

import numpy as np

from ...protocol import model_cards
from ...protocol.frame_paths import frame_path
from ...protocol.specs import relight_image as spec
from ..imageio.errors import ImageFileError
from ..imageio.files import write_image
from ..jobs import JobInputError, file_stamp, job
from ..relight import world_request
from . import checkpoint, core, environment_grid

MAX_PIXELS = 8192 * 8192
BUNDLED_PATH = model_cards.BUNDLED_MODELS["relight_image"]


def _model(context, params):
    path = params["weights_path"] or BUNDLED_PATH
    key = ("relight_image", path, file_stamp(path), str(context.device))

    def load():
        try:
            model = checkpoint.network_from_checkpoint(checkpoint.load_checkpoint(path))
        except checkpoint.CheckpointError as error:
            if path == BUNDLED_PATH:
                raise JobInputError(f"the bundled relighting model is not installed ({error})") from None
            raise JobInputError(str(error)) from None
        return model.to(context.device)

    return context.models.get(key, load)


def _subject(inputs):
    if "image" not in inputs:
        raise JobInputError("relight image needs an input image named 'image'")
    image = np.asarray(inputs["image"], dtype=np.float32)
    if image.ndim == 3 and image.shape[2] == 2:  # grey + alpha
        image = np.concatenate([np.repeat(image[:, :, :1], 3, axis=2), image[:, :, 1:]], axis=2)
    height, width = image.shape[:2]
    if image.ndim in (2, 3) and min(height, width) < spec.MIN_SIDE:
        raise JobInputError(f"image is {width}x{height}: too small to relight (at least {spec.MIN_SIDE} px a side)")
    if image.ndim in (2, 3) and height * width > MAX_PIXELS:
        raise JobInputError(f"image is {width}x{height}: larger than the 8192x8192 this job handles; scale it down")
    try:
        return core.split_image(image, inputs.get("matte"))
    except core.RelightInputError as error:
        raise JobInputError(str(error)) from None


@job(spec.APPLY)
def relight_image(context, params, inputs):
    context.progress(0.0, "reading the image and the world")
    rgb, matte, alpha = _subject(inputs)
    if float(matte.max()) <= 0.0:
        raise JobInputError("the matte is empty: nothing to relight (a matte is white where the subject is)")
    environment = world_request.environment(params, inputs)
    source = world_request.environment(params, inputs, prefix="source_", required=False)
    frames = world_request.frame_environments(params, environment)
    output = world_request.output(params, frames)
    grids = []
    report = context.stage(0.02, 0.1)
    for index, frame in enumerate(frames):
        grids.append(environment_grid.environment_grid(frame))
        report((index + 1) / len(frames), f"the world's lighting for frame {index + 1} of {len(frames)}")
    source_grid = None if source is None else environment_grid.environment_grid(source)
    if source_grid is not None and float(source_grid.max()) <= 0.0:
        raise JobInputError("the source world is black: nothing could have lit the image (give its strength)")
    model = _model(context, params)
    side = params["network_side"]
    height, width = rgb.shape[:2]
    results, estimate = [], None
    report = context.stage(0.12, 0.88)
    # Frames in groups: a long shot's results leave memory (or go to disk) as they are done.
    group = max(1, min(core.FRAMES_PER_PASS, (1 << 28) // max(1, height * width * 16)))
    for start in range(0, len(grids), group):
        context.check_cancelled()
        relit, estimated = core.relight(model, rgb, matte, grids[start:start + group], side, context.device,
                                        source_grid=source_grid, cancelled=context.check_cancelled)
        estimate = estimated if estimate is None else estimate
        for offset, frame in enumerate(relit):
            index = start + offset
            world = core.front_view(frames[index], height, width) if params["background"] == "world" else None
            composed = core.composite(frame, rgb, matte, alpha, params["background"], world)
            if output is not None:
                pattern, numbers = output
                try:
                    write_image(frame_path(pattern, numbers[index]), composed)
                except (ImageFileError, OSError) as error:
                    raise JobInputError(f"cannot write frame {numbers[index]}: {error}") from None
                results = [composed]
            else:
                results.append(composed)
        report(min(1.0, (start + group) / len(grids)), f"relit {min(len(grids), start + group)} of {len(grids)} frames")
    context.progress(1.0, "done")
    source = estimate.astype(np.float32)
    if output is not None:
        return {"last": results[-1], "source_environment": source}
    if params["frames"] is None:
        return {"relit": results[0], "source_environment": source}
    returned = {f"frame_{index:04d}": frame for index, frame in enumerate(results)}
    returned["source_environment"] = source
    return returned
