#!/usr/bin/python3
"""`kvstrail detect --format sarif` is valid SARIF 2.1.0 (issue 18).

    sarif_check.py CLI SHARED_DIR ENGINE_DIR

Runs detect with the SigmaHQ rules and the engine test rules over the
engine's match events and the Stratus Red Team captures, validates the
document against ../shared/schemas/sarif-schema-2.1.0.json with
python3-jsonschema, and checks that every result's ruleIndex names its
rule, that each rule carries its author, and that the results are the
jsonl matches. Columns count bytes, so a region has no startColumn (the
byte column is a property). A second run with a broken input file must
still validate and name that file's error in a toolExecutionNotification.
Exits 77 without the shared folder.
"""
import json
import pathlib
import subprocess
import sys
import tempfile


def main(argv):
    cli, shared, engine = argv[1], pathlib.Path(argv[2]), pathlib.Path(argv[3])
    schema_path = shared / "schemas" / "sarif-schema-2.1.0.json"
    if not schema_path.exists() or not (shared / "sigma" / "rules").is_dir():
        print("SKIP the shared folder (schemas, sigma rules) is missing")
        return 77
    try:
        import jsonschema
    except ImportError:
        print("SKIP python3-jsonschema is not installed")
        return 77
    files = sorted(str(p) for p in (engine / "tests").glob("*.match.jsonl"))
    files += sorted(str(p) for p in
                    (shared / "corpus" / "cloudtrail" / "stratus-red-team").glob("*.json"))[:10]
    rules = ["--rules", str(shared / "sigma" / "rules"), "--rules", str(engine),
             "--placeholder", "AllowedUsers=alice"]
    run = lambda fmt, inputs=files: subprocess.run(
        [cli, "detect", "-f", fmt] + rules + inputs, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    sarif, jsonl = run("sarif"), run("jsonl")
    problems = []
    if sarif.returncode != 1:
        problems.append("exit status %d, want 1 (high matches): %s" %
                        (sarif.returncode, sarif.stderr))
    doc = json.loads(sarif.stdout)
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft7Validator(schema)
    for err in sorted(validator.iter_errors(doc), key=str)[:10]:
        problems.append("schema: %s at %s" % (err.message, list(err.absolute_path)))
    run0 = doc["runs"][0]
    drules = run0["tool"]["driver"]["rules"]
    for r in drules:
        if "author" not in r.get("properties", {}):
            problems.append("rule %s has no author" % r["id"])
    for res in run0["results"]:
        if drules[res["ruleIndex"]]["id"] != res["ruleId"]:
            problems.append("ruleIndex %d is not %s" % (res["ruleIndex"], res["ruleId"]))
        region = res["locations"][0]["physicalLocation"].get("region", {})
        if "startColumn" in region or "byteColumn" not in res["properties"]:
            problems.append("result %s: a byte column as startColumn" % res["ruleId"])
    with tempfile.TemporaryDirectory() as tmp:
        broken = pathlib.Path(tmp) / "broken.json"
        broken.write_text('{"Records":[{"eventVersion":"1.08",\n nope', encoding="utf-8")
        bad = run("sarif", files[:1] + [str(broken)])
    bad_doc = json.loads(bad.stdout)
    for err in sorted(validator.iter_errors(bad_doc), key=str)[:10]:
        problems.append("schema (broken input): %s at %s" %
                        (err.message, list(err.absolute_path)))
    inv = bad_doc["runs"][0]["invocations"][0]
    notes = inv.get("toolExecutionNotifications", [])
    if bad.returncode != 2 or inv["executionSuccessful"] or len(notes) != 1 or \
            not notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] \
            .endswith("broken.json") or "region" not in notes[0]["locations"][0]["physicalLocation"]:
        problems.append("broken input: exit %d, notifications %r" % (bad.returncode, notes))
    lines = [json.loads(l) for l in jsonl.stdout.splitlines()]
    if len(lines) != len(run0["results"]) or not lines:
        problems.append("%d SARIF results, %d jsonl matches" %
                        (len(run0["results"]), len(lines)))
    for p in problems:
        print("FAIL " + p)
    print("%d rules, %d results, %d problems" % (len(drules), len(run0["results"]),
                                                 len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
