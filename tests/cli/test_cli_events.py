"""`kvstrail events`: the JSON Lines contract (docs/cli.md) on the seed
sample, strict and recovery mode, every input format, stdin, the table."""
import json
import re

import pytest

from conftest import (DATA, MENDED, PUBLISHED, SEED_ACTIONS, gz, jsonl,
                      kvs_access, projection, run, seed_records, write)

ENVELOPE = ["eventVersion", "eventTime", "eventSource", "eventName",
            "awsRegion", "sourceIPAddress", "userAgent", "requestID",
            "eventID", "eventType", "recipientAccountId", "readOnly",
            "errorCode", "errorMessage"]
IDENTITY = ["type", "principal", "credential", "rootOrIamUser",
            "roleOrFederatedTemporary", "awsService", "mfa", "console",
            "crossAccount", "rootAccessKey", "invokedBy", "arn", "accountId",
            "userName", "sessionIssuer"]
FINDING = ["code", "name", "severity", "pointer", "line", "column", "message"]

# The six errors and warnings of the mended sample (DESIGN.md).
SEED_DEFECTS = {
    ("CreateStream", "/eventSource", "KVST_F_EVENT_SOURCE_SPACE"),
    ("CreateStream", "/requestParameters/mediaType", "KVST_F_MEDIA_TYPE"),
    ("CreateStream", "/requestParameters/kmsKeyId", "KVST_F_KMS_KEY_ARN"),
    ("DeleteStream", "/eventTime", "KVST_F_EVENT_TIME_FORMAT"),
    ("DeleteStream", "/eventSource", "KVST_F_EVENT_SOURCE_SPACE"),
    ("DescribeStream", "/eventSource", "KVST_F_EVENT_SOURCE_SPACE"),
}


def test_mended_sample_contract(seed_events):
    evs = seed_events
    assert [e["action"] for e in evs] == SEED_ACTIONS
    assert [e["record"] for e in evs] == [0, 1, 2, 3, 4]
    text = MENDED.read_bytes()
    for ev in evs:
        assert ev["file"] == str(MENDED)
        for key in ["offset", "line", "column", "action", "identity",
                    "request", "response", "findings"] + ENVELOPE:
            assert key in ev, key
        # offset/line/column say where the record's '{' is.
        assert text[ev["offset"]:ev["offset"] + 1] == b"{"
        line_start = text.rfind(b"\n", 0, ev["offset"]) + 1
        assert text[:ev["offset"]].count(b"\n") + 1 == ev["line"]
        assert ev["offset"] - line_start + 1 == ev["column"]
        ident = ev["identity"]
        assert set(IDENTITY) <= set(ident)
        assert ident["type"] == "IAMUser"
        assert ident["principal"] == "IAMUser"
        assert ident["credential"] == "unknown"   # EXAMPLE_KEY_ID
        assert ident["rootOrIamUser"] is True
        assert ident["roleOrFederatedTemporary"] is False
        assert ident["awsService"] is False
        assert ident["arn"] == "arn:aws:iam::123456789012:user/Alice"
        assert ident["accountId"] == "123456789012"
        assert ident["userName"] == "Alice"
        assert ident["sessionIssuer"] is None
        assert ev["errorCode"] is None and ev["errorMessage"] is None
        assert ev["eventType"] is None and ev["readOnly"] is None
        for f in ev["findings"]:
            assert set(FINDING) <= set(f)
            assert re.fullmatch(r"KVST_F_[A-Z0-9_]+", f["name"])
            assert f["severity"] in ("info", "warning", "error")


def test_mended_sample_envelope_strings_as_written(seed_events):
    create, delete = seed_events[0], seed_events[1]
    assert create["eventSource"] == " kinesisvideo.amazonaws.com"
    assert create["eventTime"] == "2018-05-25T00:16:31Z"
    assert delete["eventTime"] == "2018-05-25:17:06Z"
    assert create["userAgent"] == "aws-sdk-java/unknown-version Linux/x.xx"
    assert create["requestID"] == "db6c59f8-c757-11e3-bc3b-57923b443c1c"
    assert create["eventVersion"] == "1.05"


