#!/usr/bin/env python3
"""Golden-file test of the parser core.

For every fixture, the dump printed by kvst_dump (one JSON line per event,
then the final status with position, pointer, message and excerpt) must
equal tests/golden/<fixture>.dump byte for byte. A fixture written
PATH@recover is read in recovery mode, against <fixture>.recover.dump.
With --update the goldens are rewritten (review the diff before committing).

usage: golden.py KVST_DUMP GOLDEN_DIR FIXTURE[@recover]... [--update]
"""
import difflib
import os
import subprocess
import sys


def main():
    args = [a for a in sys.argv[1:] if a != "--update"]
    update = "--update" in sys.argv
    if len(args) < 3:
        print(__doc__)
        return 64
    dump, golden_dir, fixtures = args[0], args[1], args[2:]
    failed = 0
    for spec in fixtures:
        fx, _, variant = spec.partition("@")
        name = os.path.basename(fx) + ("." + variant if variant else "")
        gold = os.path.join(golden_dir, name + ".dump")
        flags = ["--" + variant] if variant else []
        r = subprocess.run([dump] + flags + [fx], capture_output=True)
        if r.returncode != 0:
            print("FAIL %s: kvst_dump exited %d: %s" % (name, r.returncode, r.stderr.decode()[-500:]))
            failed += 1
            continue
        got = r.stdout
        if update:
            with open(gold, "wb") as f:
                f.write(got)
            print("updated %s" % gold)
            continue
        try:
            want = open(gold, "rb").read()
        except FileNotFoundError:
            print("FAIL %s: no golden file %s (run with --update)" % (name, gold))
            failed += 1
            continue
        if got != want:
            failed += 1
            print("FAIL %s: dump differs from %s" % (name, gold))
            diff = difflib.unified_diff(want.decode("utf-8", "replace").splitlines(),
                                        got.decode("utf-8", "replace").splitlines(),
                                        "golden", "now", lineterm="", n=0)
            for line in list(diff)[:40]:
                print("   " + line[:400])
        else:
            print("ok   %s" % name)
    print("%d passed, %d failed" % (len(fixtures) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
