"""docs/cli.md and the man pages: they render and they name every option."""
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from conftest import CLI, DOCS, MENDED, PUBLISHED, SEED_ACTIONS, run


def _long_options():
    text = run(["--help"]).stdout.decode()
    return sorted(set(re.findall(r"--[a-z][a-z-]+", text)))


def test_every_option_is_documented():
    cli_md = (DOCS / "cli.md").read_text()
    man1 = (DOCS / "kvstrail.1").read_text().replace("\\-", "-")
    for opt in _long_options():
        assert opt in cli_md, opt
        assert opt in man1, opt


def test_exit_codes_and_contract_are_documented():
    cli_md = (DOCS / "cli.md").read_text()
    for word in ("64", "KVST_E_SYNTAX", "2.1.0", "ruleIndex", "rootOrIamUser",
                 "roleOrFederatedTemporary", "sessionIssuer", "findings",
                 "kvsRecords", "NO_COLOR"):
        assert word in cli_md, word


@pytest.mark.parametrize("page", ["kvstrail.1", "kvstrail.3"])
def test_man_page_renders_cleanly(page):
    if shutil.which("groff") is None or shutil.which("man") is None:
        pytest.skip("groff/man not installed")
    path = DOCS / page
    warn = subprocess.run(["groff", "-man", "-ww", "-z", "-Tutf8", str(path)],
                          capture_output=True)
    assert warn.returncode == 0
    assert warn.stderr == b"", warn.stderr.decode()
    env = dict(os.environ, MANWIDTH="80")
    out = subprocess.run(["man", "-l", str(path)], capture_output=True, env=env)
    assert out.returncode == 0, out.stderr
    # man overstrikes bold text when its output is not a terminal.
    text = re.sub(r".\x08", "", out.stdout.decode())
    assert "NAME" in text and "SYNOPSIS" in text and "DESCRIPTION" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_man_pages_carry_the_version():
    version = run(["--version"]).stdout.decode().split()[1]
    for page in ("kvstrail.1", "kvstrail.3"):
        th = next(line for line in (DOCS / page).read_text().splitlines()
                  if line.startswith(".TH "))
        assert f'"kvstrail {version}"' in th, (page, th)


def test_man3_example_builds_and_runs(tmp_path):
    """The EXAMPLES program of kvstrail(3), built against this build."""
    cc = shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler")
    build = pathlib.Path(CLI).resolve().parent.parent
    src = (DOCS / "kvstrail.3").read_text()
    code = src[src.index(".EX\n") + 4:src.index(".EE\n")]
    code = code.replace("\\e", "\\").replace("\\-", "-")
    (tmp_path / "example.c").write_text(code)
    exe = tmp_path / "example"
    # A sanitizer build of the library needs its runtime in the program too.
    lib = (build / "lib" / "libkvstrail.so").read_bytes()
    sanitize = [flag for marker, flag in
                ((b"libasan.so", "-fsanitize=address"),
                 (b"libubsan.so", "-fsanitize=undefined"),
                 (b"libtsan.so", "-fsanitize=thread")) if marker in lib]
    subprocess.run([cc, "-std=c99", "-Wall", "-Werror", *sanitize, "-o", str(exe),
                    str(tmp_path / "example.c"),
                    "-I", str(build / "include"), "-I", str(DOCS.parent / "include"),
                    "-L", str(build / "lib"), "-lkvstrail"], check=True)
    env = dict(os.environ, LD_LIBRARY_PATH=str(build / "lib"))
    out = subprocess.run([str(exe), str(MENDED)], capture_output=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode().split()[1::2] == SEED_ACTIONS
    out = subprocess.run([str(exe), str(PUBLISHED)], capture_output=True, env=env)
    assert out.returncode == 2
    assert out.stderr.decode().endswith("[KVST_E_SYNTAX]\n")
