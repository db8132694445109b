#!/usr/bin/env bash
# The main job on the sample data in geodata/: set up, build, validate and measure the sample,
# then import it into a fresh store and run a few programme steps.
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

db=demo.gpkg
rm -f "$db" "$db-wal" "$db-shm"
echo; echo "== import the sample into a fresh store, $db (a GeoPackage: open it in QGIS)"
"$lt" import geodata/nanhai-sample.geojson --db "$db" --date 2023-01-01 --ref NH-2023
echo; echo "== programme steps: reclaim a wasteland parcel, try to build on basic farmland, release PBF"
"$lt" transition NH-000001 --to reclaimed_farmland --date 2024-05-01 --ref NH-2024-07 --db "$db"
"$lt" transition NH-000002 --to industrial_park --date 2024-05-01 --db "$db" || echo "(refused, as the rules say)"
"$lt" pbf NH-000001 --release --date 2024-07-01 --ref NH-PBF-2024 --db "$db"
echo; "$lt" history NH-000001 --db "$db"
echo; echo "== wasteland parcels as of 2023-12-31 (first lines)"
first 8 parcels --as-of 2023-12-31 --state wasteland --db "$db"
if command -v ogrinfo >/dev/null; then echo; echo "== GDAL reads the store"; ogrinfo -so "$db" | tail -n +3; fi
