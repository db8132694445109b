#!/usr/bin/env bash
# The PostGIS store at scale, in one run on one throw-away server (issue 11's measures):
#   1. import of the generated file into PostGIS by landtrack vs by ogr2ogr into the same server
#      (ogr2ogr with its defaults for a PostGIS table: COPY, a GiST index; landtrack also writes
#      one history event per parcel, checks every geometry and measures every area);
#   2. summary, contiguity --gap 0 and check from the PostGIS store vs the same from a GeoPackage
#      store of the same record, with landtrack's peak RSS (the server's memory is its own).
# Usage: Benchmarks/postgis.sh [10k|100k|1m] [runs]   (data cached in $BENCH_WORK, default /tmp/landtrack-bench)
# Needs root (the server runs as the postgres user), postgresql-15-postgis-3 and gdal-bin.
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/common.sh
bench_setup "${1:-100k}"
runs=${2:-3}
out="$work/out/postgis-$size"
mkdir -p "$out"
rm -f "$out"/*.time
scripts/deps.sh time bc gdal-bin postgresql-15-postgis-3
ensure_data
swift build -c release --product landtrack >&2
lt=$PWD/.build/release/landtrack
export LANDTRACK_NO_CACHE=1

# The server: the same settings as ../shared/bench/peer_postgis.sh, on a Unix socket only.
PGBIN=/usr/lib/postgresql/15/bin
pg=$(mktemp -d /tmp/landtrack-pgbench.XXXXXX)
chown postgres: "$pg"
as_pg() { runuser -u postgres -- "$@"; }
as_pg "$PGBIN/initdb" -D "$pg/db" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync > /dev/null
as_pg "$PGBIN/pg_ctl" -D "$pg/db" -l "$pg/server.log" -w -o \
  "-c listen_addresses='' -c unix_socket_directories=$pg -c shared_buffers=2GB -c work_mem=1GB \
   -c maintenance_work_mem=1GB -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
   -c max_wal_size=8GB -c jit=off" start > /dev/null
trap 'as_pg "$PGBIN/pg_ctl" -D "$pg/db" -m fast -w stop > /dev/null 2>&1 || true; rm -rf "$pg"' EXIT
for db in ogr lt; do
  psql -X -q -h "$pg" -U postgres -d postgres -c "CREATE DATABASE $db" > /dev/null
  psql -X -q -h "$pg" -U postgres -d "$db" -c "CREATE EXTENSION postgis" > /dev/null
done
pgurl="postgresql://postgres@/lt?host=$pg"

timed() { # name command…: wall seconds and peak RSS (kB) into $out/NAME.time
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$out/$name.time" "$@" > "$out/$name.out"
}
cat "$data" > /dev/null   # every run reads from the page cache

# 1. Import.
timed ogr2ogr ogr2ogr -f PostgreSQL PG:"host=$pg user=postgres dbname=ogr" "$data" -nln parcels -nlt MULTIPOLYGON \
  -lco GEOMETRY_NAME=geom --config PG_USE_COPY YES -gt 65536
timed import_postgis "$lt" import "$data" --db "$pgurl" --date 2023-01-01 --default-state farmland
gpkg="$out/store.gpkg"
rm -f "$gpkg" "$gpkg-wal" "$gpkg-shm"
timed import_geopackage "$lt" import "$data" --db "$gpkg" --date 2023-01-01 --default-state farmland

# The same programme on both: every 50th wasteland parcel reclaimed in 2024 (as Benchmarks/check.sh).
write_transitions "$data" "$out/transitions.csv"
timed transitions_postgis "$lt" transition --file "$out/transitions.csv" --db "$pgurl"
timed transitions_geopackage "$lt" transition --file "$out/transitions.csv" --db "$gpkg"

# 2. Reports, alternating the backends run by run.
for run in $(seq 1 "$runs"); do
  for backend in geopackage postgis; do
    store=$gpkg; [ $backend = postgis ] && store=$pgurl
    timed "summary_$backend.$run" "$lt" summary --db "$store" --by village --by state --format json
    timed "contiguity_$backend.$run" "$lt" contiguity --db "$store" --gap 0 --format json
    timed "check_$backend.$run" "$lt" check --db "$store" --as-of 2025-12-31 --format json || true
  done
done
for cmd in summary contiguity check; do
  cmp -s "$out/${cmd}_geopackage.1.out" "$out/${cmd}_postgis.1.out" || { echo "$cmd: the backends' outputs differ" >&2; exit 1; }
done
echo "the outputs of summary, contiguity and check are the same from both stores" >&2
python3 - "$out" "$runs" "$size" <<'PY'
import sys, statistics
out, runs, size = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def one(name):
    w, m = open(f"{out}/{name}.time").read().split("\n")[-2].split()
    return float(w), int(m) / 1024
print(f"## PostGIS store, {size} parcels\n")
o, lp, lg = one("ogr2ogr"), one("import_postgis"), one("import_geopackage")
print("| import | wall | peak RSS | ogr2ogr / this |")
print("|---|---|---|---|")
print(f"| ogr2ogr into PostGIS (COPY, GiST index) | {o[0]:.1f} s | {o[1]:.0f} MB | 1.00 |")
print(f"| landtrack import into PostGIS | {lp[0]:.1f} s | {lp[1]:.0f} MB | {o[0] / lp[0]:.2f} |")
print(f"| landtrack import into a GeoPackage | {lg[0]:.1f} s | {lg[1]:.0f} MB | {o[0] / lg[0]:.2f} |")
tp, tg = one("transitions_postgis"), one("transitions_geopackage")
print(f"\nthe transitions file: {tp[0]:.1f} s into PostGIS, {tg[0]:.1f} s into the GeoPackage\n")
print("| command | GeoPackage (median) | PostGIS (median) | PostGIS / GeoPackage, run by run | peak RSS GPKG / PostGIS |")
print("|---|---|---|---|---|")
for cmd in ("summary", "contiguity", "check"):
    g = [one(f"{cmd}_geopackage.{r}") for r in range(1, runs + 1)]
    p = [one(f"{cmd}_postgis.{r}") for r in range(1, runs + 1)]
    ratios = ", ".join(f"{b[0] / a[0]:.2f}" for a, b in zip(g, p))
    print(f"| {cmd} | {statistics.median(x[0] for x in g):.2f} s | {statistics.median(x[0] for x in p):.2f} s | {ratios} "
          f"| {max(x[1] for x in g):.0f} / {max(x[1] for x in p):.0f} MB |")
PY