def test_mended_sample_typed_request(seed_events):
    create, delete, describe, endpoint, listing = seed_events
    req = create["request"]
    assert req["streamName"] == "VideoStream"
    assert req["dataRetentionInHours"] == 2
    assert type(req["dataRetentionInHours"]) is int
    assert req["mediaType"] == "mediaType"
    assert req["kmsKeyId"] == "arn:aws:kms::us-east-1:123456789012:alias"
    assert req["deviceName"] == "my-device"
    assert create["response"] == {"streamARN": "arn:aws:kinesisvideo:us-east-1:"
                                  "123456789012:stream/VideoStream/12345"}
    assert delete["request"] == {
        "streamARN": "arn:aws:kinesisvideo:us-east-1:012345678910:stream/VideoStream/12345",
        "currentVersion": "keqrjeqkj9"}
    assert delete["response"] is None
    assert describe["request"] == {"streamName": "VideoStream"}
    assert endpoint["request"] == {"streamName": "VideoStream",
                                   "aPIName": "LIST_FRAGMENTS"}
    assert type(listing["request"]["maxResults"]) is int
    assert listing["request"] == {
        "maxResults": 100,
        "streamNameCondition": {"comparisonValue": "MyVideoStream",
                                "comparisonOperator": "BEGINS_WITH"}}


def test_mended_sample_six_defects(seed_events):
    serious = {(ev["action"], f["pointer"], f["name"])
               for ev in seed_events for f in ev["findings"]
               if f["severity"] in ("warning", "error")}
    assert serious == SEED_DEFECTS
    # Findings locate the offending value in the file.
    lines = MENDED.read_text().splitlines()
    for ev in seed_events:
        for f in ev["findings"]:
            if f["pointer"] == "/requestParameters/mediaType":
                assert lines[f["line"] - 1][f["column"] - 1:].startswith('"mediaType"')


def test_published_sample_strict():
    r = run(["events", "--format", "jsonl", PUBLISHED])
    assert r.returncode == 2
    err = r.stderr.decode().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"{PUBLISHED}:27:21: error: ")
    assert err[0].endswith("[KVST_E_SYNTAX]")
    # The first record is the broken one: nothing complete came before it.
    assert r.stdout == b""


def test_published_sample_recover():
    r = run(["events", "--format", "jsonl", "--recover", PUBLISHED])
    assert r.returncode == 2
    assert [e["action"] for e in jsonl(r.stdout)] == ["DeleteStream",
                                                      "DescribeStream"]
    err = r.stderr.decode().splitlines()
    assert len(err) == 3, err
    for line in err:
        assert re.fullmatch(re.escape(str(PUBLISHED)) +
                            r":\d+:\d+: error: .+ \[KVST_E_SYNTAX\]", line), line
    assert err[0].startswith(f"{PUBLISHED}:27:21: ")


def test_events_before_an_error_are_printed(tmp_path):
    recs = seed_records()
    text = json.dumps({"Records": recs})
    cut = write(tmp_path / "cut.json", text[:text.index('"eventName": "GetDataEndpoint"')])
    r = run(["events", "--format", "jsonl", cut])
    assert r.returncode == 2
    assert [e["action"] for e in jsonl(r.stdout)] == SEED_ACTIONS[:3]
    assert r.stderr.decode().rstrip().endswith("[KVST_E_TRUNCATED]")


