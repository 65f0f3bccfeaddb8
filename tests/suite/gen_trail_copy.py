#!/usr/bin/env python3
"""bench/gen_trail.py, the tree's copy of the standard workload generator
(../shared/bench/gen_trail.py), writes the same files byte for byte when
its one addition, --kvs-share, is not given: bench/run_bench.sh falls
back to the copy when ../shared is not there, and the figures of
docs/performance.md must not depend on which one wrote the workload.

  gen_trail_copy.py SHARED_DIR
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
COPY = os.path.join(HERE, "..", "..", "bench", "gen_trail.py")


def main():
    shared = os.path.join(sys.argv[1], "bench", "gen_trail.py")
    if not os.path.isfile(shared):
        print("SKIP: no %s (../shared missing?)" % shared)
        return 77
    failed = 0
    cases = 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in ("1", "7"):
            for gz in ([], ["--gzip"]):
                outs = []
                for which, gen in (("shared", shared), ("copy", COPY)):
                    out = os.path.join(tmp, "%s-%s%s" % (which, seed, ".gz" if gz else ""))
                    subprocess.run([sys.executable, gen, "--records", "300", "--seed", seed,
                                    "--out", out] + gz, check=True)
                    with open(out, "rb") as f:
                        outs.append(f.read())
                cases += 1
                if not outs[0] or outs[0] != outs[1]:
                    failed += 1
                    print("FAIL: seed %s%s: the copy wrote %d bytes, the shared generator %d"
                          % (seed, " gzip" if gz else "", len(outs[1]), len(outs[0])))
    print("gen_trail copy: %d cases, %d failed" % (cases, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
