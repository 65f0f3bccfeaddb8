#!/usr/bin/python3
"""docs/event-line.schema.json against what kvstrail prints.

Every line `kvstrail events --format jsonl` prints for every fixture,
every file of tests/data and every file of the public corpus
(SHARED/corpus/cloudtrail) must validate against the schema (draft
2020-12, python3-jsonschema) and have its members in the schema's order.
The schema must list exactly the finding codes of
include/kvstrail/validate.h, with their names. And the schema must be able
to say no: one mutated line per kind of member (a string, a tri-state,
an enum, a position, an object, an array element, a finding code and
name, a missing member, an extra member) must each be rejected.

The fixtures, the codes and the mutations are checked first; then, when
SHARED is missing, the test exits 77 (skip) saying the corpus was not
read.

usage: test_event_line_schema.py KVSTRAIL SCHEMA VALIDATE_H SHARED DATA_DIR
"""
import copy
import json
import os
import re
import subprocess
import sys

try:
    import jsonschema
except ImportError:  # .ci/setup installs python3-jsonschema
    print("SKIP: python3-jsonschema is not installed")
    sys.exit(77)


def fail(msg):
    print("FAIL " + msg)
    fail.count += 1


fail.count = 0


def resolve(schema, node):
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def line_def(schema, line):
    """The $defs entry a line is: an event, a digest or a broken record."""
    if "error" in line:
        return schema["$defs"]["broken"]
    if line.get("container") == "digest":
        return schema["$defs"]["digest"]
    return schema["$defs"]["event"]


def order_errors(schema, node, value, path):
    """Members out of the schema's order, recursively through the fixed
    objects (the free-form values and payloads have no order to keep)."""
    node = resolve(schema, node)
    out = []
    if isinstance(value, dict) and "properties" in node and \
            node.get("additionalProperties") is False:
        # the order of the members present: an optional one ("container"
        # of a CloudWatch Logs message) is absent elsewhere, and "required"
        # catches a missing one
        want = [k for k in node["properties"] if k in value]
        if list(value) != want:
            out.append("%s: members %s, schema order %s" % (path or "/", list(value), want))
        for k, sub in node["properties"].items():
            if k in value:
                out += order_errors(schema, sub, value[k], path + "/" + k)
    elif isinstance(value, list) and "items" in node:
        for i, v in enumerate(value):
            out += order_errors(schema, node["items"], v, "%s/%d" % (path, i))
    return out


def kvstrail_lines(cli, paths):
    """{path: [line dicts]} of one run over paths."""
    r = subprocess.run([cli, "events", "--format", "jsonl", "--no-progress", "--"] + paths,
                       capture_output=True, timeout=600)
    if r.returncode not in (0, 1, 2):
        fail("kvstrail exited %d: %s" % (r.returncode, r.stderr.decode()[-300:]))
    out = {}
    for raw in r.stdout.splitlines():
        d = json.loads(raw.decode("utf-8"))
        out.setdefault(d["file"], []).append(d)
    return out


def check_lines(schema, validator, cli, paths, what):
    n = 0
    for k in range(0, len(paths), 200):
        for path, lines in kvstrail_lines(cli, paths[k:k + 200]).items():
            for j, line in enumerate(lines):
                n += 1
                where = "%s line %d" % (os.path.basename(path), j + 1)
                for e in validator.iter_errors(line):
                    fail("%s: %s at /%s" % (where, e.message[:300],
                                            "/".join(map(str, e.absolute_path))))
                    break
                for e in order_errors(schema, line_def(schema, line), line, ""):
                    fail("%s: %s" % (where, e))
    print("%s: %d files, %d lines validated" % (what, len(paths), n))
    return n


def check_codes(schema, validate_h):
    text = open(validate_h, encoding="utf-8").read()
    header = {int(m.group(2)): m.group(1) for m in
              re.finditer(r"#define\s+(KVST_F_[A-Z0-9_]+)\s+(\d+)u?\b", text)}
    pairs = {p["properties"]["code"]["const"]: p["properties"]["name"]["const"]
             for p in schema["$defs"]["findingPair"]["oneOf"]}
    if pairs != header:
        fail("finding codes of the schema and of validate.h differ: add to findingPair, "
             "findingCode and findingName of docs/event-line.schema.json %s, remove %s" % (
                 {c: n for c, n in header.items() if pairs.get(c) != n},
                 {c: n for c, n in pairs.items() if header.get(c) != n}))
    if schema["$defs"]["findingCode"]["enum"] != list(pairs) or \
            schema["$defs"]["findingName"]["enum"] != list(pairs.values()):
        fail("findingCode and findingName are not the codes and names of findingPair")
    print("finding codes: %d, as in validate.h" % len(header))


def set_at(line, path, value):
    *parents, last = path.split("/")
    node = line
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    key = int(last) if isinstance(node, list) else last
    if value is KeyError:
        del node[key]
    else:
        node[key] = value


