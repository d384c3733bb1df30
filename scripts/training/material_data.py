"""Photo ↔ (normal, height) training pairs from the texture library, in Blender's convention.

Every normal map is converted to OpenGL (+Y up) tangent space on load: the packages differ, and
``check_normal_conventions.py`` measures each one (curl of the slopes, and the stored height's
gradient; docs/material.md). A map's alpha is used as height only where it agrees with the normals
(the correlation of its gradient with the normals' slopes above ``HEIGHT_AGREEMENT`` on both axes):
the packages put height there, but not in every map.
"""

import numpy as np

from neural_render.worker.material import normals as normal_maps
from training.textures import normal_convention
from training.textures.shards import TextureLibrary

# Measured by scripts/training/check_normal_conventions.py on every map of each package (both tests agree).
NORMAL_CONVENTIONS = {"ufoai-textures": "directx", "nexuiz-textures": "opengl", "0ad-data": "directx"}
HEIGHT_AGREEMENT = 0.5


class MaterialPairs:
    """One split's pairs: photos (N, S, S, 3) uint8 sRGB, normals (N, S, S, 3) float16 OpenGL unit
    vectors, heights (N, S, S) float16 (standardised; zeros where ``has_height`` is False)."""

    def __init__(self, library_folder, split):
        library = TextureLibrary(library_folder)
        items, diffuse, normals = library.load(split, with_normals=True)
        rows = sorted(normals)
        self.items = [items[row] for row in rows]
        self.packages = [item["package"] for item in self.items]
        self.photos = diffuse[rows]
        size = library.size
        self.normals = np.zeros((len(rows), size, size, 3), np.float16)
        self.heights = np.zeros((len(rows), size, size), np.float16)
        self.has_height = np.zeros(len(rows), bool)
        for index, row in enumerate(rows):
            stored = normals[row]
            if NORMAL_CONVENTIONS[items[row]["package"]] == "directx":
                stored = stored.copy()
                stored[..., 1] = 255 - stored[..., 1]
            self.normals[index] = normal_maps.decode(stored / 255.0)
            agreement = normal_convention.height_agreement(stored)
            if agreement is not None and min(agreement) > HEIGHT_AGREEMENT:
                height = stored[..., 3].astype(np.float64)
                self.heights[index] = (height - height.mean()) / height.std()
                self.has_height[index] = True
        self.provenance = library.provenance()

    def subset(self, indices):
        """Keep only ``indices`` (in place)."""
        indices = list(indices)
        self.items = [self.items[index] for index in indices]
        self.packages = [self.packages[index] for index in indices]
        self.photos, self.normals = self.photos[indices], self.normals[indices]
        self.heights, self.has_height = self.heights[indices], self.has_height[indices]
        return self

    def __len__(self):
        return len(self.items)

    def by_package(self):
        packages = {}
        for index, package in enumerate(self.packages):
            packages.setdefault(package, []).append(index)
        return packages
