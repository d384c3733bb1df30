"""Decoded crops cached as compact shards, so a training run never re-decodes the archives.

A library folder holds ``index.json`` (every item with its provenance, the build's settings and what
was dropped and why) and per split ``<split>-NNN.npz`` shards (uncompressed, fast to load):

- ``diffuse``  (N, S, S, 3) uint8 sRGB
- ``normal``   (M, S, S, 4) uint8 as shipped (RGB = tangent-space normal, A = height where the source
               stores it there), for the M items that have a usable normal map; ``normal_item`` (M,)
               gives each one's row in ``diffuse``.
"""

import json
import os

import numpy as np

from neural_render.worker.imageio.atomic import write_atomically

INDEX = "index.json"
FORMAT = "neural-render-texture-library"
FORMAT_VERSION = 1
ITEMS_PER_SHARD = 256


class LibraryError(ValueError):
    pass


def write_shard(path, diffuse, normals):
    """``diffuse``: list of (S, S, 3) uint8; ``normals``: {row: (S, S, 4) uint8}."""
    rows = sorted(normals)
    size = diffuse[0].shape[0]
    arrays = {"diffuse": np.stack(diffuse),
              "normal": np.stack([normals[row] for row in rows]) if rows else np.zeros((0, size, size, 4), np.uint8),
              "normal_item": np.array(rows, dtype=np.int32)}
    def write(temporary):
        with open(temporary, "wb") as file:
            np.savez(file, **arrays)
    write_atomically(path, write)


def write_index(folder, index):
    def write(temporary):
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(dict(index, format=FORMAT, format_version=FORMAT_VERSION), file, indent=1)
    write_atomically(os.path.join(folder, INDEX), write)


class TextureLibrary:
    """A built library: its index, and the crops of a split loaded on demand."""

    def __init__(self, folder):
        self.folder = folder
        path = os.path.join(folder, INDEX)
        try:
            with open(path, encoding="utf-8") as file:
                self.index = json.load(file)
        except FileNotFoundError:
            raise LibraryError(f"no texture library at {folder} (build it with "
                               "scripts/training/build_texture_library.py)") from None
        except ValueError as error:
            raise LibraryError(f"{path} is damaged: {error}") from None
        if self.index.get("format") != FORMAT:
            raise LibraryError(f"{path} is not a texture library index")

    @property
    def size(self):
        return int(self.index["crop_size"])

    def items(self, split=None, category=None):
        return [item for item in self.index["items"]
                if (split is None or item["split"] == split) and (category is None or item["category"] == category)]

    def load(self, split, with_normals=False):
        """(items, diffuse (N, S, S, 3) uint8[, normals {row: (S, S, 4)}]) of one split, in index order."""
        items = self.items(split)
        shards = sorted({item["shard"] for item in items})
        diffuse, normals, offset = [], {}, 0
        for shard in shards:
            with np.load(os.path.join(self.folder, shard)) as arrays:
                diffuse.append(arrays["diffuse"])
                if with_normals:
                    for row, normal in zip(arrays["normal_item"], arrays["normal"]):
                        normals[offset + int(row)] = normal
            offset += len(diffuse[-1])
        stacked = np.concatenate(diffuse) if diffuse else np.zeros((0, self.size, self.size, 3), np.uint8)
        if len(stacked) != len(items):
            raise LibraryError(f"{self.folder}: the shards of {split} hold {len(stacked)} crops, the index "
                               f"{len(items)}; rebuild the library")
        return (items, stacked, normals) if with_normals else (items, stacked)

    def provenance(self):
        """A short, storable account of where the data came from (for model files and docs)."""
        return {"library": FORMAT, "built": self.index.get("built"), "crop_size": self.size,
                "sources": self.index.get("sources"), "counts": self.index.get("counts")}
