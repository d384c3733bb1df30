"""The scene's compositing node tree (5.0: a node group; 4.2-4.5: scene.node_tree) and result nodes."""

import bpy

NODE_PREFIX = "NR "


def get_compositor_tree(scene, create=True):
    if hasattr(scene, "compositing_node_group"):  # Blender 5.0+
        tree = scene.compositing_node_group
        if tree is None and create:
            tree = bpy.data.node_groups.new(f"{scene.name} Compositing", "CompositorNodeTree")
            tree.interface.new_socket(name="Image", in_out="OUTPUT", socket_type="NodeSocketColor")
            output = tree.nodes.new("NodeGroupOutput")
            output.location = (400, 0)
            scene.compositing_node_group = tree
        return tree
    if not scene.use_nodes and create:  # Blender 4.2-4.5
        scene.use_nodes = True
    return scene.node_tree


def _output_socket(tree):
    for node in tree.nodes:
        if node.bl_idname == "NodeGroupOutput" and node.inputs:
            return node.inputs[0]
        if node.bl_idname == "CompositorNodeComposite":
            return node.inputs["Image"]
    return None


def add_image_node(scene, image, label=None, connect_to_output=False):
    """An Image node showing ``image``, reused across re-runs (named after the image)."""
    tree = get_compositor_tree(scene, create=True)
    name = NODE_PREFIX + image.name
    node = tree.nodes.get(name)
    if node is None:
        node = tree.nodes.new("CompositorNodeImage")
        node.name = name
        others = [n for n in tree.nodes if n.name.startswith(NODE_PREFIX) and n is not node]
        node.location = (-300, -300 * len(others))
    node.image = image
    node.label = label or image.name
    if connect_to_output:
        socket = _output_socket(tree)
        if socket is not None:
            tree.links.new(node.outputs["Image"], socket)
    return node
