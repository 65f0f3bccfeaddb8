"""Digest files through the binding (parse(digests=True), since 1.1)."""

import gzip

import pytest

import kvstrail

from conftest import DATA

START = DATA / "fixtures" / "digest-start.json"
BROKEN = DATA / "fixtures" / "digest-broken-fields.json"


def test_start_and_empty_hour():
    first, empty = list(kvstrail.parse(str(START), digests=True))
    assert isinstance(first, kvstrail.Digest)
    assert first.aws_account_id == "111122223333"
    assert first.digest_end_time == "2025-10-21T01:00:00Z"
    assert first.previous_digest_signature is None
    assert first.previous_digest_hash_value is None
    assert [lf.hash_value[:8] for lf in first.log_files] == ["7aab8a1f", "E3B0C442"]
    assert first.log_files[0].s3_object.endswith("_a1b2c3d4e5f6a7b8.json.gz")
    assert first.findings == []
    assert first.record == 0 and empty.record == 1 and empty.line == 2
    assert empty.log_files == []
    assert empty.previous_digest_signature == "0a1b2c3d4e5f"
    assert empty.newest_event_time is None
    assert empty.to_dict()["container"] == "digest"


def test_gzip_and_kvs_only():
    data = gzip.compress(START.read_bytes())
    got = list(kvstrail.parse(data, digests=True))
    assert [d.digest_start_time for d in got] == ["2025-10-21T00:00:00Z",
                                                 "2025-10-21T01:00:00Z"]
    assert list(kvstrail.parse(data, digests=True, kvs_only=True)) == []


def test_findings():
    first, second = list(kvstrail.parse(str(BROKEN), digests=True))
    codes = [f.code for f in first.findings]
    assert kvstrail.FindingCode.DIGEST_ACCOUNT in codes
    assert kvstrail.FindingCode.DIGEST_PREVIOUS_PARTIAL in codes
    assert first.log_files[0] == kvstrail.DigestLogFile(None, None, None, None, None, None)
    assert [f.pointer for f in second.findings][-1] == "/logFiles"


def test_refused_without_the_flag():
    with pytest.raises(kvstrail.NotCloudTrailError):
        list(kvstrail.parse(str(START)))
