"""What the two operators that light something with a world share -- the light-stage Relight and Relight
Image: which world (the caller's, the panel's, the scene's), the Strength and Rotation overrides, the
animation over the scene's frame range with the world's keyframed rotation, and the compositor node of
the result. A mixin for ``WorkerJobOperator`` subclasses that declare ``world_name``, ``use_strength``,
``use_rotation``, ``animation``, ``output_path`` and ``add_node``.
"""

import os

import bpy

from ...protocol.frame_paths import frame_path
from .. import compositor, datablocks
from ..job_operator import UserFacingError
from . import world_reader

FRAME_PATTERN = "relit_####.exr"   # in the output folder; the worker writes each frame there


def named_world(name, role=""):
    """The World datablock ``name``; a one-line refusal naming ``role`` (e.g. "the source world") if none."""
    world = bpy.data.worlds.get(name)
    if world is None:
        raise UserFacingError(f"No world named '{name}'" + (f" ({role})" if role else ""))
    return world


class WorldLitOperator:
    def lighting_params(self, context, job_spec):
        """(world, its reading, the job's world parameters with the overrides applied)."""
        world = self._world(context)
        lighting = world_reader.read_world(world)
        params = dict(lighting.params())
        for toggle, name in (("use_strength", "strength"), ("use_rotation", "rotation_deg")):
            if self._overrides(context, toggle, name):
                params.update(self.job_params(context, job_spec, (name,)))
        return world, lighting, params

    def plan_output(self, context, world, params):
        """Where the result goes; with ``animation``, the frames' world overrides added to ``params``."""
        scene = context.scene
        output = self.setting(context, "output_path")
        self._output = bpy.path.abspath(output) if output else ""
        self._frames = None
        if not self.animation:
            return
        if not self._output:
            raise UserFacingError("An animation needs an output folder for its EXR sequence")
        self._frames = list(range(scene.frame_start, scene.frame_end + 1))
        if self._frames[0] < 0:
            raise UserFacingError(f"The frame range starts at {self._frames[0]}: an animation's frames are "
                                  "numbered from 0")
        self._pattern = os.path.join(self._output, FRAME_PATTERN)
        params.update(frames=world_reader.frame_overrides(scene, world, self._frames, params.get("strength")),
                      output_pattern=self._pattern, frame_numbers=self._frames)

    def load_frames(self, name):
        """The frames the worker wrote, as one image sequence datablock (replacing an earlier one)."""
        return datablocks.load_exr_sequence(frame_path(self._pattern, self._frames[0]), name)

    def add_result_node(self, scene, image, label):
        if not self.add_node:
            return
        node = compositor.add_image_node(scene, image, label=label)
        if self._frames is not None:
            node.frame_start = self._frames[0]
            node.frame_duration = len(self._frames)
            node.frame_offset = self._frames[0] - 1  # scene frame f shows file number f

    def _world(self, context):
        if self.world_name:
            return named_world(self.world_name)
        settings = self.panel_settings(context)
        return settings.world if settings is not None and settings.world is not None else context.scene.world

    def _overrides(self, context, toggle, name):
        """Whether ``name`` replaces the world's value: the caller's toggle, else a value the caller
        gave, else the panel's toggle."""
        if self.properties.is_property_set(toggle):
            return getattr(self, toggle)
        return self.properties.is_property_set(name) or self.setting(context, toggle)
