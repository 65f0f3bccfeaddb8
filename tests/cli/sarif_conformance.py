"""`kvstrail check --format sarif` is valid SARIF 2.1.0 (issue 17).

    sarif_conformance.py CLI SHARED_DIR FIXTURE_DIR TMP_DIR

Validates with python3-jsonschema against the OASIS schema in
SHARED_DIR/schemas/sarif-schema-2.1.0.json, and checks what the schema
cannot: the results are the findings `check --format jsonl` prints, and
input errors are toolExecutionNotifications naming the file and the line.
  1. the whole public corpus at once (plain and .gz files);
  2. the corpus's .gz files, and a .gz made here of a broken fixture: the
     location says positions are in the inflated text;
  3. inputs with a syntax error, plain and gzip, without and with
     --recover (then each skipped record is a notification too).
Exits 77 without the shared folder or python3-jsonschema.
"""
import gzip
import json
import pathlib
import subprocess
import sys

FAILURES = []


def fail(what):
    FAILURES.append(what)
    print("FAIL", what)


def run(cli, args):
    return subprocess.run([cli] + [str(a) for a in args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=600)


def check(cli, validator, name, files, extra=(), want_notes=0):
    """SARIF of files: valid, its results the jsonl findings, and (when
    want_notes) at least that many notifications, each naming an input."""
    r = run(cli, ["check", "--format", "sarif"] + list(extra) + files)
    j = run(cli, ["check", "--format", "jsonl"] + list(extra) + files)
    if r.returncode != j.returncode or r.returncode not in (0, 1, 2):
        fail(f"{name}: exit {r.returncode} (jsonl {j.returncode})")
    try:
        doc = json.loads(r.stdout)
    except ValueError as e:
        fail(f"{name}: not JSON: {e}")
        return None
    for err in sorted(validator.iter_errors(doc), key=str)[:10]:
        fail(f"{name}: schema: {err.message} at {list(err.absolute_path)}")
    run0 = doc["runs"][0]
    findings = [json.loads(x) for x in j.stdout.decode().splitlines()]
    if len(run0["results"]) != len(findings):
        fail(f"{name}: {len(run0['results'])} results, {len(findings)} findings")
    for res, f in zip(run0["results"], findings):
        loc = res["locations"][0]["physicalLocation"]
        if res["ruleId"] != f["name"] or loc["region"]["startLine"] != f["line"]:
            fail(f"{name}: result {res['ruleId']} is not finding {f['name']}")
    notes = [n for inv in run0["invocations"]
             for n in inv.get("toolExecutionNotifications", [])]
    if len(notes) < want_notes:
        fail(f"{name}: {len(notes)} notifications, want {want_notes} or more")
    uris = {str(pathlib.Path(p)) for p in files}
    for n in notes:
        loc = n["locations"][0]["physicalLocation"]
        uri = loc["artifactLocation"]["uri"]
        if want_notes and loc.get("region", {}).get("startLine", 0) < 1:
            fail(f"{name}: a notification without its line: {n}")
        if uri.endswith(".gz") != (loc.get("properties", {})
                                   .get("positionsIn") == "inflated"):
            fail(f"{name}: {uri}: positionsIn is not said of gzip alone")
        if not any(u.endswith(uri.split("/")[-1]) for u in uris):
            fail(f"{name}: notification about {uri}, not an input")
    if r.returncode == 2 and run0["invocations"][0]["executionSuccessful"]:
        fail(f"{name}: input errors, yet executionSuccessful")
    return doc


def main(argv):
    cli, shared, fixtures, tmp = argv[1], pathlib.Path(argv[2]), \
        pathlib.Path(argv[3]), pathlib.Path(argv[4])
    schema_path = shared / "schemas" / "sarif-schema-2.1.0.json"
    corpus = shared / "corpus" / "cloudtrail"
    if not schema_path.is_file() or not corpus.is_dir():
        print(f"SKIP no SARIF schema or corpus under {shared}")
        return 77
    try:
        import jsonschema
    except ImportError:
        print("SKIP python3-jsonschema is not installed")
        return 77
    with open(schema_path, encoding="utf-8") as f:
        validator = jsonschema.Draft7Validator(json.load(f))
    tmp.mkdir(parents=True, exist_ok=True)
    files = sorted(str(p) for p in corpus.rglob("*")
                   if p.is_file() and (p.suffix == ".json" or p.name.endswith(".gz")))
    doc = check(cli, validator, "corpus", files)
    if doc is not None and len(doc["runs"][0]["results"]) < 1000:
        fail("corpus: fewer than 1000 results")
    broken_gz = tmp / "broken-array.json.gz"
    broken_gz.write_bytes(gzip.compress((fixtures / "broken-array.json").read_bytes()))
    gz = [p for p in files if p.endswith(".gz")] + [str(broken_gz)]
    doc = check(cli, validator, "gzip", gz, want_notes=1)
    if doc is not None:
        for res in doc["runs"][0]["results"]:
            loc = res["locations"][0]["physicalLocation"]
            if loc.get("properties", {}).get("positionsIn") != "inflated":
                fail(f"gzip: result without positionsIn: {loc}")
    broken = [str(fixtures / "broken-array.json"), str(fixtures / "truncated-log.json"),
              str(broken_gz)]
    check(cli, validator, "syntax errors", broken, want_notes=3)
    check(cli, validator, "recover", [str(fixtures / "broken-lines.jsonl")],
          extra=["--recover"], want_notes=1)
    print(f"{len(files)} corpus files, {len(gz)} gzip; {len(FAILURES)} failures")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
