"""How close a relit image is to the exact light-stage relighting (no bpy, no torch).

Both images are tonemapped x / (1 + x) and sRGB-encoded first (the display a relit HDR is judged on,
and what keeps a bright highlight from owning the score), then compared over the subject: PSNR over
the matte's pixels, SSIM (Wang et al. 2004, 7x7 Gaussian window, sigma 1.5) averaged over them.
"""

import math

import numpy as np
from scipy.ndimage import gaussian_filter


def tonemap(x):
    y = np.clip(x, 0.0, None)
    y = y / (1.0 + y)
    return np.where(y <= 0.0031308, 12.92 * y, 1.055 * np.power(y, 1 / 2.4) - 0.055)


def psnr(reference, test, matte):
    """dB over the pixels whose matte > 0.5; images (H, W, 3) linear."""
    mask = matte > 0.5
    error = (tonemap(reference) - tonemap(test))[mask]
    mse = float(np.mean(error ** 2)) if error.size else 0.0
    return float("inf") if mse == 0 else 10.0 * math.log10(1.0 / mse)


def ssim(reference, test, matte, sigma=1.5):
    a, b = tonemap(reference), tonemap(test)
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    def blur(x):
        return gaussian_filter(x, sigma=(sigma, sigma, 0), truncate=2.0)
    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b = blur(a * a) - mu_a ** 2, blur(b * b) - mu_b ** 2
    cov = blur(a * b) - mu_a * mu_b
    index = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    mask = matte > 0.5
    return float(index.mean(axis=2)[mask].mean()) if mask.any() else 1.0


def grid_error(estimate, truth):
    """(log RMSE of the grids, relative error of their irradiance): the source-world estimate's error."""
    from neural_render.worker.relight_image import environment_grid
    log_rmse = float(np.sqrt(np.mean((environment_grid.encode(estimate) - environment_grid.encode(truth)) ** 2)))
    irradiance = environment_grid.irradiance(truth)
    relative = float(np.mean(np.abs(environment_grid.irradiance(estimate) - irradiance) / np.maximum(irradiance, 1e-9)))
    return log_rmse, relative
