"""The sRGB transfer functions (IEC 61966-2-1), exact piecewise form, vectorised."""

import numpy as np


def srgb_to_linear(encoded):
    encoded = np.asarray(encoded, dtype=np.float32)
    return np.where(encoded <= 0.04045, encoded / 12.92,
                    ((np.maximum(encoded, 0.04045) + 0.055) / 1.055) ** 2.4).astype(np.float32)


def linear_to_srgb(linear):
    linear = np.asarray(linear, dtype=np.float32)
    return np.where(linear <= 0.0031308, linear * 12.92,
                    1.055 * np.maximum(linear, 0.0031308) ** (1 / 2.4) - 0.055).astype(np.float32)
