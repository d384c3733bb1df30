"""Build a texture library: catalogue every source, decode and screen each material, drop
near-duplicates, split by family and write the shards and the index (see shards.py)."""

import collections
import datetime
import hashlib
import os
from concurrent.futures import ProcessPoolExecutor

from . import catalogue as catalogue_module
from . import decoding, screening, shards, split as split_module
from .sources import DIFFUSE, NORMAL

DEFAULT_CROP_SIZE = 256
DEFAULT_GRID = 2


def _decode_material(material, size, grid=1):
    """One material -> (diffuse crops or None, normal crops or None, reasons, full size). Runs in a
    worker process. Crops: see decoding.square_crops; the normal map's are aligned with them."""
    reasons = []
    try:
        full = decoding.decode(decoding.read_member(material.archive, material.maps[DIFFUSE]))
    except Exception as error:  # a damaged or unreadable member: skip it, say why
        return None, None, [f"unreadable ({type(error).__name__})"], None
    reason = screening.shape_reason(full)
    crops = None if reason else decoding.square_crops(full, size, grid)
    reason = reason or screening.diffuse_reason(full, crops[0])
    if reason:
        return None, None, [reason], full.shape[:2]
    normals = None
    if NORMAL in material.maps:
        try:
            normal_full = decoding.decode(decoding.read_member(material.archive, material.maps[NORMAL]))
            normals = decoding.square_crops(normal_full, size, grid, shape=full.shape[:2])
            normal_reason = screening.normal_reason(normals[0])
        except Exception as error:
            normal_reason = f"unreadable normal ({type(error).__name__})"
        if normal_reason:
            reasons.append(normal_reason)
            normals = None
    return [crop[:, :, :3].copy() for crop in crops], normals, reasons, full.shape[:2]


def _decode_all(materials, size, processes, grid):
    if processes <= 1:
        return [_decode_material(material, size, grid) for material in materials]
    with ProcessPoolExecutor(processes) as pool:
        return list(pool.map(_decode_material, materials, [size] * len(materials), [grid] * len(materials),
                             chunksize=16))


def _archive_identity(path):
    stat = os.stat(path)
    with open(path, "rb") as file:
        head = hashlib.sha256(file.read(1 << 20)).hexdigest()[:16]
    return {"bytes": stat.st_size, "sha256_first_mib": head}


def build(out_folder, sources, size=DEFAULT_CROP_SIZE, processes=2, report=print, archives=None,
          copyright_files=None, grid=DEFAULT_GRID):
    """Build the library in ``out_folder`` from ``sources`` (``archives`` / ``copyright_files``:
    {package: path} overrides, for tests); a material gives up to ``grid`` x ``grid`` crops. Returns
    the index."""
    archives, copyright_files = archives or {}, copyright_files or {}
    os.makedirs(out_folder, exist_ok=True)
    materials, source_records = [], []
    for source in sources:
        archive = archives.get(source.package, source.archive)
        found = catalogue_module.catalogue(source, archive, copyright_files.get(source.package))
        report(f"{source.package}: {len(found)} materials with a diffuse map "
               f"({sum(NORMAL in material.maps for material in found)} with a normal map)")
        materials += found
        source_records.append({"package": source.package, "licence": source.licence, "archive": archive,
                               "normal_convention": source.normal_convention,
                               "height_in_normal_alpha": source.height_in_normal_alpha,
                               **_archive_identity(archive)})
    report(f"decoding {len(materials)} materials on {processes} processes ...")
    decoded = _decode_all(materials, size, processes, grid)

    dropped, examples = collections.Counter(), collections.defaultdict(list)
    candidates = []
    for material, (crops, normals, reasons, _shape) in zip(materials, decoded):
        for reason in reasons:
            dropped[reason] += 1
            if len(examples[reason]) < 5:
                examples[reason].append(material.key)
        if crops is not None:
            candidates.append((material, crops, normals))
    duplicates = screening.near_duplicates([screening.luminance_hash(crops[0]) for _, crops, _ in candidates])
    for index in sorted(duplicates):
        dropped["near-duplicate"] += 1
        if len(examples["near-duplicate"]) < 5:
            examples["near-duplicate"].append(candidates[index][0].key)
    kept = [candidate for index, candidate in enumerate(candidates) if index not in duplicates]

    items = []
    for split in (split_module.TRAIN, split_module.VALIDATION):
        members = [(material, number, crop, normals[number] if normals else None)
                   for material, crops, normals in kept if split_module.split_of(material.family) == split
                   for number, crop in enumerate(crops)]
        for start in range(0, len(members), shards.ITEMS_PER_SHARD):
            chunk = members[start:start + shards.ITEMS_PER_SHARD]
            shard = f"{split}-{start // shards.ITEMS_PER_SHARD:03d}.npz"
            normals = {row: normal for row, (_, _, _, normal) in enumerate(chunk) if normal is not None}
            shards.write_shard(os.path.join(out_folder, shard), [crop for _, _, crop, _ in chunk], normals)
            for row, (material, number, _, normal) in enumerate(chunk):
                items.append({"key": material.key, "crop": number, "package": material.package,
                              "maps": material.maps, "licence": material.licence, "category": material.category,
                              "family": material.family, "split": split, "shard": shard, "row": row,
                              "normal": normal is not None})
    counts = {split: collections.Counter(item["category"] for item in items if item["split"] == split)
              for split in (split_module.TRAIN, split_module.VALIDATION)}
    index = {"built": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
             "crop_size": size, "grid": grid, "materials": len(kept), "sources": source_records, "items": items,
             "counts": {split: dict(sorted(count.items())) for split, count in counts.items()},
             "licences": dict(collections.Counter(item["licence"] for item in items)),
             "dropped": dict(dropped), "dropped_examples": dict(examples)}
    shards.write_index(out_folder, index)
    report(f"kept {len(kept)} materials as {len(items)} crops ({len(items) - sum(counts['validation'].values())} train, "
           f"{sum(counts['validation'].values())} validation; {sum(item['normal'] for item in items)} with a "
           f"normal map); dropped {dict(dropped)}")
    return index
