"""The ctypes mirrors of the C structs agree with the library: sizes from
the library's own checks, member offsets from values the library wrote
(read through the mirror) compared with the JSON it prints for the same
event. No compiler involved."""

import ctypes
import json
from ctypes import byref, sizeof

import pytest

import kvstrail
from kvstrail import _ffi
from kvstrail._ffi import lib

from conftest import DATA

SEED = DATA / "seed-mended.json"


def test_parser_options_size():
    opts = _ffi.kvst_parser_options()
    assert lib.kvst_parser_options_init(byref(opts), sizeof(opts)) == 0
    assert opts.struct_size == sizeof(opts)
    # The library's 1.0 struct is not bigger than the mirror...
    assert opts.max_inflate_ratio == 0
    # ...and not smaller: one byte less than the 1.0 struct (which ends
    # where 1.1's filter begins) is refused, the 1.0 size itself taken.
    size_1_0 = _ffi.kvst_parser_options.filter.offset
    small = (ctypes.c_char * sizeof(opts))()
    assert lib.kvst_parser_options_init(
        ctypes.cast(small, ctypes.POINTER(_ffi.kvst_parser_options)),
        size_1_0 - 1) == _ffi.KVST_E_ABI
    assert lib.kvst_parser_options_init(
        ctypes.cast(small, ctypes.POINTER(_ffi.kvst_parser_options)),
        size_1_0) == 0


def _new(opts):
    p = _ffi._parser_p()
    status = lib.kvst_parser_new(byref(opts), byref(p))
    lib.kvst_parser_free(p)
    return status


def test_parser_options_tail_rules():
    # Bigger than the library knows: accepted only with a zero tail, which
    # shows the library reads struct_size from the mirror's first member.
    class Bigger(ctypes.Structure):
        _fields_ = [("opts", _ffi.kvst_parser_options), ("extra", ctypes.c_uint64)]

    b = Bigger()
    assert lib.kvst_parser_options_init(byref(b.opts), sizeof(b.opts)) == 0
    b.opts.struct_size = sizeof(b)
    assert _new(b.opts) == 0
    b.extra = 1
    assert _new(b.opts) == _ffi.KVST_E_ABI


def test_parser_option_members_reach_the_library():
    # Each limit set through the mirror is the one the library enforces.
    deep = (DATA / "fixtures" / "deep-nesting.json").read_bytes()
    with pytest.raises(kvstrail.LimitError, match="limit of 5"):
        list(kvstrail.parse(deep, max_depth=5))
    with pytest.raises(kvstrail.LimitError):
        list(kvstrail.parse(SEED, max_string_bytes=8))
    with pytest.raises(kvstrail.LimitError):
        list(kvstrail.parse(SEED, max_record_bytes=100))
    # Flags: kvs_only drops the other services of a mixed trail.
    gen = DATA / "fixtures" / "gen-trail-40.json"
    everything = list(kvstrail.parse(gen))
    kvs = list(kvstrail.parse(gen, kvs_only=True))
    assert 0 < len(kvs) < len(everything)


def _first_event(path, flags=0):
    opts = _ffi.kvst_parser_options()
    lib.kvst_parser_options_init(byref(opts), sizeof(opts))
    opts.flags = flags
    p = _ffi._parser_p()
    assert lib.kvst_parser_new(byref(opts), byref(p)) == 0
    data = path.read_bytes()
    assert lib.kvst_parser_feed(p, data, len(data)) == 0
    assert lib.kvst_parser_finish(p) == 0
    evp = _ffi._event_p()
    return p, evp


