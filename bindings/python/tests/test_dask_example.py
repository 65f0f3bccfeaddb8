"""examples/dask_trails.py: the counts Dask reduces equal the sum of the
per-file counts taken directly with kvstrail.parse."""

import json
import os
import shutil
import subprocess
import sys
from collections import Counter

import pytest

import kvstrail

from conftest import BINDING, DATA, EXAMPLES, gen_trail

pytest.importorskip("dask.bag")
pytest.importorskip("distributed")

SCRIPT = EXAMPLES / "dask_trails.py"


def direct_counts(paths, kvs_only=False):
    out = {"files": 0, "records": 0, "kvs_records": 0, "actions": Counter(),
           "principals": Counter(), "findings": Counter(), "errors": []}
    for p in paths:
        out["files"] += 1
        try:
            for ev in kvstrail.parse(p, kvs_only=kvs_only):
                out["records"] += 1
                out["kvs_records"] += ev.action is not None
                out["actions"][ev.action.name if ev.action else "(other service)"] += 1
                out["principals"][ev.identity.principal] += 1
                out["findings"].update(f.name for f in ev.findings)
        except kvstrail.ParseError as e:
            out["errors"].append(e.status)
    return out


@pytest.fixture(scope="module")
def trails(tmp_path_factory):
    d = tmp_path_factory.mktemp("trails")
    (d / "sub").mkdir()
    for i in range(3):
        gen_trail(d / f"t{i}.json.gz", 300 + 50 * i, seed=30 + i, gzip=True)
    gen_trail(d / "sub" / "t3.json.gz", 120, seed=40, gzip=True)
    shutil.copy(DATA / "seed-mended.json", d / "seed-mended.json")
    shutil.copy(DATA / "seed-published.json", d / "seed-published.json")
    return d


def run_example(*args):
    env = dict(os.environ, PYTHONPATH=str(BINDING))
    r = subprocess.run([sys.executable, str(SCRIPT), "--json", *map(str, args)],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.stdout, r.stderr
    return r.returncode, json.loads(r.stdout)


def check(summary, expected):
    for key in ("files", "records", "kvs_records"):
        assert summary[key] == expected[key], key
    for key in ("actions", "principals", "findings"):
        assert summary[key] == dict(expected[key]), key
    assert [e["status"] for e in summary["errors"]] == expected["errors"]


def test_local_cluster_threads(trails):
    # A folder (its *.json.gz, recursively) and two files given by name.
    gz = sorted(trails.rglob("*.json.gz"))
    plain = [trails / "seed-mended.json", trails / "seed-published.json"]
    rc, summary = run_example(trails, *plain)
    expected = direct_counts(sorted(map(str, gz + plain)))
    check(summary, expected)
    assert summary["files"] == 6 and summary["findings"]
    assert summary["errors"][0]["file"].endswith("seed-published.json")
    assert rc == 2  # one file had an error


def test_local_cluster_processes_kvs_only(trails):
    gz = sorted(trails.rglob("*.json.gz"))
    rc, summary = run_example("--processes", "--kvs-only", trails)
    assert rc == 0
    expected = direct_counts(sorted(map(str, gz)), kvs_only=True)
    check(summary, expected)
    assert "(other service)" not in summary["actions"]


def test_usage_errors():
    env = dict(os.environ, PYTHONPATH=str(BINDING))
    r = subprocess.run([sys.executable, str(SCRIPT), "/nonexistent/x.json.gz"],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 64 and "no such file" in r.stderr
    r = subprocess.run([sys.executable, str(SCRIPT)], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 64
