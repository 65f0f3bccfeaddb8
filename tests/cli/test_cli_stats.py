"""`kvstrail stats`: the summary, text and JSON, merged over files."""
import collections
import gzip
import json
import os
import subprocess

import pytest

from conftest import CLI, DATA, MENDED, PUBLISHED, SEED_ACTIONS, gz, kvs_access, run, write

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


# --- access kinds and media readers (issue 16) -------------------------------
# The expected counts are worked out here from the records themselves, with
# the access rules of docs/kvs-model.md written out again in Python
# (conftest.kvs_access), not read from the library's table.

DATA_EVENTS = DATA / "fixtures" / "kvs-data-events.json"
READERS_CAP = 4096     # CLI_STATS_READERS_CAP, documented in docs/cli.md
NAME_MAX = 1024        # CLI_STATS_NAME_MAX
NAMES_BYTES = 384 << 10  # CLI_STATS_READERS_BYTES: distinct names, a NUL each

def _stream(rec):
    """The stream key docs/cli.md names: the Stream resource's ARN, else the
    request's streamARN, else its streamName."""
    for res in rec.get("resources") or []:
        if res.get("type") == "AWS::KinesisVideo::Stream" and res.get("ARN"):
            return res["ARN"]
    req = rec.get("requestParameters") or {}
    for key in ("streamARN", "streamName"):
        if isinstance(req.get(key), str) and req[key]:
            return req[key]
    return "(no stream)"


def _principal(rec):
    who = rec.get("userIdentity") or {}
    return who.get("arn") or who.get("principalId") or "(no principal)"


def _expected(records):
    access = collections.Counter(kvs_access(r) for r in records)
    access.pop(None, None)
    readers = collections.defaultdict(collections.Counter)
    for r in records:
        if kvs_access(r) == "media-read":
            readers[_stream(r)][_principal(r)] += 1
    return dict(access), {s: dict(p) for s, p in readers.items()}


def _records(*paths):
    out = []
    for p in paths:
        data = gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()
        out += json.loads(data)["Records"]
    return out


def test_stats_access_and_media_readers_on_data_events():
    access, readers = _expected(_records(DATA_EVENTS))
    assert access.get("media-read", 0) >= 6 and len(readers) >= 2  # the fixture
    r, st = _stats([DATA_EVENTS])
    assert r.returncode == 0, r.stderr
    assert st["access"] == access
    assert st["mediaReaders"] == readers
    assert st["mediaReadersCap"] == READERS_CAP and st["mediaReadsDropped"] == 0
    assert st["mediaReadersBytesCap"] == NAMES_BYTES
    assert sum(n for p in st["mediaReaders"].values() for n in p.values()) \
        == st["access"]["media-read"]


def test_stats_mixed_trail_over_several_inputs_and_jobs(tmp_path):
    """Management records (the seed sample) and data events, plain and
    gzip, merged over files and -j workers."""
    packed = write(tmp_path / "data.json.gz", gz(DATA_EVENTS.read_bytes()))
    inputs = [MENDED, DATA_EVENTS, packed, MENDED]
    access, readers = _expected(_records(*inputs))
    assert "config-write" in access and "delete" in access  # the seed's calls
    for jobs in ("1", "2", "4"):
        r, st = _stats(["-j", jobs] + inputs)
        assert r.returncode == 0, r.stderr
        assert st["access"] == access, jobs
        assert st["mediaReaders"] == readers, jobs
        assert st["mediaReadsDropped"] == 0


def test_stats_access_counts_what_the_filters_let_through():
    records = _records(DATA_EVENTS)
    kept = [r for r in records if r.get("managementEvent") is False]
    assert 0 < len(kept) < len(records)
    access, readers = _expected(kept)
    r, st = _stats(["--event-kind", "data", DATA_EVENTS])
    assert r.returncode == 0, r.stderr
    assert st["records"] == len(kept)
    assert st["access"] == access and st["mediaReaders"] == readers
    # GetDataEndpoint (a management event) named its stream by name alone.
    assert set(_expected(records)[1]) - set(readers)


def test_stats_text_lists_access_and_media_readers(tmp_path):
    access, readers = _expected(_records(DATA_EVENTS))
    r = run(["stats", DATA_EVENTS])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    start = lines.index("access")
    head = next(i for i, line in enumerate(lines)
                if line.startswith("media readers "))
    assert str(READERS_CAP) in lines[head]
    got = dict(line.split() for line in lines[start + 1:head])
    assert {k: int(v) for k, v in got.items()} == access
    seen, stream = {}, None
    for line in lines[head + 1:]:
        if line.startswith("    "):
            principal, count = line.split()
            seen.setdefault(stream, {})[principal] = int(count)
        else:
            assert line.startswith("  ") and not line.startswith("   ")
            stream = line.strip()
    assert seen == readers
    assert "not listed" not in r.stdout.decode()