def test_event_mirror_against_json():
    p, evp = _first_event(SEED, _ffi.KVST_FLAG_KEEP_RAW)
    try:
        seen = 0
        while lib.kvst_parser_next(p, byref(evp)) == 1:
            ev = evp.contents
            # The library's event is at least as big as the mirror (1.0: equal).
            assert ev.struct_size >= sizeof(_ffi.kvst_event)
            n = lib.kvst_event_to_json(evp, None, None, 0)
            buf = ctypes.create_string_buffer(n + 1)
            assert lib.kvst_event_to_json(evp, None, buf, n + 1) == n
            d = json.loads(buf.value)
            assert d["file"] is None
            assert ev.status == 0
            assert (ev.record_index, ev.offset, ev.line, ev.column) == \
                (d["record"], d["offset"], d["line"], d["column"])
            assert kvstrail.Action(ev.action).name == d["action"]
            for attr, key in (("event_version", "eventVersion"),
                              ("event_time", "eventTime"),
                              ("event_source", "eventSource"),
                              ("event_name", "eventName"),
                              ("aws_region", "awsRegion"),
                              ("source_ip_address", "sourceIPAddress"),
                              ("user_agent", "userAgent"),
                              ("request_id", "requestID"),
                              ("event_id", "eventID"),
                              ("event_type", "eventType"),
                              ("recipient_account_id", "recipientAccountId"),
                              ("error_code", "errorCode"),
                              ("error_message", "errorMessage")):
                assert _ffi.str_text(getattr(ev, attr)) == d[key], attr
            assert ev.finding_count == len(d["findings"])
            raw = _ffi.str_bytes(ev.raw)
            assert len(raw) == ev.length
            assert json.loads(raw)["eventID"] == d["eventID"]
            ident = ev.identity.contents
            assert ident.struct_size >= sizeof(_ffi.kvst_identity_info)
            assert lib.kvst_principal_name(ident.principal).decode() == \
                d["identity"]["principal"]
            assert _ffi.str_text(ident.arn) == d["identity"]["arn"]
            assert _ffi.str_text(ident.user_name) == d["identity"]["userName"]
            assert bool(ident.cross_account) == d["identity"]["crossAccount"]
            assert not ev.error
            seen += 1
        assert seen == 5
    finally:
        lib.kvst_parser_free(p)


def test_value_mirror_against_raw_record():
    fields = ["/requestParameters/dataRetentionInHours",
              "/requestParameters/streamName", "/userIdentity",
              "/resources", "/readOnly", "/nope"]
    for ev in kvstrail.parse(SEED, keep_raw=True, fields=fields):
        record = json.loads(ev.raw)
        for ptr in fields:
            node = record
            try:
                for part in ptr.strip("/").split("/"):
                    node = node[part]
            except KeyError:
                assert ptr not in ev.fields
                continue
            assert ev.fields[ptr] == node, ptr


def test_identity_info_size_is_checked():
    info = _ffi.kvst_identity_info()
    info.struct_size = 8
    text = b'{"type":"Root"}'
    assert lib.kvst_identity_classify_json(text, len(text), byref(info)) == \
        _ffi.KVST_E_ABI
    info.struct_size = sizeof(info)
    assert lib.kvst_identity_classify_json(text, len(text), byref(info)) == 0
    assert lib.kvst_principal_name(info.principal) == b"Root"
    assert _ffi.str_text(info.type) == "Root"


def test_error_mirror_against_cli_position():
    # seed-published.json breaks at line 27 column 21 (docs, CLI golden).
    with pytest.raises(kvstrail.ParseError) as exc:
        list(kvstrail.parse(DATA / "seed-published.json"))
    e = exc.value
    data = (DATA / "seed-published.json").read_bytes()
    # offset and line/column name the same byte.
    line_start = data.rfind(b"\n", 0, e.offset) + 1
    assert data[:e.offset].count(b"\n") + 1 == e.line == 27
    assert e.offset - line_start + 1 == e.column == 21
    assert e.pointer == "/responseElements/streamARN"
    assert e.excerpt.endswith("^")


def test_arn_mirror():
    a = kvstrail.validate.parse_arn(
        "arn:aws:kinesisvideo:us-east-1:123456789012:stream/VideoStream/1527207391000")
    assert a == kvstrail.validate.Arn(
        "aws", "kinesisvideo", "us-east-1", "123456789012",
        "stream/VideoStream/1527207391000", "stream", "VideoStream",
        "1527207391000", 1527207391000)
