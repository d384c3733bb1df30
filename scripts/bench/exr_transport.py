"""The EXR-file image transport the product once had beside shared memory, kept here only so
bench_worker.py can time the comparison: uncompressed float32 files, written and read once per image
crossing (needs OpenEXR)."""

import numpy as np

CHANNEL_NAMES = {1: ("Y",), 3: ("R", "G", "B"), 4: ("R", "G", "B", "A")}


def write(path, array):
    import OpenEXR
    channels = {name: np.ascontiguousarray(array[:, :, index])
                for index, name in enumerate(CHANNEL_NAMES[array.shape[2]])}
    header = {"compression": OpenEXR.NO_COMPRESSION, "type": OpenEXR.scanlineimage}
    with OpenEXR.File(header, channels) as exr_file:
        exr_file.write(str(path))


def read(path, shape):
    import OpenEXR
    height, width, count = shape
    with OpenEXR.File(str(path), separate_channels=True) as exr_file:
        channels = exr_file.channels()
        planes = [channels[name].pixels for name in CHANNEL_NAMES[count]]
    image = np.empty(shape, dtype=np.float32)
    for index, plane in enumerate(planes):
        image[:, :, index] = plane
    return image
