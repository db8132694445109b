#!/usr/bin/env bash
# `check` against one `contiguity --gap 0` on the same store, in one run: the record issue's
# measure (check ≤ 1.5 × contiguity). The store is the generated file imported on one date,
# then a slice of transitions and PBF changes so that the period rules and the history audit
# have something to read.
# Usage: Benchmarks/check.sh [10k|100k|1m] [runs]   (data cached in $BENCH_WORK, default /tmp/landtrack-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/common.sh
bench_setup "${1:-100k}"
runs=${2:-3}
out="$work/out/check-$size"
mkdir -p "$out"
scripts/deps.sh time
ensure_data
swift build -c release --product landtrack >&2
lt=.build/release/landtrack
db="$out/store.gpkg"
if [ ! -s "$db" ] || [ "$data" -nt "$db" ]; then
  rm -f "$db" "$db-wal" "$db-shm"
  "$lt" import "$data" --db "$db" --date 2023-01-01 --default-state farmland >&2
  write_transitions "$data" "$out/transitions.csv"
  "$lt" transition --file "$out/transitions.csv" --db "$db" > /dev/null
fi
echo "store: $db ($(du -h "$db" | cut -f1)), $(($(wc -l < "$out/transitions.csv") - 1)) transitions" >&2

timed() { # name run command…: wall seconds and peak RSS (kB) into $out/NAME.RUN.time
  local name=$1 run=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$out/$name.$run.time" "$@" > /dev/null || true
}
for run in $(seq 1 "$runs"); do
  timed contiguity "$run" "$lt" contiguity --db "$db" --gap 0 --format json
  timed check "$run" "$lt" check --db "$db" --as-of 2025-12-31 --format json
done
python3 - "$out" "$runs" <<'PY'
import sys, statistics
out, runs = sys.argv[1], int(sys.argv[2])
def read(name):
    rows = [open(f"{out}/{name}.{r}.time").read().split("\n")[-2].split() for r in range(1, runs + 1)]
    return [float(w) for w, _ in rows], [int(m) / 1024 for _, m in rows]
cw, cm = read("contiguity"); kw, km = read("check")
ratios = [k / c for k, c in zip(kw, cw)]
print(f"contiguity --gap 0: {statistics.median(cw):.2f} s (runs {', '.join(f'{x:.2f}' for x in cw)}), peak {max(cm):.0f} MB")
print(f"check:              {statistics.median(kw):.2f} s (runs {', '.join(f'{x:.2f}' for x in kw)}), peak {max(km):.0f} MB")
print(f"check / contiguity, run by run: {', '.join(f'{r:.2f}' for r in ratios)}; median {statistics.median(ratios):.2f} (targets: ≤ 1.5 in the record issue, ≤ 2 in the performance issue)")
PY
