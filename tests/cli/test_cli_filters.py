"""The filters (--action ... --event-kind): each one written again in Python
over the unfiltered JSON Lines output (and, for the two fields the contract
does not carry, userIdentity.accessKeyId and managementEvent, over the
record itself), and compared record for record with what the library lets
through, on the public corpus and on a generated trail of 100,000 records
with the boundary values placed in it."""
import calendar
import datetime
import functools
import ipaddress
import json
import pathlib
import random
import re
import uuid

import pytest

from conftest import MENDED, jsonl, run, write
from test_cli_corpus import corpus_files  # noqa: F401 (a fixture)

HEAD_RE = re.compile(rb'^\{"file":("(?:[^"\\]|\\.)*"),"record":(\d+),', re.M)
TIME_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z")


@functools.lru_cache(maxsize=None)
def event_ms(text):
    """eventTime as the library reads it (kvst_validate_timestamp), or None."""
    m = TIME_RE.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        return None
    try:
        t = datetime.datetime(*map(int, m.groups()))
    except ValueError:
        return None
    return calendar.timegm(t.timetuple()) * 1000


def arg_ms(text, end_of_day):
    """--since/--until as documented in docs/cli.md."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        d = datetime.datetime.strptime(text, "%Y-%m-%d")
        ms = calendar.timegm(d.timetuple()) * 1000
        return ms + 86400 * 1000 - 1 if end_of_day else ms
    t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(t.timestamp() * 1000)


def glob_bytes(pattern, text):
    """--arn: '*' any run, '?' one byte, '\\' quotes the next."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append(b".*")
        elif c == "?":
            out.append(b".")
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i].encode()))
        else:
            out.append(re.escape(c.encode()))
        i += 1
    return re.fullmatch(b"".join(out), text.encode(), re.DOTALL) is not None


def in_network(value, cidr):
    if not isinstance(value, str) or "%" in value:
        return False
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return False
    net = ipaddress.ip_network(cidr, strict=False)
    return addr.version == net.version and addr in net


def ident(ev, key):
    return (ev.get("identity") or {}).get(key)


