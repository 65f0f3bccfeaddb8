#!/usr/bin/python3
"""Install into a temporary prefix, as a user would, and use what is there.

    install_prefix.py --meson M --source S --cc CC --version V
        --example kvst_pull.c --trail kvs-trail.json.gz

Configures the source tree once more with `meson setup --prefix=$P
-Dtests=false -Dbuildtype=plain` (a prefix outside the loader's search path, like a home
directory or /opt/kvstrail), builds and installs it, then checks, with
LD_LIBRARY_PATH, KVSTRAIL_LIBRARY and PYTHONPATH removed from the
environment:

  1. $P/bin/kvstrail --version starts (its RUNPATH names $P's libdir);
  2. a program built with `pkg-config --cflags --libs kvstrail` and
     -Wl,-rpath,$(pkg-config --variable=libdir kvstrail) runs, and
     --cflags carries no directory of the private dependencies (yajl's);
  3. the same program linked with `pkg-config --static --libs kvstrail`
     against libkvstrail.a has no libkvstrail in ldd and prints the same;
  4. the installed Python package loads $P's libkvstrail.so.1 and reads
     the bundled trail;
  5. the installed kvstrail.sigma loads $P's libkvstrail-sigma.so.1 (no
     KVSTRAIL_SIGMA_LIBRARY) and compiles the installed KVS rule pack;
  6. $P/bin/kvstrail verify loads its crypto module from $P's
     libdir/kvstrail (tools/cli_verify_crypto.h) and verifies an empty
     folder.
Prints the installed tree. Skips (77) when pkg-config is missing.
"""
import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile


class Failure(Exception):
    pass


def run(cmd, what, env=None, cwd=None):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=env, cwd=cwd, universal_newlines=True)
    if proc.returncode != 0:
        raise Failure("%s failed (exit %d):\n  %s\n%s%s" % (
            what, proc.returncode, " ".join(map(shlex.quote, cmd)),
            proc.stdout[-4000:], proc.stderr[-4000:]))
    return proc.stdout


def find_one(root, name):
    hits = [os.path.join(d, name) for d, _, files in os.walk(root)
            if name in files]
    if len(hits) != 1:
        raise Failure("want exactly one installed %s, found %s" % (
            name, hits or "none"))
    return hits[0]


