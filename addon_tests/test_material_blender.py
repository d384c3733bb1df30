"""Material-map operators in real Blender (the bpy module) with the real worker process: datablocks,
the material they wire, re-runs that replace, and the errors a user sees."""

import bpy
import numpy as np
import pytest

from material_fixtures import bumpy_height, normals_of, photo_of, random_model
from neural_render.blender import datablocks
from neural_render.blender.material import nodes
from neural_render.worker.imageio.colour import srgb_to_linear
from neural_render.worker.material import height as heights
from neural_render.worker.material import normals as normal_maps


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """This module's small convolutions run on one torch thread (see conftest)."""


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return random_model(tmp_path_factory.mktemp("material-blender") / "random.pt")


def _rgba(rgb):
    return np.concatenate([rgb, np.ones(rgb.shape[:2] + (1,), np.float32)], 2)[::-1].copy()


@pytest.fixture
def photo(addon):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    return datablocks.array_to_image(_rgba(srgb_to_linear(photo_of(bumpy_height(64, 96, seed=1)))), "bricks")


def _links(tree):
    return {(link.from_node.name, link.from_socket.identifier, link.to_node.name, link.to_socket.identifier)
            for link in tree.links}


def test_make_material_from_an_image_builds_the_maps_and_the_material_and_a_rerun_replaces(photo, model_path):
    bpy.ops.mesh.primitive_plane_add()
    plane = bpy.context.active_object
    assert bpy.ops.neural_render.material_from_photo("EXEC_DEFAULT", image_name="bricks",
                                                     weights_path=model_path) == {"FINISHED"}
    normal = bpy.data.images[datablocks.result_name("Normal", "bricks")]
    height = bpy.data.images[datablocks.result_name("Height", "bricks")]
    for image in (normal, height):
        assert image.is_float and image.packed_file and image.colorspace_settings.name == "Non-Color"
        assert tuple(image.size) == (96, 64)
    vectors = datablocks.image_to_array(normal)[:, :, :3] * 2 - 1
    assert np.abs(np.linalg.norm(vectors, axis=-1) - 1).max() < 0.01
    material = bpy.data.materials[datablocks.result_name("Material", "bricks")]
    assert plane.data.materials[0] == material
    tree = material.node_tree
    shader = next(node for node in tree.nodes if node.bl_idname == "ShaderNodeBsdfPrincipled")
    links = _links(tree)
    names = nodes.NAMES
    assert (names["Photo"], "Color", shader.name, "Base Color") in links
    assert (names["Normal Texture"], "Color", names["Normal Map"], "Color") in links
    assert (names["Normal Map"], "Normal", names["Bump"], "Normal") in links
    assert (names["Height Texture"], "Color", names["Bump"], "Height") in links
    assert (names["Bump"], "Normal", shader.name, "Normal") in links
    assert (names["Mapping"], "Vector", names["Normal Texture"], "Vector") in links
    assert tree.nodes[names["Normal Texture"]].image == normal
    counts = (len(bpy.data.images), len(bpy.data.materials), len(tree.nodes), len(tree.links))
    # A re-run with displacement instead of bump and a tiling of 3: replaced, never piled up.
    settings = bpy.context.scene.neural_render_material
    settings.height_use, settings.tiling = "DISPLACEMENT", 3.0
    assert bpy.ops.neural_render.material_from_photo("EXEC_DEFAULT", image_name="bricks",
                                                     weights_path=model_path) == {"FINISHED"}
    assert (len(bpy.data.images), len(bpy.data.materials)) == counts[:2]
    links = _links(tree)
    assert names["Bump"] not in tree.nodes and (names["Normal Map"], "Normal", shader.name, "Normal") in links
    output = next(node for node in tree.nodes if node.bl_idname == "ShaderNodeOutputMaterial")
    assert (names["Displacement"], "Displacement", output.name, "Displacement") in links
    assert tuple(tree.nodes[names["Mapping"]].inputs["Scale"].default_value) == (3.0, 3.0, 1.0)
    settings.height_use = "NONE"
    assert bpy.ops.neural_render.material_from_photo("EXEC_DEFAULT", image_name="bricks",
                                                     weights_path=model_path) == {"FINISHED"}
    assert names["Displacement"] not in tree.nodes and not output.inputs["Displacement"].is_linked


def test_make_material_from_a_node_updates_that_material(photo, model_path):
    material = bpy.data.materials.new("Wall")
    if material.node_tree is None:
        material.use_nodes = True
    tree = material.node_tree
    shader = next(node for node in tree.nodes if node.bl_idname == "ShaderNodeBsdfPrincipled")
    own = tree.nodes.new("ShaderNodeTexImage")
    own.name, own.image = "My Photo", photo
    tree.links.new(own.outputs["Color"], shader.inputs["Base Color"])
    before = len(bpy.data.materials)
    assert bpy.ops.neural_render.material_from_photo("EXEC_DEFAULT", material_name="Wall", node_name="My Photo",
                                                     weights_path=model_path) == {"FINISHED"}
    assert len(bpy.data.materials) == before, "the node's own material is updated, none is made"
    assert nodes.NAMES["Photo"] not in tree.nodes, "the user's photo node is used, not duplicated"
    links = _links(tree)
    assert ("My Photo", "Color", shader.name, "Base Color") in links
    assert (nodes.NAMES["Bump"], "Normal", shader.name, "Normal") in links


