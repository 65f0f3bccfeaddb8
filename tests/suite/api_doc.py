#!/usr/bin/python3
"""docs/api.md documents exactly the functions the library exports.

    api_doc.py docs/api.md lib/kvstrail.map LIBRARY

Every symbol of the version script must be named in docs/api.md (as
`name()` or `name`), every `name()` the page calls a function must be in
the version script, and the version script must be what the built library
exports (nm -D), so the three cannot disagree.
"""
import re
import subprocess
import sys


def main():
    doc_path, map_path, library = sys.argv[1:4]
    with open(doc_path, encoding="utf-8") as f:
        doc = f.read()
    with open(map_path, encoding="utf-8") as f:
        mapped = set(re.findall(r"^\s*(kvst_[a-z0-9_]+)\s*;", f.read(), re.M))
    out = subprocess.run(["nm", "-D", "--defined-only", library],
                         stdout=subprocess.PIPE, universal_newlines=True,
                         check=True).stdout
    exported = {line.split()[-1].split("@")[0] for line in out.splitlines()
                if line.split() and line.split()[-1].startswith("kvst_")}
    called = set(re.findall(r"\b(kvst_[a-z0-9_]+)\(\)", doc))
    named = set(re.findall(r"\b(kvst_[a-z0-9_]+)\b", doc))
    failures = []
    for sym in sorted(mapped - named):
        failures.append("%s is exported but docs/api.md does not name it" % sym)
    for sym in sorted(called - mapped):
        failures.append("docs/api.md calls %s() a function, but the library "
                        "does not export it" % sym)
    if exported != mapped:
        failures.append("nm -D and the version script differ: %s" % sorted(
            exported ^ mapped))
    for f in failures:
        print("FAIL " + f)
    if failures:
        return 1
    print("ok: docs/api.md names the %d exported functions" % len(mapped))
    return 0


if __name__ == "__main__":
    sys.exit(main())
