#!/usr/bin/env bash
# Static analysis of the library (lib/*.c): clang-tidy with the checked-in
# .clang-tidy, cppcheck, and gcc -fanalyzer, each with the flags a meson
# build compiles lib/*.c with (its compile_commands.json). Exits 1 on any
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
files=(lib/*.c)

# -I/-D/-std flags of the library's compile commands (the same for every
# file of lib/), made absolute, for cppcheck and gcc.
mapfile -t flags < <(/usr/bin/python3 - "$cdb" <<'PY'
import json, os, shlex, sys
for e in json.load(open(sys.argv[1])):
    if '/lib/' in e['file'] and e['file'].endswith('.c') and 'kvstrail.so' in e.get('output', ''):
        out = []
        for a in shlex.split(e['command']):
            if a.startswith('-I'):
                out.append('-I' + os.path.normpath(os.path.join(e['directory'], a[2:])))
            elif a.startswith(('-D', '-std=')):
                out.append(a)
        print('\n'.join(out))
        break
PY
)
[ ${#flags[@]} -gt 0 ] || { echo "no lib/*.c entry in $cdb" >&2; exit 2; }

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
  --suppress=missingIncludeSystem -q -D__GNUC__ "${flags[@]/#-std=/--std=}" "${files[@]}" || status=1

echo "== gcc -fanalyzer"
for f in "${files[@]}"; do
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
