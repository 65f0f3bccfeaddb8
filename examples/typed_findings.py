#!/usr/bin/python3
"""Which principals made which KVS calls, and the warnings on them.

    typed_findings.py TRAIL...

A small consumer of the Python binding written for a type checker: the
suite runs `mypy --strict` over it and the package, so what an IDE infers
for Event, Identity, Finding and the enums is what they are. Prints one line
per (principal kind, action) with its count, then every finding of severity
warning or error. Exit status 0, or 2 when a trail could not be read whole
(its events before the error are still counted).
"""

from __future__ import annotations

import collections
import sys
from typing import Counter, List, Optional, Sequence, Tuple

import kvstrail


def summarise(path: str, calls: Counter[Tuple[str, str]],
              warnings: List[str]) -> Optional[str]:
    """Count one trail's calls into `calls`; the error text, if any."""
    try:
        with kvstrail.open(path) as events:
            for ev in events:
                if not isinstance(ev, kvstrail.Event):
                    continue  # BrokenRecord: only with recover=True
                action: Optional[kvstrail.Action] = ev.action
                if action is None:
                    continue
                ident = ev.identity
                principal = ident.principal if ident else None
                calls[(principal or "none", action.name)] += 1
                for f in ev.findings:
                    if f.severity in ("warning", "error"):
                        warnings.append(f"{path}:{f.line}:{f.column}: "
                                        f"{f.name} at {f.pointer}: {f.message}")
    except kvstrail.Error as e:
        return f"{path}: {e}"
    return None


def main(argv: Sequence[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 64
    calls: Counter[Tuple[str, str]] = collections.Counter()
    warnings: List[str] = []
    failed = False
    for path in argv:
        err = summarise(path, calls, warnings)
        if err is not None:
            print(err, file=sys.stderr)
            failed = True
    for (principal, action), n in sorted(calls.items()):
        print(f"{n:6d} {principal} {action}")
    for line in warnings:
        print(line)
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
