"""Light-stage sets on disk: one image per light plus where each light stands.

A set is a folder holding the images and either
  * ``lights.csv`` with header ``file,x,y,z`` and optional ``r,g,b`` (per-light calibration
    multipliers) and ``irradiance`` (W/m^2 the light delivered at the subject, default 1): (x, y, z)
    is the unit vector from the subject towards the light in Blender world coordinates (Z up); or
  * ``lightgrid.json``: a lat-long grid ``{"columns": 64, "rows": 32}`` with optional
    ``azimuth_origin_deg`` (azimuth of the first column's left edge, from +X towards +Y),
    ``clockwise`` (azimuth runs from +X towards -Y), ``top_first`` (the first row is at the zenith),
    ``row_major`` (files run along a row first) and ``files`` (a list; default: the folder's images
    sorted by name).
Every image is scene-linear after reading (EXR as is, PNG/TIFF/JPEG decoded from sRGB). Errors name
the offending file. The set is never loaded whole by default: ``iter_chunks`` streams it.
"""

import csv
import json
import math
import os
from dataclasses import dataclass

import numpy as np

# A light's calibration gain (r, g, b over irradiance) past this overflows float32 sums of a few
# thousand lights; real calibrations are within a few orders of magnitude of 1.
MAX_CALIBRATION_SCALE = 1e6

from ...protocol import sphere
from ...protocol.specs.relight import LIGHT_GRID, LIGHTS_CSV
from ..imageio.errors import ImageFileError
from ..imageio.files import DISPLAY, EXR, read_image

CSV_NAME = LIGHTS_CSV
GRID_NAME = LIGHT_GRID
IMAGE_EXTENSIONS = EXR + DISPLAY
UNIT_TOLERANCE = 0.01          # |length - 1| accepted for a "unit" direction (rounded CSV values)
DUPLICATE_ANGLE = math.radians(0.01)  # two lights closer than this are the same light


class LightSetError(ValueError):
    """The set on disk is unusable; the message names the file at fault."""


@dataclass(frozen=True)
class LightSet:
    folder: str
    files: tuple            # absolute image paths, in light order
    directions: np.ndarray  # (L, 3) float64 unit vectors towards the lights, world space
    scales: np.ndarray      # (L, 3) float64: calibration rgb / irradiance, applied to each image
    height: int
    width: int

    @property
    def count(self):
        return len(self.files)

    @property
    def pixels(self):
        return self.height * self.width

    def bytes_needed(self, itemsize=4):
        return self.count * self.pixels * 3 * itemsize

    def signature(self):
        """Identifies this set's content on disk for caching: files, sizes and modification times."""
        stats = [(path, os.path.getsize(path), os.path.getmtime(path)) for path in self.files]
        return (self.folder, tuple(stats), self.directions.tobytes(), self.scales.tobytes())

    def read_light(self, index):
        """(H, W, 4) float32 of light ``index``: RGB scene-linear and alpha (1 where there is none)."""
        path = self.files[index]
        try:
            image = read_image(path)
        except ImageFileError as error:
            raise LightSetError(str(error)) from None
        if image.shape[:2] != (self.height, self.width):
            raise LightSetError(f"'{path}' is {image.shape[1]}x{image.shape[0]} but the set's images are "
                                f"{self.width}x{self.height} (all lights must have the same size)")
        return _as_rgba(image)

    def iter_chunks(self, lights_per_chunk, dtype=np.float32):
        """Yield (start, rgb (n, H*W, 3), alpha (H*W,) or None) for consecutive lights.

        Only one chunk is in memory at a time (``dtype`` float16 halves it); the calibration scale
        is applied here, so a chunk is ready to be weighted. Alpha comes with the first chunk only.
        """
        lights_per_chunk = max(1, int(lights_per_chunk))
        for start in range(0, self.count, lights_per_chunk):
            stop = min(start + lights_per_chunk, self.count)
            chunk = np.empty((stop - start, self.pixels, 3), dtype=dtype)
            alpha = None
            for offset, index in enumerate(range(start, stop)):
                image = self.read_light(index)
                if index == 0:
                    alpha = image[:, :, 3].reshape(-1).copy()
                chunk[offset] = (image[:, :, :3] * self.scales[index].astype(np.float32)).reshape(-1, 3)
            yield start, chunk, alpha


