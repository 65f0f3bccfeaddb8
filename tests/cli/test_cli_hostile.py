"""Every line kvstrail prints is well-formed UTF-8 and JSON, whatever the input.

Hostile inputs: each kind of ill-formed UTF-8 in strings, lone surrogate
escapes, control bytes, broken records (whose raw text, quoted in
recovery mode, holds any byte), and random bytes after a good record.
Every stdout line of `events` and `check` (jsonl, and `check`'s SARIF) is
decoded strictly as UTF-8, parsed as JSON, and every string in it encoded
back strictly (a lone surrogate escape in the output would fail there:
Python's json module reads one without complaint).
"""
import json
import random

import pytest

from conftest import run

REC = (b'{"eventVersion":"1.05","eventSource":"kinesisvideo.amazonaws.com",'
       b'"eventName":"ListStreams","eventTime":"2018-05-25T00:16:31Z","eventID":"e1"}')

BAD_STRINGS = [
    b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf", b"\xed\xa0\x80", b"\xed\xbf\xbf",
    b"\xf4\x90\x80\x80", b"\xf5\x80", b"\xff", b"\xfe", b"\x80", b"\xbf\xbf", b"\xe2\x82",
    b"\xc3", b"\x01", b"\x1b[31m", b"\\ud800", b"\\udc00", b"\\ud800\\u0041", b"\\u0000",
    b"\\ud83d\\ude00",
]


def hostile_inputs():
    rng = random.Random(13)
    out = []
    for bad in BAD_STRINGS:
        line = b'{"eventName":"x' + bad + b'","eventSource":"kinesisvideo.amazonaws.com"}'
        out.append(REC + b"\n" + line + b"\n" + REC + b"\n")
        out.append(b'{"Records":[' + REC + b"," + line + b"," + REC + b"]}")
        out.append(b'{"Records":[' + REC + b',{"eventName":"' + bad + b'",]},' + REC + b"]}")
    for _ in range(30):
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80)))
        out.append(b'{"Records":[' + REC + b"," + junk + b"," + REC + b"]}")
        out.append(REC + b"\n" + junk + b"\n" + REC + b"\n")
    return out


def strict_strings(v):
    """Every string in v encodes as strict UTF-8 (no lone surrogate)."""
    if isinstance(v, str):
        v.encode("utf-8")
    elif isinstance(v, dict):
        for k, x in v.items():
            strict_strings(k)
            strict_strings(x)
    elif isinstance(v, list):
        for x in v:
            strict_strings(x)


@pytest.mark.parametrize("args", [
    ["events", "--format", "jsonl"],
    ["events", "--format", "jsonl", "--recover"],
    ["check", "--format", "jsonl", "--recover"],
    ["check", "--format", "sarif", "--recover"],
])
def test_output_is_utf8_json(tmp_path, args):
    paths = []
    for i, data in enumerate(hostile_inputs()):
        p = tmp_path / ("hostile-%03d.json" % i)
        p.write_bytes(data)
        paths.append(p)
    r = run(args + ["--"] + paths)
    assert r.returncode in (0, 1, 2), r.stderr[-500:]
    text = r.stdout.decode("utf-8")  # strict: raises on any ill-formed byte
    docs = [text] if args[2] == "sarif" else [x for x in text.split("\n") if x]
    assert docs
    for d in docs:
        strict_strings(json.loads(d))
    r.stderr.decode("utf-8")


def test_lone_surrogate_is_replacement_character(tmp_path):
    p = tmp_path / "s.json"
    p.write_bytes(REC + b'\n{"eventName":"a\\ud800b","eventSource":"kinesisvideo.amazonaws.com"}\n')
    r = run(["events", "--format", "jsonl", p])
    lines = [json.loads(x) for x in r.stdout.decode("utf-8").split("\n") if x]
    assert lines[1]["eventName"] == "a\ufffdb"
    codes = [f["name"] for f in lines[1]["findings"]]
    assert "KVST_F_LONE_SURROGATE" in codes