# Each case: the options, and the same filter in Python over (event, record).
def cases(sample):
    """The filter cases, with values taken from the data (sample: events)."""
    arn = next((ident(e, "arn") for e in sample if ident(e, "arn")), "x")
    account = next((e.get("recipientAccountId") for e in sample
                    if e.get("recipientAccountId")), "123456789012")
    region = next((e.get("awsRegion") for e in sample if e.get("awsRegion")),
                  "us-east-1")
    key = next((r["userIdentity"]["accessKeyId"] for _, r in sample.raw
                if isinstance(r.get("userIdentity"), dict)
                and isinstance(r["userIdentity"].get("accessKeyId"), str)
                and r["userIdentity"]["accessKeyId"]), "AKIAEXAMPLE")
    glob = arn[: max(1, len(arn) // 2)] + "*" + arn[-3:] if len(arn) > 4 else "*"
    since, until = "2024-03-10T10:00:00Z", "2024-03-10"
    return [
        (["--action", "DeleteStream", "--action", "GetDataEndpoint"],
         lambda e, r: e.get("action") in ("DeleteStream", "GetDataEndpoint")),
        (["--principal", "AssumedRole", "--principal", "root"],
         lambda e, r: ident(e, "principal") in ("AssumedRole", "Root")),
        (["--arn", glob],
         lambda e, r: isinstance(ident(e, "arn"), str)
         and glob_bytes(glob, ident(e, "arn"))),
        (["--arn", "*:root"],
         lambda e, r: isinstance(ident(e, "arn"), str)
         and ident(e, "arn").endswith(":root")),
        (["--access-key", key],
         lambda e, r: isinstance(r.get("userIdentity"), dict)
         and r["userIdentity"].get("accessKeyId") == key),
        (["--account", account], lambda e, r: e.get("recipientAccountId") == account),
        (["--region", region], lambda e, r: e.get("awsRegion") == region),
        (["--source-ip", "10.0.0.0/9"],
         lambda e, r: in_network(e.get("sourceIPAddress"), "10.0.0.0/9")),
        (["--source-ip", "2001:db8::/33"],
         lambda e, r: in_network(e.get("sourceIPAddress"), "2001:db8::/33")),
        (["--source-ip", "203.0.113.7"],
         lambda e, r: in_network(e.get("sourceIPAddress"), "203.0.113.7/32")),
        (["--since", since],
         lambda e, r: event_ms(e.get("eventTime")) is not None
         and event_ms(e.get("eventTime")) >= arg_ms(since, False)),
        (["--until", until],
         lambda e, r: event_ms(e.get("eventTime")) is not None
         and event_ms(e.get("eventTime")) <= arg_ms(until, True)),
        (["--since", "2024-03-10T12:00:00+02:00", "--until",
          "2024-03-10T10:00:00.000-00:00"],
         lambda e, r: event_ms(e.get("eventTime")) == arg_ms("2024-03-10T10:00:00Z",
                                                         False)),
        (["--event-kind", "management"],
         lambda e, r: r.get("managementEvent") is True),
        (["--event-kind", "data"], lambda e, r: r.get("managementEvent") is False),
        (["--outcome", "success"], lambda e, r: e.get("outcome") == "success"),
        (["--outcome", "failure"], lambda e, r: e.get("outcome") == "failure"),
        (["--access", "config-read", "--access", "delete"],
         lambda e, r: e.get("access") in ("config-read", "delete")),
        (["--access", "media-read"], lambda e, r: e.get("access") == "media-read"),
        (["--principal", "IAMUser", "--region", region, "--since", "2000-01-01"],
         lambda e, r: ident(e, "principal") == "IAMUser"
         and e.get("awsRegion") == region and event_ms(e.get("eventTime")) is not None),
    ]


class Sample(list):
    """Events of the unfiltered run, with .raw: (key, record) where the
    record of an event is known ({"Records": [...]} files)."""


def load_sample(files, records=None):
    """records: the records of the one file when the test made them."""
    ref = run(["events", "--format", "jsonl", "-j", "1"] + files, timeout=300)
    sample = Sample(e for e in jsonl(ref.stdout) if "error" not in e)
    raw = {}
    for i, rec in enumerate(records or []):
        raw[(files[0], i)] = rec
    for f in files if records is None else []:
        try:
            doc = json.loads(pathlib.Path(f).read_bytes())
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(doc, dict) and isinstance(doc.get("Records"), list):
            for i, rec in enumerate(doc["Records"]):
                if isinstance(rec, dict):
                    raw[(f, i)] = rec
    sample.raw = [((e["file"], e["record"]), raw[(e["file"], e["record"])])
                  for e in sample if (e["file"], e["record"]) in raw]
    sample.by_key = dict(sample.raw)
    return sample


def compare(files, sample, needs_raw_keys, only=None):
    checked = 0
    for n, (opts, pred) in enumerate(cases(sample)):
        if only is not None and n not in only:
            continue
        r = run(["events", "--format", "jsonl", "-j", "2"] + opts + files,
                timeout=300)
        # Only where each record is: its file and index lead every line.
        got = [(json.loads(m.group(1)), int(m.group(2))) for m in
               HEAD_RE.finditer(r.stdout)]
        uses_raw = opts[0] in needs_raw_keys
        want = []
        for e in sample:
            key = (e["file"], e["record"])
            if uses_raw and key not in sample.by_key:
                continue
            if pred(e, sample.by_key.get(key, {})):
                want.append(key)
        if uses_raw:
            got = [k for k in got if k in sample.by_key]
        assert got == want, (opts, len(got), len(want))
        checked += len(want)
    return checked


def test_filters_match_python_on_the_corpus(corpus_files):  # noqa: F811
    sample = load_sample(corpus_files)
    assert len(sample) > 1000 and len(sample.raw) > 500
    assert compare(corpus_files, sample, ("--access-key", "--event-kind")) > 0


PRINCIPALS = [
    {"type": "IAMUser", "arn": "arn:aws:iam::{a}:user/{n}", "userName": "{n}"},
    {"type": "AssumedRole",
     "arn": "arn:aws:sts::{a}:assumed-role/Role-{n}/sess-{n}"},
    {"type": "Root", "arn": "arn:aws:iam::{a}:root"},
    {"type": "AWSService", "invokedBy": "kinesisvideo.amazonaws.com"},
]
SOURCES = ["10.0.0.1", "10.127.255.255", "10.128.0.0", "9.255.255.255",
           "203.0.113.7", "203.0.113.8", "2001:db8::1", "2001:db8:8000::1",
           "2001:db9::1", "::ffff:10.0.0.1", "kinesisvideo.amazonaws.com",
           "AWS Internal", "010.0.0.1", "fe80::1%eth0", "", None, 7]
ACTIONS = ["DeleteStream", "GetDataEndpoint", "DescribeStream", "CreateStream",
           "ListStreams", "GetMedia", "PutMedia", "GetIceServerConfig"]


@pytest.fixture(scope="module")
def trail(tmp_path_factory):
    """100,000 records, deterministic, with every boundary of the cases:
    eventTime at, one second under and over the --since/--until bounds,
    invalid times, addresses at the edges of the CIDRs, and absent fields."""
    rnd = random.Random(17)
    base = calendar.timegm((2024, 3, 10, 10, 0, 0)) - 86400
    edges = [0, -1, 1, 86400 - 1, 86400, 86400 + 1, 2 * 86400 - 1,
             2 * 86400, 2 * 86400 + 1]
    records = []
    for i in range(100000):
        acct = rnd.choice(["111122223333", "444455556666"])
        who = dict(rnd.choice(PRINCIPALS))
        name = rnd.choice(["alice", "bob", "carol"])
        who = {k: v.format(a=acct, n=name) for k, v in who.items()}
        if rnd.random() < 0.7:
            who["accessKeyId"] = rnd.choice(["AKIAAAAAAAAAAAAAAAAA",
                                             "ASIABBBBBBBBBBBBBBBB", ""])
        t = base + (edges[i % len(edges)] if i % 7 == 0
                    else rnd.randrange(3 * 86400))
        time = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ")
        if i % 97 == 0:
            when = rnd.choice(["2024-03-10T10:00:00.000Z", "yesterday",
                               "2024-02-30T00:00:00Z", None])
        # Complete records (few findings keep the JSON Lines small).
        rec = {"eventVersion": "1.08", "userIdentity": who, "eventTime": when,
               "eventSource": "kinesisvideo.amazonaws.com",
               "eventName": rnd.choice(ACTIONS),
               "awsRegion": rnd.choice(["us-east-1", "eu-west-1"]),
               "sourceIPAddress": rnd.choice(SOURCES), "userAgent": "test",
               "requestParameters": None, "responseElements": None,
               "requestID": str(uuid.UUID(int=rnd.getrandbits(128))),
               "eventID": str(uuid.UUID(int=rnd.getrandbits(128))),
               "readOnly": True, "eventType": "AwsApiCall",
               "recipientAccountId": acct, "eventCategory": "Management"}
        if i % 5 == 0:
            rec["errorCode"] = rnd.choice(["AccessDenied", ""])
            rec["errorMessage"] = rnd.choice(["denied", None, ""])
        kind = rnd.choice([True, False, None])
        if kind is not None:
            rec["managementEvent"] = kind
        if i % 101 == 0:
            rec["eventSource"] = "s3.amazonaws.com"
            rec["eventName"] = "GetObject"
        records.append(rec)
    path = tmp_path_factory.mktemp("trail") / "trail-100k.json"
    write(path, json.dumps({"Records": records}, separators=(",", ":")))
    return path, records


def test_filters_match_python_on_a_generated_trail(trail):
    files = [str(trail[0])]
    sample = load_sample(files, trail[1])
    assert len(sample) == 100000 and len(sample.raw) == 100000
    # Each kind of filter once (the corpus runs them all), to keep the
    # CPU cost of the 100,000 records down: action, principal, ARN glob,
    # access key, account, both address families, the time bounds at the
    # millisecond, data events, a combination.
    assert compare(files, sample, (), only={0, 1, 2, 4, 5, 7, 8, 12, 14, 16, 18, 19}) > 50000


def test_stats_count_what_filters_drop(trail):
    r = run(["stats", "--format", "jsonl", "--action", "DeleteStream", trail[0]])
    st = json.loads(r.stdout)
    assert r.returncode == 0
    assert st["records"] == st["actions"]["DeleteStream"] > 0
    assert st["records"] + st["filteredRecords"] == 100000


def test_filter_values_are_checked():
    for opts in (["--action", "NoSuchAction"], ["--principal", "Nobody"],
                 ["--source-ip", "10.0.0.0/33"], ["--source-ip", "::/129"],
                 ["--source-ip", "10.0.0.256"], ["--source-ip", "host"],
                 ["--source-ip", "10.0.0.0/"], ["--since", "2024-02-30"],
                 ["--since", "2024-03-10T10:00:00"],
                 ["--until", "2024-03-10T24:00:00Z"], ["--event-kind", "both"],
                 ["--account", ""], ["--outcome", "ok"], ["--access", "read"],
                 ["--since", "2024-03-11", "--until",
                                     "2024-03-10"],
                 ["--min-severity", "fatal"]):
        r = run(["events"] + opts + [MENDED])
        assert r.returncode == 64, opts
        assert r.stdout == b"", opts
    # At the bounds: the same day is a valid range; /32 and /128 are.
    for opts in (["--since", "2024-03-10", "--until", "2024-03-10"],
                 ["--source-ip", "10.0.0.0/32"], ["--source-ip", "::/128"],
                 ["--source-ip", "0.0.0.0/0"]):
        assert run(["events"] + opts + [MENDED]).returncode == 0, opts


def test_min_severity(seed_events):
    levels = {"info": 1, "warning": 2, "error": 3}
    for level, floor in levels.items():
        r = run(["check", "--format", "jsonl", "--min-severity", level, MENDED])
        got = [f["severity"] for f in jsonl(r.stdout)]
        want = [f["severity"] for e in seed_events for f in e["findings"]
                if levels[f["severity"]] >= floor]
        assert got == want, level
    assert run(["events", "--min-severity", "error", MENDED]).returncode == 64
