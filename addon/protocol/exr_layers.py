"""The layers of a multi-layer OpenEXR file, from its header alone: which exist, which one a read takes.

Both processes need this. Blender cannot hand a multi-layer datablock's pixels to Python (it has no
single buffer: ``Image.size`` is 0x0 and ``pixels`` is empty), so the add-on lists the file's layers
for the panel and sends the worker a reference to the chosen one; the worker's EXR reader reads it.
Both pick a layer by the same rule, declared here once.

A channel ``ViewLayer.Combined.R`` belongs to the layer ``ViewLayer.Combined``; bare ``R``, ``G``, ``B``
to the layer ``''``. Pure: standard library only (the header is a short list of attributes, read
with ``struct``; the pixels are never touched here).
"""

import struct

MAGIC = 20000630
MULTI_PART = 0x1000
MAX_HEADER_BYTES = 16 * 1024 * 1024   # a header is a few kB; refuse absurd ones before reading them
# The letters a layer's channels take, in the order they are stacked.
CHANNEL_ORDER = ("R", "G", "B", "A", "X", "Y", "Z", "W", "V")


class ExrHeaderError(ValueError):
    """The file is not an OpenEXR file, or its header is damaged, or no layer fits the request."""


def group_layers(channel_names):
    """Map layer prefix ('' for plain channels) -> {channel letter: full channel name}."""
    layers = {}
    for full in channel_names:
        prefix, _, letter = full.rpartition(".")
        layers.setdefault(prefix, {})[letter] = full
    return layers


def pick_layer(layers, layer=None):
    """The layer a read takes: ``layer`` by full name or by its last part (``Combined``); without one,
    the plain channels, else the (single) Combined pass, else the only layer. ExrHeaderError if none
    or several fit, naming the choices."""
    if layer is None or layer == "":
        for candidate in ("",) + tuple(sorted(name for name in layers if name.endswith("Combined"))):
            if candidate in layers:
                return candidate
        if len(layers) == 1:
            return next(iter(layers))
        raise ExrHeaderError(f"several layers, choose one of {sorted(layers)}")
    matches = [name for name in layers if name == layer or name.split(".")[-1] == layer]
    if len(matches) != 1:
        raise ExrHeaderError(f"no single layer '{layer}' (has {sorted(layers)})")
    return matches[0]


def layer_letters(letters, explicit):
    """The channels read from a layer with these letters, in stacking order. An automatic pick of a
    colour layer reads RGB(A) only; a named layer reads all of its channels."""
    ordered = [letter for letter in CHANNEL_ORDER if letter in letters] or sorted(letters)
    if not explicit and set("RGB") <= set(ordered):
        ordered = [letter for letter in ordered if letter in "RGBA"]
    return ordered


class _Reader:
    def __init__(self, handle):
        self.handle, self.used = handle, 0

    def take(self, count):
        self.used += count
        if self.used > MAX_HEADER_BYTES:
            raise ExrHeaderError("its header is implausibly large (damaged file?)")
        data = self.handle.read(count)
        if len(data) != count:
            raise ExrHeaderError("its header is truncated")
        return data

    def text(self):
        chars = bytearray()
        while True:
            char = self.take(1)
            if char == b"\0":
                return chars.decode("utf-8", errors="replace")
            chars += char
            if len(chars) > 255:
                raise ExrHeaderError("its header holds a name longer than 255 bytes (damaged file?)")


def _channel_names(value):
    names, offset = [], 0
    while offset < len(value) and value[offset] != 0:
        end = value.index(b"\0", offset)
        names.append(value[offset:end].decode("utf-8", errors="replace"))
        offset = end + 1 + 16  # pixel type, pLinear + 3 reserved, x and y sampling
    return names


def _read_headers(reader, multi_part):
    headers = []
    while True:
        attributes = {}
        while True:
            name = reader.text()
            if not name:
                break
            kind = reader.text()
            (size,) = struct.unpack("<i", reader.take(4))
            if size < 0:
                raise ExrHeaderError("its header is damaged (negative attribute size)")
            value = reader.take(size)
            if kind == "chlist":
                attributes["channels"] = _channel_names(value)
            elif kind == "box2i" and name == "dataWindow" and size == 16:
                attributes["dataWindow"] = struct.unpack("<4i", value)
            elif kind == "string" and name == "name":
                attributes["name"] = value.decode("utf-8", errors="replace")
        if not attributes and headers:
            return headers  # the empty header that ends a multi-part list
        headers.append(attributes)
        if not multi_part:
            return headers


def read_layers(path):
    """(width, height, {layer: {letter: full channel name}}) of the EXR file at ``path``.

    A multi-part file (Blender 5.0 writes a multilayer render one part per pass) merges its parts;
    a part's bare channel names are prefixed with the part's name when there are several parts.
    """
    try:
        with open(path, "rb") as handle:
            reader = _Reader(handle)
            magic, version = struct.unpack("<ii", reader.take(8))
            if magic != MAGIC:
                raise ExrHeaderError("not an OpenEXR file")
            headers = _read_headers(reader, bool(version & MULTI_PART))
    except OSError as error:
        raise ExrHeaderError(f"cannot be opened ({error.strerror or error})") from None
    if not headers or "dataWindow" not in headers[0] or "channels" not in headers[0]:
        raise ExrHeaderError("its header lacks the data window or the channel list")
    x_min, y_min, x_max, y_max = headers[0]["dataWindow"]
    names = []
    for header in headers:
        prefix = header.get("name", "") if len(headers) > 1 else ""
        for channel in header.get("channels", ()):
            full = channel if "." in channel or not prefix else f"{prefix}.{channel}"
            if full not in names:
                names.append(full)
    return x_max - x_min + 1, y_max - y_min + 1, group_layers(names)
