#!/usr/bin/python3
"""Records/s and peak memory of the binding next to json.load, same file.

    KVSTRAIL_LIBRARY=build/lib/libkvstrail.so.1 PYTHONPATH=bindings/python \\
        /usr/bin/python3 bindings/python/bench.py FILE [--runs 3]

Every measurement runs in a fresh interpreter (so peak RSS is its own) and
the best of --runs is kept. Modes:
  kvstrail-iterate  for ev in kvstrail.parse(FILE): count (no JSON decoding)
  kvstrail-fields   the same, reading ev.action, ev.identity and ev.findings
  json.load         json.load(FILE) then count the records
Figures are printed as a table, or one JSON object with --json.
"""

import argparse
import json
import subprocess
import sys

PROBES = {
    "kvstrail-iterate": """
import kvstrail
n = 0
for ev in kvstrail.parse(PATH):
    n += 1
""",
    "kvstrail-fields": """
import kvstrail
n = 0
for ev in kvstrail.parse(PATH):
    n += 1
    ev.action, ev.identity.principal, len(ev.findings)
""",
    "json.load": """
import json
with open(PATH, "rb") as f:
    n = len(json.load(f)["Records"])
""",
}

# Wraps a probe: time it, then report records, wall seconds, CPU seconds
# (steadier than wall time on a loaded machine) and peak RSS (KiB).
HARNESS = """
import resource, sys, time
PATH = sys.argv[1]
t0, c0 = time.perf_counter(), time.process_time()
{probe}
t1, c1 = time.perf_counter(), time.process_time()
print(n, t1 - t0, c1 - c0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def measure(mode, path):
    code = HARNESS.format(probe=PROBES[mode])
    out = subprocess.run([sys.executable, "-c", code, path], check=True,
                         capture_output=True, text=True).stdout.split()
    return int(out[0]), float(out[1]), float(out[2]), int(out[3])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = {}
    for mode in PROBES:
        runs = [measure(mode, args.file) for _ in range(args.runs)]
        n, secs, cpu, _ = min(runs, key=lambda r: r[1])
        rows[mode] = {"records": n, "seconds": round(secs, 3),
                      "records_per_s": round(n / secs),
                      "cpu_seconds": round(cpu, 3),
                      "records_per_cpu_s": round(n / cpu),
                      "peak_rss_mib": round(max(r[3] for r in runs) / 1024, 1)}
    if args.json:
        print(json.dumps(rows))
        return
    print(f"{'mode':<18} {'records':>9} {'seconds':>8} {'records/s':>10} "
          f"{'CPU s':>7} {'records/CPU s':>14} {'peak RSS MiB':>13}")
    for mode, r in rows.items():
        print(f"{mode:<18} {r['records']:>9} {r['seconds']:>8.2f} "
              f"{r['records_per_s']:>10,} {r['cpu_seconds']:>7.2f} "
              f"{r['records_per_cpu_s']:>14,} {r['peak_rss_mib']:>13.1f}")


if __name__ == "__main__":
    main()
