#!/usr/bin/python3
"""Every public header compiles alone, strictly, in C89 or C++.

    headers_compile.py STD COMPILER SRC_INCLUDE BUILD_INCLUDE

STD is c89, c++98 or c++17. Each header of SRC_INCLUDE/kvstrail and
BUILD_INCLUDE/kvstrail (the generated version.h) is compiled in a
translation unit of its own that includes only that header, with
-pedantic -Werror -Wall -Wextra. COMPILER may hold several words.
"""
import glob
import os
import shlex
import subprocess
import sys
import tempfile


def headers(include_dirs):
    found = {}
    for d in include_dirs:
        for path in glob.glob(os.path.join(d, "kvstrail", "*.h")):
            found.setdefault(os.path.basename(path), path)
    return sorted(found)


def main(argv):
    std, compiler, include_dirs = argv[1], shlex.split(argv[2]), argv[3:5]
    lang = "c" if std.startswith("c8") else "c++"
    names = headers(include_dirs)
    if not names:
        print("FAIL no headers under %s" % " ".join(include_dirs))
        return 1
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            tu = os.path.join(tmp, name.replace(".h", "_alone." +
                                                ("c" if lang == "c" else "cc")))
            with open(tu, "w") as f:
                # The typedef keeps a macro-only header from leaving an
                # empty translation unit, which ISO C forbids.
                f.write("#include <kvstrail/%s>\n"
                        "typedef int kvst_header_compiles_alone;\n" % name)
            cmd = compiler + ["-std=" + std, "-pedantic", "-Werror", "-Wall",
                              "-Wextra", "-x", lang, "-c", tu,
                              "-o", os.devnull]
            cmd += ["-I" + d for d in include_dirs]
            proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
            if proc.returncode != 0:
                failures.append(name)
                print("FAIL kvstrail/%s as %s:\n  %s\n%s" % (
                    name, std, " ".join(cmd),
                    proc.stdout.decode("utf-8", "replace")))
            else:
                print("ok   kvstrail/%s as %s" % (name, std))
    print("%d headers as %s, %d failed" % (len(names), std, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
