"""parse()'s filter keywords reach the library's kvst_filter: each gives
the events that the same test written over to_dict() keeps, and bad values
are refused before any input is read."""

import datetime

import pytest

import kvstrail

from conftest import DATA

GEN = DATA / "fixtures" / "gen-trail-40.json"


def _records(**kw):
    return [e.to_dict()["record"] for e in kvstrail.parse(GEN, **kw)]


def _where(pred):
    return [d["record"] for d in (e.to_dict() for e in kvstrail.parse(GEN))
            if pred(d)]


def test_each_filter_keyword():
    every = [e.to_dict() for e in kvstrail.parse(GEN)]
    first = next(d for d in every if d["identity"] and d["identity"]["arn"])
    when = first["eventTime"]
    ms = int(datetime.datetime.fromisoformat(when.replace("Z", "+00:00"))
             .timestamp() * 1000)
    cases = [
        (dict(actions="DescribeStream"), lambda d: d["action"] == "DescribeStream"),
        (dict(actions=["DescribeStream", "ListStreams"]),
         lambda d: d["action"] in ("DescribeStream", "ListStreams")),
        (dict(principals=["assumedrole"]),
         lambda d: d["identity"]["principal"] == "AssumedRole"),
        (dict(arn=first["identity"]["arn"]),
         lambda d: d["identity"]["arn"] == first["identity"]["arn"]),
        (dict(arn="*:root"), lambda d: (d["identity"]["arn"] or "").endswith(":root")),
        (dict(account=first["recipientAccountId"]),
         lambda d: d["recipientAccountId"] == first["recipientAccountId"]),
        (dict(region="us-east-1"), lambda d: d["awsRegion"] == "us-east-1"),
        (dict(since=ms), lambda d: d["eventTime"] >= when),
        (dict(until=datetime.datetime.fromtimestamp(ms / 1000,
                                                    datetime.timezone.utc)),
         lambda d: d["eventTime"] <= when),
        (dict(outcome="failure"), lambda d: d["outcome"] == "failure"),
        (dict(access=["config-read"]), lambda d: d["access"] == "config-read"),
    ]
    for kw, pred in cases:
        want = _where(pred)
        assert _records(**kw) == want, kw
    assert any(_where(pred) for _, pred in cases)


def test_bad_filter_values():
    for kw in (dict(actions="NoSuchAction"), dict(principals="Nobody"),
               dict(event_kind="both"), dict(outcome="ok"), dict(access="read"),
               dict(region=""), dict(since=datetime.datetime(2024, 1, 1)),
               dict(since="2024-01-01")):
        with pytest.raises((ValueError, TypeError)):
            kvstrail.parse(GEN, **kw)
    with pytest.raises(kvstrail.InvalidArgumentError):
        kvstrail.parse(GEN, source_ip="10.0.0.0/33")
    with pytest.raises(kvstrail.InvalidArgumentError):
        kvstrail.parse(GEN, since=2, until=1)
