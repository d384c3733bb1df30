"""``neural-render capture-lightstage``: render a .blend's scene one sun lamp at a time (virtual light
stage) into a light set (EXR images + lights.csv). Needs the bpy module.

    neural-render capture-lightstage --blend prop.blend --grid 32 16 --samples 64 --out sets/prop
"""

import os


def add_parser(subparsers):
    from neural_render.protocol.specs.relight import CAPTURE_COLUMNS, CAPTURE_ROWS
    parser = subparsers.add_parser("capture-lightstage", help="render a virtual light-stage set with Cycles",
                                   description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--blend", required=True, metavar="FILE", help="the .blend to capture")
    parser.add_argument("--scene", default="", help="scene name (default: the file's active scene)")
    parser.add_argument("--grid", type=int, nargs=2, default=(CAPTURE_COLUMNS.default, CAPTURE_ROWS.default),
                        metavar=("COLUMNS", "ROWS"),
                        help=f"lat-long grid of lights: {CAPTURE_COLUMNS.limits_text()} columns around, "
                             f"{CAPTURE_ROWS.limits_text()} rows from the zenith down (default "
                             f"{CAPTURE_COLUMNS.default} {CAPTURE_ROWS.default})")
    parser.add_argument("--samples", type=int, default=0, help="Cycles samples per light (0: the scene's)")
    parser.add_argument("--resolution", type=int, nargs=2, metavar=("W", "H"), help="override the render size")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the set")
    return parser


def run(args):
    from .main import CliInputError

    try:
        import bpy
    except ImportError:
        raise CliInputError("capture-lightstage needs the bpy module (run it in a Python with Blender's "
                            "bpy installed, e.g. pip install bpy)") from None
    from neural_render.blender.relight import capture
    from neural_render.protocol import sphere
    from neural_render.protocol.specs import ParamError
    from neural_render.protocol.specs.relight import CAPTURE_COLUMNS, CAPTURE_ROWS

    if not os.path.isfile(args.blend):
        raise CliInputError(f"no .blend file at {args.blend}")
    try:
        columns = CAPTURE_COLUMNS.check(args.grid[0], "--grid COLUMNS")
        rows = CAPTURE_ROWS.check(args.grid[1], "--grid ROWS")
    except ParamError as error:
        raise CliInputError(str(error)) from None
    bpy.ops.wm.open_mainfile(filepath=os.path.abspath(args.blend))
    scene = bpy.data.scenes.get(args.scene) if args.scene else bpy.context.scene
    if scene is None:
        raise CliInputError(f"no scene named '{args.scene}' in {args.blend}")
    if args.samples:
        scene.render.engine = "CYCLES"
        scene.cycles.samples = args.samples
    if args.resolution:
        scene.render.resolution_x, scene.render.resolution_y = args.resolution
        scene.render.resolution_percentage = 100

    def progress(done, total):
        print(f"\rcapture-lightstage: {done}/{total} lights", end="", flush=True)

    try:
        path = capture.capture_light_stage(scene, os.path.abspath(args.out),
                                           sphere.latlong_grid_directions(columns, rows), progress=progress)
    except capture.CaptureError as error:
        raise CliInputError(str(error)) from None
    print(f"\nwrote {columns * rows} lights and {path}")
    return 0
