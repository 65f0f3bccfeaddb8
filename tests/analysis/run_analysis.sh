#!/usr/bin/env bash
# Static analysis of the libraries (lib/*.c, and libkvstrail-sigma's
# sigma/*.c): clang-tidy with the checked-in .clang-tidy, cppcheck, and gcc
# -fanalyzer, each with the flags a meson build compiles the file with
# (its compile_commands.json). Exits 1 on any
# finding of any tool. A false positive is suppressed where it stands,
# with its reason: `// NOLINT(check): why`, `// cppcheck-suppress id ; why`.
#
#   tests/analysis/run_analysis.sh [BUILDDIR]     (default: build)
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-build}" && pwd) || exit 2
cdb=$build/compile_commands.json
[ -f "$cdb" ] || { echo "no $cdb: configure a meson build first" >&2; exit 2; }
tidy=$(command -v clang-tidy-14 || command -v clang-tidy) || { echo "clang-tidy missing" >&2; exit 2; }
cd "$src"
lib_files=(lib/*.c)
sigma_files=(sigma/*.c)

# -I/-D/-std flags of one library's compile commands (the same for every
# file of its folder), made absolute, for cppcheck and gcc: flags_of DIR
# OUTPUT (lib kvstrail.so, sigma kvstrail-sigma.so).
flags_of() {
  /usr/bin/python3 - "$cdb" "$1" "$2" <<'PY'
import json, os, shlex, sys
cdb, folder, output = sys.argv[1], '/' + sys.argv[2] + '/', sys.argv[3]
for e in json.load(open(cdb)):
    if folder in e['file'] and e['file'].endswith('.c') and output in e.get('output', ''):
        out = []
        for a in shlex.split(e['command']):
            if a.startswith('-I'):
                out.append('-I' + os.path.normpath(os.path.join(e['directory'], a[2:])))
            elif a.startswith(('-D', '-std=')):
                out.append(a)
        print('\n'.join(out))
        break
PY
}
mapfile -t lib_flags < <(flags_of lib kvstrail.so)
mapfile -t sigma_flags < <(flags_of sigma kvstrail-sigma.so)
[ ${#lib_flags[@]} -gt 0 ] || { echo "no lib/*.c entry in $cdb" >&2; exit 2; }
[ ${#sigma_flags[@]} -gt 0 ] || { echo "no sigma/*.c entry in $cdb" >&2; exit 2; }
files=("${lib_files[@]}" "${sigma_files[@]}")

status=0
echo "== clang-tidy ($tidy)"
for f in "${files[@]}"; do
  # One file per run: clang-tidy 14's analyzer reports valist false
  # positives when it is given several translation units at once.
  out=$("$tidy" --quiet -p "$build" "$f" 2>/dev/null | grep -E '(warning|error):' )
  if [ -n "$out" ]; then
    echo "$out"
    status=1
  fi
done

echo "== cppcheck"
cppcheck --enable=warning,performance,portability --error-exitcode=1 --inline-suppr \
  --suppress=missingIncludeSystem -q -D__GNUC__ "${lib_flags[@]/#-std=/--std=}" \
  "${lib_files[@]}" || status=1
cppcheck --enable=warning,performance,portability --error-exitcode=1 --inline-suppr \
  --suppress=missingIncludeSystem -q -D__GNUC__ "${sigma_flags[@]/#-std=/--std=}" \
  "${sigma_files[@]}" || status=1

echo "== gcc -fanalyzer"
for f in "${files[@]}"; do
  if [[ $f == sigma/* ]]; then flags=("${sigma_flags[@]}"); else flags=("${lib_flags[@]}"); fi
  out=$(gcc -fanalyzer -O2 -c -o /dev/null "${flags[@]}" "$f" 2>&1 | grep -E '(warning|error):')
  if [ -n "$out" ]; then
    echo "$out"
    status=1
  fi
done

if [ $status -eq 0 ]; then
  echo "static analysis: no findings in ${#files[@]} files"
else
  echo "static analysis: findings above"
fi
exit $status
