#!/usr/bin/env bash
# The figures of issue 15 (docs/performance.md, "Issue 15"), as ratios
# measured in one run: the plain trail against bare yajl; an
# organisation-like trail (2% KVS records) with --kvs-only; gzip against
# the one-thread zlib+yajl loop and against zlib's and ISA-L's inflate
# alone (and kvstrail built with zlib alone, when --zlib-build is given);
# the page-cache floor; peak RSS of `kvstrail stats`; `kvstrail stats
# -j 2` against -j 1 over 16 plain files. Asserts nothing about time.
#
#   bench/run_figures.sh [--records N] [--reps N] [--build DIR]
#                        [--zlib-build DIR] [--work DIR]
#
# Run it under nice on a quiet machine; every ratio compares contenders
# of the same run, interleaved by kvst_bench.
set -euo pipefail

bench_name=run_figures.sh
zlib_build=""
bench_option() {
  case "$1" in
    --zlib-build) zlib_build=$2 ;;
    *) return 1 ;;
  esac
}
. "$(dirname "$0")/bench_common.sh"
bench_init "$0" 15 "$@"
bench="$build/bench/kvst_bench"
[ -x "$bench" ] || { echo "run_figures.sh: build $build first" >&2; exit 2; }

plain=$(bench_workload "trail-$records.json")
org=$(bench_workload "org-$records.json" --kvs-share 0.02)
gz=$(bench_workload "trail-$records.json.gz" --gzip)

echo "== machine"
echo "$(uname -srm); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //')"
echo "scanning kernel: ${KVSTRAIL_SCAN:-the fastest the CPU has}"

echo
echo "== page-cache floor: reading $(basename "$plain") (already cached)"
cat "$plain" > /dev/null
dd if="$plain" of=/dev/null bs=1M 2>&1 | tail -1

echo
echo "== plain, $records records"
"$bench" --reps "$reps" "$plain"
echo
echo "== organisation-like trail (2% KVS), --kvs-only"
KVST_BENCH_FLAGS=0x1 "$bench" --reps "$reps" --no-rss "$org"
echo
echo "== organisation-like trail (2% KVS), every record"
"$bench" --reps "$reps" --no-rss "$org"
echo
echo "== gzip, $records records (the library's default inflater)"
"$bench" --reps "$reps" "$plain.gz"
if [ -n "$zlib_build" ]; then
  echo
  echo "== gzip, $records records, kvstrail built with zlib alone"
  "$zlib_build/bench/kvst_bench" --reps "$reps" --no-rss "$plain.gz"
fi

echo
echo "== peak RSS of kvstrail stats (KiB)"
for f in "$plain" "$plain.gz" "$org"; do
  /usr/bin/time -f "%M KiB  $(basename "$f")" "$cli" stats "$f" > /dev/null
done

echo
echo "== kvstrail stats over 16 plain files: -j 2 against -j 1"
files=()
for i in $(seq 1 16); do
  ln -sf "$plain" "$work/copy-$i.json"
  files+=("$work/copy-$i.json")
done
t() { local s e; s=$(date +%s.%N); "$cli" stats "$@" > /dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
for rep in 1 2 3; do
  t1=$(t -j 1 "${files[@]}")
  t2=$(t -j 2 "${files[@]}")
  echo "run $rep: -j 1 ${t1}s, -j 2 ${t2}s, ratio $(echo "scale=3; $t1 / $t2" | bc)"
done
