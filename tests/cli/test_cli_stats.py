"""`kvstrail stats`: the summary, text and JSON, merged over files."""
import collections
import json

from conftest import MENDED, PUBLISHED, SEED_ACTIONS, gz, run, write

KEYS = ["files", "inputErrors", "records", "kvsRecords", "otherRecords",
        "brokenRecords", "bytesIn", "bytesJson", "elapsedSeconds",
        "mbPerSecond", "recordsPerSecond", "actions", "principals",
        "credentials", "findings", "severities"]


def _stats(args, **kw):
    r = run(["stats", "--format", "jsonl"] + args, **kw)
    lines = r.stdout.decode().splitlines()
    assert len(lines) == 1
    return r, json.loads(lines[0])


def test_stats_counts_on_the_seed(seed_events):
    r, st = _stats([MENDED])
    assert r.returncode == 0
    assert r.stderr == b""
    for key in KEYS:
        assert key in st, key
    assert st["files"] == 1 and st["inputErrors"] == 0
    assert st["records"] == 5 and st["kvsRecords"] == 5
    assert st["otherRecords"] == 0 and st["brokenRecords"] == 0
    size = MENDED.stat().st_size
    assert st["bytesIn"] == size and st["bytesJson"] == size
    assert st["actions"] == {a: 1 for a in SEED_ACTIONS}
    assert st["principals"] == {"IAMUser": 5}
    assert st["credentials"] == {"unknown": 5}
    by_code = collections.Counter(f["name"] for ev in seed_events
                                  for f in ev["findings"])
    assert st["findings"] == dict(by_code)
    by_sev = collections.Counter(f["severity"] for ev in seed_events
                                 for f in ev["findings"])
    assert st["severities"] == dict(by_sev)


def test_stats_merges_files_and_jobs(tmp_path):
    packed = write(tmp_path / "seed.json.gz", gz(MENDED.read_bytes()))
    for jobs in ("1", "2"):
        r, st = _stats(["-j", jobs, MENDED, packed, MENDED])
        assert r.returncode == 0
        assert st["files"] == 3
        assert st["records"] == 15
        assert st["actions"] == {a: 3 for a in SEED_ACTIONS}
        size = MENDED.stat().st_size
        assert st["bytesJson"] == 3 * size
        assert st["bytesIn"] == 2 * size + packed.stat().st_size


def test_stats_with_broken_input():
    r, st = _stats([PUBLISHED])
    assert r.returncode == 2
    assert st["inputErrors"] == 1
    assert r.stderr.decode().endswith("[KVST_E_SYNTAX]\n")


def test_stats_counts_broken_records_in_recovery_mode():
    r, st = _stats(["--recover", PUBLISHED])
    assert r.returncode == 2
    assert st["records"] == 2 and st["brokenRecords"] == 3


def test_stats_text():
    r = run(["stats", MENDED])
    assert r.returncode == 0
    text = r.stdout.decode()
    rows = dict(line.split(None, 1) for line in text.splitlines()
                if line.startswith("  "))
    for action in SEED_ACTIONS:
        assert rows[action] == "1"
    assert rows["IAMUser"] == "5"
    for label in ("files", "records", "kvs records", "bytes read",
                  "bytes json", "elapsed", "throughput", "rate"):
        assert any(line.startswith(label + " ") for line in text.splitlines()), label
    assert "MB/s" in text and "records/s" in text
