#!/usr/bin/env python3
"""Compares landtrack's outputs with the C/GEOS reference's (../shared/bench/ref_geos.c) and prints
the timing table. Standard library only. Usage: compare.py OUT_DIR DATA_FILE"""
import json
import os
import platform
import sys

out, data = sys.argv[1], sys.argv[2]
MU = 2000.0 / 3.0


def load(name):
    with open(os.path.join(out, name)) as f:
        return json.load(f)


def timing(name):
    with open(os.path.join(out, name + ".time")) as f:
        wall, rss = f.read().split()[-2:]
    return float(wall), int(rss) / 1024


ref = load("ref_geos.json")
problems = []

# T2: totals per state, and per village x state, to 0.01 mu.
t2 = load("T2.json")
mine = {}
for g in t2["groups"]:
    mine.setdefault(g["state"], [0, 0.0])
    mine[g["state"]][0] += g["parcel_count"]
    mine[g["state"]][1] += g["area_mu"]
for state, r in ref["T2"]["by_state"].items():
    got = mine.get(state, [0, 0.0])
    if got[0] != r["count"] or abs(got[1] - r["mu"]) > 0.01:
        problems.append(f"T2 {state}: landtrack {got[0]} parcels {got[1]:.4f} mu, reference {r['count']} {r['mu']:.4f} mu")


def blocks(report):
    return sorted([b["parcels"][0], b["parcel_count"], b["area_mu"]] for b in report["blocks"])


for task in ("T3", "T4", "T5"):
    mine_blocks, theirs = blocks(load(task + ".json")), sorted(ref[task]["block_list"])
    if len(mine_blocks) != len(theirs):
        problems.append(f"{task}: {len(mine_blocks)} blocks, reference {len(theirs)}")
        continue
    for a, b in zip(mine_blocks, theirs):
        if a[0] != b[0] or a[1] != b[1] or abs(a[2] - b[2]) > 0.01:
            problems.append(f"{task}: block {a} vs reference {b}")
            break
    if task == "T5":
        frag = sum(1 for b in mine_blocks if b[2] < 100)
        if frag != ref["T5"]["fragmented"]:
            problems.append(f"T5: {frag} fragmented blocks, reference {ref['T5']['fragmented']}")

ref_wall, ref_rss = timing("ref")
rows = [(t, *timing(t)) for t in ("T2", "T3", "T4", "T5")]
total = sum(r[1] for r in rows)
size_mb = os.path.getsize(data) / 1e6
print(f"# landtrack vs the C/GEOS reference, {ref['n']:,} parcels ({size_mb:.1f} MB), {platform.machine()}, {os.cpu_count()} cores\n")
print("| run | wall (s) | peak RSS (MB) | ratio to the reference's whole run |")
print("|---|---|---|---|")
print(f"| C/GEOS reference, T1–T5 in one process | {ref_wall:.2f} | {ref_rss:.0f} | 1.00 |")
names = {"T2": "summary --by village --by state", "T3": "contiguity --gap 0", "T4": "contiguity --gap 10",
         "T5": "contiguity --gap 0 --pbf-only"}
for t, wall, rss in rows:
    mode = os.environ.get("CACHE_MODE", "empty")
    if mode == "off":
        source = "reads the GeoJSON, no parcel cache"
    elif mode == "empty" and t == "T2":
        source = "reads the GeoJSON, writes the parcel cache"
    elif t == "T3":
        source = "reads the parcel cache, makes and keeps gap 0's contact graph"
    else:
        source = "reads the parcel cache" + (" and the contact graph" if t in ("T4", "T5") else "")
    print(f"| landtrack {names[t]} ({t}, {source}) | {wall:.2f} | {rss:.0f} | {wall / ref_wall:.2f} |")
print(f"| landtrack, the four commands together | {total:.2f} | {max(r[2] for r in rows):.0f} | **{total / ref_wall:.2f}** |")
for peer in ("geopandas", "postgis"):
    path = os.path.join(out, f"peer_{peer}.time")
    if not os.path.exists(path):
        continue
    wall, rss = timing(f"peer_{peer}")
    theirs = load(f"peer_{peer}.json")
    agree = all(theirs[t]["blocks"] == ref[t]["blocks"] for t in ("T3", "T4", "T5"))
    timings = theirs.get("timings_s", {})
    extra = f"; load {timings['load']:.2f} s" if "load" in timings else ""
    print(f"| {peer}, T1–T5 ({'agrees' if agree else 'DISAGREES'} with the reference{extra}) | {wall:.2f} | {rss:.0f} | {wall / ref_wall:.2f} |")
    print(f"| landtrack's four commands / {peer} | | | **{total / wall:.2f}** |")
print()
print("results: " + ("all agree with the reference (block counts and lists exact, areas to 0.01 mu)" if not problems
                     else "DISAGREE:\n" + "\n".join("- " + p for p in problems)))
sys.exit(1 if problems else 0)
