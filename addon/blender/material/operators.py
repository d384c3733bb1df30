"""Material-map operators: Make Material from Photo and Normal to Height (worker jobs).

The photo comes from the operator's image name, else the active Image Texture node of the Shader
Editor (whose material is then updated), else the Image Editor's image (a material named after the
photo is made or updated). Results are float Non-Color datablocks named after the source
(``NR Normal <photo>``, ``NR Height <photo>``), rewritten in place by a re-run.
"""

import bpy

from ...protocol.specs import material as spec
from .. import datablocks, image_jobs, spec_properties
from ..colorize.operators import active_image_node, material_of_node, node_by_name
from ..job_operator import UserFacingError, WorkerJobOperator
from ..operators import find_image
from . import nodes
from .settings import HEIGHT_PARAMS, PHOTO_PARAMS

OWN_RESULTS = ("NR Normal ", "NR Height ")


def _data_result(handle, output, name):
    """The job's (H, W, 1|3) output as a float Non-Color datablock (grey heights fill RGB)."""
    import numpy as np
    array = handle.outputs(copy=False)[output]
    rgba = np.ones(array.shape[:2] + (4,), dtype=np.float32)
    rgba[:, :, :3] = array if array.shape[2] == 3 else array[:, :, :1]
    image = datablocks.array_to_image(rgba, name, colorspace=datablocks.DATA_COLORSPACE)
    datablocks.pack_image(image)  # computed pixels would be lost on save otherwise
    image.preview_ensure()
    return image


class _SourceImage:
    image_name: bpy.props.StringProperty(
        name="Image", description="Image datablock; empty: the active Image Texture node, else the Image Editor's image",
        options={"SKIP_SAVE"})
    material_name: bpy.props.StringProperty(name="Material", description="With Node: the node's material",
                                            options={"SKIP_SAVE"})
    node_name: bpy.props.StringProperty(name="Node", description="An Image Texture node showing the image",
                                        options={"SKIP_SAVE"})

    def resolve_source(self, context):
        if self.image_name:
            return find_image(context, self.image_name), None
        node = node_by_name(self.material_name, self.node_name) if self.node_name else active_image_node(context)
        if node is not None:
            if node.image is None:
                raise UserFacingError(f"Image Texture node '{node.name}' has no image")
            return node.image, node
        return find_image(context, ""), None


class NEURALRENDER_OT_material_from_photo(_SourceImage, WorkerJobOperator, bpy.types.Operator):
    """Make normal and height maps from a photographed texture and wire them into a Principled
    material (Normal Map, Bump or Displacement, Mapping for tiling); a re-run replaces them"""
    bl_idname = "neural_render.material_from_photo"
    bl_label = "Make Material from Photo"
    bl_options = {"REGISTER", "UNDO"}
    job_label = "Material maps"
    settings_attribute = "neural_render_material"

    def submit_job(self, context, client):
        photo, node = self.resolve_source(context)
        if photo.name.startswith(OWN_RESULTS):
            raise UserFacingError(f"'{photo.name}' is already a material map: pick the photo it came from")
        self._photo_name = photo.name
        self._node = None
        if node is not None:
            owner = material_of_node(node)
            if owner is None:
                raise UserFacingError(f"Image Texture node '{node.name}' is not in a material's node tree")
            self._node = (owner.name, node.name)
        params = dict(self.job_params(context, spec.FROM_PHOTO), photo_is_encoded=photo.colorspace_settings.is_data)
        return image_jobs.submit_image_job(client, spec.FROM_PHOTO.kind, params, {"image": photo})

    def apply_result(self, context, handle):
        photo = bpy.data.images.get(self._photo_name)
        if photo is None:
            raise UserFacingError(f"the photo '{self._photo_name}' was removed while the job ran")
        normal = _data_result(handle, "normal", datablocks.result_name("Normal", photo.name))
        height = _data_result(handle, "height", datablocks.result_name("Height", photo.name))
        settings = self.panel_settings(context)
        photo_node = None
        if self._node is not None:
            material = bpy.data.materials.get(self._node[0])
            photo_node = material.node_tree.nodes.get(self._node[1]) if material is not None else None
            if photo_node is None:
                raise UserFacingError("the Image Texture node was removed while the job ran")
        else:
            material = nodes.material_for(datablocks.result_name("Material", photo.name))
        nodes.wire(material, photo, normal, height, settings, photo_node)
        summary = f"Material maps: '{normal.name}' and '{height.name}' ({normal.size[0]}x{normal.size[1]}) in material '{material.name}'"
        if "(" in handle.last_progress:    # the job's notes (a greyscale photo)
            summary += " " + handle.last_progress[handle.last_progress.index("("):]
        obj = context.active_object
        if self._node is None and settings.assign_to_active and obj is not None and hasattr(obj.data, "materials") \
                and not obj.data.materials:
            obj.data.materials.append(material)
            summary += f", assigned to '{obj.name}'"
        return summary


class NEURALRENDER_OT_normal_to_height(_SourceImage, WorkerJobOperator, bpy.types.Operator):
    """Make a height map from a tangent-space normal map (Frankot–Chellappa integration)"""
    bl_idname = "neural_render.normal_to_height"
    bl_label = "Normal to Height"
    bl_options = {"REGISTER", "UNDO"}
    job_label = "Normal to height"
    settings_attribute = "neural_render_material"

    def submit_job(self, context, client):
        normal, _ = self.resolve_source(context)
        if normal.name.startswith("NR Height "):
            raise UserFacingError(f"'{normal.name}' is a height map, not a normal map")
        self._normal_name = normal.name
        # Only an sRGB tag changes the values image_to_array returns (it decodes them); a linear-tagged
        # map (Blender's default for new float images) already holds the encoded values.
        self._colour_tagged = not normal.colorspace_settings.is_data
        params = dict(self.job_params(context, spec.NORMAL_TO_HEIGHT),
                      colour_tagged=normal.colorspace_settings.name == "sRGB")
        return image_jobs.submit_image_job(client, spec.NORMAL_TO_HEIGHT.kind, params, {"normal": normal})

    def apply_result(self, context, handle):
        height = _data_result(handle, "height", datablocks.result_name("Height", self._normal_name))
        summary = f"Normal to height: '{height.name}' ({height.size[0]}x{height.size[1]})"
        if self._colour_tagged:
            summary += f"; '{self._normal_name}' is tagged as colour: set its Color Space to Non-Color"
        if " — " in handle.last_progress:   # the job's note on the green convention
            summary += "; " + handle.last_progress.split(" — ", 1)[-1]
        return summary


spec_properties.annotate(NEURALRENDER_OT_material_from_photo, spec.FROM_PHOTO, PHOTO_PARAMS, operator=True)
spec_properties.annotate(NEURALRENDER_OT_normal_to_height, spec.NORMAL_TO_HEIGHT,
                         ["tileable"] + HEIGHT_PARAMS, operator=True)

CLASSES = (
    NEURALRENDER_OT_material_from_photo,
    NEURALRENDER_OT_normal_to_height,
)
