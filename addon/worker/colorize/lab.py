"""Exact CIE 1976 L*a*b* (D65) <-> scene-linear Rec.709 / sRGB, vectorised in numpy.

Colorization works in Lab because L* carries the luminance the user already has and a*b* the chroma
the model must supply; recombining a predicted a*b* with the *original* L* keeps every bit of detail.
The constants are the exact CIE ones (epsilon = 216/24389, kappa = 24389/27), not the rounded
0.008856 / 903.3, so L -> Lab -> L round-trips to float precision. Computation is in float64 and the
result has the input's float dtype (float32 in, float32 out).
"""

import numpy as np

# Linear Rec.709 / sRGB primaries with a D65 white -> CIE XYZ (IEC 61966-2-1 matrix, derived from the
# primaries' chromaticities so that RGB (1, 1, 1) maps exactly to the white point below).
_PRIMARIES = np.array([[0.64, 0.33], [0.30, 0.60], [0.15, 0.06]])
WHITE_D65_XY = (0.3127, 0.3290)


def _white_xyz():
    x, y = WHITE_D65_XY
    return np.array([x / y, 1.0, (1.0 - x - y) / y])


def _rgb_to_xyz_matrix():
    columns = np.array([[x / y, 1.0, (1.0 - x - y) / y] for x, y in _PRIMARIES]).T
    return columns * np.linalg.solve(columns, _white_xyz())


WHITE_XYZ = _white_xyz()
RGB_TO_XYZ = _rgb_to_xyz_matrix()
XYZ_TO_RGB = np.linalg.inv(RGB_TO_XYZ)
# Relative luminance weights of linear Rec.709 (the Y row of RGB_TO_XYZ: 0.2126, 0.7152, 0.0722).
LUMINANCE_WEIGHTS = RGB_TO_XYZ[1]

EPSILON = 216.0 / 24389.0   # (6/29)^3: below it the cube root is replaced by a line
KAPPA = 24389.0 / 27.0      # slope of that line in L* units


def _out_dtype(array):
    return array.dtype if np.issubdtype(array.dtype, np.floating) else np.float32


def _f(t):
    return np.where(t > EPSILON, np.cbrt(np.maximum(t, EPSILON)), (KAPPA * t + 16.0) / 116.0)


def _f_inverse(f):
    cubed = f ** 3
    return np.where(cubed > EPSILON, cubed, (116.0 * f - 16.0) / KAPPA)


def luminance_to_lightness(luminance):
    """Relative luminance Y (1 = diffuse white; may exceed 1 in HDR) -> L* (100 at Y = 1)."""
    luminance = np.asarray(luminance)
    return (116.0 * _f(luminance.astype(np.float64)) - 16.0).astype(_out_dtype(luminance))


def lightness_to_luminance(lightness):
    lightness = np.asarray(lightness)
    return _f_inverse((lightness.astype(np.float64) + 16.0) / 116.0).astype(_out_dtype(lightness))


def linear_rgb_to_lab(rgb):
    """(..., 3) scene-linear Rec.709 -> (..., 3) L*a*b* (D65). Negative values are allowed (out of gamut)."""
    rgb = np.asarray(rgb)
    xyz = rgb.astype(np.float64) @ RGB_TO_XYZ.T / WHITE_XYZ
    fx, fy, fz = _f(xyz[..., 0]), _f(xyz[..., 1]), _f(xyz[..., 2])
    lab = np.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)
    return lab.astype(_out_dtype(rgb))


def lab_to_linear_rgb(lab):
    """(..., 3) L*a*b* (D65) -> (..., 3) scene-linear Rec.709 (not clipped: callers decide)."""
    lab = np.asarray(lab)
    lab64 = lab.astype(np.float64)
    fy = (lab64[..., 0] + 16.0) / 116.0
    fx = fy + lab64[..., 1] / 500.0
    fz = fy - lab64[..., 2] / 200.0
    xyz = np.stack([_f_inverse(fx), _f_inverse(fy), _f_inverse(fz)], axis=-1) * WHITE_XYZ
    return (xyz @ XYZ_TO_RGB.T).astype(_out_dtype(lab))


def srgb_to_lab(encoded):
    """(..., 3) sRGB-encoded values in [0, 1] -> L*a*b*."""
    return linear_rgb_to_lab(srgb_decode(encoded))


def srgb_decode(encoded):
    encoded = np.asarray(encoded)
    values = encoded.astype(np.float64)
    linear = np.where(values <= 0.04045, values / 12.92, ((np.maximum(values, 0.04045) + 0.055) / 1.055) ** 2.4)
    return linear.astype(_out_dtype(encoded))


def srgb_encode(linear):
    linear = np.asarray(linear)
    values = linear.astype(np.float64)
    encoded = np.where(values <= 0.0031308, values * 12.92,
                       1.055 * np.maximum(values, 0.0031308) ** (1 / 2.4) - 0.055)
    return encoded.astype(_out_dtype(linear))