def load_light_set(folder):
    """Read and validate a set's description and image headers (no pixels)."""
    folder = os.path.abspath(os.path.expanduser(str(folder)))
    if not os.path.isdir(folder):
        raise LightSetError(f"light set folder '{folder}' does not exist")
    csv_path, grid_path = os.path.join(folder, CSV_NAME), os.path.join(folder, GRID_NAME)
    if os.path.isfile(csv_path):
        files, directions, scales = parse_lights_csv(csv_path)
    elif os.path.isfile(grid_path):
        files, directions, scales = parse_grid_sidecar(grid_path)
    else:
        raise LightSetError(f"'{folder}' is not a light set: it has neither {CSV_NAME} nor {GRID_NAME}")
    check_distinct(directions, files, csv_path if os.path.isfile(csv_path) else grid_path)
    height, width = _check_images(files)
    return LightSet(folder, tuple(files), directions, scales, height, width)


def parse_lights_csv(path):
    """(files, directions (L, 3), scales (L, 3)) from a lights.csv; errors name the file and line."""
    folder = os.path.dirname(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except csv.Error as error:  # e.g. a field larger than the csv module's limit
        raise LightSetError(f"cannot read '{path}': not a light table ({error})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise LightSetError(f"cannot read '{path}': {error}") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise LightSetError(f"'{path}' is empty: expected a header 'file,x,y,z[,r,g,b][,irradiance]'")
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [name for name in ("file", "x", "y", "z") if name not in header]
    colour = [name for name in ("r", "g", "b") if name in header]
    if missing or len(colour) not in (0, 3):
        raise LightSetError(f"'{path}': the header must be 'file,x,y,z' with optional 'r,g,b' and "
                            f"'irradiance', got '{','.join(rows[0])}'")
    unknown = set(header) - {"file", "x", "y", "z", "r", "g", "b", "irradiance"}
    if unknown:
        raise LightSetError(f"'{path}': unknown column(s) {sorted(unknown)}")
    column = {name: header.index(name) for name in header}
    files, directions, scales = [], [], []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise LightSetError(f"'{path}' line {line}: {len(row)} values for {len(header)} columns")
        where = f"'{path}' line {line}"
        name = row[column["file"]].strip()
        if not name:
            raise LightSetError(f"{where}: the file name is empty")
        direction = np.array([_number(row[column[axis]], where, axis) for axis in "xyz"])
        length = float(np.linalg.norm(direction))
        if not abs(length - 1.0) <= UNIT_TOLERANCE:
            raise LightSetError(f"{where} ({name}): direction {tuple(direction)} is not a unit vector "
                                f"(length {length:.4g})")
        rgb = np.array([_number(row[column[c]], where, c) for c in "rgb"]) if colour else np.ones(3)
        irradiance = _number(row[column["irradiance"]], where, "irradiance") if "irradiance" in column else 1.0
        if (rgb < 0).any() or irradiance <= 0:
            raise LightSetError(f"{where} ({name}): calibration r,g,b must be >= 0 and irradiance > 0")
        if (rgb / irradiance > MAX_CALIBRATION_SCALE).any():  # refused here, not as an overflowed result
            raise LightSetError(f"{where} ({name}): calibration r,g,b / irradiance = "
                                f"{tuple(float(f'{v:.3g}') for v in rgb / irradiance)} is above "
                                f"{MAX_CALIBRATION_SCALE:g}: a light's gain that large would overflow the result")
        files.append(inside_set(folder, name, where))
        directions.append(direction / length)
        scales.append(rgb / irradiance)
    if not files:
        raise LightSetError(f"'{path}' lists no lights")
    _check_unique_files(files, path)
    return files, np.array(directions), np.array(scales)


def inside_set(folder, name, where):
    """The path of the set's image ``name``, refused unless it resolves inside the set's folder (after
    symbolic links): a set file must never make the job read, and bake into its output, a file from
    anywhere else ('../../secret.png', an absolute path, a link out of the folder)."""
    root = os.path.realpath(folder)
    resolved = os.path.realpath(os.path.join(folder, name))
    if os.path.isabs(name) or os.path.commonpath([root, resolved]) != root:
        raise LightSetError(f"{where}: '{name}' is outside the set's folder; a set names only its own images")
    return os.path.join(folder, name)


def parse_grid_sidecar(path):
    """(files, directions, scales) for a lat-long grid described by a lightgrid.json."""
    folder = os.path.dirname(path)
    try:
        with open(path, encoding="utf-8") as handle:
            spec = json.load(handle)
    except (OSError, ValueError) as error:
        raise LightSetError(f"cannot read '{path}': {error}") from None
    except RecursionError:
        raise LightSetError(f"cannot read '{path}': nested too deeply to be a light grid") from None
    if not isinstance(spec, dict):
        raise LightSetError(f"'{path}' must hold a JSON object like {{\"columns\": 64, \"rows\": 32}}")
    allowed = {"columns", "rows", "azimuth_origin_deg", "clockwise", "top_first", "row_major", "files"}
    if set(spec) - allowed:
        raise LightSetError(f"'{path}': unknown key(s) {sorted(set(spec) - allowed)}")
    columns, rows = spec.get("columns"), spec.get("rows")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in (columns, rows)):
        raise LightSetError(f"'{path}': 'columns' and 'rows' must be whole numbers >= 1")
    names = spec.get("files")
    if names is None:
        names = sorted(name for name in os.listdir(folder)
                       if os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS)
    elif not (isinstance(names, list) and all(isinstance(name, str) and name for name in names)):
        raise LightSetError(f"'{path}': 'files' must be a list of file names")
    if len(names) != columns * rows:
        raise LightSetError(f"'{path}': a {columns}x{rows} grid needs {columns * rows} images, "
                            f"found {len(names)}")
    origin = spec.get("azimuth_origin_deg", 0.0)
    if isinstance(origin, bool) or not isinstance(origin, (int, float)) or not math.isfinite(origin):
        raise LightSetError(f"'{path}': 'azimuth_origin_deg' must be a finite number of degrees, got {origin!r}")
    for key in ("clockwise", "top_first", "row_major"):
        if key in spec and not isinstance(spec[key], bool):
            raise LightSetError(f"'{path}': '{key}' must be true or false, got {spec[key]!r}")
    directions = sphere.latlong_grid_directions(
        columns, rows, azimuth_origin_deg=float(origin),
        clockwise=bool(spec.get("clockwise", False)), top_first=bool(spec.get("top_first", True)),
        row_major=bool(spec.get("row_major", True)))
    files = [inside_set(folder, name, f"'{path}' files[{index}]") for index, name in enumerate(names)]
    _check_unique_files(files, path)
    return files, directions, np.ones((len(files), 3))


def check_distinct(directions, files, source):
    """Refuse two lights in (nearly) the same direction: their cells would be empty or arbitrary."""
    directions = np.asarray(directions, dtype=np.float64)
    threshold = math.cos(DUPLICATE_ANGLE)
    for start in range(0, len(directions), 1024):
        dots = directions[start:start + 1024] @ directions.T
        for row, index in enumerate(range(start, min(start + 1024, len(directions)))):
            dots[row, index] = -2.0
        hits = np.argwhere(dots >= threshold)
        if len(hits):
            first, second = start + hits[0][0], hits[0][1]
            raise LightSetError(f"'{source}': '{os.path.basename(files[first])}' and "
                                f"'{os.path.basename(files[second])}' have the same direction "
                                f"(duplicate light)")


def _number(text, where, name):
    try:
        value = float(text)
    except ValueError:
        raise LightSetError(f"{where}: '{name}' is not a number: {text!r}") from None
    if not math.isfinite(value):
        raise LightSetError(f"{where}: '{name}' is not finite: {text!r}")
    return value


def _check_unique_files(files, source):
    seen = set()
    for path in files:
        if path in seen:
            raise LightSetError(f"'{source}': '{os.path.basename(path)}' is listed twice (duplicate light)")
        seen.add(path)


def _check_images(files):
    """Every image exists, has a supported type and the same size; (height, width)."""
    size = None
    for path in files:
        extension = os.path.splitext(path)[1].lower()
        if extension not in IMAGE_EXTENSIONS:
            raise LightSetError(f"'{path}': unsupported image type '{extension or '(none)'}'")
        if not os.path.isfile(path):
            raise LightSetError(f"'{path}' is missing: the set lists it but the file does not exist")
        width, height = _image_size(path)
        if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
            raise LightSetError(f"'{path}' is {width}x{height}: a light image may have at most {MAX_SIDE} px a "
                                "side")
        if size is None:
            size = (width, height)
        elif (width, height) != size:
            raise LightSetError(f"'{path}' is {width}x{height} but '{files[0]}' is {size[0]}x{size[1]} "
                                "(all lights must have the same size)")
    return size[1], size[0]


MAX_SIDE = 8192   # per light image: a 512-light set of 8K images is already ~400 GB of float32


def _image_size(path):
    """(width, height) from the file header, without decoding pixels."""
    try:
        if path.lower().endswith(EXR):
            import OpenEXR
            with OpenEXR.File(path, header_only=True) as exr_file:
                (x0, y0), (x1, y1) = exr_file.header()["dataWindow"]
            return int(x1 - x0 + 1), int(y1 - y0 + 1)
        from PIL import Image
        with Image.open(path) as opened:
            return opened.size
    except Exception:
        raise LightSetError(f"'{path}' is not a readable image (corrupt or truncated)") from None


def _as_rgba(image):
    channels = image.shape[2]
    if channels == 4:
        return image
    rgb = np.repeat(image[:, :, :1], 3, axis=2) if channels in (1, 2) else image[:, :, :3]
    alpha = image[:, :, 1:2] if channels == 2 else np.ones(image.shape[:2] + (1,), np.float32)
    return np.concatenate([rgb, alpha], axis=2)
