#!/usr/bin/python3
"""`kvstrail detect` output, byte for byte, against the committed golden
files of tests/golden/detect/ (issue 18: the engine and the match writer
are made faster without changing what detect prints).

    detect_golden.py CLI SRC SHARED [--update]

Cases (each its stdout and exit status):
  corpus   the SigmaHQ CloudTrail rules and the KVS pack over every file
           of SHARED/corpus/cloudtrail (jsonl)
  tests    the same rules over every rule test event file of the project
           (rules/kvs/tests, tests/sigma/engine/tests, tests/sigma/sigmahq)
  engine   the engine's feature rules (tests/sigma/engine) over their own
           test events
  trail    the same rules as corpus over bench/gen_trail.py --records 2000
           --seed 1, in jsonl, text and sarif
Paths are given relative to the folder they are in, so the "file"
members do not depend on where the tree is. --update writes the golden
files from this CLI (do it only for an intended change of the output, and
say why in the commit). Exits 77 (skip) without SHARED/sigma/rules.
"""
import gzip
import json
import os
import pathlib
import subprocess
import sys
import tempfile

# What a deployment gives the pack's three placeholder rules (as
# bench/detect_bench.sh does).
PACK_PLACEHOLDERS = [
    "kvs_allowed_readers=arn:aws:iam::123456789012:role/*",
    "kvs_trusted_image_destinations=s3://example-kvs-images/*",
    "kvs_trusted_notification_destinations=arn:aws:sns:*:123456789012:*",
]


def run(cli, args, cwd):
    p = subprocess.run([cli] + args, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=600)
    return p.stdout, p.returncode


def files_in(root, rel):
    return sorted(str(p.relative_to(root)) for p in (root / rel).glob("*.jsonl"))


def rule_args(rules, kvs):
    args = ["--rules", str(rules), "--rules", str(kvs)]
    for ph in PACK_PLACEHOLDERS:
        args += ["--placeholder", ph]
    return args


def cases(cli, src, shared, work):
    pack = rule_args(shared / "sigma" / "rules", src / "rules" / "kvs")
    yield "corpus.jsonl", run(cli, ["detect"] + pack + ["corpus/cloudtrail"], shared)
    tests = (files_in(src, "rules/kvs/tests") + files_in(src, "tests/sigma/engine/tests")
             + files_in(src, "tests/sigma/sigmahq"))
    yield "tests.jsonl", run(cli, ["detect"] + pack + tests, src)
    engine = ["--rules", "tests/sigma/engine"]
    for ph in sorted((src / "tests/sigma/engine/tests").glob("*.placeholders.json")):
        with open(ph, encoding="utf-8") as f:
            for name, values in sorted(json.load(f).items()):
                for v in values:
                    engine += ["--placeholder", "%s=%s" % (name, v)]
    yield "engine.jsonl", run(cli, ["detect"] + engine +
                              files_in(src, "tests/sigma/engine/tests"), src)
    trail = work / "trail-2000.json"
    subprocess.run([sys.executable, str(src / "bench" / "gen_trail.py"), "--records",
                    "2000", "--seed", "1", "--out", str(trail)], check=True,
                   stdout=subprocess.DEVNULL)
    # SARIF names each rule's file: the rules by links in the work folder.
    os.symlink(shared / "sigma" / "rules", work / "sigmahq")
    os.symlink(src / "rules" / "kvs", work / "kvs")
    for fmt in ("jsonl", "text", "sarif"):
        yield "trail." + fmt, run(cli, ["detect", "--format", fmt] +
                                  rule_args("sigmahq", "kvs") + [trail.name], work)


def first_difference(a, b):
    la, lb = a.split(b"\n"), b.split(b"\n")
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return "line %d:\n  golden: %s\n  now:    %s" % (
                i + 1, x[:400].decode("utf-8", "replace"), y[:400].decode("utf-8", "replace"))
    return "line %d: one output ends (golden %d lines, now %d)" % (
        min(len(la), len(lb)), len(la), len(lb))


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    cli = os.path.abspath(sys.argv[1])
    src = pathlib.Path(sys.argv[2]).resolve()
    shared = pathlib.Path(sys.argv[3]).resolve()
    update = "--update" in sys.argv[4:]
    if not (shared / "sigma" / "rules").is_dir():
        print("SKIP no %s/sigma/rules" % shared)
        sys.exit(77)
    golden = src / "tests" / "golden" / "detect"
    status_file = golden / "status.json"
    statuses = {}
    if not update:
        with open(status_file, encoding="utf-8") as f:
            statuses = json.load(f)
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, (out, rc) in cases(cli, src, shared, pathlib.Path(tmp)):
            path = golden / (name + ".gz")
            if update:
                golden.mkdir(parents=True, exist_ok=True)
                with gzip.GzipFile(path, "wb", mtime=0) as f:
                    f.write(out)
                statuses[name] = rc
                print("wrote %s (%d bytes of output, exit %d)" % (path, len(out), rc))
                continue
            with gzip.open(path, "rb") as f:
                want = f.read()
            lines = out.count(b"\n")
            if rc != statuses.get(name):
                print("FAIL %s: exit %d, golden %s" % (name, rc, statuses.get(name)))
                failed += 1
            if out != want:
                print("FAIL %s: output differs at %s" % (name, first_difference(want, out)))
                failed += 1
            else:
                print("ok   %s: %d lines, %d bytes, identical" % (name, lines, len(out)))
            if lines == 0:
                print("FAIL %s: no output at all (a case that cannot fail)" % name)
                failed += 1
    if update:
        with open(status_file, "w", encoding="utf-8") as f:
            json.dump(statuses, f, indent=1, sort_keys=True)
            f.write("\n")
        return 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
