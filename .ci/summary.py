#!/usr/bin/python3
"""Count test cases over meson testlog.json files (one JSON object per line).

    summary.py LABEL=BUILDDIR/meson-logs/testlog.json ... [--check LABEL=OK|FAIL ...]

Prints one line per run with its failing tests named, then, as the very
last line, "N passed, N failed" summed over all runs and checks (a check
is one case run outside meson test; a meson test that runs pytest counts
as the cases pytest reports). A run whose log is missing (the
build broke before any test ran) counts as one failure.
Exit status: 0 when nothing failed, 1 otherwise.
"""
import argparse
import json
import re
import sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}
# Everything else (FAIL, ERROR, TIMEOUT, UNEXPECTEDPASS, INTERRUPT) fails.


# pytest's closing line, e.g. "86 passed, 2 skipped in 3.1s"
PYTEST_LINE = re.compile(r"^=*\s*(?:\d+ (?:passed|failed|skipped|errors?|xfailed|xpassed|"
                         r"deselected|warnings?)(?:, )?)+ in [\d.]+s")


def pytest_counts(stdout):
    """(passed, failed, skipped) from a pytest run's closing line, or None."""
    for line in reversed((stdout or "").splitlines()):
        if PYTEST_LINE.match(line.strip()):
            n = dict((k, 0) for k in ("passed", "failed", "skipped", "error", "errors"))
            for num, word in re.findall(r"(\d+) (passed|failed|skipped|errors?)", line):
                n[word] += int(num)
            return n["passed"], n["failed"] + n["error"] + n["errors"], n["skipped"]
    return None


def count(path):
    """A meson test that runs pytest counts as its pytest cases; any other
    meson test as one case."""
    passed, failed, skipped = 0, [], 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            result = rec.get("result", "")
            name = rec.get("name", "?")
            cases = pytest_counts(rec.get("stdout"))
            if cases and result in PASSED | {"FAIL"}:
                p, fl, sk = cases
                passed += p
                skipped += sk
                failed.extend("%s (pytest case)" % name for _ in range(fl))
                if result == "FAIL" and fl == 0:
                    failed.append("%s (%s)" % (name, result))
                continue
            if result in PASSED:
                passed += 1
            elif result in SKIPPED:
                skipped += 1
            else:
                failed.append("%s (%s)" % (name, result))
    return passed, failed, skipped


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="*", metavar="LABEL=TESTLOG")
    ap.add_argument("--check", action="append", default=[],
                    metavar="LABEL=OK|FAIL")
    args = ap.parse_intermixed_args(argv)
    total_passed = total_failed = 0
    for check in args.check:
        label, _, result = check.partition("=")
        ok = result in PASSED
        total_passed += ok
        total_failed += not ok
        print("%s: %s" % (label, "passed" if ok else "FAILED"))
    for arg in args.runs:
        label, _, path = arg.partition("=")
        try:
            passed, failed, skipped = count(path)
        except (OSError, ValueError) as e:
            passed, failed, skipped = 0, ["no test log: %s" % e], 0
        total_passed += passed
        total_failed += len(failed)
        line = "%s: %d passed, %d failed, %d skipped" % (
            label, passed, len(failed), skipped)
        print(line + (": " + ", ".join(failed) if failed else ""))
    print("%d passed, %d failed" % (total_passed, total_failed))
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
