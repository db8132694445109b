#!/usr/bin/env bash
# landtrack against the C/GEOS reference of ../shared/bench on the same generated file, in one run:
# wall time and peak RSS per task, the ratios, and a check that the results agree.
# Usage: Benchmarks/run.sh [10k|100k|1m]     (data cached in $BENCH_WORK, default /tmp/landtrack-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-100k}
shared=${LANDTRACK_SHARED_BENCH:-../shared/bench}
work=${BENCH_WORK:-/tmp/landtrack-bench}
case "$size" in 10k) n=10000 ;; 100k) n=100000 ;; 1m) n=1000000 ;; *) n=$size ;; esac
data="$work/data/parcels_$size.geojson"
out="$work/out/$size"
mkdir -p "$work/data" "$out"
[ -d "$shared" ] || { echo "no $shared: the peers and the generator live there" >&2; exit 2; }

scripts/deps.sh time
if [ ! -s "$data" ]; then
  python3 -c "import numpy, scipy, shapely, pyproj, orjson" 2>/dev/null || pip install -q numpy scipy shapely pyproj orjson
  echo "generating $data ($n parcels)…" >&2
  python3 "$shared/gen_parcels.py" "$n" "$data" >&2
fi
swift build -c release --product landtrack >&2
lt=.build/release/landtrack
[ "$work/ref_geos" -nt "$shared/ref_geos.c" ] || gcc -O2 -o "$work/ref_geos" "$shared/ref_geos.c" -lgeos_c -lproj -lm

timed() { # name, command…: runs it, writes $out/NAME.json (stdout) and $out/NAME.time ("wall rss_kb")
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$out/$name.time" "$@" > "$out/$name.json"
}
timed ref "$work/ref_geos" "$data" "$out/ref_geos.json"
timed T2 "$lt" summary "$data" --by village --by state --format json
timed T3 "$lt" contiguity "$data" --gap 0 --format json
timed T4 "$lt" contiguity "$data" --gap 10 --format json
timed T5 "$lt" contiguity "$data" --gap 0 --pbf-only --format json
python3 Benchmarks/compare.py "$out" "$data" | tee "$out/report.md"
