"""Investigations on disk (issue 17 items 2, 3, 4, 7): a directory tree in
CloudTrail's S3 layout pruned as docs/cli.md documents, --dedup with its
cap, --format csv and --columns read back with Python's csv module, and
the figures and recovery messages that say what they count."""
import csv
import datetime
import gzip
import io
import json
import re

import pytest

from conftest import DATA, jsonl, run

FIXTURE = DATA / "fixtures" / "gen-trail-40.json"
ORG = "o-a1b2c3d4e5"
ACCOUNTS = ["111111111111", "222222222222", "333333333333"]
REGIONS = ["eu-west-1", "us-east-1"]
DAYS = [datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc),
        datetime.datetime(2024, 3, 2, tzinfo=datetime.timezone.utc)]
HOURS = [3, 9]             # file times: HH:10Z of each day
DELAY = datetime.timedelta(minutes=7)   # an event is in the file 7 minutes on
MARGIN = 60 * 60           # --prune-margin default, seconds


def records():
    with open(FIXTURE, encoding="utf-8") as f:
        return json.load(f)["Records"]


def stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """AWSLogs/ of an organisation trail (accounts 1 and 2 under o-...) and
    of a plain trail (account 3): each account, region, day and hour has
    one gzip log file of 2 records, plus a digest per folder and one log
    file whose name carries no time (its day counts)."""
    root = tmp_path_factory.mktemp("bucket")
    recs = records()
    files, n = {}, 0
    for a, account in enumerate(ACCOUNTS):
        base = root / "AWSLogs" / (ORG if a < 2 else "") / account
        for region in REGIONS:
            for day in DAYS:
                folder = base / "CloudTrail" / region / day.strftime("%Y/%m/%d")
                folder.mkdir(parents=True, exist_ok=True)
                for hour in HOURS:
                    t = day.replace(hour=hour, minute=10)
                    name = (f"{account}_CloudTrail_{region}_"
                            f"{t.strftime('%Y%m%dT%H%MZ')}_U{n:04d}.json.gz")
                    batch = []
                    for k in range(2):
                        r = dict(recs[(n + k) % len(recs)])
                        r["recipientAccountId"] = account
                        r["awsRegion"] = region
                        r["eventTime"] = stamp(t - DELAY - datetime.timedelta(minutes=k))
                        r["eventID"] = f"00000000-0000-4000-8000-{n + k:012d}"
                        batch.append(r)
                    n += 2
                    path = folder / name
                    path.write_bytes(gzip.compress(json.dumps({"Records": batch}).encode()))
                    files[str(path)] = (account, region, t, batch)
                digest = (base / "CloudTrail-Digest" / region / day.strftime("%Y/%m/%d") /
                          f"{account}_CloudTrail-Digest_{region}_trail_{region}_"
                          f"{day.strftime('%Y%m%d')}T110000Z.json.gz")
                digest.parent.mkdir(parents=True, exist_ok=True)
                digest.write_bytes(gzip.compress(b'{"awsAccountId":"%s"}' % account.encode()))
    # A log file without a time in its name: its folder's whole day counts.
    folder = root / "AWSLogs" / ACCOUNTS[2] / "CloudTrail" / REGIONS[0] / "2024/03/03"
    folder.mkdir(parents=True)
    r = dict(recs[0], recipientAccountId=ACCOUNTS[2], awsRegion=REGIONS[0],
             eventTime="2024-03-03T12:00:00Z", eventID="00000000-0000-4000-8000-999999999999")
    day_file = folder / "exported.json"
    day_file.write_text(json.dumps({"Records": [r]}))
    files[str(day_file)] = (ACCOUNTS[2], REGIONS[0], None, [r])
    return root, files


def kept(files, since=None, until=None, account=None, region=None, margin=MARGIN):
    """The documented pruning, written again: the files a run opens."""
    out = []
    for path, (acc, reg, t, _) in files.items():
        if account and acc != account or region and reg != region:
            continue
        if t is None:
            lo = datetime.datetime(2024, 3, 3, tzinfo=datetime.timezone.utc)
            hi = lo + datetime.timedelta(seconds=86399)
        else:
            lo = hi = t
        m = datetime.timedelta(seconds=margin)
        if since and hi + m + datetime.timedelta(milliseconds=999) < since:
            continue
        if until and lo - m > until:
            continue
        out.append(path)
    return out


