#!/usr/bin/python3
"""Exports agree: headers, version script, built library; SONAME is fixed.

    symbols.py HEADER_DIR VERSION_SCRIPT LIBRARY [SONAME MACRO PREFIX]

The functions declared KVST_EXPORT in HEADER_DIR/*.h, the global names of
the version script and the dynamic symbols the library defines must be the
same three sets; every exported symbol must carry the version node the
script puts it in; the SONAME must be libkvstrail.so.1. The optional
arguments check another library of the project the same way
(libkvstrail-sigma.so.1, KVST_SIGMA_EXPORT, kvst_sigma_).
"""
import glob
import os
import re
import subprocess
import sys

SONAME = "libkvstrail.so.1"


def header_exports(header_dir, macro="KVST_EXPORT"):
    names = set()
    for path in glob.glob(os.path.join(header_dir, "*.h")):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        # Drop preprocessor lines (with continuations): the macro's own
        # definition is not a declaration.
        text = re.sub(r"^[ \t]*#(?:.*\\\n)*.*$", "", text, flags=re.M)
        for m in re.finditer(r"\b" + macro + r"\b([^;{()]*)\(", text):
            names.add(re.findall(r"[A-Za-z_]\w*", m.group(1))[-1])
    return names


def map_exports(script):
    """{symbol: node} of the global sections of a linker version script."""
    with open(script, encoding="utf-8") as f:
        text = re.sub(r"/\*.*?\*/", " ", f.read(), flags=re.S)
    nodes = {}
    for node, body in re.findall(r"([\w.]+)\s*\{(.*?)\}[^;]*;", text, re.S):
        glob_part = re.split(r"\blocal\s*:", body)[0]
        glob_part = re.sub(r"\bglobal\s*:", "", glob_part)
        for name in re.findall(r"([\w*?]+)\s*;", glob_part):
            if name in nodes:
                raise SystemExit("FAIL %s listed in %s and %s" % (
                    name, nodes[name], node))
            nodes[name] = node
    return nodes


def library_exports(library):
    """{symbol: version node or None} defined in the dynamic table."""
    out = subprocess.run(["nm", "-D", "--defined-only", library],
                         check=True, stdout=subprocess.PIPE,
                         universal_newlines=True).stdout
    syms = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 3 or fields[1] == "A":  # "A": the version nodes
            continue
        name, _, node = fields[2].partition("@")
        syms[name] = node.lstrip("@") or None
    return syms


def soname(library):
    out = subprocess.run(["readelf", "-d", library], check=True,
                         stdout=subprocess.PIPE,
                         universal_newlines=True).stdout
    m = re.search(r"\(SONAME\).*\[(.*)\]", out)
    return m.group(1) if m else None


def differences(sets):
    problems = []
    labels = list(sets)
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            only = sorted(sets[a] - sets[b])
            if only:
                problems.append("in %s but not in %s: %s" % (
                    a, b, " ".join(only)))
            only = sorted(sets[b] - sets[a])
            if only:
                problems.append("in %s but not in %s: %s" % (
                    b, a, " ".join(only)))
    return problems


def main(argv):
    header_dir, script, library = argv[1:4]
    want_soname, macro, prefix = (argv[4:7] if len(argv) > 4
                                  else (SONAME, "KVST_EXPORT", "kvst_"))
    in_headers = header_exports(header_dir, macro)
    in_map = map_exports(script)
    in_library = library_exports(library)
    problems = differences({
        "the headers (%s)" % macro: in_headers,
        "the version script": set(in_map),
        "the library (nm -D)": set(in_library),
    })
    for name, node in sorted(in_library.items()):
        if name in in_map and node != in_map[name]:
            problems.append("%s has version %s, the script says %s" % (
                name, node, in_map[name]))
    problems += ["%s does not start with %s" % (n, prefix)
                 for n in sorted(in_headers) if not n.startswith(prefix)]
    found = soname(library)
    if found != want_soname:
        problems.append("SONAME is %s, want %s" % (found, want_soname))
    for p in problems:
        print("FAIL " + p)
    print("%d exported in headers, %d in the script, %d in the library; "
          "SONAME %s; %d problems" % (len(in_headers), len(in_map),
                                      len(in_library), found, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
