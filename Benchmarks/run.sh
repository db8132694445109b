#!/usr/bin/env bash
# landtrack against the peers of ../shared/bench on the same generated file, in one run: wall time
# and peak RSS per task, the ratios, and a check that the results agree.
# Usage: [CACHE=warm] Benchmarks/run.sh [10k|100k|1m]     (data cached in $BENCH_WORK, default /tmp/landtrack-bench)
# Peers: $PEERS (default "ref geopandas postgis"); a peer whose tools are missing is skipped with the
# command that installs them.
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/common.sh
bench_setup "${1:-100k}"
out="$work/out/$size"
mkdir -p "$out"
[ -d "$shared" ] || { echo "no $shared: the peers and the generator live there" >&2; exit 2; }

scripts/deps.sh time
ensure_data
swift build -c release --product landtrack >&2
lt=.build/release/landtrack
[ "$work/ref_geos" -nt "$shared/ref_geos.c" ] || gcc -O2 -o "$work/ref_geos" "$shared/ref_geos.c" -lgeos_c -lproj -lm

timed() { # name, command…: runs it, writes $out/NAME.json (stdout) and $out/NAME.time ("wall rss_kb")
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$out/$name.time" "$@" > "$out/$name.json"
}
cat "$data" > /dev/null   # warm the page cache: every run reads from RAM
peers=${PEERS:-"ref geopandas postgis"}
rm -f "$out"/peer_*.time
for peer in $peers; do
  case $peer in
    ref) timed ref "$work/ref_geos" "$data" "$out/ref_geos.json" ;;
    geopandas)
      if python3 -c "import geopandas, pyogrio, pyproj, scipy, orjson" 2>/dev/null; then
        /usr/bin/time -f "%e %M" -o "$out/peer_geopandas.time" python3 "$shared/peer_geopandas.py" "$data" "$out/peer_geopandas.json" >&2
      else
        echo "skipping GeoPandas: pip install geopandas pyogrio pyarrow pyproj scipy orjson" >&2
      fi ;;
    postgis)
      if [ -x /usr/lib/postgresql/15/bin/initdb ] && [ -d /usr/share/postgresql/15/extension ] && ls /usr/share/postgresql/15/extension/postgis.control >/dev/null 2>&1; then
        /usr/bin/time -f "%e %M" -o "$out/peer_postgis.time" "$shared/peer_postgis.sh" "$data" "$out/peer_postgis.json" >&2
      else
        echo "skipping PostGIS: apt-get install postgresql-15-postgis-3 gdal-bin (run as root)" >&2
      fi ;;
    *) echo "unknown peer $peer" >&2; exit 2 ;;
  esac
done
# landtrack's parcel cache starts empty: the first command reads the GeoJSON (and writes the
# cache), the next three read the cache, as a planner's second and later commands on a file do.
# CACHE=warm: an untimed summary fills it first (every command reads it, as on a file already
# opened); LANDTRACK_NO_CACHE=1: every command reads the GeoJSON.
export XDG_CACHE_HOME="$work/cache"
rm -rf "$XDG_CACHE_HOME"
export CACHE_MODE=${CACHE:-empty}
[ -n "${LANDTRACK_NO_CACHE:-}" ] && [ "$LANDTRACK_NO_CACHE" != 0 ] && CACHE_MODE=off
[ "$CACHE_MODE" = warm ] && "$lt" summary "$data" > /dev/null
timed T2 "$lt" summary "$data" --by village --by state --format json
timed T3 "$lt" contiguity "$data" --gap 0 --format json
timed T4 "$lt" contiguity "$data" --gap 10 --format json
timed T5 "$lt" contiguity "$data" --gap 0 --pbf-only --format json
python3 Benchmarks/compare.py "$out" "$data" | tee "$out/report.md"
