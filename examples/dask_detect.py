#!/usr/bin/python3
"""Run Sigma rules over many CloudTrail files with Dask and kvstrail.sigma.

    dask_detect.py --rules PATH [--rules PATH...] [OPTIONS] FILE_OR_FOLDER...

Each file is one task on a Dask worker. A worker compiles the rule set once
(kvstrail.sigma.RuleSet, cached per worker process for the same rules and
placeholders) and scans its files with it; the matches of every file are
reduced by Dask into one list, in file then record order, printed as JSON
Lines with the members of `kvstrail detect --format jsonl` (file, record,
line, column, eventID, eventName; the rule's id, title, level and
author; fields). Correlations see one file at a time here, as they see one
worker's files in `kvstrail detect -j N`.

Without --scheduler a LocalCluster runs on this machine (--processes for
worker processes, else threads: the library releases the GIL). With
--scheduler tcp://HOST:8786 the same code runs on a cluster; every worker
needs the kvstrail package, libkvstrail.so.1 and libkvstrail-sigma.so.1,
and access to the files and rules.

Exit status: 0; 1 when a rule of level high or critical matched; 2 when a
file could not be read whole or a rule was refused; 64 for bad usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Dict, List, Sequence, Tuple

_CACHE: Dict[Tuple[Any, ...], Any] = {}


def find_trails(paths: Sequence[str]) -> List[str]:
    """Files as given, folders expanded to their .json, .jsonl and .json.gz
    files, sorted."""
    out: List[str] = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                out.extend(os.path.join(root, n) for n in names
                           if n.endswith((".json", ".jsonl", ".json.gz")))
        else:
            out.append(p)
    return sorted(out)


def ruleset(rules: Tuple[str, ...], placeholders: Tuple[Tuple[str, Tuple[str, ...]], ...]) -> Any:
    """The worker's compiled rules: one RuleSet per worker process."""
    key = (rules, placeholders)
    if key not in _CACHE:
        from kvstrail.sigma import RuleSet  # imported on the worker
        _CACHE[key] = RuleSet(list(rules), placeholders=dict(placeholders))
    return _CACHE[key]


def detect_file(path: str, rules: Tuple[str, ...],
                placeholders: Tuple[Tuple[str, Tuple[str, ...]], ...]) -> Dict[str, Any]:
    """Runs on a worker: every match of one file, as plain data."""
    import kvstrail

    rs = ruleset(rules, placeholders)
    out: Dict[str, Any] = {"matches": [], "errors": []}
    try:
        for m in rs.scan(path):
            out["matches"].append({
                "file": path, "record": m.record, "line": m.line,
                "column": m.column, "eventID": m.event_id,
                "eventName": m.event_name,
                "rule": {"id": m.rule.id, "title": m.rule.title,
                         "level": m.rule.level, "author": m.rule.author},
                "fields": m.fields})
    except kvstrail.Error as e:
        out["errors"].append("%s: %s" % (path, e))
    return out


def merge(a: Dict[str, Any], b: Dict[str, Any]) -> Dict[str, Any]:
    return {"matches": a["matches"] + b["matches"], "errors": a["errors"] + b["errors"]}


def main(argv: Sequence[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--rules", action="append", required=True)
    ap.add_argument("--placeholder", action="append", default=[],
                    help="NAME=VALUE (repeatable, each adds one value)")
    ap.add_argument("--scheduler")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--processes", action="store_true")
    try:
        args = ap.parse_args(argv)
    except SystemExit:
        return 64
    ph: Dict[str, List[str]] = {}
    for item in args.placeholder:
        name, eq, value = item.partition("=")
        if not eq or not name:
            print("dask_detect.py: bad --placeholder %r" % item, file=sys.stderr)
            return 64
        ph.setdefault(name, []).append(value)
    placeholders = tuple(sorted((k, tuple(v)) for k, v in ph.items()))
    rules = tuple(args.rules)

    from kvstrail.sigma import RuleSet
    check = RuleSet(list(rules), placeholders=ph)
    for e in check.errors:
        print("dask_detect.py: %s" % e, file=sys.stderr)
    levels = {r.id or r.title: r.level for r in check.rules}

    import dask.bag as db
    from distributed import Client, LocalCluster

    files = find_trails(args.paths)
    if args.scheduler:
        client = Client(args.scheduler)
        cluster = None
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1,
                               processes=args.processes, dashboard_address=None)
        client = Client(cluster)
    try:
        bag = db.from_sequence(files, npartitions=max(1, min(len(files), 64)))
        result = (bag.map(detect_file, rules, placeholders)
                  .fold(merge, merge, initial={"matches": [], "errors": []})
                  .compute())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    order = {f: i for i, f in enumerate(files)}
    result["matches"].sort(key=lambda m: (order[m["file"]], m["record"]))
    for m in result["matches"]:
        print(json.dumps(m, sort_keys=True))
    for e in result["errors"]:
        print("dask_detect.py: " + e, file=sys.stderr)
    if result["errors"] or check.errors:
        return 2
    high = any(levels.get(m["rule"]["id"] or m["rule"]["title"]) in ("high", "critical")
               for m in result["matches"])
    return 1 if high else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