def _media_read_trail(n, principal=lambda i: "arn:aws:iam::111122223333:user/u%d" % i,
                      stream="arn:aws:kinesisvideo:us-east-1:111122223333:stream/s/1"):
    recs = []
    for i in range(n):
        recs.append({
            "eventVersion": "1.09", "eventTime": "2026-11-30T10:00:00Z",
            "eventSource": "kinesisvideo.amazonaws.com", "eventName": "GetMedia",
            "awsRegion": "us-east-1", "recipientAccountId": "111122223333",
            "userIdentity": {"type": "IAMUser", "principalId": "AIDA%d" % i,
                             "arn": principal(i)},
            "requestParameters": {"streamARN": stream},
            "resources": [{"type": "AWS::KinesisVideo::Stream", "ARN": stream}],
            "managementEvent": False, "eventCategory": "Data"})
    return json.dumps({"Records": recs}).encode()


def test_stats_media_readers_cap_at_one_under_and_one_over(tmp_path):
    for n, listed, dropped in ((READERS_CAP - 1, READERS_CAP - 1, 0),
                               (READERS_CAP, READERS_CAP, 0),
                               (READERS_CAP + 1, READERS_CAP, 1)):
        path = write(tmp_path / ("cap%d.json" % n), _media_read_trail(n))
        r, st = _stats([path])
        assert r.returncode == 0, r.stderr
        pairs = sum(len(p) for p in st["mediaReaders"].values())
        assert (pairs, st["mediaReadsDropped"]) == (listed, dropped), n
        assert st["access"] == {"media-read": n}
        if dropped:
            text = run(["stats", path]).stdout.decode()
            assert ("%d media-read calls not listed: past the cap of %d pairs"
                    % (dropped, READERS_CAP)) in text


def test_stats_media_readers_cap_holds_across_jobs(tmp_path):
    """Two files of CAP distinct pairs each: the merged table keeps CAP of
    them, whichever worker finished first, and counts the rest."""
    half = READERS_CAP
    a = write(tmp_path / "a.json", _media_read_trail(half))
    b = write(tmp_path / "b.json", _media_read_trail(
        half, principal=lambda i: "arn:aws:iam::111122223333:user/v%d" % i))
    r, st = _stats(["-j", "2", a, b])
    assert r.returncode == 0, r.stderr
    listed = sum(n for p in st["mediaReaders"].values() for n in p.values())
    assert listed == READERS_CAP and st["mediaReadsDropped"] == READERS_CAP
    # The same pairs twice merge into one entry each: nothing is dropped.
    r, st = _stats(["-j", "2", a, a])
    assert st["mediaReadsDropped"] == 0
    assert set(n for p in st["mediaReaders"].values() for n in p.values()) == {2}


def test_stats_media_reader_names_at_the_byte_limit(tmp_path):
    base = "arn:aws:iam::111122223333:user/"
    for extra, dropped in ((-1, 0), (0, 0), (1, 1)):
        name = base + "x" * (NAME_MAX + extra - len(base))
        path = write(tmp_path / ("n%d.json" % extra),
                     _media_read_trail(1, principal=lambda i: name))
        r, st = _stats([path])
        assert r.returncode == 0, r.stderr
        assert st["mediaReadsDropped"] == dropped, extra
        assert bool(st["mediaReaders"]) == (not dropped)
        if not dropped:
            assert list(st["mediaReaders"].values()) == [{name: 1}]


def test_stats_media_readers_without_arn_use_principal_id(tmp_path):
    recs = json.loads(_media_read_trail(2))
    del recs["Records"][0]["userIdentity"]["arn"]
    del recs["Records"][1]["userIdentity"]
    del recs["Records"][1]["resources"]
    del recs["Records"][1]["requestParameters"]["streamARN"]
    path = write(tmp_path / "noarn.json", json.dumps(recs).encode())
    access, readers = _expected(recs["Records"])
    assert readers == {recs["Records"][0]["resources"][0]["ARN"]: {"AIDA0": 1},
                       "(no stream)": {"(no principal)": 1}}
    r, st = _stats([path])
    assert st["mediaReaders"] == readers


def test_stats_media_readers_byte_cap_at_one_under_and_one_over(tmp_path):
    """One stream and principals of 511 bytes: each distinct name is kept
    once with a NUL, so the stream's name and (CAP - it) // 512 principals
    fill the 384 KiB; one more is dropped."""
    stream = "arn:aws:kinesisvideo:us-east-1:111122223333:stream/s/1"
    base = "arn:aws:iam::111122223333:user/"

    def principal(i):
        head = base + "p%05d-" % i
        return head + "x" * (511 - len(head))

    assert len(principal(0)) + 1 == 512
    fit = (NAMES_BYTES - len(stream) - 1) // 512
    assert fit < READERS_CAP
    for n, dropped in ((fit - 1, 0), (fit, 0), (fit + 1, 1)):
        path = write(tmp_path / ("b%d.json" % n),
                     _media_read_trail(n, principal=principal, stream=stream))
        r, st = _stats([path])
        assert r.returncode == 0, r.stderr
        assert st["mediaReadsDropped"] == dropped, n
        assert len(st["mediaReaders"][stream]) == n - dropped


