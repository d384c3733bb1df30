"""What a scene's world looks like to the relighting: an equirectangular image (through an optional
Mapping node fed by Generated coordinates) or a plain colour, times the Background strength.

Anything else -- Sky Texture and other procedural nodes, mixed shaders, linked strength, mirror-ball
projection -- is refused with a message saying what to do (bake a procedural sky to an
equirectangular image first). Node trees are read, never changed.
"""

from dataclasses import dataclass

import bpy

from ..job_operator import UserFacingError

_PROCEDURAL_HINT = ("it is procedural: bake it to an equirectangular image (e.g. render the world with a "
                    "panoramic equirectangular camera) and use that in an Environment Texture")


@dataclass
class WorldLighting:
    image: object = None            # bpy.types.Image or None
    colour: tuple = (0.0, 0.0, 0.0)
    strength: float = 1.0
    mapping: dict = None            # {"type", "location", "rotation", "scale"} (radians) or None

    def params(self):
        params = {"strength": self.strength}
        if self.mapping is not None:
            params["mapping"] = self.mapping
        if self.image is None:
            params["colour"] = list(self.colour)
        return params


def read_world(world):
    if world is None:
        raise UserFacingError("The scene has no world to relight with")
    # 5.0 worlds always use nodes (use_nodes is deprecated there); 4.x may have them off.
    tree = world.node_tree if bpy.app.version >= (5, 0, 0) or world.use_nodes else None
    if tree is None:
        return WorldLighting(colour=tuple(world.color), strength=1.0)
    output = _active_output(tree, world)
    background = _linked_node(output.inputs["Surface"])
    if background is None:
        return WorldLighting(colour=(0.0, 0.0, 0.0), strength=0.0)
    if background.bl_idname != "ShaderNodeBackground":
        raise UserFacingError(f"World '{world.name}': the surface is a '{background.bl_label}' node; "
                              "relighting reads a Background node (fed by an Environment Texture or a colour)")
    strength_input = background.inputs["Strength"]
    if strength_input.is_linked:
        raise UserFacingError(f"World '{world.name}': the Background strength is driven by a node; "
                              "only a plain value is supported")
    strength = float(strength_input.default_value)
    colour_input = background.inputs["Color"]
    source = _linked_node(colour_input)
    if source is None:
        return WorldLighting(colour=tuple(colour_input.default_value)[:3], strength=strength)
    if source.bl_idname != "ShaderNodeTexEnvironment":
        hint = _PROCEDURAL_HINT if source.bl_idname == "ShaderNodeTexSky" or "Tex" in source.bl_idname else \
            "only an Environment Texture or a plain colour is supported"
        raise UserFacingError(f"World '{world.name}': the Background colour comes from a "
                              f"'{source.bl_label}' node, which relighting cannot read: {hint}")
    if source.image is None:
        raise UserFacingError(f"World '{world.name}': the Environment Texture has no image")
    if source.projection != "EQUIRECTANGULAR":
        raise UserFacingError(f"World '{world.name}': the Environment Texture uses '{source.projection}' "
                              "projection; only Equirectangular is supported")
    mapping_node = _linked_node(source.inputs["Vector"])
    if mapping_node is not None and _is_generated(source.inputs["Vector"]):
        mapping_node = None  # Generated straight in: the same as nothing linked
    mapping = None if mapping_node is None else mapping_params(mapping_node, world)
    return WorldLighting(image=source.image, strength=strength, mapping=mapping)


def frame_overrides(scene, world, numbers, strength=None):
    """Per frame of ``numbers``: the world's Mapping rotation and strength as animated (keyframes,
    drivers), evaluated frame by frame -- the ``frames`` parameter of the relighting jobs. A given
    ``strength`` replaces the world's in every frame. The scene is put back on its current frame."""
    current = scene.frame_current
    frames = []
    try:
        for frame in numbers:
            scene.frame_set(frame)
            lighting = read_world(world)
            override = {"strength": strength if strength is not None else lighting.strength}
            if lighting.mapping is not None:
                override["rotation"] = lighting.mapping.get("rotation", [0.0, 0.0, 0.0])
            frames.append(override)
    finally:
        scene.frame_set(current)
    return frames


def mapping_params(node, world):
    if node.bl_idname != "ShaderNodeMapping":
        raise UserFacingError(f"World '{world.name}': the Environment Texture's vector comes from a "
                              f"'{node.bl_label}' node; only a Mapping node (or nothing) is supported")
    coordinates = _linked_node(node.inputs["Vector"])
    link = node.inputs["Vector"].links[0] if node.inputs["Vector"].is_linked else None
    if coordinates is None or coordinates.bl_idname != "ShaderNodeTexCoord" or link.from_socket.name != "Generated":
        raise UserFacingError(f"World '{world.name}': the Mapping node must be fed by Texture Coordinate "
                              "> Generated (the view direction)")
    params = {"type": node.vector_type}
    for name, key in (("Location", "location"), ("Rotation", "rotation"), ("Scale", "scale")):
        socket = node.inputs.get(name)
        if socket is None or not socket.enabled:
            continue
        if socket.is_linked:
            raise UserFacingError(f"World '{world.name}': the Mapping node's {name} is driven by a node; "
                                  "only plain (optionally keyframed) values are supported")
        params[key] = [float(value) for value in socket.default_value]
    return params


def _is_generated(socket):
    link = socket.links[0] if socket.is_linked else None
    return (link is not None and link.from_node.bl_idname == "ShaderNodeTexCoord"
            and link.from_socket.name == "Generated")


def _active_output(tree, world):
    outputs = [node for node in tree.nodes if node.bl_idname == "ShaderNodeOutputWorld"]
    active = [node for node in outputs if node.is_active_output] or outputs
    if not active:
        raise UserFacingError(f"World '{world.name}' has no World Output node")
    return active[0]


def _linked_node(socket):
    """The node feeding ``socket``, looking through reroutes; None if unlinked."""
    while socket.is_linked:
        node = socket.links[0].from_node
        if node.bl_idname != "NodeReroute":
            return node
        socket = node.inputs[0]
    return None
