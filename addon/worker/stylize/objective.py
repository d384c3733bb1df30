"""The full objective for one image at one resolution, with its gradient; exact tiling past memory.

Small images go through the network in one piece. Past ``max_pixels`` the image is cut into tiles
(cores aligned to the network's 16 px stride, each read with a halo of context) and the gradient is
accumulated tile by tile in two passes:

1. without gradients, sum every tile core's Gram contribution and content error: the *global* Gram
   matrices and losses of the whole image;
2. per tile, back-propagate a surrogate 2 <G_global - S, G_tile> / ||S||^2 (+ the content term), whose
   gradient is exactly the tile's share of d||G - S||^2 / dx, because G is a sum over positions.

So a 4K frame is optimised against the statistics of the whole frame (not per tile, which would make
every tile its own style average) with memory bounded by the tile size; only the halo's finite
context makes it differ from the untiled gradient (checked in the tests).
"""

import math

import torch

from ...protocol.specs.stylize import DEFAULT_MAX_PIXELS
from . import losses

STRIDE = 16          # relu5_1 sees the image at 1/16: tile cores are aligned to it
DEFAULT_HALO = 48    # px of context each side of a tile core (a multiple of STRIDE)
# VGG activations + gradients cost ~4 KB per pixel up to relu5_1 in float32; 1.2 MP is ~5 GB.


_STRIDES = {"relu1": 1, "relu2": 2, "relu3": 4, "relu4": 8, "relu5": 16}


def layer_stride(name):
    return _STRIDES[name[:5]]


class Objective:
    """L(x) for a (1, 3, H, W) display-referred image x.

    ``style_targets``: region -> {layer: target Gram (1, C, C)}; ``region_masks``: region -> (1, 1, H, W)
    weight in [0, 1] or None for the whole image. ``temporal``: (warped previous (1, 3, H, W),
    confidence (1, 1, H, W)) or None.
    """

    def __init__(self, network, content, style_targets, weights, region_masks=None, temporal=None,
                 max_pixels=DEFAULT_MAX_PIXELS, halo=DEFAULT_HALO):
        self.network = network
        self.weights = weights
        self.layer_weights = weights.layers()
        self.style_targets = style_targets
        self.region_masks = region_masks or {region: None for region in style_targets}
        self.temporal = temporal
        self.height, self.width = content.shape[-2:]
        self.layers = tuple(dict.fromkeys((*self.layer_weights, losses.CONTENT_LAYER)))
        self.tiles = plan_tiles(self.height, self.width, max_pixels, halo)
        self.evaluations = 0
        with torch.no_grad():
            if len(self.tiles) == 1:
                self.content_features = self._features(content)[losses.CONTENT_LAYER]
                self.content_energy = self.content_features.square().mean()
            else:  # kept per tile core: the content target of a 4K frame at relu4_2 is ~130 MB
                self.content_features = [self._core(tile, losses.CONTENT_LAYER,
                                                    self._features(_crop(content, tile.outer))[losses.CONTENT_LAYER])
                                         for tile in self.tiles]
                count = sum(part.numel() for part in self.content_features)
                self.content_energy = sum(part.square().sum() for part in self.content_features) / count

    # -- helpers ---------------------------------------------------------------------------------
    def _features(self, image):
        return self.network(self.network.preprocess(image), layers=self.layers)

    @staticmethod
    def _core(tile, layer, features):
        """The part of a tile's feature map that belongs to its core (the halo is context only)."""
        stride = layer_stride(layer)
        (oy0, oy1, ox0, ox1), (cy0, cy1, cx0, cx1) = tile.outer, tile.core
        top, left = (cy0 - oy0) // stride, (cx0 - ox0) // stride
        bottom = features.shape[2] if cy1 == oy1 else (cy1 - oy0) // stride
        right = features.shape[3] if cx1 == ox1 else (cx1 - ox0) // stride
        return features[:, :, top:bottom, left:right]

    def _mask_at(self, region, layer, features, tile=None):
        """The region's weight at a layer's resolution (for a tile: its core), None for everywhere."""
        mask = self.region_masks.get(region)
        if mask is None:
            return None
        if tile is None:
            return losses.resize_mask(mask, features.shape[-2:])
        scaled = losses.resize_mask(_crop(mask, tile.outer), _feature_size(tile.outer, layer))
        return self._core(tile, layer, scaled)

    def _pixel_terms(self, x):
        """Terms computed on pixels (cheap at any size): total variation and temporal consistency."""
        total = x.new_zeros(())
        parts = {}
        if self.weights.tv > 0:
            parts["tv"] = losses.total_variation(x)
            total = total + self.weights.tv * parts["tv"]
        if self.temporal is not None and self.weights.temporal > 0:
            warped, confidence = self.temporal
            parts["temporal"] = losses.temporal_loss(x, warped, confidence)
            total = total + self.weights.temporal * parts["temporal"]
        return total, parts

    # -- evaluation --------------------------------------------------------------------------------
    def value_and_grad(self, x):
        """(loss tensor without graph, {term: float}, gradient like x)."""
        self.evaluations += 1
        if len(self.tiles) == 1:
            return self._direct(x)
        return self._tiled(x)

    def evaluate(self, x):
        """{term: float} without a gradient (reporting, benchmarks)."""
        with torch.no_grad():
            if len(self.tiles) == 1:
                _, parts = self._network_terms(self._features(x))
                pixel_total, pixel_parts = self._pixel_terms(x)
                parts.update(pixel_parts)
            else:
                parts = self._tiled_statistics(x)[1]
                parts.update(self._pixel_terms(x)[1])
        return {name: float(value) for name, value in parts.items()}

    def _network_terms(self, features):
        parts = {"content": losses.content_loss(features[losses.CONTENT_LAYER], self.content_features)}
        style = features[losses.CONTENT_LAYER].new_zeros(())
        for region, targets in self.style_targets.items():
            for layer, weight in self.layer_weights.items():
                generated = losses.gram(features[layer], self._mask_at(region, layer, features[layer]))
                style = style + weight * losses.relative_gram_loss(generated, targets[layer])
        parts["style"] = style
        return self.weights.content * parts["content"] + self.weights.style * style, parts

    def _direct(self, x):
        x = x.detach().requires_grad_(True)
        network_total, parts = self._network_terms(self._features(x))
        pixel_total, pixel_parts = self._pixel_terms(x)
        total = network_total + pixel_total
        gradient, = torch.autograd.grad(total, x)
        parts.update(pixel_parts)
        parts["total"] = total
        return total.detach(), {name: float(value.detach()) for name, value in parts.items()}, gradient

    def _tiled_statistics(self, x):
        """Pass 1: whole-image Grams (region, layer) and content error, summed over tile cores."""
        sums, counts = {}, {}
        content_error = x.new_zeros(())
        content_count = 0
        with torch.no_grad():
            for index, tile in enumerate(self.tiles):
                features = self._features(_crop(x, tile.outer))
                core = self._core(tile, losses.CONTENT_LAYER, features[losses.CONTENT_LAYER])
                content_error = content_error + (core - self.content_features[index]).square().sum()
                content_count += core.numel()
                for region in self.style_targets:
                    for layer in self.layer_weights:
                        part, count = losses.gram_sum(self._core(tile, layer, features[layer]),
                                                      self._mask_at(region, layer, None, tile))
                        key = (region, layer)
                        sums[key] = sums.get(key, 0) + part
                        counts[key] = counts.get(key, 0.0) + count
        grams = {key: sums[key] / max(counts[key], 1e-8) for key in sums}
        content = content_error / content_count / self.content_energy.clamp_min(1e-12)
        style = sum(self.layer_weights[layer] * losses.relative_gram_loss(grams[(region, layer)],
                                                                          self.style_targets[region][layer])
                    for region, layer in grams)
        return (grams, counts, content_count), {"content": content, "style": style}

    def _tiled(self, x):
        (grams, counts, content_count), parts = self._tiled_statistics(x)
        gradient = torch.zeros_like(x)
        for index, tile in enumerate(self.tiles):
            piece = _crop(x, tile.outer).detach().requires_grad_(True)
            features = self._features(piece)
            core = self._core(tile, losses.CONTENT_LAYER, features[losses.CONTENT_LAYER])
            surrogate = self.weights.content * (core - self.content_features[index]).square().sum() / (
                content_count * self.content_energy.clamp_min(1e-12))
            for (region, layer), global_gram in grams.items():
                target = self.style_targets[region][layer]
                part, _ = losses.gram_sum(self._core(tile, layer, features[layer]),
                                          self._mask_at(region, layer, None, tile))
                scale = 2.0 * self.weights.style * self.layer_weights[layer] / (
                    target.square().sum().clamp_min(1e-12) * max(counts[(region, layer)], 1e-8))
                surrogate = surrogate + scale * ((global_gram - target).detach() * part).sum()
            piece_gradient, = torch.autograd.grad(surrogate, piece)
            (oy0, oy1, ox0, ox1) = tile.outer
            gradient[:, :, oy0:oy1, ox0:ox1] += piece_gradient
        x_pixels = x.detach().requires_grad_(True)
        pixel_total, pixel_parts = self._pixel_terms(x_pixels)
        if pixel_total.requires_grad:
            gradient += torch.autograd.grad(pixel_total, x_pixels)[0]
        total = self.weights.content * parts["content"] + self.weights.style * parts["style"] + pixel_total.detach()
        parts.update(pixel_parts)
        parts["total"] = total
        return total.detach(), {name: float(value.detach()) for name, value in parts.items()}, gradient


