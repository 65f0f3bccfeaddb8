#!/usr/bin/python3
"""Throughput of `kvstrail verify` against `sha256sum` over the same bytes.

Writes FILES gzip log files of about 1 MB of JSON each (inflated) in
CloudTrail's S3 layout with one digest listing them all, and the same
log files inflated beside them; then times, in one run and on one core,
`kvstrail verify` over the archive (it inflates every file and hashes the
inflated bytes) and `sha256sum` over the inflated copies. Prints both
throughputs over the inflated bytes and their ratio (issue 19 asks for
>= 0.8). Asserts nothing about time: a benchmark, not a test.

    /usr/bin/python3 bench/verify_bench.py [--files N] [--reps N]
        [--cli build/tools/kvstrail] [--work DIR]

Generated files are reused when present (delete DIR to regenerate).
"""
import argparse
import gzip
import hashlib
import json
import os
import random
import subprocess
import sys
import time

ACCOUNT = "111122223333"
DAY = "2025/10/21"


def record(rng, i):
    return {"eventVersion": "1.09", "eventTime": "2025-10-21T00:%02d:%02dZ" % (i // 60 % 60, i % 60),
            "eventSource": "kinesisvideo.amazonaws.com",
            "eventName": rng.choice(["GetDataEndpoint", "DescribeStream", "ListStreams", "PutMedia"]),
            "awsRegion": "us-east-1", "sourceIPAddress": "10.%d.%d.%d" % (
                rng.randrange(256), rng.randrange(256), rng.randrange(256)),
            "userAgent": "aws-sdk-java/1.12.%d" % rng.randrange(700),
            "requestParameters": {"streamName": "camera-%05d" % rng.randrange(20000),
                                  "aPIName": "GET_MEDIA"},
            "responseElements": None,
            "requestID": "%032x" % rng.getrandbits(128),
            "eventID": "%032x" % rng.getrandbits(128),
            "readOnly": True, "eventType": "AwsApiCall", "managementEvent": True,
            "recipientAccountId": ACCOUNT,
            "userIdentity": {"type": "AssumedRole", "principalId": "AROA%016X:s" % rng.getrandbits(64),
                             "arn": "arn:aws:sts::%s:assumed-role/r/s" % ACCOUNT,
                             "accountId": ACCOUNT, "accessKeyId": "ASIA%016X" % rng.getrandbits(64)}}


def generate(work, files):
    rng = random.Random(19)
    root = os.path.join(work, "archive")
    plain = os.path.join(work, "inflated")
    os.makedirs(plain, exist_ok=True)
    logs = []
    for n in range(files):
        key = "AWSLogs/%s/CloudTrail/us-east-1/%s/%s_CloudTrail_us-east-1_20251021T%02d%02dZ_%06d.json.gz" % (
            ACCOUNT, DAY, ACCOUNT, n // 60 % 24, n % 60, n)
        recs, size = [], 0
        while size < 1 << 20:
            r = json.dumps(record(rng, len(recs)))
            recs.append(r)
            size += len(r) + 1
        body = ('{"Records":[' + ",".join(recs) + "]}").encode()
        path = os.path.join(root, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(gzip.compress(body, 6))
        with open(os.path.join(plain, "%06d.json" % n), "wb") as f:
            f.write(body)
        logs.append({"s3Bucket": "b", "s3Object": key, "hashAlgorithm": "SHA-256",
                     "hashValue": hashlib.sha256(body).hexdigest(),
                     "newestEventTime": None, "oldestEventTime": None})
    key = "AWSLogs/%s/CloudTrail-Digest/us-east-1/%s/%s_CloudTrail-Digest_us-east-1_t_us-east-1_20251022T000000Z.json.gz" % (
        ACCOUNT, DAY, ACCOUNT)
    doc = {"awsAccountId": ACCOUNT, "digestStartTime": "2025-10-21T00:00:00Z",
           "digestEndTime": "2025-10-22T00:00:00Z", "digestS3Bucket": "b", "digestS3Object": key,
           "digestPublicKeyFingerprint": "0" * 32, "digestSignatureAlgorithm": "SHA256withRSA",
           "newestEventTime": None, "oldestEventTime": None,
           "previousDigestS3Bucket": None, "previousDigestS3Object": None,
           "previousDigestHashValue": None, "previousDigestHashAlgorithm": None,
           "previousDigestSignature": None, "logFiles": logs}
    path = os.path.join(root, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(gzip.compress(json.dumps(doc).encode()))
    with open(os.path.join(work, "done"), "w") as f:
        f.write(str(files))


def best_of(reps, argv):
    best = None
    for _ in range(reps):
        t0 = time.perf_counter()
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best, r


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--cli", default=os.path.join(here, "..", "build", "tools", "kvstrail"))
    ap.add_argument("--work", default=os.path.join(here, "..", "build", "verify-bench"))
    a = ap.parse_args()
    done = os.path.join(a.work, "done")
    if not os.path.exists(done) or open(done).read() != str(a.files):
        generate(a.work, a.files)
    plain_dir = os.path.join(a.work, "inflated")
    plain = sorted(os.path.join(plain_dir, f) for f in os.listdir(plain_dir))
    nbytes = sum(os.path.getsize(p) for p in plain)
    one_core = ["taskset", "-c", "0"] if subprocess.run(
        ["which", "taskset"], capture_output=True).returncode == 0 else []
    t_verify, r = best_of(a.reps, one_core + [a.cli, "verify", "-f", "jsonl",
                                               os.path.join(a.work, "archive")])
    lines = [json.loads(x) for x in r.stdout.decode().splitlines()]
    logs = [x for x in lines if x["type"] == "log"]
    if len(logs) != a.files or any(x["verdict"] != "valid" for x in logs):
        print("verify did not find every log file valid", file=sys.stderr)
        return 1
    t_sha, r = best_of(a.reps, one_core + ["sha256sum"] + plain)
    if r.returncode != 0:
        print("sha256sum failed", file=sys.stderr)
        return 1
    mb = nbytes / 1e6
    print("files %d, inflated %.1f MB, best of %d" % (a.files, mb, a.reps))
    print("kvstrail verify  %7.3f s  %8.1f MB/s" % (t_verify, mb / t_verify))
    print("sha256sum        %7.3f s  %8.1f MB/s" % (t_sha, mb / t_sha))
    print("ratio verify/sha256sum throughput: %.2f" % (t_sha / t_verify))
    return 0


if __name__ == "__main__":
    sys.exit(main())
