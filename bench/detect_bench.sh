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

bench_name=detect_bench.sh
. "$(dirname "$0")/bench_common.sh"
bench_init "$0" 16 "$@"
shared=${KVST_SHARED_DIR:-"$src/../shared"}
[ -d "$shared/sigma/rules" ] || { echo "detect_bench.sh: no $shared/sigma/rules" >&2; exit 2; }
trail=$(bench_workload "trail-$records.json")

# The pack's three placeholder rules need values, or they are refused and
# detect exits 2; these are what a deployment would give.
rules=(--rules "$shared/sigma/rules" --rules "$src/rules/kvs"
       --placeholder "kvs_allowed_readers=arn:aws:iam::123456789012:role/*"
       --placeholder "kvs_trusted_image_destinations=s3://example-kvs-images/*"
       --placeholder "kvs_trusted_notification_destinations=arn:aws:sns:*:123456789012:*")
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
