"""Argument parsing, subcommand dispatch and the exit-code contract.

Exit codes: 0 ok; 2 bad input (one line on stderr, no traceback, no output file); 1 internal error.
Colour contract for every subcommand: EXR in and out is scene-linear Rec.709; PNG/JPEG/TIFF in is
sRGB-encoded and decoded to linear; an output's format follows its file extension.
"""

import argparse
import os
import sys

import addon_path

# Subcommand modules, in the order --help lists them. Capabilities add theirs here.
SUBCOMMANDS = (
    "check",
    "convert",
    "gan-train",
    "gan-generate",
    "stylegan-train",
    "stylegan-generate",
    "stylegan-project",
    "stylize",
    "stylize-sequence",
    "relight",
    "relight-sequence",
    "capture-lightstage",
    "relight-image",
    "relight-image-sequence",
    "colorize",
    "colorize-sequence",
    "material-maps",
    "normal-to-height",
    "bench",
    "demo",
)


class CliInputError(Exception):
    """Bad input from the user: reported in one line, exit code 2."""


def _input_error_types():
    """Exception types that mean 'bad input' (exit 2), imported only once the packages exist."""
    types = [CliInputError]
    try:
        from neural_render.worker.jobs import JobInputError
        types.append(JobInputError)
        from neural_render.worker.imageio.errors import ImageFileError
        types.append(ImageFileError)
    except ImportError:
        pass
    return tuple(types)


def _make_folder(folder):
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise CliInputError(f"cannot create the output folder '{folder}': {error.strerror}") from None


def check_image_outputs(args):
    """Every image output a subcommand names (its module's IMAGE_OUTPUTS) is checked before any work
    starts: a format the extension picks, an existing writable folder, not a folder itself."""
    from neural_render.worker.imageio.atomic import check_writable
    from neural_render.worker.imageio.files import DISPLAY, EXR
    for dest in args.image_outputs:
        path = getattr(args, dest, None)
        if not path:
            continue
        extension = os.path.splitext(path)[1].lower()
        if extension not in EXR + DISPLAY and not os.path.isdir(path):
            raise CliInputError(f"cannot write '{path}': unsupported file type '{extension or '(none)'}'; "
                                f"use one of {', '.join(EXR + DISPLAY)}")
        if getattr(args, "frame_range", None):  # a farm task's share of a walk: it creates its folder
            _make_folder(os.path.dirname(os.path.abspath(path)))
        check_writable(path)
    for dest in args.pattern_outputs:  # frame sequences: a farm task creates its output folder
        pattern = getattr(args, dest, None)
        if not pattern:
            continue
        extension = os.path.splitext(pattern)[1].lower()
        if extension not in EXR + DISPLAY:
            raise CliInputError(f"cannot write frames '{pattern}': unsupported file type '{extension or '(none)'}'; "
                                f"use one of {', '.join(EXR + DISPLAY)}")
        _make_folder(os.path.dirname(os.path.abspath(pattern)))
        from neural_render.protocol.frame_paths import frame_path
        check_writable(frame_path(pattern, 0))


def build_parser():
    import importlib
    parser = argparse.ArgumentParser(
        prog="neural-render", description="Neural Render's command line: stylize, relight, colorize, "
        "GAN textures and material maps on image files, without Blender. Exit codes: 0 done, 2 bad input (one line, no "
        "output written), 1 internal error.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"cli.{name.replace('-', '_')}")
        sub = module.add_parser(subparsers)
        sub.set_defaults(run=module.run, image_outputs=getattr(module, "IMAGE_OUTPUTS", ()),
                         pattern_outputs=getattr(module, "PATTERN_OUTPUTS", ()))
    return parser


def _library_chatter_to_the_log(debug):
    """Python warnings from libraries (torch, Pillow) go to a log file, not the user's stderr, where a
    refusal is one line and a run prints only its progress and result. With --debug they stay."""
    if debug:
        return
    import logging
    from neural_render.blender.worker_client import open_log, private_log_dir
    path = os.path.join(private_log_dir(), "cli.log")
    import io
    handler = logging.StreamHandler(io.TextIOWrapper(open_log(path), encoding="utf-8", line_buffering=True))
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger = logging.getLogger("py.warnings")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logging.captureWarnings(True)


def main(argv=None):
    addon_path.install()
    parser = build_parser()
    args = parser.parse_args(argv)
    _library_chatter_to_the_log(args.debug)
    try:
        check_image_outputs(args)
        return args.run(args) or 0
    except KeyboardInterrupt:
        print("neural-render: cancelled", file=sys.stderr)
        return 130
    except _input_error_types() as error:
        print(f"neural-render: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # the contract: one line, never a traceback, unless asked
        if args.debug:
            raise
        print(f"neural-render: internal error: {type(error).__name__}: {error} (run with --debug for "
              "details)", file=sys.stderr)
        return 1