def stats(args):
    r = run(["stats", "--format", "jsonl"] + args)
    assert r.returncode == 0, r.stderr.decode()
    return json.loads(r.stdout)


def test_walk_reads_every_log_in_byte_order(tree):
    root, files = tree
    st = stats([root])
    assert (st["filesRead"], st["filesPruned"], st["digestsSkipped"]) == \
        (len(files), 0, len(ACCOUNTS) * len(REGIONS) * len(DAYS))
    ev = jsonl(run(["events", "--format", "jsonl", root]).stdout)
    order = []
    for e in ev:
        if not order or order[-1] != e["file"]:
            order.append(e["file"])
    assert order == sorted(files, key=lambda p: p.encode())
    assert len(ev) == sum(len(b) for *_, b in files.values())
    assert any(f"/{ORG}/" in p for p in order) and \
        any(f"AWSLogs/{ACCOUNTS[2]}/" in p for p in order)


@pytest.mark.parametrize("opt,value", [("--account", ACCOUNTS[1]),
                                       ("--account", ACCOUNTS[2]),
                                       ("--region", REGIONS[1])])
def test_account_and_region_prune_by_key(tree, opt, value):
    root, files = tree
    want = kept(files, **{opt[2:]: value})
    st = stats([opt, value, root])
    assert (st["filesRead"], st["filesPruned"]) == (len(want), len(files) - len(want))
    ev = jsonl(run(["events", "--format", "jsonl", opt, value, root]).stdout)
    key = "recipientAccountId" if opt == "--account" else "awsRegion"
    assert {e[key] for e in ev} == {value}
    assert len(ev) == sum(len(files[p][3]) for p in want)


def edge_cases():
    """--since/--until at the margin's edge of one file's time, one minute
    inside and one outside (the file times are hours apart, so only that
    file moves)."""
    t = DAYS[1].replace(hour=HOURS[0], minute=10)
    m = datetime.timedelta(seconds=MARGIN)
    one = datetime.timedelta(minutes=1)
    return [("since", t + m, 1), ("since", t + m - one, 1), ("since", t + m + one, 0),
            ("until", t - m, 1), ("until", t - m + one, 1), ("until", t - m - one, 0)]


@pytest.mark.parametrize("which,when,edge_file_read", edge_cases())
def test_time_prunes_with_the_margin(tree, which, when, edge_file_read):
    root, files = tree
    want = kept(files, **{which: when})
    st = stats([f"--{which}", stamp(when), root])
    assert (st["filesRead"], st["filesPruned"]) == (len(want), len(files) - len(want))
    t = DAYS[1].replace(hour=HOURS[0], minute=10)
    edge = [p for p, (_, _, ft, _) in files.items() if ft == t]
    assert all((p in want) == bool(edge_file_read) for p in edge) and edge
    # The filters still apply to every record read.
    ev = jsonl(run(["events", "--format", "jsonl", f"--{which}", stamp(when), root]).stdout)
    for e in ev:
        assert (parse(e["eventTime"]) >= when) if which == "since" else \
            (parse(e["eventTime"]) <= when)


def test_a_day_folder_without_file_time_counts_its_whole_day(tree):
    root, files = tree
    # The day is 2024-03-03: its end plus 60 minutes is 00:59:59.999 next day.
    inside = stats(["--since", "2024-03-04T00:59:59Z", root])
    outside = stats(["--since", "2024-03-04T01:00:00Z", root])
    assert inside["filesRead"] == 1 and outside["filesRead"] == 0
    assert stats(["--prune-margin", "0", "--since", "2024-03-03T23:59:59Z", root])["filesRead"] == 1
    assert stats(["--prune-margin", "0", "--since", "2024-03-04T00:00:00Z", root])["filesRead"] == 0


def test_prune_margin_changes_the_edge(tree):
    root, files = tree
    t = DAYS[1].replace(hour=HOURS[1], minute=10)
    for minutes, when, read in [(0, t, True), (0, t + datetime.timedelta(minutes=1), False),
                                (1440, t + datetime.timedelta(days=1), True)]:
        want = kept(files, since=when, margin=minutes * 60)
        st = stats(["--prune-margin", str(minutes), "--since", stamp(when), root])
        assert st["filesRead"] == len(want)
        assert any(files[p][2] == t for p in want) == read


def test_jobs_walk_gives_the_same_records(tree):
    root, _ = tree
    args = ["events", "--format", "jsonl", "--region", REGIONS[0], "--since",
            "2024-03-01T05:00:00Z", root]
    one, two = run(args + ["-j", "1"]), run(args + ["-j", "2"])
    assert one.returncode == 0 and one.stdout and (two.stdout, two.stderr) == \
        (one.stdout, one.stderr)


