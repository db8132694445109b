# Shared by the benchmark scripts (sourced, after `cd` to the repository): the size argument,
# the generated data and the demo transitions of a generated store.
# Sets: size, n, shared, work, data. Usage: bench_setup SIZE
bench_setup() {
  size=${1:-100k}
  shared=${LANDTRACK_SHARED_BENCH:-../shared/bench}
  work=${BENCH_WORK:-/tmp/landtrack-bench}
  case "$size" in 10k) n=10000 ;; 100k) n=100000 ;; 1m) n=1000000 ;; *) n=$size ;; esac
  data="$work/data/parcels_$size.geojson"
  mkdir -p "$work/data"
}

# Generates $data with ../shared/bench/gen_parcels.py once (cached in $work/data).
ensure_data() {
  [ -s "$data" ] && return 0
  [ -d "$shared" ] || { echo "no $shared: the generator lives there" >&2; exit 2; }
  python3 -c "import numpy, scipy, shapely, pyproj, orjson" 2>/dev/null || pip install -q numpy scipy shapely pyproj orjson
  echo "generating $data ($n parcels)…" >&2
  python3 "$shared/gen_parcels.py" "$n" "$data" >&2
}

# A transitions file for a store imported from $1: every 50th wasteland parcel reclaimed in 2024,
# so that the period rules and the history audit of `check` have something to read.
write_transitions() { # data.geojson out.csv
  python3 - "$1" "$2" <<'PY'
import json, sys
features = json.load(open(sys.argv[1]))["features"]
with open(sys.argv[2], "w") as f:
    f.write("id,to,date,ref\n")
    k = 0
    for feat in features:
        p = feat["properties"]
        if p.get("state") == "wasteland":
            k += 1
            if k % 50 == 0: f.write(f'{p["id"]},reclaimed_farmland,2024-05-01,BENCH-2024\n')
PY
}
