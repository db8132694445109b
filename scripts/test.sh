#!/usr/bin/env bash
# Installs what is missing and runs every test. Tests that need ../shared/data skip, saying
# so, when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
# gdal-bin: ogrinfo and the GeoPackage validator; chromium and a CJK font: the map in a real browser.
scripts/deps.sh gdal-bin python3-gdal chromium fonts-wqy-zenhei curl
swift build --build-tests
swift test --skip-build
