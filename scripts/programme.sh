#!/usr/bin/env bash
# Builds a fresh store from geodata/ and replays the demo programme's log (geodata/programme/,
# made by `swift run geodata-gen`), then prints the summary, the changes, the blocks and the checks.
# Usage: scripts/programme.sh [LANDTRACK_BINARY] [STORE.gpkg | postgresql://…]  (an empty database: the
# log is replayed into it; a GeoPackage file is made anew)
set -euo pipefail
cd "$(dirname "$0")/.."
lt=${1:-.build/release/landtrack}
db=${2:-programme.gpkg}
log=geodata/programme
rm -f "$db" "$db-wal" "$db-shm"

echo "== build the store $db from geodata/"
"$lt" import geodata/nanhai-sample.geojson --db "$db" --date 2023-01-01 --ref NH-BASE --by "南海区自然资源局"
for layer in programme_area urban_boundary eco_redline barriers; do
  "$lt" import "$log/$layer.geojson" --layer "$layer" --db "$db"
done

echo; echo "== replay the programme log 2023–2025"
"$lt" transition --file "$log/transitions.csv" --db "$db" --by "南海区自然资源局" | tail -n 3
echo "   … ($(($(wc -l < "$log/transitions.csv") - 1)) transitions)"
tail -n +2 "$log/pbf.csv" | while IFS=, read -r id action date ref; do
  "$lt" pbf "$id" "--$action" --date "$date" --ref "$ref" --db "$db" > /dev/null
done
echo "   $(($(wc -l < "$log/pbf.csv") - 1)) PBF changes (moved out of the urban development boundary)"
tail -n +2 "$log/merges.csv" | while IFS=, read -r ids into date ref; do
  # shellcheck disable=SC2086
  "$lt" merge $ids --into "$into" --date "$date" --ref "$ref" --db "$db" > /dev/null
done
echo "   $(($(wc -l < "$log/merges.csv") - 1)) merges of fragmented plots"

echo; echo "== summary at the end of 2025"
"$lt" summary --by state --as-of 2025-12-31 --db "$db"
echo; echo "== changes 2023–2025"
"$lt" changes --from 2023-01-01 --to 2025-12-31 --db "$db"
echo; echo "== contiguous farmland blocks (within 2 m, not across the roads)"
"$lt" contiguity --gap 2 --barriers --as-of 2025-12-31 --db "$db"
echo; echo "== checks (violations are left in on purpose: exit 1 expected)"
"$lt" check --as-of 2025-12-31 --db "$db" || echo "(exit $?: rules violated, as the programme's story has it)"

case "$db" in postgres*:*) map=programme-map.html ;; *) map="${db%.gpkg}-map.html" ;; esac
echo; echo "== the map: before and after, side by side (open it in any browser; it works offline)"
"$lt" map "$map" --compare 2023-01-01 2025-12-31 --gap 2 --db "$db"
echo "   serve the store to QGIS, GDAL and browsers: $lt serve --db $db   (then http://127.0.0.1:8080/map)"