def _formats():
    recs = seed_records()
    bridge = [{"version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
               "detail-type": "AWS API Call via CloudTrail",
               "source": "aws.kinesisvideo", "account": "123456789012",
               "time": "2018-05-25T00:16:31Z", "region": "us-east-1",
               "resources": [], "detail": rec} for rec in recs]
    return {
        "records-pretty": json.dumps({"Records": recs}, indent=4),
        "records-minified": json.dumps({"Records": recs}, separators=(",", ":")),
        "array": json.dumps(recs, indent=2),
        "jsonl": "".join(json.dumps(rec) + "\n" for rec in recs),
        "concatenated": "".join(json.dumps(rec, indent=1) for rec in recs),
        "eventbridge": "".join(json.dumps(b) + "\n" for b in bridge),
        "single": json.dumps(recs[0], indent=3),
    }


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("name", sorted(_formats()))
def test_every_input_format(tmp_path, seed_events, name, compress):
    data = _formats()[name]
    path = write(tmp_path / (name + (".json.gz" if compress else ".json")),
                 gz(data) if compress else data)
    r = run(["events", "--format", "jsonl", path])
    assert r.returncode == 0, r.stderr
    assert r.stderr == b""
    evs = jsonl(r.stdout)
    want = seed_events[:1] if name == "single" else seed_events
    assert [projection(e) for e in evs] == [projection(e) for e in want]
    assert all(e["file"] == str(path) for e in evs)
    assert [e["record"] for e in evs] == list(range(len(want)))


def test_multi_member_gzip(tmp_path, seed_events):
    recs = seed_records()
    members = b"".join(gz(json.dumps(rec) + "\n") for rec in recs)
    path = write(tmp_path / "multi.jsonl.gz", members)
    r = run(["events", "--format", "jsonl", path])
    assert r.returncode == 0, r.stderr
    assert [projection(e) for e in jsonl(r.stdout)] == \
        [projection(e) for e in seed_events]


