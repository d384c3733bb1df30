"""Archive member -> pixels: decoded in memory (no unpacking) and cut to an aligned square crop."""

import io
import zipfile

import numpy as np

_OPEN_ARCHIVES = {}   # per process: a build decodes thousands of members of a few archives


def read_member(archive, member):
    opened = _OPEN_ARCHIVES.get(archive)
    if opened is None:
        opened = _OPEN_ARCHIVES[archive] = zipfile.ZipFile(archive)
    return opened.read(member)


def decode(data):
    """Encoded bytes (PNG/JPEG/TGA/DDS) -> (H, W, 4) uint8 RGBA."""
    from PIL import Image
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return np.asarray(image.convert("RGBA"))


def square_crop(rgba, size, shape=None):
    """Resize so the short side is ``size`` (box-filtered down, bicubic up) and cut the centre square.
    ``shape`` (H, W) first resizes the image to another map's size, so the maps of a material align."""
    from PIL import Image
    image = Image.fromarray(rgba, "RGBA")
    if shape is not None and image.size != (shape[1], shape[0]):
        image = image.resize((shape[1], shape[0]), Image.BICUBIC)
    width, height = image.size
    scale = size / min(width, height)
    resized = (max(size, round(width * scale)), max(size, round(height * scale)))
    image = image.resize(resized, Image.BOX if scale < 1 else Image.BICUBIC)
    left, top = (resized[0] - size) // 2, (resized[1] - size) // 2
    return np.asarray(image.crop((left, top, left + size, top + size)))


def square_crops(rgba, size, grid=1, shape=None):
    """Up to ``grid`` x ``grid`` adjacent ``size`` squares from the centre of an image resized so its
    short side is ``size`` times as many as fit (a 1024 px texture gives 2 x 2 crops at half its
    resolution with grid 2, a 256 px one a single crop): large textures give more training data at a
    scale like the small ones' instead of being shrunk to one crop."""
    short = min(rgba.shape[:2]) if shape is None else min(shape)
    count = max(1, min(int(grid), short // size))
    big = square_crop(rgba, size * count, shape)
    return [big[row * size:(row + 1) * size, column * size:(column + 1) * size]
            for row in range(count) for column in range(count)]
