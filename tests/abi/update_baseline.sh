#!/usr/bin/env bash
# Write the ABI baselines of a release: abi/libkvstrail-X.Y.abi and
# abi/libkvstrail-sigma-X.Y.abi, abidw of an -O3 build with debug info
# (abidw reads the types from it; meson's release buildtype would drop it),
# public headers only. docs/abi.md, "Baselines", says when: while release
# X.Y is in progress, in the commit that changes its ABI, after
# tests/abi/abi_check.py against the older baselines reported only
# additions; never again once X.Y is released. The 1.0 baseline,
# abi/libkvstrail.so.1.abi, is never rewritten: this script refuses 1.0.
#
#   tests/abi/update_baseline.sh X.Y [BUILDDIR]   (default /tmp/kvstrail-abi-release)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
release=${1:-}
build=${2:-/tmp/kvstrail-abi-release}

if ! [[ $release =~ ^[0-9]+\.[0-9]+$ ]]; then
  echo "usage: $0 X.Y [BUILDDIR]  (the release whose baselines to write)" >&2
  exit 2
fi
if [ "$release" = 1.0 ]; then
  echo "$0: the 1.0 baseline (abi/libkvstrail.so.1.abi) is released: never rewritten" >&2
  exit 2
fi

if [ -f "$build/meson-private/coredata.dat" ]; then
  meson setup --reconfigure "$build" "$src" -Doptimization=3 -Ddebug=true -Db_ndebug=if-release -Dslow_tests=false
else
  meson setup "$build" "$src" -Doptimization=3 -Ddebug=true -Db_ndebug=if-release -Dslow_tests=false
fi
meson compile -C "$build" kvstrail:shared_library kvstrail-sigma:shared_library
mkdir -p "$src/abi"

# One baseline: the compile directory is the only build-specific path left,
# dropped so the file does not change with where it was built.
write() { # LIBRARY OUT
  abidw --no-corpus-path --short-locs --drop-private-types --drop-undefined-syms \
    --headers-dir "$src/include/kvstrail" --headers-dir "$build/include/kvstrail" "$1" |
    sed "s| comp-dir-path='[^']*'||" >"$2"
  echo "wrote ${2#"$src"/} from $1"
}
write "$(ls "$build"/lib/libkvstrail.so.1.*.* | head -1)" "$src/abi/libkvstrail-$release.abi"
write "$(ls "$build"/sigma/libkvstrail-sigma.so.1.*.* | head -1)" \
  "$src/abi/libkvstrail-sigma-$release.abi"
