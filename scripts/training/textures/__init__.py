"""The texture library: real, freely licensed material textures from Debian's game-data packages,
read in place from their archives, classified, paired, screened, split and cached as shards.

Only the training tools use it (it is not shipped in the extension). The modules, in the order a
build runs them:

- ``sources``    which packages, where their archives are, their naming conventions and licences;
- ``licences``   per-file licences from a package's machine-readable (DEP-5) copyright file;
- ``catalogue``  archive members -> materials (diffuse, normal, height, gloss, specular maps);
- ``screening``  what would poison training (greyscale "diffuse", flat normals, atlases, ...);
- ``split``      deterministic train/validation split by material family;
- ``shards``     decoded, aligned crops as compact uint8 shards plus a JSON index with provenance;
- ``build``      the whole pipeline (``scripts/training/build_texture_library.py`` runs it).
"""
