"""Command line: --version, --help, usage errors (exit 64)."""
import re

import pytest

from conftest import MENDED, run


def test_version_names_tool_and_library():
    r = run(["--version"])
    assert r.returncode == 0
    assert re.fullmatch(rb"kvstrail \d+\.\d+\.\d+ \(libkvstrail \d+\.\d+\.\d+\)\n",
                        r.stdout), r.stdout
    assert r.stderr == b""


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"],
                                  ["events", "--help"]])
def test_help_goes_to_stdout(args):
    r = run(args)
    assert r.returncode == 0
    text = r.stdout.decode()
    assert text.startswith("Usage: kvstrail COMMAND")
    for word in ("events", "check", "stats", "--format", "--kvs-only",
                 "--recover", "--jobs", "--progress", "--no-progress",
                 "--max-depth", "--max-string-bytes", "--max-record-bytes",
                 "--max-inflate-ratio", "--version"):
        assert word in text, word
    assert r.stderr == b""


@pytest.mark.parametrize("args", [
    [],                                        # no command
    ["frobnicate", MENDED],                    # unknown command
    ["events", "--no-such-option", MENDED],    # unknown option
    ["events", "-j", "two", MENDED],           # bad number
    ["events", "-j", "-1", MENDED],
    ["events", "-j"],                          # missing value
    ["events", "--max-depth", "12x", MENDED],
    ["events", "--max-record-bytes", "0", MENDED],
    ["events", "--max-string-bytes", "99999999999999999999999", MENDED],
    ["events", "--format", "sarif", MENDED],   # format of another command
    ["check", "--format", "table", MENDED],
    ["stats", "--format", "sarif", MENDED],
    ["events", "--format", "xml", MENDED],
    ["events", "--color=sometimes", MENDED],
])
def test_usage_errors_exit_64(args):
    r = run(args)
    assert r.returncode == 64, (args, r.stderr)
    assert r.stdout == b""
    assert r.stderr.startswith(b"kvstrail: ")


def test_limit_suffixes_and_unlimited_are_accepted():
    r = run(["stats", "--format", "jsonl", "--max-record-bytes", "1M",
             "--max-string-bytes", "64K", "--max-inflate-ratio", "unlimited",
             "--max-depth", "32", MENDED])
    assert r.returncode == 0, r.stderr


def test_options_may_follow_files():
    r = run(["events", MENDED, "--format", "jsonl"])
    assert r.returncode == 0
    assert len(r.stdout.splitlines()) == 5
