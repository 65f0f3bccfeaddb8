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
                       env=dict(os.environ, PYTHONPATH=str(BINDING)),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
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
    # pip left its record: `pip show kvstrail` finds the distribution.
    assert len(list(target.glob("kvstrail-*.dist-info/RECORD"))) == 1
    r = subprocess.run([sys.executable, "-m", "pip", "show", "kvstrail"],
                       env=dict(env, PIP_DISABLE_PIP_VERSION_CHECK="1"),
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Name: kvstrail" in r.stdout
    assert f"Location: {target}" in r.stdout


def test_meson_installs_the_package(tmp_path):
    build = os.environ.get("KVSTRAIL_BUILD_ROOT")
    meson = shutil.which("meson")
    if not build or not meson:
        pytest.skip("not run by meson (KVSTRAIL_BUILD_ROOT unset) or no meson")
    dest = tmp_path / "root"
    subprocess.run([meson, "install", "-C", build, "--no-rebuild", "--quiet",
                    "--tags", "python-runtime", "--destdir", str(dest)],
                   check=True, timeout=300, capture_output=True)
    inits = list(dest.rglob("kvstrail/__init__.py"))
    assert len(inits) == 1, inits
    site = inits[0].parents[1]
    assert (site / "kvstrail" / "py.typed").exists()
    installed = sorted(p.name for p in (site / "kvstrail").iterdir())
    shipped = sorted(p.name for p in (BINDING / "kvstrail").iterdir()
                     if p.suffix in (".py", ".typed"))
    assert installed == shipped  # nothing left out of install_sources
    r = subprocess.run([sys.executable, "-c",
                        "import kvstrail, sys; print(kvstrail.__file__); "
                        "print(sum(1 for _ in kvstrail.parse(sys.argv[1])))",
                        str(DATA / "seed-mended.json")],
                       env=dict(os.environ, PYTHONPATH=str(site)), cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(site / "kvstrail" / "__init__.py"), "5"]
