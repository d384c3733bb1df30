"""The pure protocol between the Blender side and the torch worker.

Both processes import this package: it uses only the standard library and numpy, never bpy or torch.
"""
