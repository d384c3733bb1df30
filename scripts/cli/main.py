"""Argument parsing, subcommand dispatch and the exit-code contract.

Exit codes: 0 ok; 2 bad input (one line on stderr, no traceback, no output file); 1 internal error.
Colour contract for every subcommand: EXR in and out is scene-linear Rec.709; PNG/JPEG/TIFF in is
sRGB-encoded and decoded to linear; an output's format follows its file extension.
"""

import argparse
import sys

import addon_path

# Subcommand modules, in the order --help lists them. Capabilities add theirs here.
SUBCOMMANDS = (
    "check",
    "convert",
    "gan-train",
    "gan-generate",
    "stylize",
    "relight",
    "capture-lightstage",
    "colorize",
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


def build_parser():
    import importlib
    parser = argparse.ArgumentParser(prog="neural-render", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"cli.{name.replace('-', '_')}")
        sub = module.add_parser(subparsers)
        sub.set_defaults(run=module.run)
    return parser


def main(argv=None):
    addon_path.install()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
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
