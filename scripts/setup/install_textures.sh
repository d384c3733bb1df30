#!/usr/bin/env bash
# Install the texture packages the learned models train on (Debian: ufoai-textures, nexuiz-textures,
# 0ad-data; freely licensed, see scripts/training/textures/sources.py), saying first what it costs.
# Needs root (or sudo). About 2.2 GB to download, 4.0 GB installed.
set -euo pipefail
PACKAGES=(ufoai-textures nexuiz-textures 0ad-data)
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
for package in "${PACKAGES[@]}"; do
  apt-cache show "$package" >/dev/null 2>&1 || { $SUDO apt-get update; break; }
done
echo "install_textures: ${PACKAGES[*]}"
apt-cache show "${PACKAGES[@]}" | awk '/^Package:/{p=$2} /^Installed-Size:/{s+=$2; printf "  %-16s %6.0f MB installed\n", p, $2/1024} /^Size:/{d+=$2} END{printf "  total: %.1f GB to download, %.1f GB on disk\n", d/1e9, s/1048576}'
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${PACKAGES[@]}"
echo "install_textures: done; now run: .venv/bin/python scripts/training/build_texture_library.py"
