"""The GPU check (gpu_check.sh / gpu_check.py): run when a session has a GPU machine."""
