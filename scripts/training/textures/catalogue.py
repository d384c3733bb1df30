"""Archive members -> materials: the maps of one material grouped by their shared stem.

A material is what has a diffuse (colour) map; its normal, height, gloss and specular maps join it
when their stems match. Each material carries where it came from (package, archive member, licence),
a *family* (the folder plus the name's leading word: ``tex_mattn/wood016`` and ``tex_mattn/wood017``
are both ``tex_mattn/wood``) so near-variants stay on one side of the split, and a *category* for the
per-category evaluation tables.
"""

import os
import re
import zipfile
from dataclasses import dataclass, field

from .licences import LicenceTable
from .sources import DIFFUSE

# First matching category wins; words are matched against the member path's words and prefixes.
CATEGORIES = (
    ("wood", ("wood", "plank", "bark", "log", "crate", "box", "boxen", "parquet")),
    ("brick", ("brick", "bricks")),
    ("grass", ("grass", "moss", "foliage", "leaf", "leaves", "hedge", "bush", "shrub", "forest", "plants")),
    ("rock", ("rock", "stone", "cliff", "cobble", "gravel", "pebble", "boulder", "marble", "granite", "slate",
              "block", "egyptsoc")),
    ("ground", ("dirt", "sand", "mud", "soil", "earth", "ground", "dust", "desert", "snow", "ice", "beach",
                "savanna", "steppe", "terrain", "farmland", "road", "path", "paving")),
    ("concrete", ("concrete", "crete", "cement", "asphalt", "plaster", "wall", "roof", "tile", "floor", "street",
                  "streets", "pavement", "stucco")),
    ("metal", ("metal", "metals", "mtl", "steel", "rust", "rusty", "iron", "grate", "grates", "plate", "pipe",
               "tech", "techwall", "ufo", "panel", "alien", "alienb", "support", "trim", "vehicles")),
    ("fabric", ("fabric", "carpet", "cloth", "rug", "curtain", "furniture", "couch")),
)
OTHER = "other"


@dataclass
class Material:
    package: str
    archive: str
    stem: str
    maps: dict = field(default_factory=dict)     # kind -> archive member
    licence: str = ""

    @property
    def key(self):
        return f"{self.package}:{self.stem}"

    @property
    def family(self):
        folder, name = os.path.split(self.stem)
        leading = re.match(r"[A-Za-z]*", name).group(0).lower() or name.lower()
        return f"{self.package}:{folder}/{leading}"

    @property
    def category(self):
        return categorise(self.stem)


def _words(path):
    return [word for word in re.split(r"[/_\-.\d]+", path.lower()) if word]


def categorise(path):
    words = _words(path)
    for category, keywords in CATEGORIES:
        for word in words:
            if word in keywords or any(word.startswith(keyword) for keyword in keywords if len(keyword) >= 4):
                return category
    return OTHER


def catalogue(source, archive=None, copyright_file=None):
    """The materials of one source's archive (``archive`` overrides where it is, for tests)."""
    archive = archive or source.archive
    licences = LicenceTable.from_file(copyright_file or source.copyright_file, source.licence)
    materials = {}
    with zipfile.ZipFile(archive) as opened:
        members = sorted(info.filename for info in opened.infolist() if not info.is_dir())
    for member in members:
        if not source.considers(member):
            continue
        stem, kind = source.stem_and_kind(member)
        if kind is None:
            continue
        material = materials.setdefault(stem, Material(source.package, archive, stem))
        # Two files of one kind (a .tga and a .jpg of the same stem): keep the first, by name.
        material.maps.setdefault(kind, member)
    found = []
    for material in materials.values():
        if DIFFUSE not in material.maps:
            continue
        material.licence = licences.licence(source.licence_prefix + material.maps[DIFFUSE])
        found.append(material)
    return sorted(found, key=lambda material: material.key)
