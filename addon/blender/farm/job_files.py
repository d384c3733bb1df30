"""What a farm job of each capability needs from the scene: its inputs already on disk (the rendered
frames, a style image, a light set, an image to relight, a GAN model), the panel's settings and the
frame range, as the job parameters of the capability's template (protocol/farm/job_types.py). Files the farm needs that exist
only in the .blend -- the world's animation -- are written into the job folder; a style image is copied
there, so the bundle carries what it uses.

    farm_job, values = collect(context, "STYLIZE", folder)   # values: {OpenJD parameter: value}

Nothing in the scene is changed (the relight reader steps through frames and restores the current one).
"""

import math
import os
import shutil

import bpy

from ...protocol.farm import bundles, job_types
from ...protocol.frame_paths import numbered_frames
from ..job_operator import UserFacingError


def _absolute(path):
    return os.path.normpath(bpy.path.abspath(path)) if path else ""


def _rendered_frames(scene, what):
    """The folder of the scene's rendered frames, every frame of the range present, as Blender names them."""
    first, last = scene.frame_start, scene.frame_end
    paths = {frame: scene.render.frame_path(frame=frame) for frame in range(first, last + 1)}
    missing = [frame for frame, path in paths.items() if not os.path.isfile(path)]
    if missing:
        raise UserFacingError(f"{what} reads the rendered frames, and {len(missing)} of frames {first}-{last} are not on "
                              f"disk (first missing: {paths[missing[0]]}): render the animation first")
    folders = {os.path.dirname(path) for path in paths.values()}
    if len(folders) != 1:
        raise UserFacingError("the render output puts frames in several folders; use one folder for the shot")
    folder = folders.pop()
    try:
        found = numbered_frames(folder)
    except ValueError as error:
        raise UserFacingError(f"the render folder {folder}: {error}; keep one numbered sequence there") from None
    stray = sorted(number for number, path in found.items() if path not in paths.values() and first <= number <= last)
    if stray:
        raise UserFacingError(f"the render folder {folder} holds other numbered files for frame(s) "
                              f"{', '.join(map(str, stray[:5]))}; keep one sequence there")
    return folder


def _common(context, settings, output):
    values = {"Python": settings.python or "python3", "FrameStart": context.scene.frame_start,
              "FrameEnd": context.scene.frame_end, "OutputDir": output}
    if settings.neural_render_cli:
        values["NeuralRenderCli"] = _absolute(settings.neural_render_cli)
    if settings.chunk_size:
        values["ChunkSize"] = settings.chunk_size
    return values


def _stylize(context, folder):
    scene = context.scene
    panel = scene.neural_render_stylize
    image_settings = scene.render.image_settings
    if image_settings.file_format != "OPEN_EXR_MULTILAYER":
        raise UserFacingError("Stylize on the farm reads multilayer EXR renders: set Output > File Format to "
                              "OpenEXR MultiLayer (with the Vector pass) and render the animation")
    if panel.temporal and not context.view_layer.use_pass_vector:
        raise UserFacingError("Temporal consistency needs the Vector pass: enable View Layer > Passes > Vector "
                              "and render the animation")
    slots = list(panel.styles)
    active = slots[panel.active_style] if 0 <= panel.active_style < len(slots) else None
    style = active.image if active is not None and active.image is not None else \
        next((slot.image for slot in slots if slot.image is not None), None)
    if style is None:
        raise UserFacingError("Add a style image in the Stylize panel first")
    style_path = _absolute(style.filepath)
    if style.packed_file is not None or not os.path.isfile(style_path):
        raise UserFacingError(f"The style image '{style.name}' is not a file on disk (packed or generated): save "
                              "it to a file first")
    frames = _rendered_frames(scene, "Stylize")  # every check before anything is written
    copied = os.path.join(folder, "style" + os.path.splitext(style_path)[1].lower())
    os.makedirs(folder, exist_ok=True)
    shutil.copyfile(style_path, copied + ".writing")  # whole, then renamed: a reader never sees half of it
    os.replace(copied + ".writing", copied)
    values = {"Frames": frames, "Style": copied, "Preset": panel.animation_preset,
              "Temporal": "--temporal" if panel.temporal else "--no-temporal"}
    if hasattr(panel, "strength"):
        values["Strength"] = float(panel.strength)
    return values, _absolute(panel.output_directory) or os.path.join(folder, "output")


def _on_disk(image, what):
    """The file an image datablock was loaded from, refused when it lives only in the .blend."""
    path = _absolute(image.filepath)
    if image.packed_file is not None or not os.path.isfile(path):
        raise UserFacingError(f"The {what} '{image.name}' is not a file on disk: save or unpack it first")
    return path


