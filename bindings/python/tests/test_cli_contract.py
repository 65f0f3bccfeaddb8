"""Event.to_dict() is exactly what `kvstrail events --format jsonl` prints,
and a ParseError is the error line the CLI prints, on every fixture."""

import json
import re
import subprocess

import pytest

import kvstrail

from conftest import FIXTURES


def run_cli(cli, *args, stdin=None):
    r = subprocess.run([cli, "events", "--format", "jsonl", "--no-progress",
                        *args], stdin=stdin, capture_output=True, timeout=60)
    lines = r.stdout.decode("utf-8").splitlines()
    # The CLI names the option of a limit (docs/cli.md); the library's
    # message, which Python gives, is the rest of the line.
    errors = [re.sub(r" \(raise it with --[a-z-]+\)(?= \[KVST_E_LIMIT\]$)", "", x)
              for x in r.stderr.decode("utf-8").splitlines()]
    return r.returncode, [json.loads(x) for x in lines], errors


def collect(source, **kw):
    """(dicts of events, error lines as the CLI would print them)."""
    dicts, errors = [], []
    kw.setdefault("digests", True)  # `kvstrail events` prints digest files
    try:
        for item in kvstrail.parse(source, **kw):
            if isinstance(item, kvstrail.BrokenRecord):
                errors.append(f"{item.file}:{item.line}:{item.column}: error: "
                              f"{item.message} [{item.status}]")
            else:
                dicts.append(item.to_dict())
    except kvstrail.ParseError as e:
        errors.append(f"{e.file}:{e.line}:{e.column}: error: {e.message} [{e.status}]")
    return dicts, errors


def check(cli_result, py_result):
    rc, cli_dicts, cli_err = cli_result
    dicts, errors = py_result
    assert dicts == cli_dicts
    assert errors == cli_err
    assert rc == (2 if errors else 0)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_strict_matches_cli(cli, path):
    check(run_cli(cli, str(path)), collect(str(path)))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_kvs_only_matches_cli(cli, path):
    check(run_cli(cli, "--kvs-only", str(path)), collect(str(path), kvs_only=True))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_file_object_matches_cli_stdin(cli, path):
    with open(path, "rb") as f:
        cli_result = run_cli(cli, "-", stdin=f)
    with open(path, "rb") as f:
        check(cli_result, collect(f))


def test_fixtures_are_there():
    names = {p.name for p in FIXTURES}
    assert {"seed-published.json", "seed-mended.json", "gen-trail-40.json",
            "trailscraper-log.json.gz"} <= names
