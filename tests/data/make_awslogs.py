#!/usr/bin/env python3
"""Make the fixtures of Lambda's form of CloudWatch Logs envelopes.

A Lambda subscribed to a log group receives {"awslogs":{"data":"..."}}
where data is the base64 of the gzip'd envelope (AWS docs, "Using
CloudWatch Logs subscription filters", the Lambda example). The envelopes
here are those of cloudwatch-logs.jsonl (read from it), so each event is
the same as in the plain fixture. gzip with mtime 0: the same bytes on
every run.

usage: make_awslogs.py FIXTURES_DIR
"""
import base64
import gzip
import json
import os
import sys


def awslogs(envelope_text, escape_slash=False):
    data = base64.b64encode(gzip.compress(envelope_text.encode("utf-8"), mtime=0)).decode()
    text = json.dumps({"awslogs": {"data": data}}, separators=(",", ":"))
    return text.replace("/", "\\/") if escape_slash else text


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "cloudwatch-logs.jsonl"), encoding="utf-8") as f:
        text = f.read()
    # The plain fixture's envelopes as written: a CONTROL_MESSAGE, then
    # DATA_MESSAGEs (minified or indented); each becomes one awslogs object.
    envs, at, dec = [], 0, json.JSONDecoder()
    while text[at:].strip():
        while text[at].isspace():
            at += 1
        _, end = dec.raw_decode(text, at)
        envs.append(text[at:end])
        at = end
    objs = [awslogs(e) for e in envs]
    good = [objs[0], objs[1], objs[2] + " " + objs[0],
            awslogs(envs[1], escape_slash=True),
            json.dumps(json.loads(objs[1]), indent=2)]
    with open(os.path.join(d, "cloudwatch-awslogs.jsonl"), "w", encoding="utf-8") as f:
        f.write("\n".join(good) + "\n")
    with open(os.path.join(d, "cloudwatch-awslogs-array.json"), "w", encoding="utf-8") as f:
        f.write("[" + ",\n".join(objs[:2]) + "]\n")

    # Each line one way of being wrong, then a good one (recovery mode
    # reads on): a bad base64 character, padding in the middle, a cut
    # group, data that is not gzip, a truncated gzip member, a corrupt one,
    # an envelope that is not UTF-8, one that is not JSON, a JSON value
    # that is not an envelope, an awslogs object without data.
    gz = gzip.compress(envs[1].encode("utf-8"), mtime=0)
    b64 = base64.b64encode(gz).decode()

    def raw(b):
        return json.dumps({"awslogs": {"data": base64.b64encode(b).decode()}},
                          separators=(",", ":"))

    corrupt = bytearray(gz)
    corrupt[len(gz) // 2] ^= 0xFF
    bad = [
        json.dumps({"awslogs": {"data": b64[:40] + "*" + b64[41:]}}, separators=(",", ":")),
        json.dumps({"awslogs": {"data": "QQ==" + b64}}, separators=(",", ":")),
        json.dumps({"awslogs": {"data": b64[:-1] if not b64.endswith("=") else b64[:-3]}},
                   separators=(",", ":")),
        raw(envs[1].encode("utf-8")),
        raw(gz[: len(gz) // 2]),
        raw(bytes(corrupt)),
        raw(gzip.compress(b'{"messageType":"DATA_MESSAGE","logGroup":"\xc0\xaf"}', mtime=0)),
        raw(gzip.compress(b'{"messageType":"DATA_MESSAGE",', mtime=0)),
        raw(gzip.compress(b'{"messageType":"PING"}', mtime=0)),
        '{"awslogs":{"date":"x"}}',
        objs[1],
    ]
    with open(os.path.join(d, "cloudwatch-awslogs-bad.jsonl"), "w", encoding="utf-8") as f:
        f.write("\n".join(bad) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
