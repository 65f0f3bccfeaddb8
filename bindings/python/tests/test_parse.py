"""parse(): sources, the seed sample broken and mended, gzip, errors with
positions, limits, kvs_only, recovery, early close."""

import gc
import gzip
import io
import os
import pathlib

import pytest

import kvstrail
from kvstrail import _ffi

from conftest import DATA, gen_trail

SEED_BROKEN = DATA / "seed-published.json"
SEED = DATA / "seed-mended.json"
FIX = DATA / "fixtures"

SEED_ACTIONS = ["CreateStream", "DeleteStream", "DescribeStream",
                "GetDataEndpoint", "ListStreams"]
# The six errors and warnings of the seed sample (DESIGN.md).
SEED_DEFECTS = [
    ("CreateStream", "EVENT_SOURCE_SPACE", "/eventSource"),
    ("CreateStream", "MEDIA_TYPE", "/requestParameters/mediaType"),
    ("CreateStream", "KMS_KEY_ARN", "/requestParameters/kmsKeyId"),
    ("DeleteStream", "EVENT_TIME_FORMAT", "/eventTime"),
    ("DeleteStream", "EVENT_SOURCE_SPACE", "/eventSource"),
    ("DescribeStream", "EVENT_SOURCE_SPACE", "/eventSource"),
]


def defects(events):
    return [(ev.action.name, f.code.name, f.pointer) for ev in events
            for f in ev.findings if f.severity in ("warning", "error")]


def test_seed_mended_five_events_six_defects():
    events = list(kvstrail.parse(SEED))
    assert [ev.action.name for ev in events] == SEED_ACTIONS
    assert all(ev.action is kvstrail.Action[ev.event_name] for ev in events)
    assert defects(events) == SEED_DEFECTS
    # GetDataEndpoint asks for LIST_FRAGMENTS: metadata, no video
    assert [ev.access for ev in events] == [
        kvstrail.Access.CONFIG_WRITE, kvstrail.Access.DELETE,
        kvstrail.Access.CONFIG_READ, kvstrail.Access.CONFIG_READ,
        kvstrail.Access.CONFIG_READ]
    assert all(ev.access.name.lower().replace("_", "-") == ev.to_dict()["access"]
               for ev in events)
    create = events[0]
    assert create.request["mediaType"] == "mediaType"
    assert create.request["dataRetentionInHours"] == 2
    assert create.response == {"streamARN":
        "arn:aws:kinesisvideo:us-east-1:123456789012:stream/VideoStream/12345"}
    media = [f for f in create.findings if f.code == kvstrail.FindingCode.MEDIA_TYPE][0]
    assert (media.line, media.column, media.severity) == (22, 30, "error")
    assert media.name == "KVST_F_MEDIA_TYPE"
    assert create.event_time_ms == 1527207391000
    assert events[1].event_time_ms is None  # "2018-05-25:17:06Z"
    assert events[1].identity.cross_account is True
    assert "cross_account" in events[1].identity.flags


def test_seed_envelope_and_identity_attributes():
    ev = next(iter(kvstrail.parse(SEED)))
    assert ev.file == str(SEED)
    assert (ev.record, ev.line, ev.column) == (0, 3, 9)
    assert ev.event_version == "1.05"
    assert ev.event_source == " kinesisvideo.amazonaws.com"
    assert ev.aws_region == "us-east-1"
    assert ev.source_ip_address == "127.0.0.1"
    assert ev.request_id == "db6c59f8-c757-11e3-bc3b-57923b443c1c"
    assert ev.event_id == "b7acfcd0-6ca9-4ee1-a3d7-c4e8d420d99b"
    assert ev.read_only is None and ev.error_code is None
    ident = ev.identity
    assert (ident.type, ident.principal, ident.credential) == \
        ("IAMUser", "IAMUser", "unknown")
    assert (ident.root_or_iam_user, ident.role_or_federated_temporary,
            ident.aws_service) == (True, False, False)
    assert ident.mfa is None and ident.user_name == "Alice"
    assert ident.account_id == "123456789012"
    assert "record=0" in repr(ev)


