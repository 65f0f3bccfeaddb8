#!/usr/bin/python3
"""Generate the Python binding's enums from the public headers.

    kvst_gen_pyenums.py --include include/kvstrail \
        --output bindings/python/kvstrail/_enums.py [--check]

The numbers of kvstrail (actions, finding codes, statuses, principal and
credential kinds, severities) are frozen #defines of the public headers; the
binding declares them as enum classes in its source so that type checkers and
IDEs see every member. This script reads the #defines and writes the module,
so the two cannot drift. With --check nothing is written: the module is
generated in memory and compared with the file on disk; a difference is
printed as a unified diff and the exit status is 1.

A new number (an action, a finding code) needs nothing here: add its #define
to the header (with a trailing comment for actions, as the schema generator
writes them) and rerun this script. A new enum is one row of ENUMS.
Standard library only; the output depends only on the headers.
"""

import argparse
import difflib
import os
import re
import sys
import textwrap

GENERATOR = "tools/kvst_gen_pyenums.py"


class EnumSpec:
    """One Python enum: which header, which #define prefix, how a macro
    becomes a member name, and the class docstring."""

    def __init__(self, name, header, prefix, doc, member=None, skip=()):
        self.name = name
        self.header = header
        self.prefix = prefix
        self.doc = doc
        # member(macro_suffix, trailing_comment) -> Python member name
        self.member = member or (lambda suffix, comment: suffix)
        self.skip = skip


def action_member(suffix, comment):
    # The schema generator writes the API's own name first in the comment
    # ("/* CreateStream. Since 1.0 */"); Python members use that spelling.
    m = re.match(r"\s*([A-Za-z][A-Za-z0-9]*)\.", comment or "")
    if not m:
        raise ValueError("KVST_ACTION_%s: no operation name in its comment"
                         % suffix)
    return m.group(1)


# Rows: the enums the binding exports. Keep the order (it is the module's).
ENUMS = (
    EnumSpec("Action", "kvs_model.h", "KVST_ACTION_",
             "The KVS actions, numbered as KVST_ACTION_* (Action.CreateStream "
             "== 1). KVST_ACTION_NONE is not a member: records of other "
             "services have action None.",
             member=action_member, skip=("NONE", "_COUNT")),
    EnumSpec("FindingCode", "validate.h", "KVST_F_",
             "Validation finding codes, KVST_F_* without the prefix "
             "(FindingCode.MEDIA_TYPE == 112). Numbers are frozen; "
             "docs/findings.md gives each one's rule and severity."),
    EnumSpec("Status", "common.h", "KVST_E_",
             "Status codes, KVST_E_* without the prefix (Status.SYNTAX == -1); "
             "KVST_OK (0) is Status.OK.", skip=()),
    EnumSpec("Principal", "event.h", "KVST_PRINCIPAL_",
             "Principal kinds, KVST_PRINCIPAL_* without the prefix. "
             "Identity.principal gives the library's name of one as a str "
             "(\"IAMUser\"); kvst_principal_name() maps the two."),
    EnumSpec("Credential", "event.h", "KVST_CREDENTIAL_",
             "Credential kinds of an accessKeyId, KVST_CREDENTIAL_* without "
             "the prefix."),
    EnumSpec("Severity", "event.h", "KVST_SEVERITY_",
             "Finding severities, KVST_SEVERITY_* without the prefix. "
             "Finding.severity gives the name in lower case (\"warning\")."),
    EnumSpec("Access", "event.h", "KVST_ACCESS_",
             "What a KVS call does to the video, KVST_ACCESS_* without the "
             "prefix (Access.MEDIA_READ == 1); the JSON contract spells it in "
             "lower case with hyphens (\"media-read\"). KVST_ACCESS_NONE is "
             "not a member: records of other services have access None. "
             "Since 1.1.", skip=("NONE",)),
    EnumSpec("Outcome", "event.h", "KVST_OUTCOME_",
             "Whether a call succeeded, KVST_OUTCOME_* without the prefix "
             "(Outcome.FAILURE == 2); the JSON contract spells it in lower "
             "case (\"failure\"). KVST_OUTCOME_NONE (a broken record) is not "
             "a member. Since 1.1.", skip=("NONE",)),
)

# "#define NAME  value  /* comment */": value a decimal, optionally 'u'
# suffixed or parenthesised negative.
DEFINE = re.compile(
    r"^#define\s+(KVST_[A-Z0-9_]+)\s+\(?(-?\d+)u?\)?\s*(?:/\*(.*?)\*/)?\s*$")


def read_defines(path):
    """[(macro, value, comment)] in file order."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = DEFINE.match(line.rstrip("\n"))
            if m:
                out.append((m.group(1), int(m.group(2)), m.group(3)))
    return out


def members(spec, include_dir):
    defines = read_defines(os.path.join(include_dir, spec.header))
    rows = []
    if spec.name == "Status":
        rows.append(("OK", 0))
    for macro, value, comment in defines:
        if not macro.startswith(spec.prefix):
            continue
        suffix = macro[len(spec.prefix):]
        if suffix in spec.skip:
            continue
        rows.append((spec.member(suffix, comment), value))
    if not rows:
        raise ValueError("no %s* defines in %s" % (spec.prefix, spec.header))
    names = [n for n, _ in rows]
    if len(set(names)) != len(names):
        raise ValueError("%s: a member name repeats" % spec.name)
    values = [v for _, v in rows]
    if len(set(values)) != len(values):
        raise ValueError("%s: a number repeats" % spec.name)
    return rows


def generate(include_dir):
    w = []
    w.append('"""The numbers of kvstrail as enums (generated; do not edit).')
    w.append("")
    w.append("Written by %s from the #defines of the public headers"
             % GENERATOR)
    w.append("(include/kvstrail/); rerun it after adding a number there. The")
    w.append("'pyenums-regen' test fails when this file and the headers differ.")
    w.append('"""')
    w.append("")
    w.append("import enum")
    w.append("")
    w.append("__all__ = [")
    w.extend('    "%s",' % s.name for s in ENUMS)
    w.append("]")
    for spec in ENUMS:
        w.append("")
        w.append("")
        w.append("class %s(enum.IntEnum):" % spec.name)
        doc = textwrap.wrap(spec.doc, 72)
        w.append('    """' + doc[0])
        w.extend('    ' + line for line in doc[1:])
        w.append('    """')
        w.append("")
        for name, value in members(spec, include_dir):
            w.append("    %s = %d" % (name, value))
    w.append("")
    return "\n".join(w)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--include", required=True, help="include/kvstrail")
    ap.add_argument("--output", required=True, help="_enums.py to write")
    ap.add_argument("--check", action="store_true",
                    help="compare with the file on disk instead of writing")
    args = ap.parse_args(argv)
    try:
        text = generate(args.include)
    except (OSError, ValueError) as e:
        print("kvst_gen_pyenums: %s" % e, file=sys.stderr)
        return 2
    if args.check:
        try:
            with open(args.output, encoding="utf-8", newline="") as f:
                old = f.read()
        except OSError as e:
            print("kvst_gen_pyenums: %s" % e, file=sys.stderr)
            return 1
        if old == text:
            return 0
        sys.stdout.writelines(difflib.unified_diff(
            old.splitlines(True), text.splitlines(True),
            args.output, "regenerated"))
        print("kvst_gen_pyenums: %s is stale; rerun %s" % (args.output,
                                                         GENERATOR))
        return 1
    with open(args.output, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
