#!/usr/bin/env bash
# Write the ABI baseline abi/libkvstrail.so.1.abi: abidw of a release build
# (with debug info, which abidw reads types from), public headers only.
# Run at release time only (docs/abi.md, release checklist), after
# tests/abi/abi_check.py against the old baseline reported only additions.
#
#   tests/abi/update_baseline.sh [BUILDDIR]     (default /tmp/kvstrail-abi-release)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-/tmp/kvstrail-abi-release}

if [ -f "$build/meson-private/coredata.dat" ]; then
  meson setup --reconfigure "$build" "$src" --buildtype=release -Ddebug=true -Dslow_tests=false
else
  meson setup "$build" "$src" --buildtype=release -Ddebug=true -Dslow_tests=false
fi
meson compile -C "$build" kvstrail:shared_library
lib=$(ls "$build"/lib/libkvstrail.so.1.*.* | head -1)
mkdir -p "$src/abi"
# The compile directory is the only build-specific path left: drop it so
# the file does not change with where it was built.
abidw --no-corpus-path --short-locs --drop-private-types --drop-undefined-syms \
  --headers-dir "$src/include/kvstrail" --headers-dir "$build/include/kvstrail" "$lib" |
  sed "s| comp-dir-path='[^']*'||" >"$src/abi/libkvstrail.so.1.abi"
echo "wrote abi/libkvstrail.so.1.abi from $lib"
