#!/usr/bin/python3
"""An outside program built against the installed tree through pkg-config.

    pkgconfig_consumer.py --meson M --build-root B --cc CC --sanitize S
        --version V --example kvst_pull.c --in-tree build/examples/kvst_pull
        --trail examples/kvs-trail.json.gz FIXTURE...

Installs the build into a temporary DESTDIR (meson install --destdir),
compiles the example with `pkg-config --cflags --libs kvstrail` (with
PKG_CONFIG_SYSROOT_DIR pointing at the DESTDIR), runs it with
LD_LIBRARY_PATH on the installed library and checks: it loads that
library, prints one line per KVS call of the bundled trail with the right
time and action, and prints what the in-tree build prints on every fixture.
"""
import argparse
import gzip
import json
import os
import shlex
import subprocess
import sys
import tempfile


class Failure(Exception):
    pass


def answer(cmd, env=None):
    """(exit status, stdout, stderr) of cmd, whatever the status."""
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=env, universal_newlines=True)
    return proc.returncode, proc.stdout, proc.stderr


def run(cmd, what, env=None):
    """stdout of cmd, which must succeed."""
    status, out, err = answer(cmd, env)
    if status != 0:
        raise Failure("%s failed (exit %d):\n  %s\n%s%s" % (
            what, status, " ".join(map(shlex.quote, cmd)), out, err))
    return out


def find_one(root, name):
    hits = [os.path.join(d, name) for d, _, files in os.walk(root)
            if name in files]
    if len(hits) != 1:
        raise Failure("want exactly one installed %s, found %s" % (
            name, hits or "none"))
    return hits[0]


def kvs_calls(trail):
    """(eventTime, eventName) of each KVS record, as the example prints."""
    with gzip.open(trail, "rt", encoding="utf-8") as f:
        records = json.load(f)["Records"]
    return [(r["eventTime"], r["eventName"]) for r in records
            if r.get("eventSource") == "kinesisvideo.amazonaws.com"]


def check(args, tmp):
    destdir = os.path.join(tmp, "root")
    run([args.meson, "install", "-C", args.build_root, "--no-rebuild",
         "--quiet", "--destdir", destdir], "meson install --destdir")

    pc_dir = os.path.dirname(find_one(destdir, "kvstrail.pc"))
    lib_dir = os.path.dirname(find_one(destdir, "libkvstrail.so.1"))
    find_one(destdir, "kvstrail.h")
    find_one(destdir, "version.h")
    env = dict(os.environ, PKG_CONFIG_PATH=pc_dir,
               PKG_CONFIG_SYSROOT_DIR=destdir)
    version = run(["pkg-config", "--modversion", "kvstrail"],
                  "pkg-config --modversion", env).strip()
    if version != args.version:
        raise Failure("kvstrail.pc says version %s, the project %s" % (
            version, args.version))
    flags = run(["pkg-config", "--cflags", "--libs", "kvstrail"],
                "pkg-config --cflags --libs kvstrail", env).split()

    exe = os.path.join(tmp, "kvst_pull")
    sanitize = [] if args.sanitize in ("", "none") else [
        "-fsanitize=" + args.sanitize]
    run(shlex.split(args.cc) + sanitize + [args.example, "-o", exe] + flags,
        "compiling %s with pkg-config's flags" % args.example)

    env = dict(os.environ, LD_LIBRARY_PATH=lib_dir)
    loaded = [line for line in run(["ldd", exe], "ldd", env).splitlines()
              if "libkvstrail" in line]
    if len(loaded) != 1 or destdir not in loaded[0]:
        raise Failure("the consumer does not load the installed library: %s"
                      % (loaded or "no libkvstrail in ldd output"))

    printed = [line.split()[:2] for line in
               run([exe, args.trail], "the consumer on the trail",
                   env).splitlines()]
    want = [list(call) for call in kvs_calls(args.trail)]
    if printed != want:
        raise Failure("on %s the consumer printed %d calls, want %d; first "
                      "difference: %s" % (
                          args.trail, len(printed), len(want),
                          next(((p, w) for p, w in zip(printed, want)
                                if p != w), "(one list is longer)")))

    # Broken fixtures are welcome: status and stderr must match too.
    for fixture in [args.trail] + args.fixtures:
        installed = answer([exe, fixture], env)
        in_tree = answer([args.in_tree, fixture])
        if installed != in_tree:
            raise Failure("on %s the installed build answers (exit, stdout, "
                          "stderr):\n%r\nthe in-tree build:\n%r" % (
                              fixture, installed, in_tree))
    return len(want)


def main():
    ap = argparse.ArgumentParser()
    for opt in ("meson", "build-root", "cc", "sanitize", "version", "example",
                "in-tree", "trail"):
        ap.add_argument("--" + opt, required=True)
    ap.add_argument("fixtures", nargs="*")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kvstrail-install-") as tmp:
        try:
            calls = check(args, tmp)
        except Failure as e:
            print("FAIL " + str(e))
            return 1
    print("ok: installed tree, pkg-config flags, consumer printed %d KVS "
          "calls like the in-tree build" % calls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
