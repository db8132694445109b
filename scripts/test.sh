#!/usr/bin/env bash
# Installs what is missing and runs every test. Tests that need ../shared/data skip, saying
# so, when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
# gdal-bin: ogrinfo and the GeoPackage validator; chromium and a CJK font: the map in a real browser.
# postgresql-15-postgis-3: the PostGIS store tests start their own server (initdb in a temporary folder);
# python3-qgis: QGIS itself lists the PostGIS store's layers (headless).
scripts/deps.sh gdal-bin python3-gdal chromium fonts-wqy-zenhei curl postgresql-15-postgis-3 python3-qgis
# openapi-spec-validator (PyPI): the server's /api document is validated against the OpenAPI 3.0 schema.
python3 -c "import openapi_spec_validator" 2>/dev/null || python3 -m pip install -q openapi-spec-validator
swift build --build-tests
# The server's tests time their HTTP replies (curl --max-time, idle timeouts): they run in a process
# of their own, after the rest, so that 300 CPU-bound tests on two cores do not starve the servers
# they start (in one process a first reply could take over 30 s).
swift test --skip-build --skip FeatureServerTests
swift test --skip-build --filter FeatureServerTests