def test_seed_published_strict_stops_at_line_27():
    stream = kvstrail.parse(SEED_BROKEN)
    with pytest.raises(kvstrail.ParseError) as exc:
        next(stream)  # the first record is the broken one: nothing before it
    e = exc.value
    assert type(e) is kvstrail.ParseError
    assert (e.line, e.column, e.record) == (27, 21, 0)
    assert e.code == -1 and e.status == "KVST_E_SYNTAX"
    assert e.file == str(SEED_BROKEN)
    assert str(e).startswith(f"{SEED_BROKEN}:27:21: ")
    with pytest.raises(StopIteration):
        next(stream)  # and the stream is over


def test_events_before_the_error_come_first():
    events = []
    with pytest.raises(kvstrail.TruncatedError) as exc:
        for ev in kvstrail.parse(FIX / "truncated-log.json"):
            events.append(ev)
    assert [ev.record for ev in events] == [0, 1, 2]
    assert exc.value.record == 3
    assert (exc.value.line, exc.value.column) == (1, 2389)
    assert isinstance(exc.value, kvstrail.ParseError)


@pytest.mark.parametrize("fixture, cls", [
    ("digest-file.json", kvstrail.NotCloudTrailError),
    ("not-cloudtrail.json", kvstrail.NotCloudTrailError),
    ("deep-nesting.json", kvstrail.LimitError),
])
def test_error_classes(fixture, cls):
    with pytest.raises(cls) as exc:
        list(kvstrail.parse(FIX / fixture))
    assert isinstance(exc.value, kvstrail.Error)
    assert exc.value.line >= 1 and exc.value.column >= 1
    assert exc.value.message


def test_digest_file_is_named():
    with pytest.raises(kvstrail.NotCloudTrailError, match="digest"):
        list(kvstrail.parse(FIX / "digest-file.json"))


def test_encoding_error():
    with pytest.raises(kvstrail.EncodingError) as exc:
        list(kvstrail.parse(b'{"eventVersion":"1.08","eventName":"\xff"}'))
    assert exc.value.status == "KVST_E_ENCODING"
    assert exc.value.column > 1


def test_sources_agree(tmp_path):
    expected = [ev.to_dict() for ev in kvstrail.parse(SEED)]
    data = SEED.read_bytes()

    def dicts(source, **kw):
        return [ev.to_dict() for ev in kvstrail.parse(source, **kw)]

    label = lambda d, name: [dict(x, file=name) for x in d]  # noqa: E731
    assert dicts(pathlib.Path(SEED), name=str(SEED)) == expected
    assert dicts(data) == label(expected, "-")
    assert dicts(bytearray(data)) == label(expected, "-")
    assert dicts(memoryview(data)) == label(expected, "-")
    with open(SEED, "rb") as f:
        assert dicts(f) == label(expected, "-")
        assert not f.closed  # a caller's file stays the caller's
    assert dicts(io.BytesIO(data), name="x.json") == label(expected, "x.json")
    assert dicts(data, name=None) == label(expected, None)


def test_file_object_read_in_64k_chunks():
    sizes = []

    class Reader(io.RawIOBase):
        def __init__(self, data):
            self.inner = io.BytesIO(data)

        def readable(self):
            return True

        def read(self, n=-1):
            sizes.append(n)
            return self.inner.read(n)

    data = (FIX / "gen-trail-40.json").read_bytes()
    events = list(kvstrail.parse(Reader(data)))
    assert len(events) == 40
    assert set(sizes) == {kvstrail.CHUNK_BYTES} == {65536}
    assert len(sizes) == len(data) // 65536 + 2  # full, partial, then b""


def test_text_file_is_refused():
    with open(SEED, "r", encoding="utf-8") as f:
        with pytest.raises(TypeError, match="binary"):
            list(kvstrail.parse(f))
    with pytest.raises(TypeError):
        kvstrail.parse(12)


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        kvstrail.parse(DATA / "no-such-file.json")


def test_gzip_made_here(tmp_path):
    plain = (FIX / "gen-trail-40.json").read_bytes()
    expected = [ev.to_dict() for ev in kvstrail.parse(plain)]
    gz = tmp_path / "t.json.gz"
    gz.write_bytes(gzip.compress(plain))
    got = [ev.to_dict() for ev in kvstrail.parse(gz, name="-")]
    assert got == expected
    # Multi-member gzip (two members, the split inside a record).
    half = len(plain) // 2
    multi = gzip.compress(plain[:half]) + gzip.compress(plain[half:])
    assert [ev.to_dict() for ev in kvstrail.parse(io.BytesIO(multi))] == expected


