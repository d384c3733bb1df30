"""The Stylize panel's settings, stored per scene so they are saved with the .blend."""

import bpy


class NeuralRenderStyleSlot(bpy.types.PropertyGroup):
    """One style image: a datablock (shown with its thumbnail) and its blend weight."""
    image: bpy.props.PointerProperty(name="Style", type=bpy.types.Image)
    weight: bpy.props.FloatProperty(name="Weight", default=1.0, min=0.0, max=10.0)


class NeuralRenderStylizeSettings(bpy.types.PropertyGroup):
    styles: bpy.props.CollectionProperty(type=NeuralRenderStyleSlot)
    active_style: bpy.props.IntProperty(default=0)
    background_style: bpy.props.PointerProperty(
        name="Background Style", type=bpy.types.Image,
        description="With a mask: the style outside it (empty: the render stays as it is there)")
    preset: bpy.props.EnumProperty(name="Preset", items=(
        ("fast", "Fast", "Fewest steps: previews and long animations"),
        ("default", "Default", "Balanced quality and time"),
        ("quality", "Quality", "More steps at every scale")), default="default")
    strength: bpy.props.FloatProperty(name="Style Strength", default=1.0, min=0.0, max=100.0, soft_max=10.0,
                                      description="Style weight relative to content (beta/alpha; 1 = default)")
    style_scale: bpy.props.FloatProperty(name="Style Scale", default=1.0, min=0.05, max=8.0,
                                         description="Size of the style's strokes relative to the output")
    preserve_colors: bpy.props.BoolProperty(name="Preserve Colors", default=False,
                                            description="Transfer in luminance only: keep the render's colours")
    keep_highlights: bpy.props.BoolProperty(name="Keep Highlights", default=True,
                                            description="Values above 1 in the render stay above 1 in the result")
    mask_source: bpy.props.EnumProperty(name="Mask", items=(
        ("NONE", "None", "Stylize everything"),
        ("IMAGE", "Image", "A mask image (white = stylize)"),
        ("ALPHA", "Alpha", "The render's alpha (transparent film)"),
        ("OBJECT_INDEX", "Object Index", "An Object Index pass image: stylize the objects with the given pass indices")),
        default="NONE")
    mask_indices: bpy.props.StringProperty(name="Pass Indices", default="1",
                                           description="Object pass indices to stylize, comma separated (e.g. 1, 3)")
    mask_image: bpy.props.PointerProperty(name="Mask Image", type=bpy.types.Image)
    feather: bpy.props.FloatProperty(name="Feather", default=4.0, min=0.0, max=200.0, subtype="PIXEL")
    # Advanced: the per-layer style weights (relu1_1 ... relu5_1; normalised to sum to one) and the
    # total-variation weight. Lower deep layers = smaller, finer strokes; lower shallow ones = less grain.
    layer_weights: bpy.props.FloatVectorProperty(name="Style Layer Weights", size=5, default=(1, 1, 1, 1, 1),
                                                 min=0.0, max=10.0,
                                                 description="Weights of relu1_1, relu2_1, relu3_1, relu4_1, relu5_1")
    tv_weight: bpy.props.FloatProperty(name="Smoothness", default=2.0, min=0.0, max=100.0,
                                       description="Total-variation weight: higher suppresses pixel noise")
    optimizer: bpy.props.EnumProperty(name="Optimizer", items=(("lbfgs", "L-BFGS", ""), ("adam", "Adam", "")),
                                      default="lbfgs")
    temporal: bpy.props.BoolProperty(name="Temporal Consistency", default=True,
                                     description="Animations: warp the previous frame with the Vector pass")
    output_directory: bpy.props.StringProperty(name="Output", subtype="DIR_PATH", default="//stylized/",
                                               description="Folder of the stylized EXR sequence")


def attach():
    bpy.types.Scene.neural_render_stylize = bpy.props.PointerProperty(type=NeuralRenderStylizeSettings)


def detach():
    del bpy.types.Scene.neural_render_stylize
