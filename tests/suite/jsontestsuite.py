#!/usr/bin/python3
"""JSONTestSuite (test_parsing) through the library.

    jsontestsuite.py SUITE_DRIVER TEST_PARSING_DIR

Each file is fed whole and then one byte at a time (the answer must not
depend on the split). Expected:
  n_*  rejected: KVST_E_SYNTAX, KVST_E_ENCODING or KVST_E_LIMIT
  y_*  valid JSON, so never KVST_E_SYNTAX or KVST_E_ENCODING (valid JSON
       that is not CloudTrail is KVST_E_NOT_CLOUDTRAIL)
  i_*  implementation-defined: any answer, but no crash
Every file must be answered without a crash (driver exit status 0).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suite_common import run_driver, parallel_map, finish  # noqa: E402

REJECTED = {"KVST_E_SYNTAX", "KVST_E_ENCODING", "KVST_E_LIMIT"}
NOT_FOR_VALID = {"KVST_E_SYNTAX", "KVST_E_ENCODING"}


def check(driver, path):
    """Return None when the file passes, else why it fails."""
    name = os.path.basename(path)
    whole = run_driver(driver, path)
    if whole.problem:
        return "%s: %s (fed whole)" % (name, whole.problem)
    bytewise = run_driver(driver, path, chunk=1)
    if bytewise.problem:
        return "%s: %s (fed 1 byte at a time)" % (name, bytewise.problem)
    if (bytewise.status, bytewise.events) != (whole.status, whole.events):
        return "%s: %s %d fed whole but %s %d fed 1 byte at a time" % (
            name, whole.status, whole.events, bytewise.status, bytewise.events)
    if name.startswith("n_") and whole.status not in REJECTED:
        return "%s: invalid JSON answered %s" % (name, whole.status)
    if name.startswith("y_") and whole.status in NOT_FOR_VALID:
        return "%s: valid JSON answered %s" % (name, whole.status)
    return None


def main(argv):
    driver, folder = argv[1], argv[2]
    if not os.path.isdir(folder):
        print("SKIP: no JSONTestSuite at %s (../shared missing?)" % folder)
        return 77
    paths = sorted(os.path.join(folder, f) for f in os.listdir(folder)
                   if f.endswith(".json") and f[:2] in ("n_", "y_", "i_"))
    failures = parallel_map(lambda path: check(driver, path), paths)
    return finish("JSONTestSuite files", len(paths), failures)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
