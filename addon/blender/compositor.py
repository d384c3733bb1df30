"""The scene's compositing node tree and the Image nodes that show results in it.

Blender 5.0 keeps compositing in a node group (``scene.compositing_node_group``, None until someone
makes one) whose Group Output is the final image; 4.2-4.5 use ``scene.use_nodes`` and
``scene.node_tree`` with a Composite node. Both are handled by attribute checks.
"""

import bpy

from .datablocks import DatablockError

NODE_PREFIX = "NR "
MAX_NODE_NAME_BYTES = 63  # longer node names are truncated by Blender
_NODE_SPACING = 300
# 4.2-4.5 end the tree in a Composite node; 5.0 removed it in favour of the group output.
_HAS_COMPOSITE_NODE = hasattr(bpy.types, "CompositorNodeComposite")


def uses_node_groups(scene):
    """True on Blender 5.0+, where the compositor is a node group assigned to the scene."""
    return hasattr(scene, "compositing_node_group")


def get_compositor_tree(scene, create=True):
    """The scene's compositor node tree; with ``create``, make one (with an output) if there is none."""
    if uses_node_groups(scene):
        tree = scene.compositing_node_group
        if tree is None and create:
            tree = bpy.data.node_groups.new(f"{scene.name} Compositing", "CompositorNodeTree")
            _ensure_group_output(tree)
            scene.compositing_node_group = tree
        return tree
    if create and not scene.use_nodes:  # 4.2-4.5: turning nodes on creates the default tree
        scene.use_nodes = True
    return scene.node_tree


def output_socket(tree, create=False):
    """The input socket whose image is the compositor's result (None if there is none).

    5.0: the first input of the active Group Output (``create`` adds the interface socket and the
    node if missing); 4.x: the Composite node's Image input.
    """
    if tree is None:
        return None
    if _HAS_COMPOSITE_NODE:
        node = next((node for node in tree.nodes if node.bl_idname == "CompositorNodeComposite"), None)
        if node is None and create:
            node = tree.nodes.new("CompositorNodeComposite")
            node.location = (_NODE_SPACING, 0)
        return node.inputs["Image"] if node is not None else None
    if create:
        _ensure_group_output(tree)
    outputs = [node for node in tree.nodes if node.bl_idname == "NodeGroupOutput"]
    active = [node for node in outputs if node.is_active_output] or outputs
    # Without an interface output the node has only its virtual "add a socket" input.
    if active and active[0].inputs and active[0].inputs[0].bl_idname != "NodeSocketVirtual":
        return active[0].inputs[0]
    return None


def _ensure_group_output(tree):
    if not any(item.item_type == "SOCKET" and item.in_out == "OUTPUT" for item in tree.interface.items_tree):
        tree.interface.new_socket(name="Image", in_out="OUTPUT", socket_type="NodeSocketColor")
    if not any(node.bl_idname == "NodeGroupOutput" for node in tree.nodes):
        node = tree.nodes.new("NodeGroupOutput")
        node.location = (_NODE_SPACING, 0)


def node_name(image):
    """The stable name of the Image node for ``image``: re-runs find and reuse it."""
    name = NODE_PREFIX + image.name
    return name.encode("utf-8")[:MAX_NODE_NAME_BYTES].decode("utf-8", errors="ignore")


def find_image_node(tree, image):
    """The Image node this module made for ``image`` in ``tree``, or None."""
    if tree is None:
        return None
    node = tree.nodes.get(node_name(image))
    if node is not None and node.bl_idname == "CompositorNodeImage" and node.image in (image, None):
        return node
    # Truncated names can collide ('.001' then): fall back to the image the node shows.
    for node in tree.nodes:
        if _is_ours(node) and node.image == image:
            return node
    return None


def _is_ours(node):
    return node.bl_idname == "CompositorNodeImage" and node.name.startswith(NODE_PREFIX)


def add_image_node(scene, image, label=None, connect_to_output=False):
    """An Image node showing ``image`` in the scene's compositor, reused across re-runs.

    New nodes stack in a column left of the output. With ``connect_to_output`` the node's Image
    output becomes the compositor's result (replacing what was linked there).
    """
    if not isinstance(image, bpy.types.Image):
        raise DatablockError(f"Expected an image datablock, got {type(image).__name__}")
    tree = get_compositor_tree(scene, create=True)
    node = find_image_node(tree, image)
    if node is None:
        ours = [other for other in tree.nodes if _is_ours(other)]
        node = tree.nodes.new("CompositorNodeImage")
        node.name = node_name(image)
        output = output_socket(tree)
        x = output.node.location.x - 2 * _NODE_SPACING if output is not None else -_NODE_SPACING
        node.location = (x, -_NODE_SPACING * len(ours))
    node.image = image
    node.label = label or image.name
    if connect_to_output:
        socket = output_socket(tree, create=True)
        if socket is None:
            raise DatablockError(f"The compositor of scene '{scene.name}' has no output to connect to")
        tree.links.new(node.outputs["Image"], socket)
    return node
