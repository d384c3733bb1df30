"""Photo → material maps, and normal map → height: the I/O-free core of the material jobs.

Inputs are scene-linear (H, W, C) float arrays as Blender and EXR files hold them; the network reads
display-encoded (sRGB) colour as its training textures were. Normals come back as unit vectors in
Blender's OpenGL tangent space, heights as [0, 1] (lowest to highest point).

Height has two sources. The Frankot–Chellappa integral of the predicted normals is one consistent
surface over any picture; the network's height head knows what a photo's bright and dark parts mean
but learnt heights without a common scale. ``network`` takes the integral's broad shape and the head's
detail (``fuse_heights``); ``integrated`` uses the integral alone.
"""

import numpy as np
import torch

from ..imageio.colour import linear_to_srgb
from . import height as heights
from . import normals as normal_maps
from .network import INPUT_MULTIPLE
from . import tiles

from ...protocol.specs.material import DEFAULT_TILE  # noqa: E402  (declared once, in the spec)
MAX_INTEGRATION_SIDE = 4096   # Fourier integration above this runs on a reduced grid (memory)
FUSION_SIGMA = 16.0           # px: below this scale the height's detail is the network's


class MaterialInputError(ValueError):
    pass


def display_photo(linear, already_encoded=False):
    """(H, W, 1|2|3|4) scene-linear (or, ``already_encoded``, display-encoded) → ((H, W, 3)
    sRGB-encoded in [0, 1], notes)."""
    notes = []
    channels = linear.shape[2]
    if channels in (2, 4) and (linear[..., -1] < 1.0).any():   # Blender sends opaque photos as RGBA
        notes.append("its alpha channel was ignored")
    colour = linear[..., :3] if channels >= 3 else np.repeat(linear[..., :1], 3, axis=2)
    if channels < 3 or np.ptp(colour - colour.mean(axis=2, keepdims=True)) < 1e-6:
        notes.append("the photo is greyscale: maps are made from its brightness alone")
    colour = np.clip(colour, 0.0, 1.0)
    return (colour if already_encoded else linear_to_srgb(colour)).astype(np.float32), notes