def test_truncated_gzip_keeps_complete_records(tmp_path):
    recs = seed_records()
    data = gz("".join(json.dumps(rec) + "\n" for rec in recs * 40))
    path = write(tmp_path / "short.json.gz", data[:len(data) * 2 // 3])
    r = run(["events", "--format", "jsonl", path])
    assert r.returncode == 2
    evs = jsonl(r.stdout)
    assert 0 < len(evs) < 200
    assert r.stderr.decode().rstrip().endswith("[KVST_E_TRUNCATED]")


@pytest.mark.parametrize("args", [["-"], []], ids=["dash", "no-file"])
def test_stdin(seed_events, args):
    r = run(["events", "--format", "jsonl"] + args, stdin=MENDED.read_bytes())
    assert r.returncode == 0, r.stderr
    evs = jsonl(r.stdout)
    assert [projection(e) for e in evs] == [projection(e) for e in seed_events]
    assert all(e["file"] == "-" for e in evs)
    for mine, ref in zip(evs, seed_events):
        assert (mine["offset"], mine["line"], mine["column"]) == \
            (ref["offset"], ref["line"], ref["column"])


def test_stdin_gzip_error_names_dash():
    r = run(["events", "--format", "jsonl"], stdin=gz(b'{"Records":[{"eventName"'))
    assert r.returncode == 2
    assert re.fullmatch(rb"-:\d+:\d+: error: .+ \[KVST_E_[A-Z_]+\]\n", r.stderr)


def test_missing_file_is_exit_2_and_others_still_read(tmp_path, seed_events):
    missing = tmp_path / "nope.json"
    r = run(["events", "--format", "jsonl", missing, MENDED])
    assert r.returncode == 2
    assert len(jsonl(r.stdout)) == 5
    assert r.stderr.decode() == (f"{missing}: error: cannot open: "
                                 "No such file or directory [KVST_E_IO]\n")


def test_empty_directory_reads_nothing(tmp_path):
    r = run(["events", "--format", "jsonl", tmp_path])
    assert r.returncode == 0
    assert r.stdout == b"" and r.stderr == b""


def test_limits_are_passed_to_the_parser():
    for opt, value in [("--max-depth", "2"), ("--max-record-bytes", "200"),
                       ("--max-string-bytes", "8")]:
        r = run(["events", "--format", "jsonl", opt, value, MENDED])
        assert r.returncode == 2, opt
        assert r.stderr.decode().rstrip().endswith("[KVST_E_LIMIT]"), opt


def test_inflate_ratio_limit(tmp_path):
    path = write(tmp_path / "bomb.json.gz", gz(b" " * 2000000 + b"[]"))
    r = run(["events", "--format", "jsonl", "--max-inflate-ratio", "10", path])
    assert r.returncode == 2
    assert r.stderr.decode().rstrip().endswith("[KVST_E_LIMIT]")


def test_not_cloudtrail(tmp_path):
    path = write(tmp_path / "digest.json", '{"awsAccountId":"123456789012"}')
    r = run(["events", "--format", "jsonl", path])
    assert r.returncode == 2
    assert r.stderr.decode().rstrip().endswith("[KVST_E_NOT_CLOUDTRAIL]")


def test_digest_files(tmp_path):
    # digests are printed typed, plain and gzip, in both formats
    start = (DATA / "fixtures" / "digest-start.json").read_bytes()
    for path in (write(tmp_path / "d.json", start), write(tmp_path / "d.json.gz", gz(start))):
        r = run(["events", "--format", "jsonl", path])
        assert r.returncode == 0
        evs = jsonl(r.stdout)
        assert [e["container"] for e in evs] == ["digest", "digest"]
        assert [len(e["digest"]["logFiles"]) for e in evs] == [2, 0]
        assert evs[1]["digest"]["previousDigestSignature"] == "0a1b2c3d4e5f"
        r = run(["events", "--format", "table", path])
        assert r.returncode == 0
        rows = r.stdout.decode().splitlines()[1:]
        assert rows[0].startswith("2025-10-21T01:00:00Z digest of 2 log files")
        assert "111122223333" in rows[1]


def _with_s3_record(tmp_path):
    recs = seed_records()
    other = dict(recs[0], eventSource="s3.amazonaws.com", eventName="GetObject",
                 requestParameters={"bucketName": "b", "key": "k"},
                 responseElements=None)
    return write(tmp_path / "mixed.json", json.dumps({"Records": [other] + recs}))


def test_other_services_and_kvs_only(tmp_path):
    path = _with_s3_record(tmp_path)
    r = run(["events", "--format", "jsonl", path])
    assert r.returncode == 0
    evs = jsonl(r.stdout)
    assert [e["action"] for e in evs] == [None] + SEED_ACTIONS
    assert evs[0]["eventName"] == "GetObject"
    r = run(["events", "--format", "jsonl", "--kvs-only", path])
    assert r.returncode == 0
    assert [e["action"] for e in jsonl(r.stdout)] == SEED_ACTIONS


def _dup_findings(ev):
    return [f for f in ev["findings"] if f["name"] == "KVST_F_DUPLICATE_KEY"]


@pytest.mark.parametrize("first_kvs", [False, True])
def test_repeated_records_key_warning_and_kvs_only(tmp_path, first_kvs):
    """The later "Records" key's warning rides on the later array's first
    event (docs/cli.md); when --kvs-only drops that event, the warning goes
    with it and no other event takes it."""
    recs = seed_records()
    other = dict(recs[0], eventSource="s3.amazonaws.com", eventName="GetObject",
                 requestParameters={"bucketName": "b", "key": "k"},
                 responseElements=None)
    later = [recs[1], other] if first_kvs else [other, recs[1]]
    text = ('{"Records":[%s],\n"Records":[%s]}'
            % (json.dumps(recs[0]), ",".join(json.dumps(r) for r in later)))
    path = write(tmp_path / "twice.json", text)
    r = run(["events", "--format", "jsonl", path])
    assert r.returncode == 0
    evs = jsonl(r.stdout)
    assert len(evs) == 3
    assert [len(_dup_findings(e)) for e in evs] == [0, 1, 0]
    f = _dup_findings(evs[1])[0]
    assert (f["pointer"], f["line"], f["column"]) == ("", 2, 1)  # the later key
    r = run(["events", "--format", "jsonl", "--kvs-only", path])
    assert r.returncode == 0
    evs = jsonl(r.stdout)
    assert [e["eventSource"] for e in evs] == [recs[0]["eventSource"]] * 2
    # the later array's first event carries it only when it is KVS's
    assert [len(_dup_findings(e)) for e in evs] == [0, 1 if first_kvs else 0]


@pytest.mark.parametrize("identity, who", [
    ({"type": "IAMUser", "principalId": "AIDAEXAMPLE", "invokedBy": "x.amazonaws.com",
      "arn": "arn:aws:iam::111122223333:user/Alice"}, "Alice"),
    ({"type": "AWSAccount", "principalId": "AIDAEXAMPLE", "accountId": "444455556666",
      "invokedBy": "x.amazonaws.com"}, "AIDAEXAMPLE"),
    ({"type": "AWSAccount", "principalId": "", "invokedBy": "x.amazonaws.com"},
     "x.amazonaws.com"),
    ({"type": "AWSService", "invokedBy": "x.amazonaws.com"}, "x.amazonaws.com"),
    ({"type": "AWSAccount"}, "-"),
])
def test_table_who_column(tmp_path, identity, who):
    """WHO: the ARN's last part, else principalId, else invokedBy."""
    rec = dict(seed_records()[0], userIdentity=identity)
    path = write(tmp_path / "who.json", json.dumps({"Records": [rec]}))
    r = run(["events", "--format", "table", path])
    assert r.returncode == 0
    header, row = r.stdout.decode().splitlines()[:2]
    at = header.index("WHO")
    assert row[at:header.index("PRINCIPAL")].strip() == who


def test_default_format_off_a_terminal_is_jsonl(seed_events):
    r = run(["events", MENDED])
    assert r.returncode == 0
    assert jsonl(r.stdout) == seed_events


def test_table_columns(tmp_path, seed_events):
    path = _with_s3_record(tmp_path)
    r = run(["events", "--format", "table", path])
    assert r.returncode == 0
    assert b"\033" not in r.stdout          # no colour off a terminal
    lines = r.stdout.decode().splitlines()
    header = lines[0]
    assert header.split() == ["TIME", "ACTION", "WHO", "PRINCIPAL",
                              "REGION", "STREAM", "FINDINGS"]
    starts = [header.index(w) for w in header.split()[:-1]]
    rows = lines[1:]
    assert len(rows) == 6
    for row, ev in zip(rows[1:], seed_events):
        cells = [row[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
        assert cells[0] == ev["eventTime"]
        assert cells[1] == ev["action"]
        assert cells[2] == "Alice"            # the last part of identity.arn
        assert cells[3] == "IAMUser"
        assert cells[4] == "us-east-1"
        # The last column holds the stream and, right-aligned, the count.
        stream, count = cells[5].rsplit(None, 1)
        assert int(count) == len(ev["findings"])
        assert header.rindex("FINDINGS") + len("FINDINGS") == len(row)
    streams = [row[starts[5]:].split()[0] for row in rows[1:]]
    # DeleteStream names its stream by ARN: the table shows the name.
    assert streams == ["VideoStream"] * 4 + ["-"]
    assert rows[0][starts[1]:starts[2]].strip() == "GetObject"


def test_table_escapes_control_characters(tmp_path):
    rec = seed_records()[2]
    rec["requestParameters"]["streamName"] = "evil\u001b[2Jname"
    path = write(tmp_path / "evil.json", json.dumps(rec))
    r = run(["events", "--format", "table", path])
    assert r.returncode == 0
    assert b"\033" not in r.stdout
    assert b"evil\\x1b[2Jname" in r.stdout


def test_mixed_trail_of_management_and_data_events():
    r = run(["events", "--format", "jsonl", DATA / "fixtures" / "kvs-data-events.json"])
    assert r.returncode == 0, r.stderr
    evs = jsonl(r.stdout)
    assert [(e["eventName"], e["access"]) for e in evs] == [
        ("GetDataEndpoint", "media-read"), ("GetObject", None),
        ("GetMedia", "media-read"), ("GetClip", "media-read"),
        ("GetDASHStreamingSessionURL", "media-read"),
        ("GetHLSStreamingSessionURL", "media-read"),
        ("GetImages", "media-read"), ("GetMediaForFragmentList", "media-read"),
        ("ListFragments", "config-read"), ("GetIceServerConfig", "signaling"),
        ("SendAlexaOfferToMaster", "signaling"),
        ("JoinStorageSession", "media-write"),
        ("JoinStorageSessionAsViewer", "signaling"),
        ("PutMedia", "media-write"), ("ConnectAsMaster", "signaling"),
        ("ConnectAsViewer", "signaling")]
    assert all(e["action"] == e["eventName"] for e in evs if e["access"])
    assert [f for e in evs for f in e["findings"] if f["severity"] != "info"] == []
    r = run(["events", "--format", "jsonl", "--kvs-only",
             DATA / "fixtures" / "kvs-data-events.json"])
    assert len(jsonl(r.stdout)) == 15


# The KVS data operations (issue 16): the four data-plane models and the
# three calls with no model.
DATA_OPERATIONS = [
    "GetMedia", "GetClip", "GetDASHStreamingSessionURL", "GetHLSStreamingSessionURL",
    "GetImages", "GetMediaForFragmentList", "ListFragments", "GetIceServerConfig",
    "SendAlexaOfferToMaster", "JoinStorageSession", "JoinStorageSessionAsViewer",
    "PutMedia", "ConnectAsMaster", "ConnectAsViewer"]


def test_every_data_operation_typed_with_its_access():
    """The issue's "done when": one data event of every KVS data operation,
    each printed with its action, its typed request and response, its
    access kind and no error or warning finding."""
    path = DATA / "fixtures" / "kvs-data-events.json"
    raw = path.read_text()
    records = json.loads(raw)["Records"]
    r = run(["events", "--format", "jsonl", path])
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    evs = jsonl(r.stdout)
    assert len(evs) == len(records)
    data = [(e, rec) for e, rec in zip(evs, records)
            if rec.get("managementEvent") is False and kvs_access(rec)]
    assert sorted(rec["eventName"] for _, rec in data) == sorted(DATA_OPERATIONS)
    for e, rec in data:
        name = rec["eventName"]
        assert e["action"] == name
        assert e["access"] == kvs_access(rec), name
        # typed: every member of the record reached, with its value
        assert e["request"] == rec["requestParameters"], name
        assert e["response"] == rec.get("responseElements"), name
        assert [f for f in e["findings"] if f["severity"] in ("error", "warning")] == [], name
        assert not [f for f in e["findings"] if f["name"] == "KVST_F_MEMBER_UNKNOWN"], name
    # Timestamps are printed as the record writes them (epoch seconds, with
    # or without a fraction, or ISO text).
    stamps = re.findall(r'"(\w*Timestamp)":\s*("[^"]*"|[-0-9.eE+]+)', raw)
    assert len(stamps) >= 5
    for key, value in stamps:
        assert '"%s":%s' % (key, value) in out, (key, value)


def test_invalid_data_events_get_the_model_findings():
    path = DATA / "fixtures" / "kvs-data-events-invalid.json"
    records = json.loads(path.read_text())["Records"]
    r = run(["events", "--format", "jsonl", path])
    assert r.returncode == 0, r.stderr
    evs = jsonl(r.stdout)
    assert len(evs) == len(records) > 0
    for e, rec in zip(evs, records):
        assert e["action"] == rec["eventName"]
        bad = [f for f in e["findings"] if f["severity"] in ("error", "warning")
               and f["pointer"].startswith(("/requestParameters", "/resources"))]
        assert bad, rec["eventName"]
        for f in bad:
            assert f["line"] > 0 and f["column"] > 0