# ---- --dedup -----------------------------------------------------------

def log_of(ids, tmp_path, name):
    recs = records()
    batch = []
    for i, eid in enumerate(ids):
        r = dict(recs[i % len(recs)])
        if eid is None:
            r.pop("eventID", None)
        else:
            r["eventID"] = eid
        batch.append(r)
    path = tmp_path / name
    path.write_text(json.dumps({"Records": batch}))
    return path


def ids_of(args):
    r = run(["events", "--format", "jsonl", "--dedup"] + args)
    assert r.returncode == 0, r.stderr.decode()
    return [e["eventID"] for e in jsonl(r.stdout)]


def test_dedup_within_and_across_files(tmp_path):
    a = log_of(["a", "b", "a", None, "c", None, "a"], tmp_path, "1.json")
    b = log_of(["c", "d", "b", "d"], tmp_path, "2.json")
    assert ids_of([a]) == ["a", "b", None, "c", None]
    assert ids_of([a, b]) == ["a", "b", None, "c", None, "d"]
    assert ids_of([b, a]) == ["c", "d", "b", "a", None, None]
    st = stats(["--dedup", a, b])
    assert (st["records"], st["duplicateRecords"], st["dedupResets"]) == (6, 5, 0)
    for jobs in ("1", "2"):
        assert ids_of(["-j", jobs, a, b]) == ["a", "b", None, "c", None, "d"]
    assert [e["eventID"] for e in
            jsonl(run(["events", "--format", "jsonl", a, b]).stdout)].count("a") == 3


def test_dedup_cap_and_its_reset(tmp_path):
    f = log_of(["a", "b", "c", "a", "d", "a", "d", "b"], tmp_path, "cap.json")
    # Cap 3: a b c fill it; a is a repeat; d finds it full, empties it and
    # stays; a (seen before the reset) is kept again; d is a repeat; b too
    # is new again, and fits (d, a, b).
    assert ids_of(["--dedup-cap", "3", f]) == ["a", "b", "c", "d", "a", "b"]
    st = stats(["--dedup", "--dedup-cap", "3", f])
    assert (st["duplicateRecords"], st["dedupResets"]) == (2, 1)
    # One more ID of room and nothing is forgotten: no reset.
    assert ids_of(["--dedup-cap", "4", f]) == ["a", "b", "c", "d"]
    assert stats(["--dedup", "--dedup-cap", "4", f])["dedupResets"] == 0
    # Cap 1: every new ID empties the table.
    st = stats(["--dedup", "--dedup-cap", "1", f])
    assert (st["duplicateRecords"], st["dedupResets"]) == (0, 7)


@pytest.mark.parametrize("args,ok", [
    (["--dedup", "--dedup-cap", "1"], True),
    (["--dedup", "--dedup-cap", "67108864"], True),
    (["--dedup", "--dedup-cap", "0"], False),
    (["--dedup", "--dedup-cap", "67108865"], False),
    (["--dedup", "--dedup-cap", "3x"], False),
    (["--dedup-cap", "3"], False),             # without --dedup
])
def test_dedup_cap_values(args, ok):
    r = run(["stats"] + args + [str(FIXTURE)])
    assert r.returncode == (0 if ok else 64), r.stderr.decode()
    if not ok:
        assert b"--dedup-cap" in r.stderr


# ---- CSV and --columns ---------------------------------------------------

TRICKY = ['plain', 'a,comma', 'a "quote"', 'line\nfeed', 'carriage\rreturn',
          'crlf\r\nend', '', 'ünïcødé ✓', ' lead and trail ']


@pytest.fixture
def tricky_log(tmp_path):
    recs = records()[:len(TRICKY)]
    for r, text in zip(recs, TRICKY):
        r["userAgent"] = text
        r["errorMessage"] = text
    recs[1]["errorMessage"] = None
    recs[2].pop("sourceIPAddress", None)
    path = tmp_path / "tricky.json"
    path.write_text(json.dumps({"Records": recs}))
    return path


def contract_value(ev, dotted):
    v = ev
    for part in dotted.split("."):
        if isinstance(v, dict):
            v = v.get(part)
        elif isinstance(v, list) and part.isdigit() and int(part) < len(v):
            v = v[int(part)]
        else:
            v = None
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


