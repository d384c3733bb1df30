"""Which way is green? Tell a normal map's convention from its own pixels.

A tangent-space normal map of a height field h stores n ∝ (−∂h/∂x, −∂h/∂y_up, 1). With image rows
running down (y_up = −row), OpenGL's +Y-up encoding has n_y/n_z = +∂h/∂row, DirectX's −Y has
n_y/n_z = −∂h/∂row. Two independent tests decide which a package uses:

- **Integrability.** Read with the right convention, (p, q) = (−n_x/n_z, ±n_y/n_z) is the gradient of
  one surface, so its curl ∂p/∂row − ∂q/∂x is near zero. Read with the wrong one, the curl is
  ±2·∂²h/∂x∂row: every surface with any mixed curvature shows it. Works on any normal map.
- **Stored height.** Where the package keeps height in the alpha channel, the sign of the correlation
  between ∂h/∂row and n_y/n_z says it directly (and ∂h/∂x against −n_x/n_z checks the x axis).
"""

import numpy as np

from neural_render.worker.material import normals as normal_maps


def decode(normal_uint8):
    """(S, S, ≥3) uint8 → (S, S, 3) float unit vectors (the 0.5·n + 0.5 encoding undone)."""
    return normal_maps.decode(normal_uint8[..., :3] / 255.0)


def curl_ratio(vectors, green_up):
    """Small for the right convention (normal_maps.curl_ratio of the vectors read that way)."""
    return normal_maps.curl_ratio(vectors if green_up else normal_maps.flip_green(vectors))


def height_agreement(normal_uint8):
    """Correlations of the alpha height's derivatives with −n_x/n_z and with +n_y/n_z (OpenGL reading)."""
    height = normal_uint8[..., 3].astype(np.float64)
    if height.std() < 1.0:
        return None
    p, q = normal_maps.slopes(decode(normal_uint8))
    dh_dx = 0.5 * (np.roll(height, -1, axis=1) - np.roll(height, 1, axis=1))
    dh_drow = 0.5 * (np.roll(height, -1, axis=0) - np.roll(height, 1, axis=0))
    inner = (slice(2, -2), slice(2, -2))

    def correlation(a, b):
        a, b = a[inner].ravel(), b[inner].ravel()
        a, b = a - a.mean(), b - b.mean()
        return float((a * b).sum() / max(np.sqrt((a * a).sum() * (b * b).sum()), 1e-12))
    return correlation(dh_dx, p), correlation(dh_drow, q)


def judge(normals):
    """Summary over a package's normal maps: votes of both tests, medians, and the verdict."""
    curl_votes, up, down = 0, [], []
    x_agree, y_agree = [], []
    for normal in normals:
        vectors = decode(normal)
        gl, dx = curl_ratio(vectors, True), curl_ratio(vectors, False)
        up.append(gl)
        down.append(dx)
        curl_votes += gl < dx
        if normal.shape[-1] == 4:
            agreement = height_agreement(normal)
            if agreement is not None:
                x_agree.append(agreement[0])
                y_agree.append(agreement[1])
    opengl = curl_votes * 2 > len(normals)
    return {"maps": len(normals), "opengl_curl_votes": int(curl_votes),
            "median_curl_ratio_opengl": float(np.median(up)), "median_curl_ratio_directx": float(np.median(down)),
            "height_maps": len(y_agree),
            "median_height_corr_x": float(np.median(x_agree)) if x_agree else None,
            "median_height_corr_y_opengl": float(np.median(y_agree)) if y_agree else None,
            "convention": "opengl" if opengl else "directx"}
