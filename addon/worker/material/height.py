"""Height from normals, and normals from height: the classical halves of the material-map job.

``integrate`` is Frankot & Chellappa (1988): the least-squares surface whose gradient is nearest the
normals' slopes, solved in the Fourier domain. The slopes of a finite picture are made periodic by
mirroring it (a mirrored slope changes sign along the mirrored axis), so a picture that does not tile
gets no wrap-around artefacts; ``tileable=True`` integrates the picture as the torus it is.

``normals_from_luminance`` is the classical baseline every learned result is compared with: read the
photo's luminance as a height field, blur it, take Sobel slopes, scale by a strength.
"""

import numpy as np

from . import normals as normal_maps

LUMA = np.array([0.2126, 0.7152, 0.0722])


def integrate(vectors, tileable=False):
    """Unit normals (H, W, 3), OpenGL convention → height (H, W), zero mean, in pixel units of slope."""
    import torch  # the worker's FFT: threaded, and half numpy's memory with a real transform
    # Single precision: a 2048² picture's mirrored 4096² spectrum in complex64 is half the memory
    # traffic of complex128, and its relative error (~1e-6) is far below an 8- or 16-bit map's step.
    dh_dx, dh_drow = (torch.from_numpy(np.ascontiguousarray(d)) for d in normal_maps.slopes(np.asarray(vectors, np.float32)))
    height, width = dh_dx.shape
    if not tileable:  # the even/odd mirror images, in torch (threaded) rather than numpy
        dh_dx = torch.cat([dh_dx, -dh_dx.flip(1)], 1)
        dh_dx = torch.cat([dh_dx, dh_dx.flip(0)], 0)
        dh_drow = torch.cat([dh_drow, dh_drow.flip(1)], 1)
        dh_drow = torch.cat([dh_drow, -dh_drow.flip(0)], 0)
    rows, columns = dh_dx.shape
    # Central-difference symbols i·sin(ω), so the integral of a central-difference slope is exact.
    sx = torch.sin(2 * np.pi * torch.fft.rfftfreq(columns, dtype=torch.float64))[None, :]
    sr = torch.sin(2 * np.pi * torch.fft.fftfreq(rows, dtype=torch.float64))[:, None]
    denominator = sx ** 2 + sr ** 2
    blind = denominator < 1e-12   # the mean, and Nyquist where a central difference sees nothing
    inverse = torch.where(blind, 0.0, 1.0 / denominator.clamp(min=1e-12))
    spectrum = torch.fft.rfft2(dh_dx) * (sx * inverse).float() + torch.fft.rfft2(dh_drow) * (sr * inverse).float()
    surface = torch.fft.irfft2(spectrum * -1j, s=(rows, columns)).numpy()[:height, :width]
    return surface - surface.mean()


def central_slopes(height, tileable=False):
    mode = "wrap" if tileable else "edge"
    padded = np.pad(height, 1, mode=mode)
    return 0.5 * (padded[1:-1, 2:] - padded[1:-1, :-2]), 0.5 * (padded[2:, 1:-1] - padded[:-2, 1:-1])


def sobel_slopes(height, tileable=False):
    mode = "wrap" if tileable else "edge"
    p = np.pad(height, 1, mode=mode)
    dx = (p[:-2, 2:] + 2 * p[1:-1, 2:] + p[2:, 2:] - p[:-2, :-2] - 2 * p[1:-1, :-2] - p[2:, :-2]) / 8.0
    dr = (p[2:, :-2] + 2 * p[2:, 1:-1] + p[2:, 2:] - p[:-2, :-2] - 2 * p[:-2, 1:-1] - p[:-2, 2:]) / 8.0
    return dx, dr


def gaussian_blur(image, sigma, tileable=False):
    """Separable Gaussian on a 2-D array (sigma in px; 0 = unchanged)."""
    if sigma <= 0:
        return image
    radius = int(np.ceil(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    mode = "wrap" if tileable else "reflect"
    padded = np.pad(image, radius, mode=mode)
    across = sum(weight * padded[:, index:index + image.shape[1]] for index, weight in enumerate(taps))
    return sum(weight * across[index:index + image.shape[0]]
               for index, weight in enumerate(taps))


def normals_from_height(height, strength=1.0, tileable=False):
    dh_dx, dh_drow = sobel_slopes(height, tileable)
    return normal_maps.from_slopes(strength * dh_dx, strength * dh_drow)


def normals_from_luminance(display_rgb, blur=1.0, strength=4.0, tileable=False):
    """The classical baseline: display-encoded RGB in [0, 1] → normals, bright read as high."""
    luminance = np.asarray(display_rgb, np.float64)[..., :3] @ LUMA
    return normals_from_height(gaussian_blur(luminance, blur, tileable), strength, tileable)


def affine_fit_error(predicted, truth):
    """RMS error of ``truth`` against the best a·predicted + b (heights have no common scale), in units
    of truth's standard deviation: 0 is perfect, 1 is no better than the mean."""
    x = predicted.ravel() - predicted.mean()
    y = truth.ravel() - truth.mean()
    scale = (x * y).sum() / max((x * x).sum(), 1e-12)
    return float(np.sqrt(np.mean((y - scale * x) ** 2)) / max(y.std(), 1e-12))
