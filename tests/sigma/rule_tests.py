#!/usr/bin/python3
"""Every rule's test events through `kvstrail detect` (issue 18).

    rule_tests.py CLI pack RULE_DIR
        RULE_DIR/<slug>.yml with RULE_DIR/tests/<slug>.match.jsonl and
        <slug>.nomatch.jsonl (and <slug>.placeholders.json, optional:
        {"NAME": ["value", ...]}, given as --placeholder NAME=value).
        Every rule file must have both test files.
    rule_tests.py CLI sigmahq TEST_DIR SIGMA_RULES_DIR
        TEST_DIR/<stem>.match.jsonl and <stem>.nomatch.jsonl for the rule
        SIGMA_RULES_DIR/.../<stem>.yml.
    rule_tests.py CLI load SIGMA_RULES_DIR COUNT
        every rule file loads (no error line) and COUNT rules are reported.

A plain rule must match EACH line of its .match file and NO line of its
.nomatch file. A correlation file (it has a `correlation:` document) fed
in order must fire at least once on .match and never on .nomatch; its
referenced rules are not reported (docs/sigma.md), so every match printed
counts. Exits 77 (skip) when the folder with the data is missing.
"""
import json
import os
import pathlib
import subprocess
import sys


def skip(why):
    print("SKIP " + why)
    sys.exit(77)


def detect(cli, rule, events, placeholders=()):
    args = [cli, "detect", "--rules", str(rule)]
    for name, values in placeholders:
        for v in values:
            args += ["--placeholder", "%s=%s" % (name, v)]
    args.append(str(events))
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=120)
    if p.returncode not in (0, 1):
        return None, p.stderr.strip()
    return [json.loads(line) for line in p.stdout.splitlines()], p.stderr.strip()


def event_lines(path):
    with open(path, encoding="utf-8") as f:
        return [line for line in f if line.strip()]


def is_correlation(rule):
    with open(rule, encoding="utf-8") as f:
        return any(line.startswith("correlation:") for line in f)


def check(cli, rule, match, nomatch, placeholders=()):
    """Problems of one rule (a list of strings)."""
    problems = []
    corr = is_correlation(rule)
    for path, want in ((match, True), (nomatch, False)):
        if not path.exists():
            problems.append("%s: missing %s" % (rule.name, path))
            continue
        n = len(event_lines(path))
        if n == 0:
            problems.append("%s: %s has no events" % (rule.name, path.name))
            continue
        got, err = detect(cli, rule, path, placeholders)
        if got is None:
            problems.append("%s on %s: kvstrail failed: %s" % (rule.name, path.name, err))
            continue
        if err:
            problems.append("%s on %s: stderr: %s" % (rule.name, path.name, err))
        records = sorted({m["record"] for m in got})
        if corr:
            if want and not got:
                problems.append("%s: the correlation did not fire on %s" %
                                (rule.name, path.name))
            if not want and got:
                problems.append("%s: the correlation fired on %s (record %d)" %
                                (rule.name, path.name, got[0]["record"]))
        elif want:
            missed = sorted(set(range(n)) - set(records))
            if missed:
                problems.append("%s: lines %s of %s do not match" % (
                    rule.name, ",".join(str(i + 1) for i in missed), path.name))
        elif records:
            problems.append("%s: lines %s of %s match" % (
                rule.name, ",".join(str(i + 1) for i in records), path.name))
    return problems


def run_pack(cli, rule_dir):
    rule_dir = pathlib.Path(rule_dir)
    rules = sorted(rule_dir.glob("*.yml"))
    if not rules:
        skip("no rule files in %s" % rule_dir)
    problems = []
    for rule in rules:
        slug = rule.stem
        tests = rule_dir / "tests"
        ph = tests / (slug + ".placeholders.json")
        placeholders = ()
        if ph.exists():
            with open(ph, encoding="utf-8") as f:
                placeholders = sorted(json.load(f).items())
        problems += check(cli, rule, tests / (slug + ".match.jsonl"),
                          tests / (slug + ".nomatch.jsonl"), placeholders)
    return len(rules), problems


def run_sigmahq(cli, test_dir, sigma_dir):
    test_dir, sigma_dir = pathlib.Path(test_dir), pathlib.Path(sigma_dir)
    if not sigma_dir.is_dir():
        skip("%s is missing (the shared folder)" % sigma_dir)
    stems = sorted({p.name[:-len(".match.jsonl")]
                    for p in test_dir.glob("*.match.jsonl")})
    if not stems:
        skip("no SigmaHQ rule tests in %s yet" % test_dir)
    by_stem = {p.stem: p for p in sigma_dir.rglob("*.yml")}
    problems = []
    for stem in stems:
        rule = by_stem.get(stem)
        if rule is None:
            problems.append("%s: no rule %s.yml under %s" % (stem, stem, sigma_dir))
            continue
        problems += check(cli, rule, test_dir / (stem + ".match.jsonl"),
                          test_dir / (stem + ".nomatch.jsonl"))
    return len(stems), problems


def run_load(cli, sigma_dir, count):
    sigma_dir = pathlib.Path(sigma_dir)
    if not sigma_dir.is_dir():
        skip("%s is missing (the shared folder)" % sigma_dir)
    p = subprocess.run([cli, "stats", "-f", "jsonl", "--rules", str(sigma_dir), "-"],
                       input='{"eventVersion":"1.08","eventSource":"s3.amazonaws.com",'
                             '"eventName":"ListBuckets","eventTime":'
                             '"2024-01-01T00:00:00Z"}\n',
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=120)
    problems = ["refused: " + line for line in p.stderr.splitlines()]
    if p.returncode != 0:
        problems.append("kvstrail exited %d" % p.returncode)
    else:
        rules = json.loads(p.stdout)["rules"]
        if len(rules) != int(count):
            problems.append("%d rules reported, want %s" % (len(rules), count))
    return int(count), problems


def main(argv):
    cli, mode = argv[1], argv[2]
    if mode == "pack":
        n, problems = run_pack(cli, argv[3])
    elif mode == "sigmahq":
        n, problems = run_sigmahq(cli, argv[3], argv[4])
    elif mode == "load":
        n, problems = run_load(cli, argv[3], argv[4])
    else:
        raise SystemExit("unknown mode " + mode)
    for p in problems:
        print("FAIL " + p)
    print("%d rules, %d problems" % (n, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
