"""The relighting product: relit = weights @ images, per colour channel, as one batched GEMM.

The set is held as a (3, L, P) tensor (channel, light, pixel) on the job's device, so F frames of
(F, L, 3) weights relight in one ``torch.bmm``: (3, F, L) @ (3, L, P) -> (3, F, P). On the CPU this
is BLAS; on a GPU the set stays resident between jobs. A set that does not fit is streamed from disk
in chunks of lights, each chunk one GEMM accumulated into the frames (all frames share one pass over
the files). float16 storage halves memory; arithmetic is always float32.

``LowRankSet`` is the optional preview path: the set's per-channel SVD truncated to rank k, so a
frame costs (F, L) @ (L, k) @ (k, P) instead of (F, L) @ (L, P).
"""

from dataclasses import dataclass

import numpy as np
import torch

# Pixels converted to float32 at once when a float16 set is multiplied on the CPU: small blocks keep
# the converted slice in cache (measured faster than converting slices of lights).
_PIXELS_PER_CONVERSION = 4096


@dataclass
class LoadedSet:
    rgb: torch.Tensor   # (3, L, P) on the device; float32 or float16
    alpha: np.ndarray   # (P,) float32
    height: int
    width: int

    @property
    def count(self):
        return self.rgb.shape[1]

    @property
    def nbytes(self):
        return self.rgb.numel() * self.rgb.element_size()


def load_set(light_set, device, dtype=torch.float32, progress=None, lights_per_chunk=32):
    """Read every light of ``light_set`` into a (3, L, P) tensor on ``device``."""
    numpy_dtype = np.float16 if dtype == torch.float16 else np.float32
    rgb = torch.empty((3, light_set.count, light_set.pixels), dtype=dtype, device=device)
    alpha = None
    for start, chunk, chunk_alpha in light_set.iter_chunks(lights_per_chunk, numpy_dtype):
        if chunk_alpha is not None:
            alpha = chunk_alpha
        rgb[:, start:start + len(chunk)] = torch.from_numpy(chunk).to(device).permute(2, 0, 1)
        if progress is not None:
            progress((start + len(chunk)) / light_set.count, f"read {start + len(chunk)} of {light_set.count} lights")
    return LoadedSet(rgb, alpha, light_set.height, light_set.width)


def _weights_tensor(weights, device):
    weights = np.asarray(weights, dtype=np.float32)
    if weights.ndim == 2:
        weights = weights[None]
    if weights.ndim != 3 or weights.shape[2] != 3:
        raise ValueError(f"weights must be (L, 3) or (F, L, 3), got {weights.shape}")
    return torch.from_numpy(np.ascontiguousarray(weights.transpose(2, 0, 1))).to(device)  # (3, F, L)


def _gemm(weights, rgb):
    """(3, F, L) x (3, L, P) -> (3, F, P) float32, converting float16 storage in slices of lights."""
    if rgb.dtype == torch.float32:
        return torch.bmm(weights, rgb)
    if rgb.device.type != "cpu":
        return torch.bmm(weights.to(rgb.dtype), rgb).float()
    # CPUs have no fast half GEMM: convert pixel blocks to float32 and multiply each.
    out = torch.empty((3, weights.shape[1], rgb.shape[2]), dtype=torch.float32, device=rgb.device)
    for start in range(0, rgb.shape[2], _PIXELS_PER_CONVERSION):
        stop = start + _PIXELS_PER_CONVERSION
        torch.bmm(weights, rgb[:, :, start:stop].float(), out=out[:, :, start:stop])
    return out


def relight(loaded, weights):
    """(F, H, W, 4) float32 frames (alpha from the set) for (F, L, 3) weights; (L, 3) gives F = 1."""
    w = _weights_tensor(weights, loaded.rgb.device)
    if w.shape[2] != loaded.count:
        raise ValueError(f"{w.shape[2]} weights for a set of {loaded.count} lights")
    with torch.no_grad():
        frames = _gemm(w, loaded.rgb)
    return _to_frames(frames, loaded.alpha, loaded.height, loaded.width)


def relight_streaming(light_set, weights, device="cpu", lights_per_chunk=64, dtype=np.float32,
                      progress=None):
    """Like ``relight`` but reading the set from disk chunk by chunk: memory is one chunk + frames."""
    w = _weights_tensor(weights, device)
    if w.shape[2] != light_set.count:
        raise ValueError(f"{w.shape[2]} weights for a set of {light_set.count} lights")
    frames, alpha = None, None
    with torch.no_grad():
        for start, chunk, chunk_alpha in light_set.iter_chunks(lights_per_chunk, dtype):
            if chunk_alpha is not None:
                alpha = chunk_alpha
            rgb = torch.from_numpy(chunk).to(device).permute(2, 0, 1)
            part = _gemm(w[:, :, start:start + len(chunk)].contiguous(), rgb)
            frames = part if frames is None else frames.add_(part)
            if progress is not None:
                done = start + len(chunk)
                progress(done / light_set.count, f"relit with {done} of {light_set.count} lights")
    return _to_frames(frames, alpha, light_set.height, light_set.width)


def _to_frames(frames, alpha, height, width):
    """(3, F, P) tensor -> (F, H, W, 4) float32 numpy."""
    rgb = frames.permute(1, 2, 0).cpu().numpy()  # (F, P, 3)
    count = rgb.shape[0]
    out = np.empty((count, height * width, 4), dtype=np.float32)
    out[:, :, :3] = rgb
    out[:, :, 3] = 1.0 if alpha is None else alpha
    return out.reshape(count, height, width, 4)


class LowRankSet:
    """A rank-k factorisation images_c ~ U_c (L x k) @ B_c (k x P) of each colour channel.

    Computed from the L x L Gram matrix (L is far smaller than P): eigenvectors U, eigenvalues s^2;
    B = U^T images. ``relative_error(k)`` is the exact Frobenius error of the rank-k set.
    """

    def __init__(self, loaded, rank):
        rgb = loaded.rgb
        self.height, self.width, self.alpha = loaded.height, loaded.width, loaded.alpha
        with torch.no_grad():
            gram = torch.zeros((3, loaded.count, loaded.count), dtype=torch.float64, device=rgb.device)
            for start in range(0, rgb.shape[2], 1 << 16):  # float64 Gram in pixel slices: accurate
                block = rgb[:, :, start:start + (1 << 16)].double()
                gram += torch.bmm(block, block.transpose(1, 2))
            eigenvalues, eigenvectors = torch.linalg.eigh(gram)  # ascending
        self.energies = eigenvalues.flip(-1).clamp_min(0).cpu().numpy()  # (3, L) descending s^2
        rank = int(max(1, min(rank, loaded.count)))
        self.rank = rank
        basis = eigenvectors.flip(-1)[:, :, :rank].float()  # (3, L, k)
        with torch.no_grad():
            self.u = basis
            self.b = _gemm(basis.transpose(1, 2).contiguous(), rgb)  # (3, k, P)

    def relative_error(self, rank=None):
        """||images - rank-k images||_F / ||images||_F over the three channels."""
        rank = self.rank if rank is None else rank
        total = self.energies.sum()
        return float(np.sqrt(max(self.energies[:, rank:].sum(), 0.0) / total)) if total > 0 else 0.0

    def relight(self, weights):
        w = _weights_tensor(weights, self.u.device)
        with torch.no_grad():
            frames = torch.bmm(torch.bmm(w, self.u), self.b)
        return _to_frames(frames, self.alpha, self.height, self.width)