def test_the_shader_editor_panel_names_the_node_s_material(photo, model_path):
    """The panel's button must carry the material's name (node.id_data is the embedded node tree)."""
    import types
    from neural_render.blender.material import panels
    material = bpy.data.materials.new("Facade")
    if material.node_tree is None:
        material.use_nodes = True
    node = material.node_tree.nodes.new("ShaderNodeTexImage")
    node.image = photo
    material.node_tree.nodes.active = node
    buttons = []

    class Layout:
        def __getattr__(self, name):
            def call(*args, **kwargs):
                if name == "operator":
                    buttons.append((args[0], types.SimpleNamespace()))
                    return buttons[-1][1]
                return Layout()
            return call
    space = types.SimpleNamespace(type="NODE_EDITOR", edit_tree=material.node_tree, tree_type="ShaderNodeTree")
    context = types.SimpleNamespace(scene=bpy.context.scene, space_data=space)
    panels.draw_material(Layout(), context, bpy.context.scene.neural_render_material)
    button = dict(buttons)["neural_render.material_from_photo"]
    assert (button.material_name, button.node_name) == ("Facade", node.name)
    assert bpy.ops.neural_render.material_from_photo("EXEC_DEFAULT", material_name=button.material_name,
                                                     node_name=button.node_name, weights_path=model_path) == {"FINISHED"}


def test_maps_follow_the_photo_node_s_own_coordinates(photo, model_path):
    material = bpy.data.materials.new("Tiles")
    if material.node_tree is None:
        material.use_nodes = True
    tree = material.node_tree
    own = tree.nodes.new("ShaderNodeTexImage")
    own.name, own.image = "Photo", photo
    coordinates = tree.nodes.new("ShaderNodeTexCoord")
    tree.links.new(coordinates.outputs["Object"], own.inputs["Vector"])
    assert bpy.ops.neural_render.material_from_photo("EXEC_DEFAULT", material_name="Tiles", node_name="Photo",
                                                     weights_path=model_path) == {"FINISHED"}
    for key in ("Normal Texture", "Height Texture"):
        link = tree.nodes[nodes.NAMES[key]].inputs["Vector"].links[0]
        assert (link.from_node, link.from_socket.identifier) == (coordinates, "Object")


def test_normal_to_height_makes_a_height_datablock_from_a_normal_map(addon):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    surface = bumpy_height(64, 80, seed=3) * 3
    encoded = normal_maps.encode(normals_of(surface)).astype(np.float32)
    datablocks.array_to_image(_rgba(encoded), "wall normal", colorspace="Non-Color")
    assert bpy.ops.neural_render.normal_to_height("EXEC_DEFAULT", image_name="wall normal") == {"FINISHED"}
    height = bpy.data.images[datablocks.result_name("Height", "wall normal")]
    assert height.colorspace_settings.name == "Non-Color"
    values = datablocks.image_to_array(height)[::-1, :, 0]
    assert heights.affine_fit_error(values, surface) < 0.05


def test_a_linear_tagged_float_normal_map_is_read_as_it_is(addon):
    """Blender tags new float images Linear Rec.709: their pixels are the encoded values already."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    surface = bumpy_height(64, 64, seed=6) * 3
    encoded = normal_maps.encode(normals_of(surface)).astype(np.float32)
    image = bpy.data.images.new("baked normal", 64, 64, float_buffer=True)
    image.pixels.foreach_set(_rgba(encoded).ravel())
    assert image.colorspace_settings.name != "Non-Color"
    assert bpy.ops.neural_render.normal_to_height("EXEC_DEFAULT", image_name=image.name) == {"FINISHED"}
    values = datablocks.image_to_array(bpy.data.images[datablocks.result_name("Height", image.name)])[::-1, :, 0]
    assert heights.affine_fit_error(values, surface) < 0.05


def test_a_colour_tagged_normal_map_still_integrates(addon):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    surface = bumpy_height(64, 64, seed=4) * 3
    encoded = normal_maps.encode(normals_of(surface))
    pixels = np.round(encoded * 255).astype(np.uint8)
    image = bpy.data.images.new("tagged normal", 64, 64)   # a byte image, tagged sRGB (the mistake)
    image.pixels.foreach_set((_rgba(pixels / 255.0)).astype(np.float32).ravel())
    assert not image.colorspace_settings.is_data
    assert bpy.ops.neural_render.normal_to_height("EXEC_DEFAULT", image_name=image.name) == {"FINISHED"}
    values = datablocks.image_to_array(bpy.data.images[datablocks.result_name("Height", image.name)])[::-1, :, 0]
    assert heights.affine_fit_error(values, surface) < 0.1


def test_errors_are_reported_in_one_line(photo, model_path):
    """Each refusal is an operator error report (a RuntimeError with the message, from Python)."""
    tiny = datablocks.array_to_image(np.ones((8, 8, 4), np.float32), "tiny")
    with pytest.raises(RuntimeError, match="too small to read a surface"):
        bpy.ops.neural_render.material_from_photo("EXEC_DEFAULT", image_name=tiny.name, weights_path=model_path)
    with pytest.raises(RuntimeError, match="No image datablock named 'no such image'"):
        bpy.ops.neural_render.material_from_photo("EXEC_DEFAULT", image_name="no such image")
    with pytest.raises(RuntimeError, match="does not look like a tangent-space normal map"):
        bpy.ops.neural_render.normal_to_height("EXEC_DEFAULT", image_name="bricks")
    assert datablocks.result_name("Normal", "tiny") not in bpy.data.images
