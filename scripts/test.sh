#!/usr/bin/env bash
# Installs what is missing and runs every test. Tests that need ../shared/data skip, saying
# so, when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh gdal-bin python3-gdal
swift build --build-tests
swift test --skip-build
