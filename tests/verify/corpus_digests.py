#!/usr/bin/python3
"""The public corpus's CloudTrail digest files (KVSTRAIL_SHARED/corpus),
read by `kvstrail events` as typed digests: the user guide's samples parse
without a finding (one with a log file, one of an hour without any);
the OpenTelemetry collector's test digest has exactly its three defects
(previousDigestSignature not hex, two log file times with "TT").
Exits 77 (skipped) when the shared folder is missing.

usage: corpus_digests.py KVSTRAIL_CLI SHARED_DIR
"""
import json
import os
import subprocess
import sys

EXPECTED = {
    "awsdocs-cloudtrail-user-guide/cloudtrail-log-file-validation-digest-file-structure.block03.json":
        (1, False, []),
    "awsdocs-cloudtrail-user-guide/cloudtrail-log-file-validation-digest-file-structure.block04.json":
        (0, False, []),
    "otel-collector-contrib/cloudtrail_digest.json":
        (1, False, [("KVST_F_DIGEST_SIGNATURE", "/previousDigestSignature"),
                    ("KVST_F_DIGEST_TIME", "/logFiles/0/newestEventTime"),
                    ("KVST_F_DIGEST_TIME", "/logFiles/0/oldestEventTime")]),
}


def main():
    cli, shared = sys.argv[1], sys.argv[2]
    corpus = os.path.join(shared, "corpus", "cloudtrail")
    if not os.path.isdir(corpus):
        print("skip: %s is missing (the shared corpus)" % corpus)
        return 77
    failed = 0
    for rel, (n_logs, starting, findings) in EXPECTED.items():
        r = subprocess.run([cli, "events", "--format", "jsonl", os.path.join(corpus, rel)],
                           capture_output=True)
        lines = r.stdout.decode().splitlines()
        ok = r.returncode == 0 and len(lines) == 1
        if ok:
            e = json.loads(lines[0])
            d = e["digest"]
            ok = (e["container"] == "digest" and len(d["logFiles"]) == n_logs
                  and (d["previousDigestSignature"] is None) == starting
                  and [(f["name"], f["pointer"]) for f in e["findings"]] == findings)
        print("%s %s" % ("ok  " if ok else "FAIL", rel))
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
