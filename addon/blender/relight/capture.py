"""The virtual light stage: render a scene with Cycles one sun lamp at a time into a light set.

For each light direction d_i the scene is rendered with every lamp of its own hidden, the world
black, and a single sun of strength 1 (irradiance 1 W/m^2 at the subject, whatever its angle)
shining from d_i. The sun's angular diameter is that of a disc with the solid angle of the light's
cell (its Voronoi cell among the set's lights), so the light spreads over the part of the sphere the
weights integrate it over, and shadows soften as an environment's would. Directions, cells and sun
angles come from ``protocol/sphere.py``, the geometry the worker weights the set with. Everything else -- samples,
seed, light paths, clamping, film transparency -- stays as the scene has it, so a direct render of the
scene under a world is the same estimator as the relit set: to compare them, use the same settings.

Images are written as 32-bit float Linear Rec.709 EXR next to a ``lights.csv`` (format 1).
Emissive materials in the scene would be added to every light's image: the set assumes lamps only.
"""

import os
from contextlib import contextmanager

import bpy
import numpy as np
from mathutils import Vector

from ...protocol import sphere
from ...protocol.specs.relight import LIGHTS_CSV
from .. import datablocks

LIGHT_PREFIX = "light_"
CSV_NAME = LIGHTS_CSV
_SUN_NAME = "NR Light Stage Sun"
_BLACK_WORLD_NAME = "NR Light Stage Black"


class CaptureError(RuntimeError):
    """The scene cannot be captured (no camera, cancelled...)."""


def light_file_name(index):
    return f"{LIGHT_PREFIX}{index:04d}.exr"


def sun_rotation(direction):
    """Euler rotation of a sun lamp whose light comes from ``direction`` (it shines along -d)."""
    return Vector(direction).normalized().to_track_quat("Z", "Y").to_euler()


def capture_light_stage(scene, folder, directions, progress=None):
    """Render ``scene`` once per light direction into ``folder``; return the lights.csv path.

    ``progress(done, total)`` is called after every light; it may raise to cancel (the lamps, world
    and settings of the scene are restored either way).
    """
    directions = np.asarray(directions, dtype=np.float64)
    if directions.ndim != 2 or directions.shape[1] != 3 or len(directions) == 0:
        raise CaptureError(f"light directions must be an (L, 3) array, got shape {directions.shape}")
    if scene.camera is None:
        raise CaptureError(f"Scene '{scene.name}' has no camera to capture the light stage with")
    os.makedirs(folder, exist_ok=True)
    angles = sphere.sun_angles(directions)
    names = [light_file_name(index) for index in range(len(directions))]
    with _capture_setup(scene) as sun:
        for index, (direction, angle) in enumerate(zip(directions, angles)):
            sun.rotation_euler = sun_rotation(direction)
            sun.data.angle = angle
            bpy.ops.render.render(scene=scene.name)
            _save_render_result(scene, os.path.join(folder, names[index]))
            if progress is not None:
                progress(index + 1, len(directions))
    csv_path = os.path.join(folder, CSV_NAME)
    _write_csv(csv_path, names, directions)
    return csv_path


def _write_csv(path, names, directions):
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8", newline="") as handle:
        handle.write("file,x,y,z\n")
        for name, (x, y, z) in zip(names, directions):
            handle.write(f"{name},{x:.9f},{y:.9f},{z:.9f}\n")
    os.replace(temporary, path)


@contextmanager
def _capture_setup(scene):
    """Black world, the scene's lamps hidden, one sun lamp, Cycles, persistent data; all restored."""
    render = scene.render
    saved = {"engine": render.engine, "persistent": render.use_persistent_data, "world": scene.world,
             "compositing": render.use_compositing, "sequencer": render.use_sequencer}
    hidden = [obj for obj in scene.objects if obj.type == "LIGHT" and not obj.hide_render]
    black = bpy.data.worlds.new(_BLACK_WORLD_NAME)
    black.color = (0.0, 0.0, 0.0)
    if black.node_tree is not None:  # 5.0 worlds always have nodes; make the Background emit nothing
        for node in black.node_tree.nodes:
            if node.bl_idname == "ShaderNodeBackground":
                node.inputs["Strength"].default_value = 0.0
    sun_data = bpy.data.lights.new(_SUN_NAME, "SUN")
    sun_data.energy = 1.0
    sun_data.color = (1.0, 1.0, 1.0)
    sun = bpy.data.objects.new(_SUN_NAME, sun_data)
    scene.collection.objects.link(sun)
    try:
        render.engine = "CYCLES"
        render.use_persistent_data = True  # only the sun changes between renders: no re-sync
        scene.world = black
        # The set holds what the camera sees: a compositor tree (which may show any image) or the
        # sequencer would replace the render in the Render Result.
        render.use_compositing = False
        render.use_sequencer = False
        for obj in hidden:
            obj.hide_render = True
        with _exr_output(scene):
            yield sun
    finally:
        for obj in hidden:
            obj.hide_render = False
        scene.world = saved["world"]
        render.engine = saved["engine"]
        render.use_persistent_data = saved["persistent"]
        render.use_compositing = saved["compositing"]
        render.use_sequencer = saved["sequencer"]
        bpy.data.objects.remove(sun)
        bpy.data.lights.remove(sun_data)
        bpy.data.worlds.remove(black)


_OUTPUT_SETTINGS = ("media_type", "file_format", "color_mode", "color_depth", "exr_codec", "color_management")


@contextmanager
def _exr_output(scene):
    """The scene's output set to 32-bit float Linear Rec.709 EXR while capturing, then put back."""
    settings = scene.render.image_settings
    saved = [(name, getattr(settings, name)) for name in _OUTPUT_SETTINGS if hasattr(settings, name)]
    # The linear colour space holds a value only under a colour override; reading it otherwise makes
    # Blender warn "current value '-1' matches no enum".
    saved_linear = settings.linear_colorspace_settings.name \
        if getattr(settings, "color_management", None) == "OVERRIDE" else None
    try:
        datablocks.configure_exr_output(settings, convert_to_rec709=True)
        yield
    finally:
        for name, value in saved:  # media type and format first: the others' valid values follow them
            if getattr(settings, name) != value:
                setattr(settings, name, value)
        if saved_linear and settings.linear_colorspace_settings.name != saved_linear:
            try:
                settings.linear_colorspace_settings.name = saved_linear
            except TypeError:
                pass


def _save_render_result(scene, path):
    result = next((image for image in bpy.data.images if image.type == "RENDER_RESULT"), None)
    if result is None:
        raise CaptureError(f"Rendering scene '{scene.name}' produced no Render Result")
    temporary = path + ".tmp.exr"
    result.save_render(temporary, scene=scene)
    os.replace(temporary, path)
