"""The worker process: a job server that imports torch and keeps models warm between jobs.

Nothing in this package imports bpy. The process is started by file path (``main.py``) because a
multiprocessing spawn target inside a Blender extension dies in the child (``No module named bl_ext``).
"""
