#!/usr/bin/env bash
# The main job on the sample data in geodata/: set up, build, validate and measure the sample,
# then build a fresh store from geodata/, replay the demo programme's log and print the summary,
# the changes, the contiguous blocks and the checks (scripts/programme.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
swift build -c release --product landtrack 2>&1 | grep -v "^\[" || true
lt=".build/release/landtrack"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# Long outputs go through a file: `landtrack … | head` would end landtrack with SIGPIPE.
first() { local n=$1; shift; "$lt" "$@" > "$out"; head -n "$n" "$out"; }

echo "== validate geodata/nanhai-sample.geojson (2,000 synthetic parcels around Nanhai, Foshan)"
"$lt" validate geodata/nanhai-sample.geojson

echo; echo "== total area of the sample by each method"; echo "id,area_m2,area_mu,area_ha,method"
for m in geodesic survey planar; do
  "$lt" area geodata/nanhai-sample.geojson --method "$m" --format csv | tail -n 1
done

echo; echo "== the first 40 parcels again, stored in CGCS2000 / 3-degree Gauss-Kruger zone 38 (EPSG:4526)"
first 12 area geodata/nanhai-sample-gk38.geojson
echo "   …"

echo; echo "== validate geodata/problem-parcels.geojson (a file with one problem of each kind; exit 1 expected)"
"$lt" validate geodata/problem-parcels.geojson || echo "(exit $?: problems found, as expected)"

echo; scripts/programme.sh "$lt" programme.gpkg
if command -v ogrinfo >/dev/null; then echo; echo "== GDAL reads the store"; ogrinfo -so programme.gpkg | tail -n +3; fi
