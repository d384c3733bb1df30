"""The three Debian packages the product's learned models may learn from, and their conventions.

Each package holds one zip archive (``.pk3`` is a zip) read in place. Its maps of one material share
a stem and differ by a suffix (``wall01.png``, ``wall01_nm.png``); which suffix means what, which
folders hold tileable materials (not UI art, sprites, model skins or light panels), and how licences
are recorded differ per package and are declared here, once.

Install them with ``scripts/setup/install_textures.sh``.
"""

import os
import re
from dataclasses import dataclass, field

DIFFUSE, NORMAL, HEIGHT, GLOSS, SPECULAR = "diffuse", "normal", "height", "gloss", "specular"
MAP_KINDS = (DIFFUSE, NORMAL, HEIGHT, GLOSS, SPECULAR)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tga", ".dds")

# Folder or file words of things that are not materials: lights, decals, signs, UI art, effects,
# skies, liquids (animated), model skins. Matched as whole words of the member path.
NOT_MATERIAL_WORDS = frozenset("""
    anim animated pics pic lights light lig sfx fx effects signs sign documents flags sky skies env
    liquids water portals shaders common tutorial items nexball race domination logo logos decal
    decals poster posters screen screens font fonts icon icons ui cursors particles
""".split())


@dataclass(frozen=True)
class Source:
    package: str
    archive: str                       # the zip inside the installed package
    licence: str                       # the package-wide licence
    copyright_file: str                # Debian's copyright file (per-file exceptions, DEP-5)
    licence_prefix: str                # archive member -> the path the copyright file names
    suffixes: dict = field(default_factory=dict)   # "_nm" -> NORMAL ...
    ignored_suffixes: tuple = ()       # maps this product does not use (glow, colour-map masks)
    include: str = r".*"               # regular expression a member must match to be considered
    exclude: str = r"(?!)"             # ... and must not match
    strip: str = r"\.(png|jpe?g|tga|dds)(\.cached\.dds)?$"   # removed from a member to get its stem
    height_in_normal_alpha: bool = False
    # Green channel convention of the tangent-space normal maps as shipped, where checked
    # ("opengl": +Y up, Blender's; "directx": -Y); the material-maps work converts to Blender's.
    normal_convention: str = "unchecked"

    def archive_available(self):
        return os.path.isfile(self.archive)

    def considers(self, member):
        if not member.lower().endswith(IMAGE_SUFFIXES):
            return False
        if not re.search(self.include, member) or re.search(self.exclude, member):
            return False
        words = set(re.split(r"[/_\-.\d]+", member.lower()))
        return not (words & NOT_MATERIAL_WORDS)

    def stem_and_kind(self, member):
        """(material stem, map kind) of an archive member, or (stem, None) for maps this product ignores."""
        stem = re.sub(self.strip, "", member, flags=re.IGNORECASE)
        lowered = stem.lower()
        for suffix in self.ignored_suffixes:
            if lowered.endswith(suffix):
                return stem[:-len(suffix)], None
        for suffix, kind in self.suffixes.items():
            if lowered.endswith(suffix):
                return stem[:-len(suffix)], kind
        return stem, DIFFUSE


UFOAI = Source(
    package="ufoai-textures", archive="/usr/share/games/ufoai/base/0textures.pk3", licence="GPL-2+",
    copyright_file="/usr/share/doc/ufoai-textures/copyright", licence_prefix="base/",
    suffixes={"_nm": NORMAL, "_sm": SPECULAR, "_gm": GLOSS},
    include=r"^textures/tex_", height_in_normal_alpha=True)

NEXUIZ = Source(
    package="nexuiz-textures", archive="/usr/share/games/nexuiz/data/textures.pk3", licence="GPL-2+",
    copyright_file="/usr/share/doc/nexuiz-textures/copyright", licence_prefix="",
    suffixes={"_norm": NORMAL, "_bump": HEIGHT, "_gloss": GLOSS},
    ignored_suffixes=("_glow", "_pants", "_shirt", "_reflect"),
    # Files directly in textures/ are the player and weapon model skins (UV atlases).
    include=r"^textures/[^/]+/", height_in_normal_alpha=True)

ZERO_AD = Source(
    package="0ad-data", archive="/usr/share/games/0ad/mods/public/public.zip", licence="CC-BY-SA-3.0",
    copyright_file="/usr/share/doc/0ad-data/copyright", licence_prefix="binaries/data/mods/public/",
    suffixes={"_norm": NORMAL, "_spec": SPECULAR},
    # Only the terrain types are tileable materials; skins and props are UV atlases.
    include=r"^art/textures/terrain/types/")

SOURCES = (UFOAI, NEXUIZ, ZERO_AD)


def by_package(name):
    for source in SOURCES:
        if source.package == name:
            return source
    raise KeyError(name)