def test_truncated_gzip_yields_complete_records_then_raises(tmp_path):
    data = gzip.compress((FIX / "gen-trail-40.json").read_bytes())
    events = []
    with pytest.raises(kvstrail.TruncatedError):
        for ev in kvstrail.parse(data[: len(data) * 2 // 3]):
            events.append(ev)
    assert 0 < len(events) < 40
    assert [ev.record for ev in events] == list(range(len(events)))


def test_corrupt_gzip():
    data = bytearray(gzip.compress((FIX / "gen-trail-40.json").read_bytes(), mtime=0))
    data[-8] ^= 0xFF  # the member's CRC-32: every byte inflates, the check fails
    events = []
    with pytest.raises(kvstrail.GzipError) as exc:
        for ev in kvstrail.parse(bytes(data)):
            events.append(ev)
    assert exc.value.status == "KVST_E_GZIP"
    assert len(events) == 40
    # A broken deflate stream (reserved block type 3) is a gzip error too.
    bad = gzip.compress(b"{}", mtime=0)
    bad = bad[:10] + bytes([0x07]) + bad[11:]
    with pytest.raises(kvstrail.GzipError):
        list(kvstrail.parse(bad))


def test_gzip_bomb_limit():
    bomb = gzip.compress(b'{"Records":[' + b" " * (4 << 20) + b"]}")
    with pytest.raises(kvstrail.LimitError):
        list(kvstrail.parse(bomb, max_inflate_ratio=10))
    assert list(kvstrail.parse(bomb, max_inflate_ratio=kvstrail.UNLIMITED)) == []


def test_limits():
    seed = SEED.read_bytes()
    with pytest.raises(kvstrail.LimitError) as exc:
        list(kvstrail.parse(seed, max_record_bytes=500))
    assert exc.value.status == "KVST_E_LIMIT"
    assert exc.value.record == 0
    # A limit of 0 or None is the default; the default lets the seed pass.
    assert len(list(kvstrail.parse(seed, max_record_bytes=0))) == 5
    assert len(list(kvstrail.parse(seed, max_depth=None))) == 5
    with pytest.raises(TypeError, match="max_records"):
        kvstrail.parse(seed, max_records=1)
    with pytest.raises(ValueError):
        kvstrail.parse(seed, max_depth=-1)
    with pytest.raises(ValueError):
        kvstrail.parse(seed, max_depth="3")


def test_kvs_only():
    path = FIX / "gen-trail-40.json"
    everything = list(kvstrail.parse(path))
    kvs = list(kvstrail.parse(path, kvs_only=True))
    assert [e.to_dict() for e in everything if e.action is not None] == \
        [e.to_dict() for e in kvs]
    assert any(e.action is None for e in everything)
    other = [e for e in everything if e.action is None][0]
    assert other.request is None and other.event_source != "kinesisvideo.amazonaws.com"


def test_validate_false_skips_findings():
    assert all(ev.findings == [] for ev in kvstrail.parse(SEED, validate=False))


def test_keep_raw():
    data = SEED.read_bytes()
    for ev in kvstrail.parse(data, keep_raw=True):
        assert ev.raw == data[ev.offset: ev.offset + len(ev.raw)]
        assert ev.raw.startswith(b"{") and ev.raw.endswith(b"}")
    assert all(ev.raw is None for ev in kvstrail.parse(data))


def test_event_outlives_the_parser():
    with kvstrail.open(SEED) as events:
        kept = list(events)
    gc.collect()
    assert [ev.to_dict()["eventName"] for ev in kept] == SEED_ACTIONS
    assert kept[0].to_dict() is not kept[0].to_dict()  # a fresh dict each call
    d = kept[0].to_dict()
    d["eventName"] = "changed"
    assert kept[0].event_name == "CreateStream"


def test_context_manager_closes_early(tmp_path):
    path = gen_trail(tmp_path / "t.json", 300)
    with kvstrail.open(path) as events:
        first = next(events)
        assert events.stats()["records"] >= 1
    assert first.record == 0
    assert events._p is None and events._file is None  # parser freed, file closed
    assert events.stats()["records"] >= 1  # the figures at close
    with pytest.raises(StopIteration):
        next(events)
    events.close()  # idempotent


def test_parser_freed_when_iteration_ends():
    stream = kvstrail.parse(SEED)
    assert len(list(stream)) == 5
    assert stream._p is None and stream._file is None


def test_stats_after_full_read():
    data = (FIX / "trailscraper-log.json.gz").read_bytes()
    stream = kvstrail.parse(data)
    it = iter(stream)
    next(it)
    s = stream.stats()
    assert s["bytes_in"] == len(data)
    assert s["bytes_json"] > len(data)  # inflated
    assert len(list(it)) + 1 == stream.stats()["records"] == 2  # kept after the end


def test_chunk_boundaries_do_not_matter():
    # A file object returning odd-sized reads (a pipe would) gives the same.
    data = (FIX / "otel-identity-center.json").read_bytes()
    expected = [ev.to_dict() for ev in kvstrail.parse(data)]

    class Trickle(io.RawIOBase):
        def __init__(self):
            self.pos = 0

        def readable(self):
            return True

        def read(self, n=-1):
            chunk = data[self.pos: self.pos + 7]
            self.pos += len(chunk)
            return chunk

    assert [ev.to_dict() for ev in kvstrail.parse(Trickle())] == expected


def test_recover_flag_rejected_cleanly_or_used():
    try:
        stream = kvstrail.parse(SEED, recover=True)
    except kvstrail.InvalidArgumentError as e:
        assert e.code == _ffi.KVST_E_INVAL
    else:
        assert len(list(stream)) == 5  # nothing broken: the same five events


def test_events_pickle(tmp_path):
    # Dask and multiprocessing ship events between processes.
    import pickle
    for ev in kvstrail.parse(SEED, keep_raw=True):
        back = pickle.loads(pickle.dumps(ev))
        assert back.to_dict() == ev.to_dict() and back.raw == ev.raw
        assert back.findings == ev.findings and back.identity == ev.identity
        assert back.action is ev.action
    broken = next(iter(kvstrail.parse(SEED_BROKEN, recover=True)))
    assert isinstance(broken, kvstrail.BrokenRecord)
    back = pickle.loads(pickle.dumps(broken))
    assert back.to_dict() == broken.to_dict() and back.raw == broken.raw


def test_identity_members():
    ident = next(iter(kvstrail.parse(SEED))).identity
    assert ident.imdsv1 is False  # in the JSON since 1.1
    with pytest.raises(AttributeError):
        ident.no_such_member
    with pytest.raises(TypeError):
        kvstrail.Identity(no_such_member=1)
    assert ident.to_dict()["principal"] == "IAMUser"


def test_event_declares_every_member_of_the_contract():
    # Every member of the JSON contract is a declared attribute (or one of
    # the computed ones), and each declared one reads its member.
    from kvstrail._event import _Member
    members = {attr: m.key for attr, m in vars(kvstrail.Event).items()
               if isinstance(m, _Member)}
    assert set(members) <= set(kvstrail.Event.__annotations__)
    ev = next(iter(kvstrail.parse(SEED)))
    d = ev.to_dict()
    computed = {"action", "access", "identity", "findings"}
    assert set(d) == set(members.values()) | computed
    for attr, key in members.items():
        assert getattr(ev, attr) == d[key], attr
    with pytest.raises(AttributeError):
        ev.event_time = "x"
    assert not hasattr(kvstrail.Event, "__getattr__")


def test_identity_declares_every_member_of_the_contract():
    ident = next(iter(kvstrail.parse(SEED))).identity
    assert not hasattr(kvstrail.Identity, "__getattr__")
    assert set(kvstrail.Identity.__slots__) == set(kvstrail.Identity.__annotations__)
    from kvstrail._event import _IDENTITY_KEYS
    d = next(iter(kvstrail.parse(SEED))).to_dict()["identity"]
    assert set(d) == {key for key, _ in _IDENTITY_KEYS}
    for key, attr in _IDENTITY_KEYS:
        assert getattr(ident, attr) == d[key], attr
    with pytest.raises(AttributeError):
        ident.principal = "Root"


def test_bytearray_released_after_close():
    buf = bytearray(SEED.read_bytes())
    with kvstrail.parse(buf) as events:
        next(events)
        with pytest.raises(BufferError):
            buf.extend(b" ")  # the parser reads it: no resizing meanwhile
    buf.extend(b" ")


def test_single_thread_gzip_is_the_same(tmp_path):
    path = gen_trail(tmp_path / "t.json.gz", 2000, seed=9, gzip=True)
    both = [[ev.to_dict() for ev in kvstrail.parse(path, single_thread=s)]
            for s in (False, True)]
    assert len(both[0]) == 2000 and both[0] == both[1]


def test_access_enum_and_other_services():
    assert kvstrail.Access.MEDIA_READ == 1 and kvstrail.Access.DELETE == 6
    assert [a.name for a in kvstrail.Access] == [
        "MEDIA_READ", "MEDIA_WRITE", "SIGNALING", "CONFIG_READ",
        "CONFIG_WRITE", "DELETE"]
    assert [_ffi.lib.kvst_access_name(a).decode() for a in kvstrail.Access] == [
        "media-read", "media-write", "signaling", "config-read",
        "config-write", "delete"]
    other = [ev for ev in kvstrail.parse(FIX / "gen-trail-40.json")
             if ev.action is None]
    assert other and all(ev.access is None for ev in other)


DATA_OPERATIONS = [
    "GetMedia", "GetClip", "GetDASHStreamingSessionURL",
    "GetHLSStreamingSessionURL", "GetImages", "GetMediaForFragmentList",
    "ListFragments", "GetIceServerConfig", "SendAlexaOfferToMaster",
    "JoinStorageSession", "JoinStorageSessionAsViewer", "PutMedia",
    "ConnectAsMaster", "ConnectAsViewer"]


def test_mixed_trail_of_management_and_data_events():
    events = list(kvstrail.parse(FIX / "kvs-data-events.json"))
    kvs = [ev for ev in events if ev.action is not None]
    assert [ev.event_name for ev in kvs] == ["GetDataEndpoint"] + DATA_OPERATIONS
    assert all(ev.action is kvstrail.Action[ev.event_name] for ev in kvs)
    other = [ev for ev in events if ev.action is None]
    assert [(ev.event_source, ev.access) for ev in other] == [
        ("s3.amazonaws.com", None)]
    A = kvstrail.Access
    assert [ev.access for ev in kvs] == [
        A.MEDIA_READ,  # GetDataEndpoint for GET_HLS_STREAMING_SESSION_URL
        A.MEDIA_READ, A.MEDIA_READ, A.MEDIA_READ, A.MEDIA_READ, A.MEDIA_READ,
        A.MEDIA_READ, A.CONFIG_READ, A.SIGNALING, A.SIGNALING, A.MEDIA_WRITE,
        A.SIGNALING, A.MEDIA_WRITE, A.SIGNALING, A.SIGNALING]
    assert [f for ev in events for f in ev.findings
            if f.severity != "info"] == []
    put = kvs[DATA_OPERATIONS.index("PutMedia") + 1]
    assert put.request == {"streamName": "front-door",
                           "fragmentTimecodeType": "ABSOLUTE",
                           "producerStartTimestamp": 1764496800.0}


def test_data_event_findings():
    bad = {(ev.event_name, f.code.name, f.pointer)
           for ev in kvstrail.parse(FIX / "kvs-data-events-invalid.json")
           for f in ev.findings if f.code.name == "RESOURCE_MISMATCH"}
    assert bad == {
        ("GetMedia", "RESOURCE_MISMATCH", "/requestParameters/streamName"),
        ("GetClip", "RESOURCE_MISMATCH", "/requestParameters/streamARN"),
        ("GetMediaForFragmentList", "RESOURCE_MISMATCH", "/resources/0/accountId"),
        ("GetIceServerConfig", "RESOURCE_MISMATCH", "/requestParameters/channelARN"),
        ("ConnectAsViewer", "RESOURCE_MISMATCH", "/requestParameters/channelARN"),
        ("JoinStorageSession", "RESOURCE_MISMATCH", "/requestParameters/channelArn"),
    }
