#!/usr/bin/env bash
# The benchmark of issue 18: `kvstrail detect` with the SigmaHQ CloudTrail
# rules and the KVS pack against `kvstrail stats` on the same file, in one
# run, as a throughput ratio (detect / stats; issue 18 wants >= 0.8). Each
# command runs --reps times, alternating, and the best time of each counts.
# Asserts nothing about time; exits non-zero only when a step fails.
#
#   bench/detect_bench.sh [--records N] [--reps N] [--build DIR] [--work DIR]
#
#   --records N   workload size (default 100000, from gen_trail.py --seed 1)
#   --reps N      runs of each command (default 5)
#   --build DIR   meson build directory (default: build beside bench/)
#   --work DIR    where the workload goes (default: DIR/bench-work)
#
# Environment: KVST_SHARED_DIR (default: ../shared beside the source tree),
# KVST_CLI (the kvstrail binary), PYTHON (default /usr/bin/python3).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
records=100000
reps=5
build="$src/build"
work=""
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records=$2; shift ;;
    --reps) reps=$2; shift ;;
    --build) build=$2; shift ;;
    --work) work=$2; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "detect_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
shared=${KVST_SHARED_DIR:-"$src/../shared"}
python=${PYTHON:-/usr/bin/python3}
cli=${KVST_CLI:-"$build/tools/kvstrail"}
work=${work:-"$build/bench-work"}
mkdir -p "$work"
[ -x "$cli" ] || { echo "detect_bench.sh: no kvstrail at $cli" >&2; exit 2; }
[ -d "$shared/sigma/rules" ] || { echo "detect_bench.sh: no $shared/sigma/rules" >&2; exit 2; }

trail="$work/trail-$records.json"
[ -s "$trail" ] || "$python" "$shared/bench/gen_trail.py" --records "$records" --seed 1 --out "$trail"

rules=(--rules "$shared/sigma/rules")
[ -d "$src/rules/kvs" ] && rules+=(--rules "$src/rules/kvs")
nrules=$({ "$cli" stats -f jsonl "${rules[@]}" - 2>/dev/null <<<'{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"X"}' || true; } |
         "$python" -c 'import json,sys; print(len(json.load(sys.stdin)["rules"]))' 2>/dev/null) || nrules="?"

# seconds CMD...: wall time of one run, output discarded.
seconds() {
  local t0 t1 rc=0
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1 || rc=$?
  t1=$(date +%s%N)
  [ "$rc" -le 1 ] || { echo "detect_bench.sh: $* failed ($rc)" >&2; exit 1; }
  echo $(( (t1 - t0) / 1000 ))   # microseconds; detect exits 1 on a high match
}

stats_us=() detect_us=()
for ((i = 0; i < reps; i++)); do
  stats_us+=("$(seconds "$cli" stats "$trail")")
  detect_us+=("$(seconds "$cli" detect "${rules[@]}" "$trail")")
done
best() { printf '%s\n' "$@" | sort -n | head -1; }
best_stats=$(best "${stats_us[@]}")
best_detect=$(best "${detect_us[@]}")
matches=$("$cli" detect "${rules[@]}" "$trail" 2>/dev/null | wc -l || true)
bytes=$(stat -c %s "$trail")
echo "== kvstrail detect vs stats ($records records, $bytes bytes, $nrules rules, best of $reps)"
awk -v s="$(echo "$best_stats / 1000000" | bc -l)" -v d="$(echo "$best_detect / 1000000" | bc -l)" -v b="$bytes" -v m="$matches" 'BEGIN {
  printf "stats   %8.3f s  %8.1f MB/s\n", s, b / 1e6 / s
  printf "detect  %8.3f s  %8.1f MB/s  (%d matches)\n", d, b / 1e6 / d, m
  printf "detect / stats throughput: %.3f x (issue 18 wants >= 0.8)\n", s / d }'
