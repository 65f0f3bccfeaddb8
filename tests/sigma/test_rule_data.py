#!/usr/bin/python3
"""The rule data, checked without a rule engine.

    test_rule_data.py kvs RULES_DIR [KVSTRAIL_CLI [SIGMA_SCHEMA_DIR]]
    test_rule_data.py sigmahq SIGMA_RULES_DIR TESTS_DIR [KVSTRAIL_CLI]
    test_rule_data.py self-test

kvs: every rule file of the Kinesis Video Streams pack (RULES_DIR/*.yml)
parses as YAML, carries the metadata the pack promises (title, a UUID id
unique in the pack, status, description, AWS documentation references,
author, date, tags, logsource aws/cloudtrail, detection or correlation,
falsepositives, level), a correlation names only rules defined in its own
file, every |expand placeholder has values in tests/<slug>.placeholders.json,
tests/<slug>.match.jsonl and .nomatch.jsonl exist, are not empty and hold
one CloudTrail event object per line, ../meson.build installs the rule and
docs/detections.md names it; with SIGMA_SCHEMA_DIR (../shared), every
document also validates against the specification's JSON schemas.

sigmahq: every SigmaHQ rule (SIGMA_RULES_DIR/*.yml, from ../shared) has
TESTS_DIR/<stem>.match.jsonl and .nomatch.jsonl of the same form, and
TESTS_DIR/SOURCES.md and docs/detections.md name it. Exits 77 when the
folder is missing.

With KVSTRAIL_CLI, every test file is also read by `kvstrail events`, which
must deliver exactly one event per line: the files are what the engine's
harness will feed through the library.

Whether the events match is the engine's test (it runs this data); here
only the form is checked. self-test feeds the checks broken data and fails
unless each break is reported.
"""
import glob
import json
import os
import re
import subprocess
import sys

import yaml

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}"
                  r"-[0-9a-f]{12}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TAG = re.compile(r"^[a-z0-9]+\.[a-z0-9._-]+$")
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
PLACEHOLDER = re.compile(r"%(\w+)%")
STATUSES = {"stable", "test", "experimental", "deprecated", "unsupported"}
LEVELS = {"informational", "low", "medium", "high", "critical"}
CORRELATIONS = {"event_count", "value_count", "temporal", "temporal_ordered"}
# The envelope members every CloudTrail management or data event carries.
ENVELOPE = ("eventVersion", "userIdentity", "eventTime", "eventSource",
            "eventName", "awsRegion", "eventID", "eventType")
KVS_REFERENCE = "https://docs.aws.amazon.com/"


def check_metadata(where, doc, errors):
    """The outermost document of a rule file: everything the pack promises."""
    for key in ("title", "id", "status", "description", "references",
                "author", "date", "tags", "falsepositives", "level"):
        if key not in doc:
            errors.append("%s: no %s" % (where, key))
    if doc.get("status") is not None and doc["status"] not in STATUSES:
        errors.append("%s: status %r is not one of %s" %
                      (where, doc["status"], sorted(STATUSES)))
    if doc.get("level") is not None and doc["level"] not in LEVELS:
        errors.append("%s: level %r is not one of %s" %
                      (where, doc["level"], sorted(LEVELS)))
    if "author" in doc and doc["author"] != "kvstrail project":
        errors.append("%s: author %r, want 'kvstrail project'" %
                      (where, doc["author"]))
    if "date" in doc and not DATE.match(str(doc["date"])):
        errors.append("%s: date %r is not YYYY-MM-DD" % (where, doc["date"]))
    refs = doc.get("references")
    if "references" in doc and (not isinstance(refs, list) or not refs or
                                not all(isinstance(r, str) and
                                        r.startswith(KVS_REFERENCE)
                                        for r in refs)):
        errors.append("%s: references must be a list of AWS documentation "
                      "URLs (%s...)" % (where, KVS_REFERENCE))
    tags = doc.get("tags")
    if "tags" in doc and (not isinstance(tags, list) or not tags or
                          not all(isinstance(t, str) and TAG.match(t)
                                  for t in tags)):
        errors.append("%s: tags must be a list of namespace.name strings"
                      % where)
    fps = doc.get("falsepositives")
    if "falsepositives" in doc and (not isinstance(fps, list) or not fps or
                                    not all(isinstance(x, str) for x in fps)):
        errors.append("%s: falsepositives must be a non-empty list of strings"
                      " (quote an item holding ': ')" % where)
    if "description" in doc and len(str(doc["description"]).split()) < 8:
        errors.append("%s: description too short to say why" % where)


