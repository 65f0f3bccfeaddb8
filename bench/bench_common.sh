# The preamble the figure scripts share (sourced, not run): options,
# paths and the 100k-record workload. A script sets bench_name and, for
# options of its own (each taking one value), a bench_option function
# that returns 0 when it took "$1 $2"; then it calls
#   bench_init "$0" HELP_LAST_LINE "$@"
# which sets src, records, reps, build, work, python and cli, makes the
# work folder, and bench_workload NAME [gen_trail.py options] echoes the
# path of a workload file in it, generated once (--seed 1).
#
# Common options: --records N (default 100000), --reps N (default 5),
# --build DIR (default: build beside bench/), --work DIR (default:
# DIR/bench-work). Environment: PYTHON (default /usr/bin/python3), KVST_CLI
# (the kvstrail binary, default DIR/tools/kvstrail).

bench_init() {
  local self=$1 help_last=$2
  shift 2
  src=$(cd "$(dirname "$self")/.." && pwd)
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
      -h|--help) sed -n "2,${help_last}p" "$self"; exit 0 ;;
      *)
        if [ $# -ge 2 ] && declare -F bench_option >/dev/null &&
           bench_option "$1" "$2"; then
          shift
        else
          echo "$bench_name: unknown argument $1" >&2; exit 2
        fi ;;
    esac
    shift
  done
  python=${PYTHON:-/usr/bin/python3}
  cli=${KVST_CLI:-"$build/tools/kvstrail"}
  work=${work:-"$build/bench-work"}
  mkdir -p "$work"
  [ -x "$cli" ] || { echo "$bench_name: no kvstrail at $cli (build $build first)" >&2; exit 2; }
}

# bench_workload FILE-NAME [gen_trail.py options]: its path, made once.
# Without options the file is the shared generator's, byte for byte.
bench_workload() {
  local name=$1 path
  shift
  path="$work/$name"
  [ -s "$path" ] ||
    "$python" "$src/bench/gen_trail.py" --records "$records" --seed 1 "$@" \
      --out "$path" >&2
  echo "$path"
}
