"""Deterministic train/validation split by material family.

A family (``catalogue.Material.family``) goes wholly to one side, decided by a hash of its name, so
the split never changes between machines or runs, and a texture's near-variants (``wood016``,
``wood017``) are never on both sides.
"""

import hashlib

TRAIN, VALIDATION = "train", "validation"
VALIDATION_PERCENT = 15


def split_of(family, validation_percent=VALIDATION_PERCENT):
    digest = hashlib.sha256(family.encode("utf-8")).digest()
    return VALIDATION if int.from_bytes(digest[:4], "big") % 100 < validation_percent else TRAIN
