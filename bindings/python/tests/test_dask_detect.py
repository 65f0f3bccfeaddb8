"""examples/dask_detect.py: the matches Dask reduces over a LocalCluster
are those of `kvstrail detect` on the same files and rules."""

import json
import os
import subprocess
import sys

import pytest

from conftest import BINDING, EXAMPLES, ROOT, SHARED

pytest.importorskip("dask.bag")
pytest.importorskip("distributed")

SCRIPT = EXAMPLES / "dask_detect.py"
SIGMAHQ = SHARED / "sigma" / "rules"
STRATUS = SHARED / "corpus" / "cloudtrail" / "stratus-red-team"
ENGINE = ROOT / "tests" / "sigma" / "engine"


def key(m):
    return (m["file"], m["record"], m["rule"]["id"], m["rule"]["author"])


def test_same_matches_as_detect(cli):
    if not SIGMAHQ.is_dir():
        pytest.skip("the shared folder is missing")
    files = sorted(str(p) for p in STRATUS.glob("*.json"))[:12]
    files += [str(ENGINE / "tests" / "string_modifiers.match.jsonl"),
              str(ENGINE / "tests" / "exists_null_keywords.match.jsonl")]
    files.sort()  # the example's order, and detect prints in file order
    rules = ["--rules", str(SIGMAHQ), "--rules", str(ENGINE / "string_modifiers.yml"),
             "--rules", str(ENGINE / "exists_null_keywords.yml")]
    env = dict(os.environ, PYTHONPATH=str(BINDING))
    r = subprocess.run([sys.executable, str(SCRIPT), *rules, *files],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode in (0, 1), r.stderr
    dask = [json.loads(l) for l in r.stdout.splitlines()]
    d = subprocess.run([cli, "detect", *rules, *files], capture_output=True, text=True)
    assert d.returncode == r.returncode, d.stderr
    direct = [json.loads(l) for l in d.stdout.splitlines()]
    assert dask and [key(m) for m in dask] == [key(m) for m in direct]
    assert [m["fields"] for m in dask] == [m["fields"] for m in direct]
