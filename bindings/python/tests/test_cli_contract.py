"""Event.to_dict() is exactly what `kvstrail events --format jsonl` prints,
and a ParseError is the error line the CLI prints, on every fixture."""

import json
import re
import subprocess

import pytest

import kvstrail

from conftest import DOCS, FIXTURES


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
                # The CLI says the broken record was skipped (docs/cli.md).
                errors.append(f"{item.file}:{item.line}:{item.column}: error: "
                              f"record {item.record} skipped, reading goes on "
                              f"(recovery mode): {item.message} [{item.status}]")
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


def test_to_dict_validates_against_the_schema():
    # docs/event-line.schema.json holds for Python's dicts as for the CLI's
    # lines (tests/schema checks those): events, digests, and the broken
    # records of recovery mode.
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((DOCS / "event-line.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    kinds = {"event": 0, "digest": 0, "broken": 0}
    for path in FIXTURES:
        try:
            items = list(kvstrail.parse(str(path), recover=True, digests=True))
        except kvstrail.ParseError:
            continue  # an error recovery cannot get past (a limit): no line
        for item in items:
            d = item.to_dict()
            kind = ("broken" if isinstance(item, kvstrail.BrokenRecord) else
                    "digest" if d.get("container") == "digest" else "event")
            kinds[kind] += 1
            errors = list(validator.iter_errors(d))
            assert not errors, (path.name, d.get("record"), errors[0].message)
    assert kinds["event"] > 100 and kinds["digest"] > 0 and kinds["broken"] > 0, kinds

