"""Memory stays flat while iterating; the package installs offline."""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import BINDING, DATA, gen_trail

MEMORY_PROBE = textwrap.dedent("""
    import resource, sys, kvstrail
    def peak_kib():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    n = 0
    for ev in kvstrail.parse(sys.argv[1]):
        n += ev.action is not None and len(ev.findings) >= 0
        if ev.record == 1000:
            warm = peak_kib()
    print(ev.record + 1, warm, peak_kib())
""")


def test_memory_flat_while_iterating(tmp_path):
    path = gen_trail(tmp_path / "big.json", 12000, seed=7)
    size_kib = os.path.getsize(path) // 1024
    r = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(path)],
                       capture_output=True, text=True, timeout=300, check=True)
    records, warm, peak = map(int, r.stdout.split())
    assert records == 12000
    # 11000 more records (~16 MB of JSON) may not grow the peak by more
    # than a few MiB: nothing is kept per event.
    assert size_kib > 15000
    assert peak - warm < 4096, (warm, peak, size_kib)


def test_pip_install_offline(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "--version"],
                       capture_output=True)
    if r.returncode != 0:
        pytest.skip("pip is not installed for this python (python3-pip)")
    # pip builds in place; build a copy so the source tree stays clean.
    src = tmp_path / "src"
    shutil.copytree(BINDING, src, ignore=shutil.ignore_patterns(
        "tests", "__pycache__", "*.egg-info", "build"))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation",
                    "--no-deps", "--no-index", "--quiet", "--target", str(target),
                    str(src)], check=True, timeout=300,
                   env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"))
    assert (target / "kvstrail" / "py.typed").exists()
    env = dict(os.environ, PYTHONPATH=str(target))
    probe = ("import kvstrail, sys; print(kvstrail.__file__); "
             "print(sum(1 for _ in kvstrail.parse(sys.argv[1])))")
    r = subprocess.run([sys.executable, "-c", probe,
                        str(DATA / "seed-mended.json")],
                       env=env, capture_output=True, text=True, timeout=60,
                       cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    where, count = r.stdout.split()
    assert where.startswith(str(target))
    assert count == "5"
