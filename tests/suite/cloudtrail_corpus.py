#!/usr/bin/python3
"""The public CloudTrail corpus through the library.

    cloudtrail_corpus.py SUITE_DRIVER CORPUS_DIR

Every file (plain or .gz, parseable or not) must be answered without a
crash. For every file Python's json module parses as a log, the library
must deliver exactly as many events as Python finds:
  {"Records": [...]}                         -> len(Records)
  a list whose elements all look like events -> len(list)
  one object that looks like an event        -> 1
where "looks like an event" means it has at least one of the keys below.
Other shapes (digest files, CloudWatch Logs or test-fixture wrappers) are
only checked for crashes.
"""
import gzip
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suite_common import run_driver, parallel_map, finish  # noqa: E402

EVENT_KEYS = ("eventVersion", "eventName", "eventSource", "eventID",
              "eventTime")


def looks_like_event(value):
    return isinstance(value, dict) and any(k in value for k in EVENT_KEYS)


def expected_events(path):
    """Event count Python finds, or None when the file is not a log."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        doc = json.loads(data.decode("utf-8"))
    except (OSError, EOFError, UnicodeDecodeError, ValueError):
        return None
    if isinstance(doc, dict) and isinstance(doc.get("Records"), list):
        return len(doc["Records"])
    if isinstance(doc, list) and all(looks_like_event(e) for e in doc):
        return len(doc)
    if looks_like_event(doc):
        return 1
    return None


def check(driver, root, path, want):
    name = os.path.relpath(path, root)
    answer = run_driver(driver, path)
    if answer.problem:
        return "%s: %s" % (name, answer.problem)
    if want is not None and answer.events != want:
        return "%s: %d events (%s), Python's json finds %d" % (
            name, answer.events, answer.status, want)
    return None


def main(argv):
    driver, root = argv[1], argv[2]
    if not os.path.isdir(root):
        print("SKIP: no CloudTrail corpus at %s (../shared missing?)" % root)
        return 77
    paths = sorted(os.path.join(d, f) for d, _, files in os.walk(root)
                   for f in files)
    want = {p: expected_events(p) for p in paths}
    print("%d files, %d of them logs Python's json can count" %
          (len(paths), sum(1 for w in want.values() if w is not None)))
    failures = parallel_map(lambda p: check(driver, root, p, want[p]), paths)
    return finish("corpus files", len(paths), failures)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