def check_detection(where, doc, errors):
    """A detection document: logsource aws/cloudtrail, named selections."""
    for key in ("title", "id"):
        if key not in doc:
            errors.append("%s: no %s" % (where, key))
    ls = doc.get("logsource") or {}
    if ls.get("product") != "aws" or ls.get("service") != "cloudtrail":
        errors.append("%s: logsource must be product aws, service cloudtrail"
                      % where)
    det = doc.get("detection")
    if not isinstance(det, dict) or "condition" not in det:
        errors.append("%s: no detection with a condition" % where)
        return set()
    names = set(det) - {"condition"}
    cond = det["condition"]
    for word in re.findall(r"[A-Za-z_][A-Za-z0-9_*]*", str(cond)):
        if word in ("and", "or", "not", "of", "all", "any", "them"):
            continue
        pat = re.compile("^" + re.escape(word).replace(r"\*", ".*") + "$")
        if not any(pat.match(n) for n in names):
            errors.append("%s: condition names %r, no such selection" %
                          (where, word))
    used = set()
    for sel in det.values():
        for item in (sel if isinstance(sel, list) else [sel]):
            if not isinstance(item, dict):
                continue
            for key, value in item.items():
                if "expand" in str(key).split("|")[1:]:
                    for v in (value if isinstance(value, list) else [value]):
                        used.update(PLACEHOLDER.findall(str(v)))
    return used


def schema_validators(schema_dir):
    """Validators of the Sigma JSON schemas (detection rule, correlation),
    or None when the schemas (../shared) are not there."""
    import jsonschema
    found = {}
    for kind, name in (("rule", "sigma-detection-rule-schema.json"),
                       ("correlation", "sigma-correlation-rules-schema.json")):
        path = os.path.join(schema_dir or "", name)
        if not os.path.isfile(path):
            return None
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema)
        found[kind] = cls(schema)
    return found


def check_schema(where, docs, validators, errors):
    """Each document against the specification's own JSON schema (YAML
    dates are compared as the text they were written as)."""
    for doc in docs:
        kind = "correlation" if "correlation" in doc else "rule"
        plain = json.loads(json.dumps(doc, default=str))
        for e in validators[kind].iter_errors(plain):
            errors.append("%s (%s): %s schema: %s at %s" % (
                where, doc.get("name") or doc.get("title"), kind,
                e.message[:200], "/".join(str(p) for p in e.absolute_path)))


def check_rule_file(path, errors, validators=None):
    """Returns (ids, placeholders used); appends what is wrong to errors."""
    where = os.path.basename(path)
    try:
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        errors.append("%s: YAML: %s" % (where, e))
        return [], set()
    if not docs or not all(isinstance(d, dict) for d in docs):
        errors.append("%s: not a YAML mapping per document" % where)
        return [], set()
    head = docs[0]
    check_metadata(where, head, errors)
    if validators:
        check_schema(where, docs, validators, errors)
    ids = [d.get("id") for d in docs]
    for i in ids:
        if not isinstance(i, str) or not UUID.match(i):
            errors.append("%s: id %r is not a UUID" % (where, i))
    used = set()
    if "correlation" in head:
        corr = head["correlation"]
        if not isinstance(corr, dict) or corr.get("type") not in CORRELATIONS:
            errors.append("%s: correlation type must be one of %s" %
                          (where, sorted(CORRELATIONS)))
            return ids, used
        for key in ("rules", "group-by", "timespan", "condition"):
            if key not in corr:
                errors.append("%s: correlation has no %s" % (where, key))
        if not re.match(r"^\d+[smhd]$", str(corr.get("timespan", ""))):
            errors.append("%s: timespan %r is not N[smhd]" %
                          (where, corr.get("timespan")))
        defined = {}
        for d in docs[1:]:
            for key in ("name", "id"):
                if key in d:
                    defined[d[key]] = d
        for ref in corr.get("rules") or []:
            if ref not in defined:
                errors.append("%s: correlation refers to %r, not defined in "
                              "the file" % (where, ref))
        for d in docs[1:]:
            used |= check_detection("%s (%s)" % (where, d.get("name")), d,
                                    errors)
    else:
        if len(docs) != 1:
            errors.append("%s: several documents but no correlation" % where)
        used |= check_detection(where, head, errors)
    return ids, used


