#!/usr/bin/env bash
# Run the libFuzzer targets of a build configured with -Dfuzzing=true, one
# after the other on one core, each for SECONDS, from a working corpus
# seeded with tests/fuzz/corpus/<target>. Prints the executions of each run
# and the crash files it left; exits 1 when any target crashed.
#
#   tests/fuzz/run_fuzzers.sh BUILDDIR SECONDS [TARGET...]
#
# WORK (default /tmp/kvstrail-fuzz) keeps the grown corpora between runs;
# crashes land in $WORK/artifacts/<target>/. docs/fuzzing.md tells how to
# turn one into a regression input.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run_fuzzers.sh BUILDDIR SECONDS [TARGET...]}
seconds=${2:?usage: run_fuzzers.sh BUILDDIR SECONDS [TARGET...]}
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_parser fuzz_gzip fuzz_recover fuzz_fastlex fuzz_identity fuzz_validators)
work=${WORK:-/tmp/kvstrail-fuzz}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

status=0
for t in "${targets[@]}"; do
  bin=$build/tests/fuzz/$t
  if [ ! -x "$bin" ]; then
    echo "$t: $bin missing (configure with CC=clang -Dfuzzing=true)" >&2
    status=1
    continue
  fi
  dict=$here/kvstrail.dict
  maxlen=65536
  case $t in
    fuzz_validators) dict=$here/validators.dict; maxlen=4096 ;;
    fuzz_identity) maxlen=8192 ;;
  esac
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  cp -n "$here/corpus/$t"/* "$work/corpus/$t/"
  log=$work/$t.log
  start=$SECONDS
  nice "$bin" -max_total_time="$seconds" -max_len="$maxlen" -dict="$dict" \
    -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/$t/" "$work/corpus/$t" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  echo "$t: ${execs:-?} executions in $((SECONDS - start))s, exit $rc, log $log"
  for a in "$work/artifacts/$t"/*; do
    [ -e "$a" ] && echo "  artifact: $a"
  done
  [ "$rc" -eq 0 ] || status=1
done
exit $status