def test_stats_media_readers_names_kept_once(tmp_path):
    """Names shared by many pairs count once against the bytes cap: 64
    streams by 64 principals of about 1 KiB each is 4096 pairs, 4 MiB of
    names written out pair by pair but 128 KiB kept, and none is dropped."""
    base = "arn:aws:iam::111122223333:user/"
    n = 64
    streams = ["arn:aws:kinesisvideo:us-east-1:111122223333:stream/s%02d/1" % k
               for k in range(n)]
    principals = [base + "u%02d-" % k + "y" * (NAME_MAX - len(base) - 4)
                  for k in range(n)]
    assert all(len(p) == NAME_MAX for p in principals)
    recs = json.loads(_media_read_trail(1))["Records"][0]
    out = []
    for k in range(n * n):
        rec = json.loads(json.dumps(recs))
        s, p = streams[k // n], principals[k % n]
        rec["userIdentity"]["arn"] = p
        rec["requestParameters"]["streamARN"] = s
        rec["resources"][0]["ARN"] = s
        out.append(rec)
    path = write(tmp_path / "shared.json", json.dumps({"Records": out}).encode())
    r, st = _stats([path])
    assert r.returncode == 0, r.stderr
    assert st["mediaReadsDropped"] == 0
    assert st["mediaReaders"] == {s: {p: 1 for p in principals} for s in streams}
    # the text form lists each stream once, its principals under it
    text = run(["stats", path]).stdout.decode()
    assert sum(1 for line in text.splitlines() if line.startswith("  arn:aws:kinesisvideo")) == n


def _peak_rss_kib(args, tmp_path):
    """Run the CLI under /usr/bin/time and give its exit status and peak
    RSS in KiB (a child's own: one forked from this Python process would
    start with the interpreter's)."""
    out = tmp_path / "rss.txt"
    r = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(out), CLI] + args,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode, int(out.read_text().split()[-1])


@pytest.mark.skipif(os.environ.get("KVSTRAIL_SANITIZE", "none") != "none",
                    reason="shadow memory decides RSS under sanitizers")
@pytest.mark.skipif(not os.path.exists("/usr/bin/time"),
                    reason="/usr/bin/time (Debian package time, .ci/setup) not installed")
def test_stats_memory_with_jobs_is_one_table(tmp_path):
    """The media readers table is bounded once, whatever -j is: two gzip
    files that each fill its bytes cap (1 KiB names, all distinct) cost -j 2
    no more than one more parser over -j 1 (a table each, as before: 900 to
    1,200 KiB more, docs/performance.md)."""
    def longest(name, pad):
        return name + pad * (NAME_MAX - len(name))
    paths = []
    for k in (1, 2):
        body = _media_read_trail(
            2048, principal=lambda i: longest("arn:aws:iam::111122223333:user/%d-" % (k * 10000 + i), "y"))
        recs = json.loads(body)
        for i, rec in enumerate(recs["Records"]):
            s = longest("arn:aws:kinesisvideo:us-east-1:111122223333:stream/%d/" % (k * 10000 + i), "z")
            rec["requestParameters"]["streamARN"] = s
            rec["resources"][0]["ARN"] = s
        p = tmp_path / ("worst%d.json.gz" % k)
        p.write_bytes(gzip.compress(json.dumps(recs).encode()))
        paths.append(str(p))
    # Each three times, alternating, and the least of each compared: how
    # the threads are scheduled only ever adds to a run's peak (queues
    # that fill while a consumer waits for a CPU), by up to 400 KiB on a
    # loaded machine, while a second table adds 900 KiB or more.
    ones, twos = [], []
    for _ in range(3):
        rc1, one = _peak_rss_kib(["stats", "-j", "1"] + paths, tmp_path)
        rc2, two = _peak_rss_kib(["stats", "-j", "2"] + paths, tmp_path)
        assert (rc1, rc2) == (0, 0)
        ones.append(one)
        twos.append(two)
    one, two = min(ones), min(twos)
    # a second parser and its inflate thread and queue, not a second table
    print("peak RSS -j 1 %s KiB, -j 2 %s KiB" % (ones, twos))
    assert two - one <= 800, (ones, twos)
    # and within the 4 MiB of any input (issue 15): with -j 2 on two CPUs
    # no parser has an inflate thread, queue and second state
    # (test_cli_parallel: test_jobs_that_fill_the_cpus_inflate_on_their_own_thread)
    if len(os.sched_getaffinity(0)) <= 2:
        assert two <= 4096, (ones, twos)
