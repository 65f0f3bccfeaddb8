"""Finding and checking the shared library."""

import os
import subprocess
import sys
import textwrap

import pytest

import kvstrail
from kvstrail import _ffi

from conftest import BINDING


def run_python(code, env_extra=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(BINDING)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                          env=env, capture_output=True, text=True, timeout=60)


def test_versions():
    assert kvstrail.__version__ == "1.0.0"
    n = kvstrail.library_version_number
    assert n >> 16 == 1
    assert kvstrail.library_version == f"{n >> 16}.{(n >> 8) & 0xff}.{n & 0xff}"


def test_env_variable_wins():
    lib = os.environ.get("KVSTRAIL_LIBRARY")
    if not lib:
        pytest.skip("KVSTRAIL_LIBRARY is not set")
    assert _ffi.lib._name == lib


def import_refused(module, refused, env_extra):
    """What `import module` prints when find_library finds nothing and
    dlopen refuses every name containing refused."""
    return run_python(f"""
        import ctypes, ctypes.util
        ctypes.util.find_library = lambda name: None
        real = ctypes.CDLL
        def cdll(name, *a, **k):
            if {refused!r} in name:
                raise OSError("refused by the test")
            return real(name, *a, **k)
        ctypes.CDLL = cdll
        try:
            import {module}
        except ImportError as e:
            print(e)
        else:
            print("imported")
        """, env_extra)


def test_import_error_names_every_place_tried():
    # Make the two fallbacks fail too, whatever is installed on the machine.
    r = import_refused("kvstrail", "libkvstrail.so.1",
                       {"KVSTRAIL_LIBRARY": "/nonexistent/libkvstrail.so.1"})
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "KVSTRAIL_LIBRARY: /nonexistent/libkvstrail.so.1" in out
    assert "SONAME: libkvstrail.so.1 (refused by the test)" in out
    assert "imported" not in out


def test_import_error_without_env_says_so():
    r = run_python("""
        import os, ctypes, ctypes.util
        del os.environ["KVSTRAIL_LIBRARY"]
        ctypes.util.find_library = lambda name: None
        ctypes.CDLL = lambda name, *a, **k: (_ for _ in ()).throw(OSError("no"))
        try:
            import kvstrail
        except ImportError as e:
            print(e)
        """, {"KVSTRAIL_LIBRARY": "x"})
    assert "KVSTRAIL_LIBRARY: not set" in r.stdout
    assert "SONAME: libkvstrail.so.1 (no)" in r.stdout


def test_sigma_import_error_names_every_place_tried():
    # kvstrail.sigma goes through the same loader as the core: the same
    # places, with its own variable, and the same message.
    r = import_refused("kvstrail.sigma", "sigma",
                       {"KVSTRAIL_SIGMA_LIBRARY": "/nonexistent/libkvstrail-sigma.so.1"})
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "cannot load libkvstrail-sigma; tried:" in out
    assert "installed libdir: none recorded" in out
    assert ("KVSTRAIL_SIGMA_LIBRARY: /nonexistent/libkvstrail-sigma.so.1 "
            "(refused by the test)") in out
    assert 'ctypes.util.find_library("kvstrail-sigma"): found nothing' in out
    assert "SONAME: libkvstrail-sigma.so.1 (refused by the test)" in out
    assert "imported" not in out


def test_find_library_is_the_second_choice():
    lib = os.environ.get("KVSTRAIL_LIBRARY")
    if not lib:
        pytest.skip("KVSTRAIL_LIBRARY is not set")
    r = run_python(f"""
        import os, ctypes.util
        del os.environ["KVSTRAIL_LIBRARY"]
        ctypes.util.find_library = lambda name: {lib!r} if name == "kvstrail" else None
        from kvstrail import _ffi
        print(_ffi.lib._name)
        """)
    assert r.stdout.strip() == lib, r.stderr


def test_another_major_version_is_refused():
    _ffi.check_version(0x010203, "1.2.3", "lib")
    with pytest.raises(ImportError, match="2.0.0; this binding needs major version 1"):
        _ffi.check_version(0x020000, "2.0.0", "lib")


def test_every_prototype_is_bound():
    for name, (restype, argtypes) in _ffi.PROTOTYPES.items():
        fn = getattr(_ffi.lib, name)
        assert fn.restype is restype, name
        assert fn.argtypes == argtypes, name
    # Every exported validator has a prototype and a Python function.
    for name in _ffi.VALIDATORS:
        assert callable(getattr(kvstrail.validate, name))


def test_status_names_and_text():
    assert kvstrail.status_name(-1) == "KVST_E_SYNTAX"
    assert kvstrail.status_name(-12) == "KVST_E_NOT_FOUND"
    assert kvstrail.status_name(-99) == "KVST_E_UNKNOWN"
    assert _ffi.strerror(-4)


# Exported functions the binding deliberately leaves out, and why.
NOT_BOUND = {
    "kvst_event_copy": "events are copied out as JSON text instead",
    "kvst_event_free": "pairs with kvst_event_copy",
    "kvst_identity_classify": "takes a kvst_user_identity; the JSON entry is bound",
    "kvst_action_from_name": "kvstrail.Action[name] does it",
}


def test_every_export_is_bound_or_listed():
    version_script = BINDING.parents[1] / "lib" / "kvstrail.map"
    if not version_script.exists():
        pytest.skip(f"{version_script} is not here (installed package)")
    exported = {line.strip().rstrip(";") for line in
                version_script.read_text().splitlines()
                if line.strip().startswith("kvst_")}
    assert exported, "no symbols read from the version script"
    unbound = exported - set(_ffi.PROTOTYPES) - set(NOT_BOUND)
    assert not unbound, f"exported but not bound by the binding: {sorted(unbound)}"
    for name in exported:
        if name.startswith("kvst_validate_"):
            assert callable(getattr(kvstrail.validate, name[len("kvst_validate_"):]))