def check_events(path, errors, cli=None):
    """One CloudTrail event object per line; returns the line count."""
    where = os.path.relpath(path)
    if not os.path.isfile(path):
        errors.append("%s: missing" % where)
        return 0
    count = 0
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            try:
                ev = json.loads(line)
            except ValueError as e:
                errors.append("%s:%d: not JSON: %s" % (where, lineno, e))
                continue
            count += 1
            if not isinstance(ev, dict):
                errors.append("%s:%d: not an object" % (where, lineno))
                continue
            missing = [k for k in ENVELOPE if k not in ev]
            if missing:
                errors.append("%s:%d: no %s" % (where, lineno,
                                                ", ".join(missing)))
            if not TIME.match(str(ev.get("eventTime", ""))):
                errors.append("%s:%d: eventTime %r is not ISO 8601 UTC" %
                              (where, lineno, ev.get("eventTime")))
    if count == 0:
        errors.append("%s: no events" % where)
    if cli and count:
        run = subprocess.run([cli, "events", "--format", "jsonl", path],
                             capture_output=True, text=True)
        got = len(run.stdout.splitlines())
        if got != count:
            errors.append("%s: kvstrail events delivers %d events for %d "
                          "lines (exit %d): %s" % (where, got, count,
                                                   run.returncode,
                                                   run.stderr.strip()[:300]))
    return count


def check_documented(doc, names):
    """docs/detections.md names every rule (when the tree has the docs)."""
    if not os.path.isfile(doc):
        return []
    text = open(doc, encoding="utf-8").read()
    return ["%s: %s is not documented" % (doc, n) for n in sorted(names)
            if "`%s`" % n not in text]


def check_kvs(rules_dir, cli=None, schema_dir=None):
    errors = []
    validators = schema_validators(schema_dir)
    if schema_dir and validators is None:
        print("note: no Sigma JSON schemas at %s (../shared missing?); "
              "the schema check is skipped" % schema_dir)
    tests = os.path.join(rules_dir, "tests")
    rules = sorted(glob.glob(os.path.join(rules_dir, "*.yml")))
    if not rules:
        errors.append("%s: no rules" % rules_dir)
    seen = {}
    slugs = set()
    for path in rules:
        slug = os.path.basename(path)[:-len(".yml")]
        slugs.add(slug)
        ids, used = check_rule_file(path, errors, validators)
        for i in ids:
            if i in seen:
                errors.append("%s: id %s already used by %s" %
                              (slug, i, seen[i]))
            seen[i] = slug
        for kind in ("match", "nomatch"):
            check_events(os.path.join(tests, "%s.%s.jsonl" % (slug, kind)),
                         errors, cli)
        php = os.path.join(tests, slug + ".placeholders.json")
        values = {}
        if os.path.exists(php):
            try:
                with open(php, encoding="utf-8") as f:
                    values = json.load(f)
            except ValueError as e:
                errors.append("%s: %s" % (php, e))
            if not used:
                errors.append("%s: the rule uses no placeholder" % php)
        for name in sorted(used):
            v = values.get(name)
            if not (isinstance(v, list) and v and
                    all(isinstance(x, str) and x for x in v)):
                errors.append("%s: placeholder %%%s%% has no values in %s" %
                              (slug, name, os.path.basename(php)))
    for path in glob.glob(os.path.join(tests, "*")):
        stem = os.path.basename(path).split(".")[0]
        if stem not in slugs:
            errors.append("%s: test file of no rule" % os.path.relpath(path))
    install = os.path.join(os.path.dirname(rules_dir), "meson.build")
    if os.path.isfile(install):
        listed = open(install, encoding="utf-8").read()
        for slug in sorted(slugs):
            if "'%s.yml'" % slug not in listed:
                errors.append("%s: %s.yml is not installed (not listed)" %
                              (install, slug))
    errors.extend(check_documented(os.path.join(
        os.path.dirname(os.path.dirname(rules_dir)), "docs", "detections.md"),
        slugs))
    readme = os.path.join(rules_dir, "README.md")
    if not os.path.isfile(readme) or "Apache-2.0" not in open(
            readme, encoding="utf-8").read():
        errors.append("%s: missing, or does not state the Apache-2.0 licence"
                      % readme)
    return len(rules), errors


def check_sigmahq(sigma_dir, tests, cli=None):
    errors = []
    stems = sorted(os.path.basename(p)[:-len(".yml")]
                   for p in glob.glob(os.path.join(sigma_dir, "*.yml")))
    if not stems:
        errors.append("%s: no SigmaHQ rules" % sigma_dir)
    sources = os.path.join(tests, "SOURCES.md")
    text = open(sources, encoding="utf-8").read() \
        if os.path.isfile(sources) else ""
    if not text:
        errors.append("%s: missing" % sources)
    for stem in stems:
        for kind in ("match", "nomatch"):
            check_events(os.path.join(tests, "%s.%s.jsonl" % (stem, kind)),
                         errors, cli)
        if text and ("`%s`" % stem) not in text:
            errors.append("%s: %s is not described" % (sources, stem))
    errors.extend(check_documented(os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
        "detections.md"), stems))
    for path in glob.glob(os.path.join(tests, "*.jsonl")):
        stem = os.path.basename(path).split(".")[0]
        if stem not in stems:
            errors.append("%s: test file of no SigmaHQ rule" % path)
    return len(stems), errors