# (path in the line, the wrong value; KeyError removes the member)
MUTATIONS = [
    ("eventName", 5),                        # a string member
    ("userIdentity/principalId", ["x"]),     # a string inside userIdentity
    ("readOnly", "true"),                    # a tri-state
    ("managementEvent", 1),
    ("outcome", "ok"),                       # an enum
    ("access", "read"),
    ("identity/principal", "Martian"),
    ("identity/credential", "AKIA"),
    ("identity/console", None),              # a plain boolean
    ("identity/assumedRoot", "false"),
    ("record", -1),                          # a count, a position
    ("line", 0),
    ("column", "3"),
    ("userIdentity/sessionContext", []),     # an object member
    ("tlsDetails", "TLSv1.2"),
    ("userIdentity", 7),
    ("resources/0", "arn:aws:s3:::b"),       # an array element
    ("resources/0/type", 3),
    ("findings/0/code", 9999),               # a finding
    ("findings/0/name", "KVST_F_NO_SUCH"),
    ("findings/0/severity", "fatal"),
    ("findings/0/pointer", "eventName"),
    ("findings/0/message", None),
    ("identity/issuerArn", False),
    ("addendum/reason", {}),
    ("apiVersion", KeyError),                # a member missing
    ("userIdentity/sessionContext/attributes/creationDate", KeyError),
]


def check_mutations(validator, line):
    # The code and name of a finding must agree too.
    other = dict(line["findings"][0])
    other["name"] = "KVST_F_FIELD_TYPE" if other["name"] != "KVST_F_FIELD_TYPE" else "KVST_F_DUPLICATE_KEY"
    cases = list(MUTATIONS) + [("findings/0", other), ("extraMember", 1),
                               ("identity/extraMember", 1), ("userIdentity/onBehalfOf/extra", "x")]
    if validator.is_valid(line) is not True:
        fail("the line to mutate is not valid to begin with")
    for path, value in cases:
        bad = copy.deepcopy(line)
        set_at(bad, path, value)
        if validator.is_valid(bad):
            fail("the schema accepts %s = %r" % (path, value))
    print("mutations: %d, each rejected" % len(cases))


# A record whose line has every kind of member set, for the mutations.
RICH = (b'{"eventVersion":"1.09","eventTime":"2024-05-01T10:00:00Z",'
        b'"eventSource":"kinesisvideo.amazonaws.com","eventName":"DescribeStream",'
        b'"awsRegion":"us-east-1","sourceIPAddress":"203.0.113.5","apiVersion":"2017-09-30",'
        b'"managementEvent":true,"readOnly":true,"eventType":"AwsApiCall",'
        b'"userIdentity":{"type":"AssumedRole","principalId":"AROA:s","accessKeyId":"ASIAX",'
        b'"onBehalfOf":{"userId":"u","identityStoreArn":"arn:aws:identitystore::1:identitystore/d"},'
        b'"sessionContext":{"attributes":{"creationDate":"2024-05-01T09:00:00Z",'
        b'"mfaAuthenticated":"true"},"sessionIssuer":{"type":"Role","arn":"r"}}},'
        b'"resources":[{"ARN":"arn:aws:kinesisvideo:us-east-1:123456789012:stream/s/1",'
        b'"type":"AWS::KinesisVideo::Stream"}],"tlsDetails":{"tlsVersion":"TLSv1.3"},'
        b'"addendum":{"reason":"DELIVERY_DELAY"},"additionalEventData":{"k":[1,"v"]},'
        b'"requestParameters":{"streamName":"s"},"eventID":"not-a-uuid"}\n')


def main():
    if len(sys.argv) != 6:
        print(__doc__)
        return 64
    cli, schema_path, validate_h, shared, data = sys.argv[1:]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    check_codes(schema, validate_h)

    r = subprocess.run([cli, "events", "--format", "jsonl", "--no-progress", "-"],
                       input=RICH, capture_output=True, timeout=60)
    check_mutations(validator, json.loads(r.stdout.splitlines()[0]))

    local = sorted(os.path.join(d, f) for d in (data, os.path.join(data, "fixtures"))
                   for f in os.listdir(d) if os.path.isfile(os.path.join(d, f))
                   and f.endswith((".json", ".jsonl", ".gz")))
    check_lines(schema, validator, cli, local, "tests/data")

    corpus = os.path.join(shared, "corpus", "cloudtrail")
    if not os.path.isdir(corpus):
        print("%d failure(s) before the corpus" % fail.count)
        if fail.count:
            return 1
        print("SKIP: %s is missing (the shared folder): the corpus was not read" % corpus)
        return 77
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(corpus) for f in fs
                   if f.endswith((".json", ".jsonl", ".json.gz")))
    check_lines(schema, validator, cli, files, "corpus")
    print("%d failure(s)" % fail.count)
    return 1 if fail.count else 0


if __name__ == "__main__":
    sys.exit(main())