def looks_like_normal_map(display):
    """A tangent-space normal map given as a photo: nearly all pixels decode to unit vectors facing
    out of the surface, with the bluish mean colour such maps have."""
    sample = display[::max(1, display.shape[0] // 256), ::max(1, display.shape[1] // 256)].reshape(-1, 3)
    vectors = sample * 2.0 - 1.0
    length = np.linalg.norm(vectors, axis=1)
    unit = np.mean(np.abs(length - 1.0) < 0.12)
    mean = sample.mean(axis=0)
    return bool(unit > 0.9 and mean[2] > 0.75 and abs(mean[0] - 0.5) < 0.1 and abs(mean[1] - 0.5) < 0.1)


def predict_maps(model, display, tileable=False, tile=DEFAULT_TILE, height_source="network", device="cpu",
                 progress=None):
    """The network over the whole picture in overlapping windows → (unit normals (H, W, 3), height
    (H, W) in [0, 1]). ``progress(fraction, message)`` is called after every window."""
    height, width = display.shape[:2]
    layout = tiles.windows(height, width, tile, INPUT_MULTIPLE)
    padded = tiles.pad(display, tileable, multiple=INPUT_MULTIPLE)
    model.set_tileable(False)
    pieces = []
    for index, window in enumerate(layout):
        batch = torch.from_numpy(np.ascontiguousarray(padded[window.source].transpose(2, 0, 1)))[None]
        batch = batch.float().to(device).contiguous(memory_format=torch.channels_last)
        with torch.no_grad():
            vectors, head = model(batch)
        out = torch.cat([vectors, head], 1)[0].permute(1, 2, 0).cpu().numpy()
        pieces.append(out[window.kept])
        if progress is not None:
            progress(0.85 * (index + 1) / len(layout), f"window {index + 1} of {len(layout)}")
    blended = tiles.blend(pieces, layout, height, width)
    vectors = normal_maps.normalise(blended[..., :3])
    if progress is not None:
        progress(0.9, "integrating the normals into a height map")
    surface = integrate_normals(vectors, tileable)
    if height_source == "network":
        surface = fuse_heights(blended[..., 3], surface, tileable)
    return vectors, unit_range(surface)


def fuse_heights(head, integral, tileable=False, sigma=FUSION_SIGMA):
    """The integral's broad shape plus the head's detail: lowpass(integral) + a·highpass(head), with
    ``a`` the least-squares fit of the head's detail to the integral's. The head learnt heights
    standardised over 128 px crops, so only its detail has a scale that holds across a picture; the
    integral is one consistent surface. Both are local, so the result does not depend on the tiling."""
    head_detail = head - _blur(head, sigma, tileable)
    broad = _blur(integral, sigma, tileable)
    detail = integral - broad
    scale = max(float((head_detail * detail).sum() / max((head_detail ** 2).sum(), 1e-12)), 0.0)
    return broad + scale * head_detail


def _blur(image, sigma, tileable):
    """Separable Gaussian (taps to 3 sigma) as a product in the Fourier domain: at sigma 16 px a 97-tap
    convolution costs far more than two FFTs of a 2048² picture. Reflected padding of the radius makes
    the FFT's circular convolution the reflect-padded linear one on the kept part; a tileable picture
    is convolved circularly as it is."""
    radius = int(np.ceil(3 * sigma))
    if radius >= min(image.shape):   # torch cannot pad by a whole side; numpy's padding can
        return heights.gaussian_blur(image, sigma, tileable)
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    x = torch.from_numpy(np.ascontiguousarray(image, np.float32))
    if not tileable:
        x = torch.nn.functional.pad(x[None, None], (radius, radius, radius, radius), mode="reflect")[0, 0]
    rows, columns = x.shape

    def response(length, real):
        kernel = np.zeros(length)
        kernel[np.arange(-radius, radius + 1) % length] += taps   # centred on index 0, wrapped
        spectrum = np.fft.rfft(kernel) if real else np.fft.fft(kernel)
        return torch.from_numpy(spectrum.astype(np.complex64))

    spectrum = torch.fft.rfft2(x) * response(rows, False)[:, None] * response(columns, True)[None, :]
    blurred = torch.fft.irfft2(spectrum, s=(rows, columns))
    if not tileable:
        blurred = blurred[radius:radius + image.shape[0], radius:radius + image.shape[1]]
    return blurred.numpy()


def integrate_normals(vectors, tileable=False):
    """Frankot–Chellappa height (H, W) in px of slope; above MAX_INTEGRATION_SIDE on a reduced grid."""
    height, width = vectors.shape[:2]
    factor = int(np.ceil(max(height, width) / MAX_INTEGRATION_SIDE))
    if factor <= 1:
        return heights.integrate(vectors, tileable)
    reduced = _box_down(vectors, factor)
    surface = heights.integrate(normal_maps.normalise(reduced), tileable) * factor
    return _bilinear_up(surface, height, width)


def _box_down(image, factor):
    height, width = image.shape[:2]
    cropped = image[:height - height % factor or height, :width - width % factor or width]
    h, w = cropped.shape[0] // factor, cropped.shape[1] // factor
    return cropped[:h * factor, :w * factor].reshape(h, factor, w, factor, -1).mean(axis=(1, 3))


def _bilinear_up(surface, height, width):
    rows = np.clip((np.arange(height) + 0.5) * surface.shape[0] / height - 0.5, 0, surface.shape[0] - 1)
    columns = np.clip((np.arange(width) + 0.5) * surface.shape[1] / width - 0.5, 0, surface.shape[1] - 1)
    r0, c0 = np.floor(rows).astype(int), np.floor(columns).astype(int)
    r1, c1 = np.minimum(r0 + 1, surface.shape[0] - 1), np.minimum(c0 + 1, surface.shape[1] - 1)
    fr, fc = (rows - r0)[:, None], (columns - c0)[None, :]
    top = surface[r0][:, c0] * (1 - fc) + surface[r0][:, c1] * fc
    bottom = surface[r1][:, c0] * (1 - fc) + surface[r1][:, c1] * fc
    return top * (1 - fr) + bottom * fr


def unit_range(surface):
    low, high = np.percentile(surface, [0.1, 99.9])
    return np.clip((surface - low) / max(high - low, 1e-9), 0.0, 1.0)
