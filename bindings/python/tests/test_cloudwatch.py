"""CloudWatch Logs subscription envelopes (issue 13 item 6) as Python sees
them: every message an Event of container "cloudwatch-logs", at its
string's quote, with the same reading as the event written plain; a bad
message a BrokenRecord in recovery mode, an error at it otherwise."""
import gzip
import json

import pytest

import kvstrail
from conftest import DATA

FIXTURES = DATA / "fixtures"


def _plain(path):
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _messages(text):
    """[(message dict)] of the DATA_MESSAGE envelopes of text, in order."""
    out, i, dec = [], 0, json.JSONDecoder()
    s = text.decode("utf-8")
    while True:
        while i < len(s) and s[i] in " \t\r\n":
            i += 1
        if i == len(s):
            return out
        env, i = dec.raw_decode(s, i)
        if env.get("messageType") == "DATA_MESSAGE":
            out += [json.loads(e["message"]) for e in env["logEvents"]]


@pytest.mark.parametrize("name", ["cloudwatch-logs.jsonl", "cloudwatch-logs.json.gz"])
def test_every_message_is_an_event(name):
    path = FIXTURES / name
    plain = _plain(path)
    want = _messages(plain)
    events = list(kvstrail.parse(path, keep_raw=True))
    assert len(events) == len(want) == 6  # the CONTROL_MESSAGE yields nothing
    for i, (ev, rec) in enumerate(zip(events, want)):
        assert ev.container == "cloudwatch-logs" and ev.record == i
        assert plain[ev.offset:ev.offset + 1] == b'"'
        assert json.loads(ev.raw) == rec  # raw is the decoded message
        assert (ev.event_name, ev.event_source, ev.user_agent) == \
            (rec.get("eventName"), rec.get("eventSource"), rec.get("userAgent"))
        for f in ev.findings:
            assert (f.line, f.column) == (ev.line, ev.column)
    # The same events as the messages written as a plain log file.
    flat = json.dumps({"Records": want}).encode()
    for ev, same in zip(events, kvstrail.parse(flat)):
        a, b = ev.to_dict(), same.to_dict()
        assert a.pop("container") == "cloudwatch-logs" and "container" not in b
        for k in ("file", "offset", "line", "column"):
            a.pop(k), b.pop(k)
        for f in a["findings"] + b["findings"]:
            f.pop("line"), f.pop("column")
        assert a == b
    # The sign-in message: the identity verdict of item 5 on the way.
    signin = [ev for ev in events if ev.event_source == "signin.amazonaws.com"]
    assert len(signin) == 1 and signin[0].identity.console is True
    assert signin[0].identity.aws_service is False


def test_bad_messages():
    path = FIXTURES / "cloudwatch-logs-bad.jsonl"
    with pytest.raises(kvstrail.ParseError) as e:
        list(kvstrail.parse(path))
    assert "CloudWatch Logs message is not JSON" in str(e.value)
    got = list(kvstrail.parse(path, recover=True))
    broken = [g for g in got if isinstance(g, kvstrail.BrokenRecord)]
    good = [g for g in got if not isinstance(g, kvstrail.BrokenRecord)]
    assert [g.record for g in got] == list(range(len(got)))
    assert len(broken) == 6 and len(good) == 5
    plain = _plain(path)
    for b in broken:
        # the bytes of the input it was read from: the string as written,
        # or the element that has no string message
        assert plain[b.record_offset:b.record_offset + b.length] == b.raw
    assert {b.status for b in broken} == {"KVST_E_SYNTAX", "KVST_E_NOT_CLOUDTRAIL"}


def test_control_message_only():
    ctl = {"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "",
           "logStream": "", "subscriptionFilters": [],
           "logEvents": [{"id": "", "timestamp": 1, "message": "CWL CONTROL MESSAGE"}]}
    assert list(kvstrail.parse(gzip.compress(json.dumps(ctl).encode()))) == []
    with pytest.raises(kvstrail.NotCloudTrailError):
        list(kvstrail.parse(json.dumps(dict(ctl, messageType="OTHER")).encode()))
