"""Per-file licences from a Debian machine-readable copyright file (DEP-5).

A ``Files:`` paragraph lists glob patterns; the *last* paragraph whose pattern matches a path wins
(DEP-5's rule), so the package-wide ``Files: *`` is overridden by the per-file exceptions after it.
A copyright file that is not machine-readable (nexuiz-textures) gives one licence for everything.
"""

import fnmatch


def parse_paragraphs(text):
    """[(patterns, licence)] of the ``Files:`` paragraphs, in file order."""
    paragraphs, fields, key = [], {}, None
    for line in text.splitlines() + [""]:
        if not line.strip():
            if "files" in fields and "license" in fields:
                paragraphs.append((fields["files"].split(), fields["license"].splitlines()[0].strip()))
            fields, key = {}, None
        elif line[:1] in (" ", "\t") and key:
            fields[key] += "\n" + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            key = key.strip().lower()
            fields[key] = value.strip()
    return paragraphs


class LicenceTable:
    def __init__(self, paragraphs, default):
        self.paragraphs = paragraphs
        self.default = default

    @classmethod
    def from_file(cls, path, default):
        try:
            with open(path, encoding="utf-8", errors="replace") as file:
                return cls(parse_paragraphs(file.read()), default)
        except OSError:
            return cls([], default)

    def licence(self, path):
        found = self.default
        for patterns, licence in self.paragraphs:
            if any(fnmatch.fnmatchcase(path, pattern) for pattern in patterns):
                found = licence
        return found
