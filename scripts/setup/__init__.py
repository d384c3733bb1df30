"""Environment and packaging: the development venv (setup_env.sh and its pins), the worker's venv from a
shell, and the extension zip."""
