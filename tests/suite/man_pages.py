#!/usr/bin/python3
"""The manual pages exist for every exported function and render cleanly.

    man_pages.py MAN3_DIR kvstrail.map PAGE...

MAN3_DIR holds the generated section 3 pages (docs/man3 of the build
tree). Every symbol of the version script must have a page of its name
there (the group page or a `.so` link to it), and `man -l` must render it
with no troff warning and with the function's name in the text. The
hand-written PAGEs (kvstrail(1), kvstrail(3)) are rendered the same way.
Skips (77) without man-db.
"""
import os
import re
import shutil
import subprocess
import sys


def render(path, cwd):
    """(text, warnings) of man -l on path; .so links resolve from cwd."""
    env = dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="",
               LC_ALL="C.UTF-8")
    proc = subprocess.run(["man", "--warnings", "-l", path], cwd=cwd, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


def main():
    man3, version_script = sys.argv[1:3]
    pages = sys.argv[3:]
    if shutil.which("man") is None:
        print("skipped: man (man-db) is not installed")
        return 77
    with open(version_script, encoding="utf-8") as f:
        symbols = re.findall(r"^\s*(kvst_[a-z0-9_]+)\s*;", f.read(), re.M)
    failures = []
    cwd = os.path.dirname(os.path.abspath(man3))
    for sym in symbols:
        path = os.path.join(man3, sym + ".3")
        if not os.path.exists(path):
            failures.append("no page for %s (man 3 %s)" % (sym, sym))
            continue
        status, text, warnings = render(path, cwd)
        # The page shows the name in NAME and SYNOPSIS (man may hyphenate
        # or wrap NAME, so look for the declaration).
        plain = re.sub(r".\x08", "", text)
        if status != 0 or warnings:
            failures.append("%s: man -l exit %d: %s" % (path, status,
                                                       warnings.strip()))
        elif sym + "(" not in plain:
            failures.append("%s: rendered text does not declare %s()" % (
                path, sym))
    for path in pages:
        status, text, warnings = render(os.path.abspath(path), cwd)
        if status != 0 or warnings or not text.strip():
            failures.append("%s: man -l exit %d: %s" % (path, status,
                                                       warnings.strip()))
    for f in failures:
        print("FAIL " + f)
    if failures:
        return 1
    print("ok: %d exported functions have a page; %d pages rendered" % (
        len(symbols), len(symbols) + len(pages)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
