"""What a user meets first: a closed pipe, an empty input, a limit error."""
import gzip
import json
import signal
import subprocess

import pytest

from conftest import CLI, MENDED, run


def test_closed_pipe_ends_quietly(tmp_path):
    # `kvstrail events BIG | head -1`: the reader goes away after one line.
    # The tool must not die of SIGPIPE (exit 141 in a shell) nor complain;
    # its status is that of the input, read until the output closed.
    rec = json.loads(MENDED.read_text())["Records"][0]
    big = tmp_path / "big.json.gz"
    with gzip.open(big, "wt") as f:
        json.dump({"Records": [rec] * 5000}, f)
    for jobs in ("1", "2"):
        proc = subprocess.Popen([CLI, "events", "--format", "jsonl", "-j", jobs,
                                 str(big), str(big)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read()
        status = proc.wait(timeout=120)
        assert json.loads(first)["eventName"] == rec["eventName"]
        assert status == 0, (jobs, status, -signal.SIGPIPE)
        assert err == b""


def test_closed_pipe_stats():
    proc = subprocess.Popen([CLI, "stats", str(MENDED)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0 and err == b""


@pytest.mark.parametrize("command", ["events", "check", "stats"])
def test_empty_input_is_an_empty_stream(tmp_path, command):
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    for args in ([command, empty], [command], [command, "-"]):
        r = run(args, stdin=b"")
        assert r.returncode == 0, (args, r.stderr)
        assert r.stderr == b""
        if command == "events":
            assert r.stdout == b""
    r = run(["stats", "--format", "jsonl", empty])
    assert json.loads(r.stdout)["records"] == 0


def test_one_byte_is_not_empty(tmp_path):
    # One under "something": a lone space or newline still says there is
    # no JSON value, as before.
    for body in (b" ", b"\n"):
        r = run(["events", "-"], stdin=body)
        assert r.returncode == 2 and b"no JSON value" in r.stderr


LONG = {"Records": [{"eventVersion": "1.08", "eventTime": "2024-01-01T00:00:00Z",
                     "eventSource": "kinesisvideo.amazonaws.com",
                     "eventName": "CreateStream", "userAgent": "x" * 300}]}


@pytest.mark.parametrize("args, option, says", [
    (["--max-depth", "2"], "--max-depth", b"nesting deeper than the limit of 2"),
    (["--max-string-bytes", "100"], "--max-string-bytes",
     b"a string of 300 bytes is longer than the limit of 100"),
    # The record limit is the one in force: the message says so.
    (["--max-record-bytes", "200"], "--max-record-bytes",
     b"longer than the record limit of 200"),
    (["--max-record-bytes", "400"], "--max-record-bytes",
     b"is larger than the limit of 400 bytes"),
])
def test_limit_errors_name_their_option(tmp_path, args, option, says):
    trail = tmp_path / "long.json"
    trail.write_text(json.dumps(LONG))
    r = run(["events"] + args + [trail])
    assert r.returncode == 2
    assert says in r.stderr, r.stderr
    assert ("(raise it with %s) [KVST_E_LIMIT]" % option).encode() in r.stderr


def test_limit_error_exactly_at_the_limit(tmp_path):
    # A 300-byte string passes a string limit of exactly 300, not 299.
    trail = tmp_path / "long.json"
    trail.write_text(json.dumps(LONG))
    assert run(["events", "--max-string-bytes", "300", trail]).returncode == 0
    assert run(["events", "--max-string-bytes", "299", trail]).returncode == 2


def test_inflate_ratio_error_names_its_option(tmp_path):
    bomb = tmp_path / "bomb.json.gz"
    body = b'{"Records":[{"userAgent":"' + b"a" * (8 << 20) + b'"}]}'
    bomb.write_bytes(gzip.compress(body))
    r = run(["events", "--max-inflate-ratio", "10", bomb])
    assert r.returncode == 2
    assert b"(raise it with --max-inflate-ratio) [KVST_E_LIMIT]" in r.stderr
