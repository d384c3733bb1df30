#!/usr/bin/env bash
# Set up the environment if needed, then run the test suite (long quality runs marked slow are skipped;
# pass -m slow to run only those, or any other pytest arguments).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$repo/scripts/setup/setup_env.sh"
cd "$repo"
exec "${NR_VENV:-$repo/.venv}/bin/python" -m pytest addon_tests -m "not slow" "$@"