def self_test():
    """Each break below must be reported, or the checks above are blind."""
    import tempfile
    good_rule = {
        "title": "t", "id": "c8cfe88d-b34b-4ca6-a1fc-0f54662ac9d7",
        "status": "experimental",
        "description": "one two three four five six seven eight nine",
        "references": ["https://docs.aws.amazon.com/x.html"],
        "author": "kvstrail project", "date": "2026-12-01",
        "tags": ["attack.impact"],
        "logsource": {"product": "aws", "service": "cloudtrail"},
        "detection": {"selection": {"eventName": "DeleteStream"},
                      "condition": "selection"},
        "falsepositives": ["x"], "level": "high"}
    event = {"eventVersion": "1.09", "userIdentity": {"type": "Root"},
             "eventTime": "2026-11-30T10:00:00Z",
             "eventSource": "kinesisvideo.amazonaws.com",
             "eventName": "DeleteStream", "awsRegion": "us-west-2",
             "eventID": "1", "eventType": "AwsApiCall"}
    breaks = {
        "no id": lambda r, e: r.pop("id"),
        "bad level": lambda r, e: r.update(level="severe"),
        "foreign reference": lambda r, e: r.update(
            references=["https://example.com/"]),
        "bad logsource": lambda r, e: r["logsource"].update(service="s3"),
        "unknown selection": lambda r, e: r["detection"].update(
            condition="selection and not filter"),
        "placeholder without values": lambda r, e: r["detection"].update(
            selection={"userIdentity.arn|expand": "%who%"}),
        "falsepositives item that YAML reads as a mapping": lambda r, e:
            r.update(falsepositives=[{"Scanners": "every stream"}]),
        "event without eventTime": lambda r, e: e.pop("eventTime"),
        "event with a local time": lambda r, e: e.update(
            eventTime="2026-11-30 10:00:00"),
    }
    failures = []

    def write_rule(d, slug, rule, ev):
        with open(os.path.join(d, slug + ".yml"), "w") as f:
            yaml.safe_dump(rule, f)
        for kind in ("match", "nomatch"):
            with open(os.path.join(d, "tests", "%s.%s.jsonl" % (slug, kind)),
                      "w") as f:
                f.write(json.dumps(ev) + "\n")

    def run(rule, ev, extra=None):
        with tempfile.TemporaryDirectory() as d:
            os.mkdir(os.path.join(d, "tests"))
            with open(os.path.join(d, "README.md"), "w") as f:
                f.write("Apache-2.0\n")
            write_rule(d, "r", rule, ev)
            if extra:
                extra(d)
            return check_kvs(d)[1]

    if run(good_rule, event):
        failures.append("the good rule is refused: %s" %
                        run(good_rule, event))
    for name, brk in breaks.items():
        r, e = json.loads(json.dumps(good_rule)), dict(event)
        brk(r, e)
        if not run(r, e):
            failures.append("%s: not reported" % name)

    def duplicate(d):
        write_rule(d, "s", good_rule, event)
    if not run(good_rule, event, duplicate):
        failures.append("duplicate id: not reported")

    def broken_line(d):
        with open(os.path.join(d, "tests", "r.nomatch.jsonl"), "a") as f:
            f.write("{\"eventName\": \n")
    if not run(good_rule, event, broken_line):
        failures.append("broken JSON line: not reported")

    def stray(d):
        open(os.path.join(d, "tests", "gone.match.jsonl"), "w").close()
    if not run(good_rule, event, stray):
        failures.append("test file of no rule: not reported")
    return failures


def finish(what, count, errors):
    for e in errors:
        print("FAIL: " + e)
    print("%s: %d checked, %d problems" % (what, count, len(errors)))
    return 1 if errors else 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "self-test":
        failures = self_test()
        return finish("self-test", 1, failures)
    if len(argv) >= 3 and argv[1] == "kvs":
        count, errors = check_kvs(argv[2], argv[3] if len(argv) > 3 else None,
                                  argv[4] if len(argv) > 4 else None)
        return finish("KVS rules", count, errors)
    if len(argv) >= 4 and argv[1] == "sigmahq":
        if not os.path.isdir(argv[2]):
            print("SKIP: no SigmaHQ rules at %s (../shared missing?)"
                  % argv[2])
            return 77
        count, errors = check_sigmahq(argv[2], argv[3],
                                      argv[4] if len(argv) > 4 else None)
        return finish("SigmaHQ rule tests", count, errors)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