def _world_animation(scene, panel, folder, what):
    """(world image file, world_animation.json) of the panel's world (else the scene's), evaluated frame
    by frame exactly as the animation operators read it, the panel's Strength/Rotation overrides applied."""
    from ..relight import world_reader
    world = panel.world or scene.world
    rows, image = [], None
    current = scene.frame_current
    try:
        for frame in range(scene.frame_start, scene.frame_end + 1):
            scene.frame_set(frame)
            lighting = world_reader.read_world(world)
            if lighting.image is None:
                raise UserFacingError(f"{what} on the farm needs a world with an Environment Texture image")
            image = lighting.image
            rotation = (lighting.mapping or {}).get("rotation", [0.0, 0.0, 0.0])[2]
            strength = float(panel.strength) if panel.use_strength else lighting.strength
            if panel.use_rotation:
                rotation = math.radians(panel.rotation_deg)
            rows.append({"frame": frame, "rotation": math.degrees(rotation), "strength": strength})
    finally:
        scene.frame_set(current)
    world_path = _on_disk(image, "world image")
    animation = os.path.join(folder, "world_animation.json")
    bundles.write_json(animation, rows)
    return world_path, animation


def _output_folder(panel, folder):
    output = _absolute(panel.output_path)
    return output if output and not os.path.splitext(output)[1] else os.path.join(folder, "output")


def _relight(context, folder):
    panel = context.scene.neural_render_relight
    light_set = _absolute(panel.set_dir)
    if not os.path.isdir(light_set):
        raise UserFacingError("Choose the light-stage set folder in the Relight panel first")
    world, animation = _world_animation(context.scene, panel, folder, "Relight")
    return {"LightSet": light_set, "World": world, "WorldAnimation": animation}, _output_folder(panel, folder)


def _relight_image(context, folder):
    panel = context.scene.neural_render_relight_image
    if panel.image is None:
        raise UserFacingError("Choose the image in the Relight Image panel first")
    if panel.matte is not None:
        raise UserFacingError("Relight Image on the farm takes the subject from the image's alpha: clear the "
                              "panel's Matte, or save the image with the matte as its alpha")
    if panel.source_world is not None:
        raise UserFacingError("Relight Image on the farm estimates the lighting from the image: clear the "
                              "panel's Source World, or run the sequence subcommand with --source-world")
    image = _on_disk(panel.image, "image to relight")
    world, animation = _world_animation(context.scene, panel, folder, "Relight Image")
    values = {"Image": image, "World": world, "WorldAnimation": animation, "Background": panel.background,
              "NetworkSide": int(panel.network_side)}
    return values, _output_folder(panel, folder)


def _colorize(context, folder):
    panel = context.scene.neural_render_colorize
    values = {"Frames": _rendered_frames(context.scene, "Colorize"), "Model": panel.model,
              "Temperature": float(panel.temperature), "Seamless": "--seamless" if panel.seamless else "--no-seamless"}
    return values, os.path.join(folder, "output")


def _gan_walk(context, folder):
    panel = context.scene.neural_render_gan
    model = _absolute(panel.model_path)
    if not os.path.isfile(model):
        raise UserFacingError("Choose a GAN model file in the GAN panel first")
    count = max(2, panel.count)
    walk = job_types.find("gan_walk")
    frames_between = next(setting.default for setting in walk.settings if setting.name == "WalkFrames")
    values = {"Model": model, "Width": panel.width or 512, "Height": panel.height or panel.width or 512,
              "Count": count, "WalkFrames": frames_between, "Seed": panel.seed,
              "Tileable": "--tileable" if panel.tileable else "--no-tileable", "Variation": float(panel.variation)}
    return values, os.path.join(folder, "output")


_COLLECTORS = {"STYLIZE": _stylize, "RELIGHT": _relight, "RELIGHT_IMAGE": _relight_image, "COLORIZE": _colorize,
               "GAN_WALK": _gan_walk}


def collect(context, capability, folder):
    """(farm job, {job parameter: value}) for ``capability`` (a settings enum value), files into ``folder``."""
    settings = context.scene.neural_render_farm
    farm_job = job_types.find(capability.lower())
    values, output = _COLLECTORS[capability](context, folder)
    common = _common(context, settings, output)
    if capability == "GAN_WALK":  # a walk's frames are its own: 0 .. count x frames between - 1
        common.update(FrameStart=0, FrameEnd=values["Count"] * values["WalkFrames"] - 1)
    common.update(values)
    return farm_job, common
