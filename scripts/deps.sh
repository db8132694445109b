#!/usr/bin/env bash
# Installs the Debian packages landtrack needs, only those that are missing.
# Usage: scripts/deps.sh [extra-package …]
set -euo pipefail
packages=(libgeos-dev libproj-dev proj-data libgdal-dev libsqlite3-dev libpq-dev pkg-config "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
