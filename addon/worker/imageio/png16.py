"""A 16-bit RGB/RGBA PNG encoder (Pillow writes 16-bit PNG samples only for single-channel images).

PNG is a signature and CRC-checked chunks: IHDR (size, 16 bits, colour type 2 RGB or 6 RGBA), IDAT
(zlib of the rows, each preceded by its filter byte; filter 0 here) and IEND. Samples are big-endian.
"""

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind, payload):
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


def write_png16(path, samples):
    """``samples``: (H, W, 3|4) uint16."""
    height, width, channels = samples.shape
    colour_type = {3: 2, 4: 6}[channels]
    rows = np.ascontiguousarray(samples.astype(">u2")).reshape(height, width * channels)
    raw = np.concatenate([np.zeros((height, 1), np.uint8), rows.view(np.uint8)], axis=1)
    with open(path, "wb") as file:
        file.write(SIGNATURE)
        file.write(_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)))
        file.write(_chunk(b"IDAT", zlib.compress(raw.tobytes(), 6)))
        file.write(_chunk(b"IEND", b""))
