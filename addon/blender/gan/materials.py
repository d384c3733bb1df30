"""A material that shows a texture datablock: Image Texture -> Principled BSDF Base Color."""

import bpy

NODE_NAME = "NR GAN Texture"
MAPPING_NAME = "NR GAN Mapping"
COLOUR_SPACES_FOR_COLOUR = {"Non-Color", "Raw"}  # data spaces: wrong for a base colour


def make_texture_material(image, name=None, tiling=None):
    """Create (or update) a material using ``image`` as base colour; with ``tiling`` (x, y) a
    Texture Coordinate -> Mapping chain repeats the texture that many times across the UVs."""
    material = bpy.data.materials.get(name or f"NR {image.name}")
    if material is None:
        material = bpy.data.materials.new(name or f"NR {image.name}")
    if material.node_tree is None:  # Blender before 5.0 creates materials without nodes
        material.use_nodes = True
    tree = material.node_tree
    shader = next((node for node in tree.nodes if node.bl_idname == "ShaderNodeBsdfPrincipled"), None)
    if shader is None:
        shader = tree.nodes.new("ShaderNodeBsdfPrincipled")
        output = next((node for node in tree.nodes if node.bl_idname == "ShaderNodeOutputMaterial"), None)
        output = output or tree.nodes.new("ShaderNodeOutputMaterial")
        tree.links.new(shader.outputs["BSDF"], output.inputs["Surface"])
    texture = tree.nodes.get(NODE_NAME) or tree.nodes.new("ShaderNodeTexImage")
    texture.name = texture.label = NODE_NAME
    texture.location = (shader.location.x - 400, shader.location.y)
    texture.image = image
    if image.colorspace_settings.name in COLOUR_SPACES_FOR_COLOUR:
        # Our results are float, scene-linear; a byte image keeps its own (sRGB) space.
        image.colorspace_settings.name = "Linear Rec.709" if image.is_float else "sRGB"
    tree.links.new(texture.outputs["Color"], shader.inputs["Base Color"])
    mapping = tree.nodes.get(MAPPING_NAME)
    if tiling is not None:
        if mapping is None:
            mapping = tree.nodes.new("ShaderNodeMapping")
            mapping.name = mapping.label = MAPPING_NAME
            coordinates = tree.nodes.new("ShaderNodeTexCoord")
            coordinates.location = (texture.location.x - 400, texture.location.y)
            tree.links.new(coordinates.outputs["UV"], mapping.inputs["Vector"])
        mapping.location = (texture.location.x - 200, texture.location.y)
        mapping.inputs["Scale"].default_value = (tiling[0], tiling[1], 1.0)
        tree.links.new(mapping.outputs["Vector"], texture.inputs["Vector"])
        texture.extension = "REPEAT"
    return material


def assign_to_object(material, obj):
    """Put ``material`` in the first slot of ``obj`` (adding a slot if it has none)."""
    if obj is None or not hasattr(obj.data, "materials"):
        return False
    if obj.data.materials:
        obj.data.materials[0] = material
    else:
        obj.data.materials.append(material)
    return True
