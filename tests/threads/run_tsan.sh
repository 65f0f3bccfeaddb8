#!/usr/bin/env bash
# Build kvstrail with ThreadSanitizer in a build dir of its own and run the
# thread test (suite 'threads') under it; any data race fails the test.
#
#   tests/threads/run_tsan.sh [BUILDDIR]     (default build-tsan)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build-tsan}
export CC=${CC:-clang}
opts=(-Db_sanitize=thread -Db_lundef=false -Dslow_tests=false)
if [ -f "$build/meson-private/coredata.dat" ]; then
  meson setup --reconfigure "$build" "$src" "${opts[@]}"
else
  meson setup "$build" "$src" "${opts[@]}"
fi
ninja -C "$build" tests/threads/test_threads
TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1} \
  meson test -C "$build" --suite threads --print-errorlogs
