#!/usr/bin/env bash
# Imports into a GeoPackage store against PostGIS's load of the same file, in one run (issue 14's
# measures): the peer's load (../shared/bench/peer_postgis.sh: ogr2ogr into an unlogged table,
# then VACUUM ANALYZE), then, run by run, landtrack's first import into a new store, a re-import
# of the unchanged file (the store's fingerprint: not read again), the same with --read-again
# (read and compared), and a re-import after one transition (the fingerprint forgotten: read).
# Usage: Benchmarks/import.sh [10k|100k|1m] [runs]   (data cached in $BENCH_WORK, default /tmp/landtrack-bench)
# Needs root for the PostGIS peer (its server runs as the postgres user); without PostGIS the
# peer is skipped, saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/common.sh
bench_setup "${1:-100k}"
runs=${2:-3}
out="$work/out/import-$size"
mkdir -p "$out"
rm -f "$out"/*.time "$out"/peer_postgis.json
scripts/deps.sh time bc
ensure_data
swift build -c release --product landtrack >&2
lt=$PWD/.build/release/landtrack
export LANDTRACK_NO_CACHE=1
cat "$data" > /dev/null   # every run reads from the page cache

if [ -x /usr/lib/postgresql/15/bin/initdb ] && ls /usr/share/postgresql/15/extension/postgis.control > /dev/null 2>&1; then
  "$shared/peer_postgis.sh" "$data" "$out/peer_postgis.json" --skip-ci > /dev/null
else
  echo "skipping the PostGIS peer: apt-get install postgresql-15-postgis-3 gdal-bin (run as root)" >&2
fi

timed() { # name run command…: wall seconds and peak RSS (kB) into $out/NAME.RUN.time
  local name=$1 run=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$out/$name.$run.time" "$@" > "$out/$name.$run.out"
}
db="$out/store.gpkg"
moved=$(python3 -c "import json,sys; print(next(f['properties']['id'] for f in json.load(open(sys.argv[1]))['features'] if f['properties'].get('state') == 'wasteland'))" "$data")
for run in $(seq 1 "$runs"); do
  rm -f "$db" "$db-wal" "$db-shm"
  timed first "$run" "$lt" import "$data" --db "$db" --date 2023-01-01 --default-state farmland
  timed unchanged "$run" "$lt" import "$data" --db "$db" --date 2023-01-01 --default-state farmland
  grep -q "not read again" "$out/unchanged.$run.out" || { echo "the unchanged re-import was read: $(cat "$out/unchanged.$run.out")" >&2; exit 1; }
  timed read_again "$run" "$lt" import "$data" --db "$db" --date 2023-01-01 --default-state farmland --read-again
  "$lt" transition "$moved" --to reclaimed_farmland --date 2023-01-01 --db "$db" > /dev/null
  # The file says wasteland again: the parcel's transition back is refused (no rule allows it),
  # after the whole file was read and compared. What is timed is that reading.
  /usr/bin/time -f "%e %M" -o "$out/after_transition.$run.time" "$lt" import "$data" --db "$db" --date 2023-01-02 \
    --default-state farmland > /dev/null 2> "$out/after_transition.$run.err" || true
  grep -q "$moved" "$out/after_transition.$run.err" || { echo "the re-import after a transition: $(cat "$out/after_transition.$run.err")" >&2; exit 1; }
done
python3 - "$out" "$runs" "$n" <<'PY'
import json, os, statistics, sys
out, runs, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def read(name):
    rows = [open(f"{out}/{name}.{r}.time").read().split("\n")[-2].split() for r in range(1, runs + 1)]
    return [float(w) for w, _ in rows], [int(m) / 1024 for _, m in rows]
load = None
if os.path.exists(f"{out}/peer_postgis.json"):
    load = json.load(open(f"{out}/peer_postgis.json"))["timings_s"]["load"]
    print(f"PostGIS peer's load (ogr2ogr, unlogged, no index; VACUUM ANALYZE): {load:.2f} s")
for name, label, target in [("first", "first import into a new GeoPackage (R*Tree included)", "≥ 4 × faster than PostGIS's load"),
                            ("unchanged", "re-import of the unchanged file (fingerprint)", f"≤ {0.5 * n / 100000:.2f} s"),
                            ("read_again", "re-import of the unchanged file, --read-again", f"≤ {0.5 * n / 100000:.2f} s"),
                            ("after_transition", "re-import after one transition (read, refused)", "")]:
    w, m = read(name)
    med = statistics.median(w)
    ratio = f"; PostGIS load / this = {load / med:.2f} ×" if load else ""
    print(f"{label}: {med:.2f} s (runs {', '.join(f'{x:.2f}' for x in w)}), peak {max(m):.0f} MB{ratio}" + (f"  [target {target}]" if target else ""))
PY
