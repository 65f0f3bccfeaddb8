"""The public CloudTrail corpus of the shared folder (KVSTRAIL_SHARED):
every file is either read whole or refused with one well-formed error
line, and -j 2 prints exactly what -j 1 prints."""
import os
import pathlib
import re

import pytest

from conftest import jsonl, run

SHARED = os.environ.get("KVSTRAIL_SHARED")
CORPUS = pathlib.Path(SHARED) / "corpus" / "cloudtrail" if SHARED else None
ERROR_LINE = re.compile(r".+?(:\d+:\d+)?: error: .+ \[KVST_E_[A-Z_]+\]")


@pytest.fixture(scope="module")
def corpus_files():
    if CORPUS is None or not CORPUS.is_dir():
        pytest.skip("KVSTRAIL_SHARED does not hold corpus/cloudtrail")
    files = sorted(str(p) for p in CORPUS.rglob("*")
                   if p.is_file() and (p.suffix == ".json" or p.name.endswith(".gz")))
    assert len(files) > 100
    return files


def test_corpus_events_and_errors(corpus_files):
    ref = run(["events", "--format", "jsonl", "-j", "1"] + corpus_files,
              timeout=300)
    assert ref.returncode in (0, 2)
    events = jsonl(ref.stdout)
    assert len(events) > 100
    assert any(e["action"] is not None for e in events)
    listed = set(corpus_files)
    assert {e["file"] for e in events} <= listed
    for line in ref.stderr.decode().splitlines():
        assert ERROR_LINE.fullmatch(line), line
        assert line.split(":", 1)[0] in listed
    par = run(["events", "--format", "jsonl", "-j", "2"] + corpus_files,
              timeout=300)
    assert (par.returncode, par.stdout, par.stderr) == \
        (ref.returncode, ref.stdout, ref.stderr)


def test_corpus_stats_agree_with_events(corpus_files):
    import json
    ev = jsonl(run(["events", "--format", "jsonl", "--kvs-only"] + corpus_files,
                   timeout=300).stdout)
    r = run(["stats", "--format", "jsonl", "--kvs-only", "-j", "2"] + corpus_files,
            timeout=300)
    st = json.loads(r.stdout)
    assert st["files"] == len(corpus_files)
    assert st["records"] == st["kvsRecords"] == len(ev)
    counts = {}
    for e in ev:
        counts[e["action"]] = counts.get(e["action"], 0) + 1
    assert st["actions"] == counts
