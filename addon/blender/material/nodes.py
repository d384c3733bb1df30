"""Build or update a Principled material that uses a photo and its normal and height maps.

Every node this module adds has a fixed name (``NR Material …``), so a re-run finds and reuses them
instead of piling up copies; nodes the user added are left alone. The chain:

    Texture Coordinate → Mapping → Image Texture (photo)  → Base Color
                               → Image Texture (normal, Non-Color) → Normal Map ─┐
                               → Image Texture (height, Non-Color) → Bump ← ─────┘ → Normal
                                                                 or → Displacement → Material Output
"""

import bpy

PREFIX = "NR Material "
NAMES = {key: PREFIX + key for key in ("Coordinates", "Mapping", "Photo", "Normal Texture", "Normal Map",
                                       "Height Texture", "Bump", "Displacement")}


def _node(tree, key, kind, location):
    node = tree.nodes.get(NAMES[key])
    if node is not None and node.bl_idname != kind:
        tree.nodes.remove(node)
        node = None
    if node is None:
        node = tree.nodes.new(kind)
        node.name = node.label = NAMES[key]
    node.location = location
    return node


def _unlink(tree, socket):
    for link in list(socket.links):
        tree.links.remove(link)


def principled_of(material, photo_node=None):
    """The Principled BSDF to wire: the one the photo's node feeds, else the first, else a new one."""
    tree = material.node_tree
    if photo_node is not None:
        for link in photo_node.outputs["Color"].links:
            if link.to_node.bl_idname == "ShaderNodeBsdfPrincipled":
                return link.to_node
    shader = next((node for node in tree.nodes if node.bl_idname == "ShaderNodeBsdfPrincipled"), None)
    if shader is None:
        shader = tree.nodes.new("ShaderNodeBsdfPrincipled")
        output = _output(tree)
        tree.links.new(shader.outputs["BSDF"], output.inputs["Surface"])
    return shader


def _output(tree):
    output = next((node for node in tree.nodes if node.bl_idname == "ShaderNodeOutputMaterial"
                   and node.is_active_output), None)
    output = output or next((node for node in tree.nodes if node.bl_idname == "ShaderNodeOutputMaterial"), None)
    return output or tree.nodes.new("ShaderNodeOutputMaterial")


def material_for(name):
    material = bpy.data.materials.get(name) or bpy.data.materials.new(name)
    if material.node_tree is None:  # Blender before 5.0 creates materials without nodes
        material.use_nodes = True
    return material


def wire(material, photo, normal, height, settings, photo_node=None):
    """Wire ``photo`` (unless the user's own ``photo_node`` shows it), ``normal`` and ``height`` into
    ``material``; ``settings`` has height_use, bump_strength, bump_distance, displacement_scale,
    normal_strength and tiling."""
    tree = material.node_tree
    shader = principled_of(material, photo_node)
    x, y = shader.location.x, shader.location.y
    coordinates = _node(tree, "Coordinates", "ShaderNodeTexCoord", (x - 1200, y))
    mapping = _node(tree, "Mapping", "ShaderNodeMapping", (x - 1000, y))
    mapping.inputs["Scale"].default_value = (settings.tiling, settings.tiling, 1.0)
    tree.links.new(coordinates.outputs["UV"], mapping.inputs["Vector"])

    if photo_node is None:
        photo_node = _node(tree, "Photo", "ShaderNodeTexImage", (x - 700, y + 300))
        photo_node.image = photo
        tree.links.new(photo_node.outputs["Color"], shader.inputs["Base Color"])
    # The maps follow the photo's coordinates: the user's own (another UV map, their own Mapping) if
    # the photo node has them, else our Mapping.
    if photo_node.inputs["Vector"].is_linked and photo_node.inputs["Vector"].links[0].from_node != mapping:
        coordinates_out = photo_node.inputs["Vector"].links[0].from_socket
    else:
        tree.links.new(mapping.outputs["Vector"], photo_node.inputs["Vector"])
        coordinates_out = mapping.outputs["Vector"]

    normal_texture = _node(tree, "Normal Texture", "ShaderNodeTexImage", (x - 700, y - 50))
    normal_texture.image = normal
    normal_map = _node(tree, "Normal Map", "ShaderNodeNormalMap", (x - 400, y - 50))
    normal_map.space = "TANGENT"
    normal_map.inputs["Strength"].default_value = settings.normal_strength
    tree.links.new(coordinates_out, normal_texture.inputs["Vector"])
    tree.links.new(normal_texture.outputs["Color"], normal_map.inputs["Color"])

    height_texture = _node(tree, "Height Texture", "ShaderNodeTexImage", (x - 700, y - 350))
    height_texture.image = height
    tree.links.new(coordinates_out, height_texture.inputs["Vector"])
    for texture in (normal_texture, height_texture, photo_node):
        texture.extension = "REPEAT"
    output = _output(tree)
    bump = tree.nodes.get(NAMES["Bump"])
    displacement = tree.nodes.get(NAMES["Displacement"])
    if settings.height_use == "BUMP":
        bump = _node(tree, "Bump", "ShaderNodeBump", (x - 200, y - 200))
        bump.inputs["Strength"].default_value = settings.bump_strength
        bump.inputs["Distance"].default_value = settings.bump_distance
        tree.links.new(height_texture.outputs["Color"], bump.inputs["Height"])
        tree.links.new(normal_map.outputs["Normal"], bump.inputs["Normal"])
        tree.links.new(bump.outputs["Normal"], shader.inputs["Normal"])
    else:
        if bump is not None:
            tree.nodes.remove(bump)
        tree.links.new(normal_map.outputs["Normal"], shader.inputs["Normal"])
    if settings.height_use == "DISPLACEMENT":
        displacement = _node(tree, "Displacement", "ShaderNodeDisplacement", (x + 100, y - 400))
        displacement.inputs["Midlevel"].default_value = 0.5
        displacement.inputs["Scale"].default_value = settings.displacement_scale
        tree.links.new(height_texture.outputs["Color"], displacement.inputs["Height"])
        tree.links.new(displacement.outputs["Displacement"], output.inputs["Displacement"])
        if hasattr(material, "displacement_method"):       # 4.2+: per material
            material.displacement_method = "BOTH"
        elif hasattr(material.cycles, "displacement_method"):
            material.cycles.displacement_method = "BOTH"
    elif displacement is not None:
        tree.nodes.remove(displacement)
    return material
