#!/usr/bin/env python3
"""Measure each texture package's normal-map convention (OpenGL +Y or DirectX −Y) from its pixels.

    .venv/bin/python scripts/training/check_normal_conventions.py [--library .cache/textures]

Two independent tests per map (training/textures/normal_convention.py): which reading of the green
channel gives the smaller curl, and the sign of the correlation between the alpha height's vertical
gradient and the normals' vertical slope. Prints a Markdown table (docs/material.md quotes it);
material_data.NORMAL_CONVENTIONS must agree with it.
"""

import argparse
import os
import sys

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402

addon_path.install()

from training.material_data import NORMAL_CONVENTIONS  # noqa: E402
from training.textures import normal_convention  # noqa: E402
from training.textures.shards import TextureLibrary  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", default=".cache/textures")
    args = parser.parse_args()
    library = TextureLibrary(args.library)
    by_package = {}
    for split in ("train", "validation"):
        items, _, normals = library.load(split, with_normals=True)
        for row, normal in normals.items():
            by_package.setdefault(items[row]["package"], []).append(normal)
    print("| package | maps | curl votes for OpenGL | median curl ratio OpenGL / DirectX | maps with alpha "
          "height | median corr(∂h/∂x, −n_x/n_z) | median corr(∂h/∂row, n_y/n_z) read as OpenGL | verdict |")
    print("|---|---|---|---|---|---|---|---|")
    disagreements = 0
    for package, maps in sorted(by_package.items()):
        verdict = normal_convention.judge(maps)
        x, y = verdict["median_height_corr_x"], verdict["median_height_corr_y_opengl"]
        print(f"| `{package}` | {verdict['maps']} | {verdict['opengl_curl_votes']} | "
              f"{verdict['median_curl_ratio_opengl']:.2f} / {verdict['median_curl_ratio_directx']:.2f} | "
              f"{verdict['height_maps']} | {'—' if x is None else f'{x:+.2f}'} | {'—' if y is None else f'{y:+.2f}'} | "
              f"{'OpenGL (+Y)' if verdict['convention'] == 'opengl' else 'DirectX (−Y)'} |")
        disagreements += verdict["convention"] != NORMAL_CONVENTIONS.get(package)
    if disagreements:
        sys.exit("material_data.NORMAL_CONVENTIONS disagrees with the measurement: fix it before training")


if __name__ == "__main__":
    main()
