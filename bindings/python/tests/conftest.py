"""Where the tests find their inputs. meson sets these variables (see
bindings/python/meson.build); the defaults let `pytest bindings/python/tests`
run from a source tree with KVSTRAIL_LIBRARY exported by hand."""

import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
BINDING = ROOT / "bindings" / "python"
DATA = pathlib.Path(os.environ.get("KVSTRAIL_DATA", ROOT / "tests" / "data"))
SHARED = pathlib.Path(os.environ.get("KVSTRAIL_SHARED", ROOT.parent / "shared"))
EXAMPLES = pathlib.Path(os.environ.get("KVSTRAIL_EXAMPLES", ROOT / "examples"))
DOCS = pathlib.Path(os.environ.get("KVSTRAIL_DOCS", ROOT / "docs"))
CLI = os.environ.get("KVSTRAIL_CLI")

# By hand without PYTHONPATH: test the package of this tree.
if importlib.util.find_spec("kvstrail") is None:
    sys.path.insert(0, str(BINDING))

# Every input file of the shared test data, top level and fixtures/.
FIXTURES = sorted(p for d in (DATA, DATA / "fixtures") for p in d.iterdir()
                  if p.is_file() and p.suffix in (".json", ".jsonl", ".gz"))


@pytest.fixture(scope="session")
def cli():
    if not CLI or not os.path.exists(CLI):
        pytest.skip("the kvstrail CLI is not built (KVSTRAIL_CLI unset)")
    return CLI


def gen_trail(out, records, seed=1, gzip=False):
    """A synthetic trail from ../shared/bench/gen_trail.py."""
    script = SHARED / "bench" / "gen_trail.py"
    if not script.exists():
        pytest.skip(f"{script} is missing (KVSTRAIL_SHARED)")
    cmd = [sys.executable, str(script), "--records", str(records),
           "--seed", str(seed), "--out", str(out)]
    if gzip:
        cmd.append("--gzip")
    subprocess.run(cmd, check=True)
    return out