def clean_env(**extra):
    """The environment of a new shell: nothing that finds the library."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("LD_LIBRARY_PATH", "KVSTRAIL_LIBRARY",
                        "KVSTRAIL_SIGMA_LIBRARY", "PYTHONPATH",
                        "PKG_CONFIG_PATH", "LD_PRELOAD")}
    env.update(extra)
    return env


def runpath(path):
    out = run(["readelf", "-d", path], "readelf -d")
    for line in out.splitlines():
        if "(RUNPATH)" in line or "(RPATH)" in line:
            return line.split("[", 1)[1].rstrip("]")
    return None


def check(args, tmp):
    prefix = os.path.join(tmp, "prefix")
    build = os.path.join(tmp, "build")
    env = clean_env()
    setup = [args.meson, "setup", build, args.source, "--prefix=" + prefix,
             "-Dtests=false", "-Dbuildtype=plain"]
    # Unsanitized even in the sanitizer runs of CI: this checks where
    # things go and how they are found, which sanitizers do not change.
    run(setup, "meson setup --prefix", dict(env, CC=args.cc))
    run([args.meson, "install", "-C", build, "--quiet"], "meson install", env)

    tree = sorted(os.path.relpath(os.path.join(d, f), prefix)
                  for d, _, files in os.walk(prefix) for f in files)
    print("installed tree (%d files):" % len(tree))
    for path in tree:
        print("  $P/" + path)

    # 1. The tool starts as installed.
    cli = os.path.join(prefix, "bin", "kvstrail")
    lib = find_one(prefix, "libkvstrail.so.1")
    libdir = os.path.dirname(lib)
    if runpath(cli) != libdir:
        raise Failure("%s has RUNPATH %r, want %r" % (cli, runpath(cli), libdir))
    version = run([cli, "--version"], "$P/bin/kvstrail --version",
                  clean_env())
    if args.version not in version:
        raise Failure("--version printed %r, want %s in it" % (version,
                                                                args.version))

    # 6. verify's crypto module, where the program looks for it.
    module = os.path.join(libdir, "kvstrail", "kvstrail-verify-crypto.so")
    if not os.path.isfile(module):
        raise Failure("no crypto module at %s" % module)
    empty = os.path.join(tmp, "empty")
    os.makedirs(empty, exist_ok=True)
    verified = run([cli, "verify", empty], "$P/bin/kvstrail verify", clean_env())
    if "0/0 digest files valid" not in verified:
        raise Failure("verify of an empty folder printed %r" % verified)

    # 2. A pkg-config consumer.
    pc_dir = os.path.dirname(find_one(prefix, "kvstrail.pc"))
    pc_env = clean_env(PKG_CONFIG_PATH=pc_dir)
    pc = lambda *a: run(["pkg-config"] + list(a) + ["kvstrail"],
                        "pkg-config " + " ".join(a), pc_env).split()
    cflags = pc("--cflags")
    if [f for f in cflags if "yajl" in f or "zlib" in f]:
        raise Failure("pkg-config --cflags kvstrail names a private "
                      "dependency: %s" % cflags)
    pc_libdir = pc("--variable=libdir")[0]
    if os.path.realpath(pc_libdir) != os.path.realpath(libdir):
        raise Failure("kvstrail.pc libdir %s, the library is in %s" % (
            pc_libdir, libdir))
    cc = shlex.split(args.cc)
    shared_exe = os.path.join(tmp, "pull-shared")
    run(cc + [args.example, "-o", shared_exe] + cflags
        + pc("--libs") + ["-Wl,-rpath," + pc_libdir],
        "linking with pkg-config --cflags --libs", pc_env)
    ldd = run(["ldd", shared_exe], "ldd", clean_env())
    if lib.rsplit("/", 1)[0] not in ldd:
        raise Failure("the consumer does not load %s:\n%s" % (lib, ldd))
    printed = run([shared_exe, args.trail], "the pkg-config consumer",
                  clean_env())
    if not printed.strip():
        raise Failure("the pkg-config consumer printed nothing")

    # 3. A static consumer: libkvstrail.a and what --static adds.
    static_libs = pc("--static", "--libs")
    if "-lkvstrail" not in static_libs:
        raise Failure("pkg-config --static --libs lacks -lkvstrail: %s"
                      % static_libs)
    static_libs = ["-l:libkvstrail.a" if f == "-lkvstrail" else f
                   for f in static_libs]
    static_exe = os.path.join(tmp, "pull-static")
    run(cc + [args.example, "-o", static_exe] + cflags + static_libs,
        "linking with pkg-config --static --libs", pc_env)
    ldd = run(["ldd", static_exe], "ldd", clean_env())
    if "libkvstrail" in ldd:
        raise Failure("the static consumer loads libkvstrail:\n%s" % ldd)
    if run([static_exe, args.trail], "the static consumer",
           clean_env()) != printed:
        raise Failure("the static and shared consumers print differently")

    # 4. The installed Python package finds the installed library alone.
    init = find_one(prefix, "__init__.py")
    site = os.path.dirname(os.path.dirname(init))
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); import kvstrail, "
             "os; print(os.path.realpath(kvstrail._ffi.lib._name)); "
             "print(sum(1 for e in kvstrail.parse(sys.argv[2]) "
             "if e.action is not None))")
    out = run([sys.executable, "-c", probe, site, args.trail],
              "the installed Python package", clean_env(),
              cwd=tmp).split()
    if os.path.dirname(out[0]) != os.path.realpath(libdir):
        raise Failure("the installed package loaded %s, not the library in "
                      "%s" % (out[0], libdir))
    if int(out[1]) != len(printed.splitlines()):
        raise Failure("python read %s events, the C consumer %d" % (
            out[1], len(printed.splitlines())))

    # 5. kvstrail.sigma finds libkvstrail-sigma through the same recorded
    # libdir, and compiles the pack installed beside it.
    sigma_lib = find_one(prefix, "libkvstrail-sigma.so.1")
    pack = os.path.dirname(find_one(prefix, "kvs_stream_or_channel_deleted.yml"))
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); import os, "
             "kvstrail.sigma as s; print(os.path.realpath(s._lib._name)); "
             "p = {n: ['x'] for n in ('kvs_allowed_readers', "
             "'kvs_trusted_image_destinations', "
             "'kvs_trusted_notification_destinations')}; "
             "r = s.RuleSet([sys.argv[2]], placeholders=p); "
             "print(len({x.file for x in r.rules}) if not r.errors "
             "else r.errors)")
    out = run([sys.executable, "-c", probe, site, pack],
              "the installed kvstrail.sigma", clean_env(), cwd=tmp).split()
    if out[0] != os.path.realpath(sigma_lib):
        raise Failure("the installed kvstrail.sigma loaded %s, not %s" % (
            out[0], sigma_lib))
    pack_rules = len([f for f in os.listdir(pack) if f.endswith(".yml")])
    if out[1] != str(pack_rules):
        raise Failure("kvstrail.sigma compiled rules of %s files of the %d "
                      "in %s" % (
            out[1], pack_rules, pack))
    return len(tree)


def main():
    ap = argparse.ArgumentParser()
    for opt in ("meson", "source", "cc", "version", "example",
                "trail"):
        ap.add_argument("--" + opt, required=True)
    args = ap.parse_args()
    if shutil.which("pkg-config") is None:
        print("skipped: pkg-config is not installed")
        return 77
    with tempfile.TemporaryDirectory(prefix="kvstrail-prefix-") as tmp:
        try:
            files = check(args, tmp)
        except Failure as e:
            print("FAIL " + str(e))
            return 1
    print("ok: %d files installed; the tool, a pkg-config consumer (shared and "
          "static), the Python package and kvstrail.sigma ran without "
          "LD_LIBRARY_PATH" % files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
