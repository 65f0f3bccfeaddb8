"""`kvstrail check`: findings as text, JSON Lines and SARIF 2.1.0."""
import json
import re

from conftest import MENDED, PUBLISHED, jsonl, run, seed_records, write


def _all_findings(events):
    return [(ev["record"], f) for ev in events for f in ev["findings"]]


def _expected_status(events):
    return 1 if any(f["severity"] == "error"
                    for _, f in _all_findings(events)) else 0


def test_check_text(seed_events):
    r = run(["check", MENDED])
    assert r.returncode == _expected_status(seed_events)
    lines = r.stdout.decode().splitlines()
    found = _all_findings(seed_events)
    assert len(lines) == len(found)
    names = {ev["record"]: (ev["eventName"], ev["eventID"]) for ev in seed_events}
    for line, (record, f) in zip(lines, found):
        # The record is named: minified files put every finding on line 1.
        name, event_id = names[record]
        want = (f"{MENDED}:{f['line']}:{f['column']}: {f['severity']}: "
                f"{f['message']} [{f['name']}] "
                f"(record {record}, {name}, eventID {event_id})")
        assert line == want
    assert r.stderr == b""


def test_check_jsonl(seed_events):
    r = run(["check", "--format", "jsonl", MENDED])
    assert r.returncode == _expected_status(seed_events)
    got = jsonl(r.stdout)
    found = _all_findings(seed_events)
    assert len(got) == len(found)
    for g, (record, f) in zip(got, found):
        assert g["file"] == str(MENDED)
        assert g["record"] == record
        for key in ("code", "name", "severity", "pointer", "line", "column",
                    "message"):
            assert g[key] == f[key], key


def test_check_exit_1_only_for_error_findings(tmp_path):
    recs = seed_records()
    clean = dict(recs[4], eventSource="kinesisvideo.amazonaws.com")
    path = write(tmp_path / "clean.json", json.dumps(clean))
    r = run(["check", "--format", "jsonl", path])
    findings = jsonl(r.stdout)
    assert not any(f["severity"] == "error" for f in findings)
    assert r.returncode == 0
    broken = dict(clean, eventTime="yesterday")
    path = write(tmp_path / "bad-time.json", json.dumps(broken))
    r = run(["check", "--format", "jsonl", path])
    sev = {f["name"]: f["severity"] for f in jsonl(r.stdout)}
    assert "KVST_F_EVENT_TIME_FORMAT" in sev
    assert r.returncode == (1 if "error" in sev.values() else 0)


def test_check_input_error_wins_over_findings(tmp_path):
    r = run(["check", MENDED, tmp_path / "missing.json"])
    assert r.returncode == 2


def test_check_sarif_structure(seed_events):
    r = run(["check", "--format", "sarif", MENDED])
    assert r.returncode == _expected_status(seed_events)
    doc = json.loads(r.stdout)
    assert doc["version"] == "2.1.0"
    assert "sarif" in doc["$schema"] and "2.1.0" in doc["$schema"]
    assert len(doc["runs"]) == 1
    run0 = doc["runs"][0]
    driver = run0["tool"]["driver"]
    assert driver["name"] == "kvstrail"
    assert re.fullmatch(r"\d+\.\d+\.\d+", driver["version"])
    # The project has no public home page: no informationUri rather than a
    # made-up one.
    assert "informationUri" not in driver
    rules = driver["rules"]
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids))
    for rule in rules:
        assert re.fullmatch(r"KVST_F_[A-Z0-9_]+", rule["id"])
        assert rule["shortDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    found = _all_findings(seed_events)
    offsets = [g["offset"] for g in
               jsonl(run(["check", "--format", "jsonl", MENDED]).stdout)]
    results = run0["results"]
    assert len(results) == len(found)
    level = {"error": "error", "warning": "warning", "info": "note"}
    for res, (record, f) in zip(results, found):
        assert res["ruleId"] == f["name"]
        assert rules[res["ruleIndex"]]["id"] == f["name"]
        assert res["level"] == level[f["severity"]]
        assert res["message"]["text"] == f["message"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == str(MENDED)
        assert loc["region"]["startLine"] == f["line"]
        # SARIF counts columns in code points, the library in bytes: the
        # byte column is a property, and byteOffset is exact.
        assert "startColumn" not in loc["region"]
        assert res["properties"]["byteColumn"] == f["column"]
        assert loc["region"]["byteOffset"] == offsets.pop(0)
        assert res["properties"]["record"] == record
        assert res["properties"]["pointer"] == f["pointer"]
    assert run0["invocations"][0]["executionSuccessful"] is True


def test_check_sarif_stays_valid_over_many_files_and_errors(tmp_path, seed_events):
    empty = write(tmp_path / "empty findings.json", "[]")
    for jobs in ("1", "3"):
        r = run(["check", "--format", "sarif", "-j", jobs, empty, MENDED,
                 PUBLISHED, MENDED, empty])
        assert r.returncode == 2
        doc = json.loads(r.stdout)
        results = doc["runs"][0]["results"]
        assert len(results) == 2 * len(_all_findings(seed_events))
        assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is False
    # A file with no results first, and a path that needs percent-encoding.
    r = run(["check", "--format", "sarif", empty])
    doc = json.loads(r.stdout)
    assert doc["runs"][0]["results"] == []
