#!/usr/bin/env bash
# Set up the environment if needed, then render the sample scene and run every capability on it.
# Output (EXRs and contact_sheet.png) goes to demo_output/ unless a folder is given.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$repo/scripts/setup/setup_env.sh"
exec "${NR_VENV:-$repo/.venv}/bin/python" "$repo/scripts/neural-render" demo --out "${1:-$repo/demo_output}"
