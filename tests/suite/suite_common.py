"""Shared by the runners of tests/suite: run suite_driver, report."""
import collections
import concurrent.futures
import os
import signal
import subprocess

Answer = collections.namedtuple("Answer", "status events problem")

TIMEOUT = 60  # seconds per file; the largest corpus file takes well under 1


def run_driver(driver, path, chunk=None):
    """Run suite_driver on path. problem is None when it answered
    "STATUS EVENTS" and exited 0; else it says what went wrong."""
    cmd = [driver, path] + ([str(chunk)] if chunk else [])
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return Answer(None, None, "no answer within %d s" % TIMEOUT)
    out = proc.stdout.decode("utf-8", "replace").split()
    err = proc.stderr.decode("utf-8", "replace").strip()
    if proc.returncode < 0:
        problem = "crashed with %s" % signal.Signals(-proc.returncode).name
    elif proc.returncode != 0:
        problem = "driver exited %d" % proc.returncode
    elif len(out) != 2 or not out[1].isdigit():
        problem = "unexpected driver output %r" % " ".join(out)
    else:
        return Answer(out[0], int(out[1]), None)
    if err:
        lines = err.splitlines()
        # A sanitizer's headline says more than its closing line.
        key = [l for l in lines if "ERROR:" in l or "runtime error:" in l]
        problem += ": " + (key or lines[-1:])[0][:300]
    return Answer(out[0] if out else None, None, problem)


def parallel_map(fn, items):
    """fn over items on as many workers as cores; the non-None results."""
    workers = max(1, min(4, os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return [r for r in pool.map(fn, items) if r is not None]


def finish(what, total, failures):
    """Print the failures and a count; the exit status for the test."""
    for f in failures:
        print("FAIL " + f)
    print("%d %s, %d failed" % (total, what, len(failures)))
    return 1 if failures else 0
