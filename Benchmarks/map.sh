#!/usr/bin/env bash
# The map at scale: imports the generated file of Benchmarks/run.sh into a store, times
# `landtrack map`, then loads the page in headless Chromium and reads what the page measured
# itself: load (parse + decode + first draw) and one full redraw, at the whole programme and
# zoomed in on one parcel (the #parcel= link), and one frame while the user zooms (#bench).
# Usage: Benchmarks/map.sh [10k|100k]   (after Benchmarks/run.sh SIZE has generated the data)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-100k}
work=${BENCH_WORK:-/tmp/landtrack-bench}
data="$work/data/parcels_$size.geojson"
out="$work/out/map-$size"
[ -s "$data" ] || { echo "no $data: run Benchmarks/run.sh $size first (it generates the data)" >&2; exit 2; }
scripts/deps.sh time chromium
mkdir -p "$out"
swift build -c release --product landtrack >&2
lt=.build/release/landtrack
db="$out/store.gpkg"
rm -f "$db" "$db-wal" "$db-shm"
/usr/bin/time -f "import: %e s, peak RSS %M KB" "$lt" import "$data" --db "$db" --date 2023-01-01 > /dev/null
/usr/bin/time -f "landtrack map: %e s, peak RSS %M KB" "$lt" map "$out/map.html" --db "$db"
first=$("$lt" parcels --db "$db" --format csv | sed -n 2p | cut -d, -f1)
measure() { # label, url
  chromium --headless --no-sandbox --disable-gpu --window-size=1600,900 --dump-dom "$2" 2>/dev/null \
    | sed 's/<script.*//' | grep -oE 'data-(load-ms|draw-ms|drawn-parcels|interaction-frame-ms)="[^"]*"' | tr '\n' ' ' | sed "s/^/$1: /"
  echo
}
measure "whole programme" "file://$out/map.html"
measure "zoomed on $first" "file://$out/map.html#parcel=$first"
measure "a frame while zooming (then the whole programme redrawn)" "file://$out/map.html#bench"
