"""What would poison training, decided from the pixels: every rule returns a reason or None.

- ``tiny``: a short side under MIN_SIDE px (icons, 1-pixel colour swatches);
- ``strip``: an aspect ratio above MAX_ASPECT (trims, borders: a square crop would be a sliver);
- ``transparent``: more than MAX_TRANSPARENT of the pixels are see-through (decals, grates, foliage cards);
- ``atlas``: a flat background covers more than MAX_FLAT of the image (UV atlases, cut-outs, swatches);
- ``greyscale``: the "diffuse" map has no colour (detail maps, masks) — it would teach that colour is grey;
- ``flat normal`` / ``not a normal map``: normal maps that carry no relief, or are not unit vectors;
- near-duplicates: the same luminance picture under two names (recoloured variants, copies) — kept
  once, since two names with one picture and different colours contradict each other.
"""

import numpy as np

MIN_SIDE = 64
MAX_ASPECT = 4.0
MAX_TRANSPARENT = 0.25
MAX_FLAT = 0.2
MIN_CHROMA_P99 = 4.0           # Lab chroma units; the noise floor of JPEG-compressed grey is ~2
MIN_NORMAL_SPREAD = 0.015      # standard deviation of the normals' x, y components
MAX_NORMAL_LENGTH_ERROR = 0.25
HASH_SIDE = 8
DUPLICATE_BITS = 4             # dHashes differing in at most this many of 64 bits are one picture


def shape_reason(rgba):
    height, width = rgba.shape[:2]
    if min(height, width) < MIN_SIDE:
        return "tiny"
    if max(height, width) / min(height, width) > MAX_ASPECT:
        return "strip"
    return None


def diffuse_reason(rgba_full, crop):
    """Reason to drop a diffuse map (its full decoded RGBA and its square crop), or None."""
    reason = shape_reason(rgba_full)
    if reason:
        return reason
    alpha = rgba_full[:, :, 3]
    if (alpha < 128).mean() > MAX_TRANSPARENT:
        return "transparent"
    pixels = rgba_full[:, :, :3].reshape(-1, 3)
    step = max(1, len(pixels) // 65536)
    sample = pixels[::step]
    packed = (sample[:, 0].astype(np.int64) << 16) | (sample[:, 1].astype(np.int64) << 8) | sample[:, 2]
    if np.bincount(np.unique(packed, return_inverse=True)[1]).max() / len(packed) > MAX_FLAT:
        return "atlas"
    if np.percentile(chroma(crop[:, :, :3]), 99) < MIN_CHROMA_P99:
        return "greyscale"
    return None


def normal_reason(crop):
    """Reason to drop a normal map crop (RGB encodes n = 2 c - 1), or None."""
    vectors = crop[:, :, :3].astype(np.float32) / 127.5 - 1.0
    length = np.linalg.norm(vectors, axis=2)
    if np.abs(length - 1.0).mean() > MAX_NORMAL_LENGTH_ERROR or vectors[:, :, 2].mean() < 0.3:
        return "not a normal map"
    if vectors[:, :, :2].reshape(-1, 2).std(0).max() < MIN_NORMAL_SPREAD:
        return "flat normal"
    return None


def chroma(rgb_uint8):
    """Lab chroma sqrt(a*² + b*²) of sRGB-encoded uint8 pixels."""
    from neural_render.worker.colorize import lab
    linear = lab.srgb_decode(rgb_uint8.astype(np.float32) / 255.0)
    converted = lab.linear_rgb_to_lab(linear)
    return np.hypot(converted[..., 1], converted[..., 2])


def luminance_hash(rgb_uint8):
    """64-bit difference hash of the luminance (a 9 x 8 thumbnail's horizontal gradient signs)."""
    from PIL import Image
    grey = Image.fromarray(np.ascontiguousarray(rgb_uint8[:, :, :3])).convert("L")
    small = np.asarray(grey.resize((HASH_SIDE + 1, HASH_SIDE), Image.BOX), dtype=np.int16)
    bits = (small[:, 1:] > small[:, :-1]).reshape(-1)
    return int(sum(1 << index for index, bit in enumerate(bits) if bit))


def near_duplicates(hashes):
    """Indices to drop so no two kept hashes are within DUPLICATE_BITS (the first of a group is kept)."""
    values = np.array(hashes, dtype=np.uint64)
    bits = np.unpackbits(values.view(np.uint8).reshape(-1, 8), axis=1)
    dropped, kept = set(), []
    for index in range(len(values)):
        if kept:
            distance = (bits[kept] != bits[index]).sum(1)
            if distance.min() <= DUPLICATE_BITS:
                dropped.add(index)
                continue
        kept.append(index)
    return dropped
