"""The data factory of single-image relighting (issue 21): procedural Blender scenes captured once by
the virtual light stage, and relit pairs made from them exactly (relit = sum_i w_i I_i) for any pair
of environments.

- ``scene_factory``   (bpy) a random scene: primitives, modified and displaced shapes, texture-library
                      materials, varied albedo/roughness/metal, random framing, transparent film;
- ``scene_store``     one captured scene as a compact float16 file, and the folder of them;
- ``environments``    random environments as per-light weights: the bundled HDRIs (rotated, scaled,
                      white-balanced) and synthetic sun + sky and studio softboxes;
- ``pairs``           batches of (image under A, A, image under B, B) made on the fly.

``scripts/training/capture_relight_scenes.py`` runs the factory; ``train_relight_image.py`` trains.
"""
