#!/usr/bin/env python3
"""Build the texture library the learned models train on, from Debian's game-data packages.

    .venv/bin/python scripts/training/build_texture_library.py [--out .cache/textures] [--size 256]

Needs the packages (``bash scripts/setup/install_textures.sh``); reads their archives in place and
writes compact uint8 shards plus an index with every item's package and licence (see
scripts/training/textures/). Takes a few minutes on two cores; run it again after a package update.
"""

import argparse
import os
import sys
import time

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402

DEFAULT_FOLDER = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                              ".cache", "textures")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_FOLDER, help="library folder (default: .cache/textures)")
    parser.add_argument("--size", type=int, default=256, help="side of the stored square crops, px")
    parser.add_argument("--grid", type=int, default=2,
                        help="a large texture gives up to GRID x GRID crops (1: one crop per material)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--package", action="append", help="only this package (repeatable)")
    args = parser.parse_args(argv)
    addon_path.install()
    from training.textures import build, sources

    chosen = [source for source in sources.SOURCES if not args.package or source.package in args.package]
    missing = [source.package for source in chosen if not source.archive_available()]
    if missing:
        print(f"build_texture_library: error: not installed: {', '.join(missing)} "
              "(run: bash scripts/setup/install_textures.sh)", file=sys.stderr)
        return 2
    started = time.monotonic()
    build.build(args.out, chosen, size=args.size, processes=args.processes, grid=args.grid,
                report=lambda message: print(f"build_texture_library: {message}", file=sys.stderr))
    print(f"build_texture_library: wrote {args.out} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