class Tile:
    __slots__ = ("core", "outer")

    def __init__(self, core, outer):
        self.core, self.outer = core, outer  # (y0, y1, x0, x1) each


def plan_tiles(height, width, max_pixels, halo=DEFAULT_HALO):
    """One tile if the image fits, else a grid whose padded tiles each stay under ``max_pixels``."""
    if height * width <= max_pixels:
        return [Tile((0, height, 0, width), (0, height, 0, width))]
    halo = int(math.ceil(halo / STRIDE) * STRIDE)
    side = int(math.sqrt(max_pixels)) - 2 * halo
    if side < 4 * STRIDE:
        raise ValueError(f"max_pixels {max_pixels} is too small for tiles with a {halo} px halo")
    rows = math.ceil(height / side)
    columns = math.ceil(width / side)
    core_height = int(math.ceil(height / rows / STRIDE) * STRIDE)
    core_width = int(math.ceil(width / columns / STRIDE) * STRIDE)
    tiles = []
    for y0 in range(0, height, core_height):
        for x0 in range(0, width, core_width):
            core = (y0, min(y0 + core_height, height), x0, min(x0 + core_width, width))
            outer = (max(0, y0 - halo), min(height, core[1] + halo), max(0, x0 - halo), min(width, core[3] + halo))
            tiles.append(Tile(core, outer))
    return tiles


def _crop(image, box):
    y0, y1, x0, x1 = box
    return image[:, :, y0:y1, x0:x1]


def _feature_size(box, layer):
    stride = layer_stride(layer)
    height, width = box[1] - box[0], box[3] - box[2]
    return height // stride, width // stride
