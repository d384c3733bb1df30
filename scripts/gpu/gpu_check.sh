#!/usr/bin/env bash
# The GPU check on a bare CUDA machine with a copy of the checkout (see gpu_check.py):
#   bash scripts/gpu/gpu_check.sh [OUT_DIR]         (default: gpu_logs/)
# It uses the machine's own Python and torch (a CUDA torch wheel is far too large to carry), says
# what the machine has, installs the small pure packages from carried wheels (.cache/wheels, made
# here by `pip download -d .cache/wheels numpy pillow openexr scipy`) when they are missing, and takes
# the VGG16 weights from .cache/models when carried there (carry only vgg16_imagenet_lpips.pt, the
# converted default backbone: 59 MB of the 64 MiB a run may carry).
set -u
OUT="${1:-gpu_logs}"
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-$(command -v python3 || command -v python)}"
{
  echo "== machine"; uname -a; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 || true
  echo "== python: $PYTHON"; "$PYTHON" --version
  "$PYTHON" - <<'PY'
import importlib
for name in ("torch", "numpy", "PIL", "OpenEXR", "scipy"):
    try:
        module = importlib.import_module(name)
        extra = f", CUDA {module.version.cuda}, available {module.cuda.is_available()}" if name == "torch" else ""
        print(f"{name} {getattr(module, '__version__', '?')}{extra}")
    except Exception as error:
        print(f"{name} MISSING ({type(error).__name__})")
PY
} 2>&1 | tee "$OUT/machine.txt"
if grep -q "MISSING" "$OUT/machine.txt" && [ -d .cache/wheels ]; then
  "$PYTHON" -m pip install --no-index --find-links .cache/wheels numpy pillow openexr scipy 2>&1 | tail -3
fi
if [ -d .cache/models ]; then export NEURAL_RENDER_MODELS_DIR="$PWD/.cache/models"; fi
"$PYTHON" scripts/gpu/gpu_check.py --device "${DEVICE:-cuda}" --out "$OUT"
