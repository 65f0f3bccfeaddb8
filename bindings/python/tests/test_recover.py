"""Recovery mode: broken records come out as BrokenRecord objects and the
parse goes on. Skipped only while the library refuses KVST_FLAG_RECOVER."""

import json

import pytest

import kvstrail

from conftest import DATA, FIXTURES
from test_cli_contract import check, collect, run_cli

SEED_BROKEN = DATA / "seed-published.json"


def recover_supported():
    try:
        kvstrail.parse(b"", recover=True).close()
    except kvstrail.InvalidArgumentError:
        return False
    return True


pytestmark = pytest.mark.skipif(
    not recover_supported(),
    reason="this libkvstrail refuses KVST_FLAG_RECOVER (KVST_E_INVAL): "
           "recovery mode is not implemented in the core yet")


def test_seed_published_recovered():
    data = SEED_BROKEN.read_bytes()
    items = list(kvstrail.parse(SEED_BROKEN, recover=True))
    kinds = [(type(i).__name__, i.record) for i in items]
    assert kinds == [("BrokenRecord", 0), ("Event", 1), ("Event", 2),
                     ("BrokenRecord", 3), ("BrokenRecord", 4)]
    first = items[0]
    assert (first.line, first.column) == (27, 21)
    assert first.code == -1 and first.status == "KVST_E_SYNTAX"
    assert first.file == str(SEED_BROKEN)
    for b in (items[0], items[3], items[4]):
        # The byte range and the raw text are the record's own bytes.
        assert b.raw == data[b.record_offset: b.record_offset + b.length]
        assert b.text == b.raw.decode("utf-8")
        assert b.raw.startswith(b"{")
        assert b.record_offset <= b.offset < b.record_offset + b.length
        d = b.to_dict()
        assert set(d) == {"file", "record", "offset", "line", "column", "error"}
        assert d["error"]["code"] == "KVST_E_SYNTAX"
        exc = b.exception()
        assert isinstance(exc, kvstrail.ParseError)
        assert (exc.line, exc.column, exc.record) == (b.line, b.column, b.record)
    assert [i.action.name for i in items if isinstance(i, kvstrail.Event)] == \
        ["DeleteStream", "DescribeStream"]


def test_recover_keeps_raw_text_json():
    for b in kvstrail.parse(SEED_BROKEN.read_bytes(), recover=True):
        if isinstance(b, kvstrail.BrokenRecord):
            with pytest.raises(json.JSONDecodeError):
                json.loads(b.text)  # it is broken, and kept as it was


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_recover_matches_cli(cli, path):
    check(run_cli(cli, "--recover", str(path)), collect(str(path), recover=True))
