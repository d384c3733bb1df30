"""Image files for the worker and the command line: OpenEXR (any compression, Blender's multi-layer
files) and PNG/JPEG/TIFF, with the colour contract: arrays are float32 (H, W, C), top row first,
scene-linear Rec.709."""
