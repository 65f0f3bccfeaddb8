#!/usr/bin/python3
"""Count KVS API calls over many CloudTrail files with Dask and kvstrail.

    dask_trails.py [OPTIONS] PATH...

PATH is a CloudTrail file (.json.gz, .json, any shape kvstrail reads) or a
folder, searched recursively for *.json.gz. Each file is one task: one
kvstrail parser per file, on a Dask worker; the per-file counts (per KVS
action, per principal kind, per finding code) are reduced by Dask into one
summary.

Without --scheduler a LocalCluster runs on this machine (threads in this
process by default: the library releases the GIL, so parsers on different
threads run at once; --processes for worker processes). With --scheduler
tcp://HOST:8786 the same code runs on a real cluster started with
dask-scheduler / dask-worker; every worker needs the kvstrail package and
libkvstrail.so.1 (or KVSTRAIL_LIBRARY) installed, and must be able to open
the paths (shared storage, or URLs such as s3://... when fsspec and s3fs are
installed on the workers).

Exit status: 0 when every file was read whole, 2 when some file had an
error (its events before the error are still counted), 64 for bad usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from typing import Any, Dict, Iterable, List, Optional

OTHER_SERVICE = "(other service)"


def find_trails(paths: Iterable[str]) -> List[str]:
    """Files as given, folders expanded to their *.json.gz, in sorted order."""
    out: List[str] = []
    for p in paths:
        if "://" not in p and os.path.isdir(p):
            for root, _, names in os.walk(p):
                out.extend(os.path.join(root, n) for n in names
                           if n.endswith(".json.gz"))
        else:
            out.append(p)
    return sorted(out)


def empty_counts() -> Dict[str, Any]:
    return {"files": 0, "records": 0, "kvs_records": 0, "bytes": 0,
            "actions": Counter(), "principals": Counter(),
            "findings": Counter(), "errors": []}


def count_file(path: str, kvs_only: bool = False,
               limits: Optional[Dict[str, int]] = None) -> Dict[str, Any]:
    """Runs on a worker: one parser over one file, counts only (events are
    not kept, so a worker's memory is bounded by the largest record)."""
    import kvstrail  # imported on the worker

    counts = empty_counts()
    counts["files"] = 1
    if "://" in path:
        import fsspec  # s3://, gs://, http://... when the worker has the driver
        opened = fsspec.open(path, "rb").open()
    else:
        opened = open(path, "rb")
    with opened as f:
        try:
            with kvstrail.parse(f, kvs_only=kvs_only, name=path,
                                **(limits or {})) as events:
                for ev in events:
                    counts["records"] += 1
                    action = ev.action
                    if action is not None:
                        counts["kvs_records"] += 1
                    counts["actions"][action.name if action else OTHER_SERVICE] += 1
                    ident = ev.identity
                    counts["principals"][ident.principal if ident else "(none)"] += 1
                    for finding in ev.findings:
                        counts["findings"][finding.name] += 1
                counts["bytes"] = events.stats()["bytes_in"]
        except kvstrail.Error as e:
            counts["errors"].append({"file": path, "error": str(e),
                                     "status": e.status})
    return counts


def merge(a: Dict[str, Any], b: Dict[str, Any]) -> Dict[str, Any]:
    """Associative and commutative, so Dask may reduce in any tree shape."""
    out = empty_counts()
    for key in ("files", "records", "kvs_records", "bytes"):
        out[key] = a[key] + b[key]
    for key in ("actions", "principals", "findings"):
        out[key] = Counter(a[key]) + Counter(b[key])
    out["errors"] = sorted(a["errors"] + b["errors"], key=lambda e: e["file"])
    return out


def run(paths: List[str], client: Any, kvs_only: bool = False,
        limits: Optional[Dict[str, int]] = None) -> Dict[str, Any]:
    """Map count_file over the files on the cluster, reduce with merge."""
    import dask.bag as db

    if not paths:
        return empty_counts()
    bag = db.from_sequence(paths, npartitions=len(paths))
    total = bag.map(count_file, kvs_only=kvs_only, limits=limits) \
               .fold(merge, merge, initial=empty_counts())
    return client.compute(total).result()


def timed_run(paths: List[str], client: Any, kvs_only: bool,
              limits: Optional[Dict[str, int]]) -> "tuple[Dict[str, Any], float]":
    """run(), timed without the cluster's start-up."""
    start = time.perf_counter()
    summary = run(paths, client, kvs_only, limits)
    return summary, time.perf_counter() - start


def as_json(summary: Dict[str, Any]) -> Dict[str, Any]:
    out = dict(summary)
    for key in ("actions", "principals", "findings"):
        out[key] = dict(sorted(summary[key].items()))
    return out


def print_summary(s: Dict[str, Any], seconds: float, out: Any) -> None:
    rate = s["records"] / seconds if seconds > 0 else 0.0
    print(f"files {s['files']}  records {s['records']}  KVS records "
          f"{s['kvs_records']}  input {s['bytes'] / 1e6:.1f} MB  "
          f"{seconds:.2f} s  {rate:,.0f} records/s", file=out)
    for title, key in (("action", "actions"), ("principal", "principals"),
                       ("finding", "findings")):
        print(f"\n{title:<40} {'count':>10}", file=out)
        for name, n in sorted(s[key].items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"{name:<40} {n:>10}", file=out)
    for e in s["errors"]:
        print(f"error: {e['error']}", file=out)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="See docs/python.md for running it on a cluster.")
    ap.add_argument("paths", nargs="+", metavar="PATH",
                    help="CloudTrail files, or folders holding *.json.gz")
    ap.add_argument("--scheduler", metavar="ADDRESS",
                    help="a running Dask scheduler (tcp://host:8786); "
                         "default: a LocalCluster on this machine")
    ap.add_argument("--workers", type=int, default=2,
                    help="LocalCluster workers (default 2)")
    ap.add_argument("--processes", action="store_true",
                    help="LocalCluster workers as processes, not threads")
    ap.add_argument("--kvs-only", action="store_true",
                    help="count KVS records only")
    ap.add_argument("--max-record-bytes", type=int, default=None,
                    help="kvstrail's record size limit")
    ap.add_argument("--json", action="store_true",
                    help="print the summary as one JSON object")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 64 if e.code else 0

    from dask.distributed import Client, LocalCluster

    paths = find_trails(args.paths)
    missing = [p for p in paths if "://" not in p and not os.path.exists(p)]
    if missing:
        print(f"dask_trails: no such file: {missing[0]}", file=sys.stderr)
        return 64
    limits = {"max_record_bytes": args.max_record_bytes} \
        if args.max_record_bytes else None

    if args.scheduler:
        with Client(args.scheduler) as client:
            summary, seconds = timed_run(paths, client, args.kvs_only, limits)
    else:
        with LocalCluster(n_workers=args.workers, threads_per_worker=1,
                          processes=args.processes, dashboard_address=None) \
                as cluster, Client(cluster) as client:
            summary, seconds = timed_run(paths, client, args.kvs_only, limits)

    if args.json:
        print(json.dumps(dict(as_json(summary), seconds=round(seconds, 3))))
    else:
        print_summary(summary, seconds, sys.stdout)
    return 2 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