COLUMNS = ("eventTime,eventName,userAgent,errorMessage,sourceIPAddress,identity.arn,"
           "identity.principal,request.streamName,readOnly,record,findings.0.name,"
           "identity,findings.5.severity")


def test_csv_is_rfc4180_and_says_what_jsonl_says(tricky_log):
    r = run(["events", "--format", "csv", "--columns", COLUMNS, tricky_log])
    j = run(["events", "--format", "jsonl", tricky_log])
    assert r.returncode == j.returncode == 0
    raw = r.stdout.decode("utf-8")
    rows = list(csv.reader(io.StringIO(raw, newline=""), strict=True))
    assert rows[0] == COLUMNS.split(",")
    events = jsonl(j.stdout)
    assert len(rows) == len(events) + 1
    for row, ev in zip(rows[1:], events):
        assert row == [contract_value(ev, c) for c in COLUMNS.split(",")]
    assert {row[2] for row in rows[1:]} == set(TRICKY) - {""} | {""}
    # Records end with CRLF; a field is quoted only when it must be.
    assert raw.endswith("\r\n") and raw.count('"line\nfeed"') == 2
    assert ',plain,' in raw and '"a ""quote"""' in raw


def test_csv_default_columns_and_header_as_given(tricky_log):
    r = run(["events", "--format", "csv", tricky_log])
    header = r.stdout.decode().split("\r\n", 1)[0]
    assert header == ("eventTime,action,eventName,identity.principal,identity.arn,"
                      "identity.accountId,recipientAccountId,awsRegion,"
                      "sourceIPAddress,errorCode,eventID")
    r = run(["events", "--format", "csv", "--columns", "eventName,eventName", tricky_log])
    rows = list(csv.reader(io.StringIO(r.stdout.decode(), newline="")))
    assert rows[0] == ["eventName", "eventName"] and all(a == b for a, b in rows)


@pytest.mark.parametrize("columns,bad", [("eventTime,bogus", "bogus"),
                                         ("eventTime,Identity.arn", "Identity.arn"),
                                         ("eventTime,,action", ""),
                                         ("unknown.x.y", "unknown.x.y")])
def test_unknown_column_is_a_clear_error(tricky_log, columns, bad):
    r = run(["events", "--format", "csv", "--columns", columns, tricky_log])
    assert r.returncode == 64 and r.stdout == b""
    assert f"--columns: '{bad}' is not a field of the events contract".encode() \
        in r.stderr


def test_columns_in_the_table_match_jsonl(tricky_log):
    r = run(["events", "--format", "table", "--columns", "record,eventName,identity.principal",
             tricky_log])
    lines = r.stdout.decode().splitlines()
    assert lines[0].split() == ["record", "eventName", "identity.principal"]
    events = jsonl(run(["events", "--format", "jsonl", tricky_log]).stdout)
    for line, ev in zip(lines[1:], events):
        assert line.split() == [str(ev["record"]), ev["eventName"],
                                ev["identity"]["principal"]]


# ---- Figures and recovery messages (item 7) -----------------------------

def test_stats_and_progress_name_both_byte_counts(tree):
    root, files = tree
    some = sorted(p for p in files if p.endswith(".gz"))[:3]
    st = stats(some)
    assert st["bytesIn"] == sum(len(open(p, "rb").read()) for p in some)
    assert st["bytesJson"] == sum(len(gzip.open(p).read()) for p in some)
    assert st["bytesIn"] < st["bytesJson"]
    text = run(["stats"] + some).stdout.decode()
    assert re.search(r"^bytes read +%d \(as stored: compressed for gzip\)$" % st["bytesIn"],
                     text, re.M)
    assert re.search(r"^bytes json +%d \(parsed: inflated for gzip\)$" % st["bytesJson"],
                     text, re.M)
    # The progress bar's words: test_cli_parallel.py (it needs a slow input).


def test_recovery_says_which_record_was_skipped():
    r = run(["events", "--format", "jsonl", "--recover",
             DATA / "fixtures" / "broken-lines.jsonl"])
    ev = jsonl(r.stdout)
    errors = r.stderr.decode().splitlines()
    assert r.returncode == 2 and ev and errors
    for line in errors:
        m = re.search(r": error: record (\d+) skipped, reading goes on "
                      r"\(recovery mode\): .+ \[KVST_E_[A-Z_]+\]$", line)
        assert m, line
        assert int(m.group(1)) not in {e["record"] for e in ev}
