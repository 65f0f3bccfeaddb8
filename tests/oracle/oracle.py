#!/usr/bin/python3
"""The oracle: kvstrail's JSON Lines output against an independent reader.

Python's json module reads the same bytes kvstrail reads, and every record
of every input is compared field by field with the line `kvstrail events
--format jsonl` printed for it: the record count and order, where each
record starts (offset, line, column, in bytes of the plain text), the
envelope strings (the type rule: a string, else null), the tri-states
(readOnly, managementEvent, sessionCredentialFromConsole), outcome, the
identity's raw members, session issuer and the verdict's members that are
the record's own, the whole userIdentity, additionalEventData,
serviceEventDetails and insightDetails as JSON values (and their members'
order: a repeated key at its first place), resources, tlsDetails,
addendum, and every member of the typed request/response of a KVS record
against the record's own value.

Inputs: every file of the public CloudTrail corpus (SHARED/corpus/
cloudtrail; a file Python cannot read as CloudTrail is counted and left
out), and a trail from SHARED/bench/gen_trail.py written in many
serialisations (minified, indented, keys shuffled, \\u escapes for every
character of every string, CRLF, JSON Lines, a top-level array,
concatenated objects, EventBridge envelopes, CloudWatch Logs envelopes as
JSON Lines and as one gzip member each, and in Lambda's awslogs form (base64
of the gzip'd envelope) as JSON Lines and in an array, multi-member gzip),
and hand-made
edge cases of the contract's rules (repeated keys, wrong types, outcome,
CloudWatch Logs messages with escapes and repeated keys).

Inputs kvstrail must refuse (ERROR_CASES: ill-formed UTF-8 in a string,
each kind of syntax error, on a line after a good record and past the
tokenizer's 128-byte history) are compared by the error's class and
position, since Python's reading of them is not kvstrail's: Python decodes
the bytes first (a UnicodeDecodeError's start is the first byte of the
ill-formed sequence, which is the byte kvstrail names too, so ENCODING is
compared at that exact line and column), then parses (a JSONDecodeError's
position is where Python's parser stopped: the very byte kvstrail names for
a grammar error, a control byte or a byte no token starts with, compared
exactly; inside a token -- an escape, a literal, a number -- Python names
the token or the escape's backslash and kvstrail the first byte that breaks
it, so there the check is that kvstrail's byte is in the same token, at or
after Python's, or just after its end). The records before the bad line must all be printed.

Every mismatch is counted by class (the field that differs) with its first
example; the test fails on any. Exit 77 (skip) when SHARED is missing.

usage: oracle.py KVSTRAIL SHARED_DIR [--records N]
"""
import base64
import gzip
import io
import json
import os
import random
import subprocess
import sys
import tempfile

ENVELOPE = ("eventVersion", "eventTime", "eventSource", "eventName",
            "awsRegion", "sourceIPAddress", "userAgent", "requestID",
            "eventID", "eventType", "recipientAccountId", "errorCode",
            "errorMessage", "apiVersion", "sharedEventID", "eventCategory",
            "vpcEndpointId", "vpcEndpointAccountId")
TRI = ("readOnly", "managementEvent", "sessionCredentialFromConsole")
# userIdentity's string members, then its objects (docs/cli.md).
UID_STRS = ("type", "principalId", "arn", "accountId", "accessKeyId", "userName",
            "invokedBy", "credentialId", "identityProvider")
ON_BEHALF_OF = ("userId", "identityStoreArn")
IN_SCOPE_OF = ("issuerType", "credentialsIssuedTo", "sourceArn", "sourceAccount")
SESSION_STRS = ("sourceIdentity", "ec2RoleDelivery", "assumedRoot")
FREE_FORM = ("additionalEventData", "serviceEventDetails", "insightDetails")
IDENTITY = (("type", "type"), ("arn", "arn"), ("accountId", "accountId"),
            ("userName", "userName"), ("invokedBy", "invokedBy"))
ISSUER = ("type", "principalId", "arn", "accountId", "userName")
EVENT_KEYS = ("eventVersion", "eventSource", "eventName", "eventTime",
              "userIdentity", "awsRegion", "eventID")

WS = " \t\r\n"


class NotCloudTrail(Exception):
    pass


# ---- the independent reading -------------------------------------------------

def last_wins(pairs):
    """json's object_pairs_hook: a repeated key's last value (the contract's
    rule), and the repeated keys seen."""
    d = {}
    for k, v in pairs:
        d[k] = v
    return d


DECODER = json.JSONDecoder(object_pairs_hook=last_wins)


class Pairs(list):
    """An object's members as written, repeats included."""


PAIRS = json.JSONDecoder(object_pairs_hook=Pairs)


def pointer_token(k):
    return k.replace("~", "~0").replace("/", "~1")


def repeats_under(v, ptr, out):
    """The pointers of the repeated keys inside v (read with PAIRS): each
    repeat of a key in its object, and further down only the last
    occurrence of each key (the one every reader takes)."""
    if isinstance(v, Pairs):
        last = {}
        for k, x in v:
            if k in last:
                out.append(ptr + "/" + pointer_token(k))
            last[k] = x
        for k, x in last.items():
            repeats_under(x, ptr + "/" + pointer_token(k), out)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            repeats_under(x, "%s/%d" % (ptr, i), out)


def skip_ws(s, i):
    while i < len(s) and s[i] in WS:
        i += 1
    return i


def is_event(v):
    return isinstance(v, dict) and any(k in v for k in EVENT_KEYS)


def cloudwatch_kind(v):
    """"data" or "control" for a CloudWatch Logs subscription envelope."""
    if not isinstance(v, dict) or "logEvents" not in v or is_event(v):
        return None
    if v.get("messageType") == "CONTROL_MESSAGE":
        return "control"
    if v.get("messageType") == "DATA_MESSAGE" and isinstance(v.get("logEvents"), list):
        return "data"
    return None


def awslogs_envelope(v):
    """The envelope of Lambda's form of one, {"awslogs":{"data":"<base64
    of the gzip'd envelope>"}}, or None; strict base64."""
    if not isinstance(v, dict) or is_event(v) or "logEvents" in v:
        return None
    aw = v.get("awslogs")
    if not isinstance(aw, dict) or not isinstance(aw.get("data"), str):
        return None
    env = json.loads(gzip.decompress(base64.b64decode(aw["data"], validate=True)).decode("utf-8"))
    if cloudwatch_kind(env) is None:
        raise NotCloudTrail("awslogs data is not a CloudWatch Logs envelope")
    return env


def eventbridge_detail(v):
    dt = v.get("detail-type")
    return (isinstance(dt, str) and dt.endswith("via CloudTrail")
            and isinstance(v.get("detail"), dict))


def walk_object_members(s, i):
    """(key, start, value, end) of each member of the object at s[i]."""
    assert s[i] == "{"
    i = skip_ws(s, i + 1)
    if s[i] == "}":
        return
    while True:
        key, i = DECODER.raw_decode(s, i)
        i = skip_ws(s, i)
        assert s[i] == ":"
        i = skip_ws(s, i + 1)
        start = i
        val, i = DECODER.raw_decode(s, i)
        yield key, start, val, i
        i = skip_ws(s, i)
        if s[i] == "}":
            return
        assert s[i] == ","
        i = skip_ws(s, i + 1)


def walk_array(s, i):
    """(start, value) of each element of the array at s[i]; index past it."""
    assert s[i] == "["
    out = []
    i = skip_ws(s, i + 1)
    if s[i] == "]":
        return out, i + 1
    while True:
        start = i
        val, i = DECODER.raw_decode(s, i)
        out.append((start, val))
        i = skip_ws(s, i)
        if s[i] == "]":
            return out, i + 1
        assert s[i] == ","
        i = skip_ws(s, i + 1)


def records_of(text):
    """[(char index of the record's '{', record dict)] as the contract
    reads the text: Records arrays, arrays, single/concatenated events,
    EventBridge envelopes (the record is detail: its own '{'), CloudWatch
    Logs envelopes, at the top or as array elements (each record is a
    message: json.loads of the string, at the string's opening quote)."""
    out = []

    def messages(start):
        for key, vstart, v, _ in walk_object_members(text, start):
            if key != "logEvents":
                continue
            for estart, e in walk_array(text, vstart)[0]:
                for k2, mstart, m, _ in walk_object_members(text, estart):
                    if k2 == "message":
                        rec = DECODER.decode(m)
                        if not is_event(rec):
                            raise NotCloudTrail("a message is not an event")
                        out.append((mstart, rec))

    def awslogs_messages(start, env):
        # every message at the opening quote of the data string
        for key, vstart, _, _ in walk_object_members(text, start):
            if key == "awslogs":
                for k2, dstart, _, _ in walk_object_members(text, vstart):
                    if k2 == "data":
                        at = dstart
        if cloudwatch_kind(env) != "data":
            return
        for e in env["logEvents"]:
            rec = DECODER.decode(e["message"])
            if not is_event(rec):
                raise NotCloudTrail("a message is not an event")
            out.append((at, rec))

    i = skip_ws(text, 0)
    if i < len(text) and text[i] == "\ufeff":
        raise NotCloudTrail("byte order mark")
    while i < len(text):
        if text[i] == "[":
            elems, i = walk_array(text, i)
            for start, v in elems:
                if is_event(v):
                    out.append((start, v))
                elif cloudwatch_kind(v) == "data":
                    messages(start)
                elif awslogs_envelope(v) is not None:
                    awslogs_messages(start, awslogs_envelope(v))
                elif cloudwatch_kind(v) != "control":
                    raise NotCloudTrail("array element is not an event")
        elif text[i] == "{":
            start = i
            val, end = DECODER.raw_decode(text, i)
            if not isinstance(val, dict):
                raise NotCloudTrail("not an object")
            if is_event(val):
                out.append((start, val))
            elif isinstance(val.get("Records"), list):
                recs = None
                for key, vstart, v, _ in walk_object_members(text, start):
                    if key == "Records":
                        recs, _ = walk_array(text, vstart)
                for rstart, v in recs:
                    if not isinstance(v, dict):
                        raise NotCloudTrail("Records element is not an object")
                    out.append((rstart, v))
            elif cloudwatch_kind(val) == "control":
                pass
            elif cloudwatch_kind(val) == "data":
                messages(start)
            elif awslogs_envelope(val) is not None:
                awslogs_messages(start, awslogs_envelope(val))
            elif eventbridge_detail(val):
                for key, vstart, v, _ in walk_object_members(text, start):
                    if key == "detail":
                        dstart = vstart
                out.append((dstart, val["detail"]))
            else:
                raise NotCloudTrail("object is not CloudTrail")
            i = end
        else:
            raise NotCloudTrail("top-level value is not an object or array")
        i = skip_ws(text, i)
    return out


class Positions:
    """Byte offset, line and column of character indexes, in order."""

    def __init__(self, text):
        self.text = text
        self.ci = 0
        self.byte = 0
        self.line = 1
        self.line_byte = 0

    def at(self, ci):
        chunk = self.text[self.ci:ci]
        nb = len(chunk.encode("utf-8", "surrogatepass"))
        nl = chunk.rfind("\n")
        if nl >= 0:
            self.line += chunk.count("\n")
            self.line_byte = self.byte + len(chunk[:nl + 1].encode("utf-8", "surrogatepass"))
        self.byte += nb
        self.ci = ci
        return self.byte, self.line, self.byte - self.line_byte + 1


# ---- what the contract says each member is -----------------------------------

def want_str(v):
    return v if isinstance(v, str) else None


def want_tri(v):
    if isinstance(v, bool):
        return v
    if v == "true":
        return True
    if v == "false":
        return False
    return None


def want_obj(v, keys):
    """An object of string members (the type rule), or None."""
    return {k: want_str(v.get(k)) for k in keys} if isinstance(v, dict) else None


def want_session(sc):
    if not isinstance(sc, dict):
        return None
    wi = sc.get("webIdFederationData")
    at = sc.get("attributes")
    out = {"sessionIssuer": want_obj(sc.get("sessionIssuer"), ISSUER)}
    # The two inline objects are null when the record gives neither member.
    out["webIdFederationData"] = (
        {"federatedProvider": want_str(wi.get("federatedProvider")),
         "attributes": wi.get("attributes")}
        if isinstance(wi, dict) and (isinstance(wi.get("federatedProvider"), str)
                                     or "attributes" in wi) else None)
    out["attributes"] = (
        want_obj(at, ("creationDate", "mfaAuthenticated"))
        if isinstance(at, dict) and (isinstance(at.get("creationDate"), str)
                                     or isinstance(at.get("mfaAuthenticated"), str)) else None)
    out.update((k, want_str(sc.get(k))) for k in SESSION_STRS)
    return out


def want_user_identity(u):
    if not isinstance(u, dict):
        return None
    out = {k: want_str(u.get(k)) for k in UID_STRS}
    out["sessionContext"] = want_session(u.get("sessionContext"))
    out["onBehalfOf"] = want_obj(u.get("onBehalfOf"), ON_BEHALF_OF)
    out["inScopeOf"] = want_obj(u.get("inScopeOf"), IN_SCOPE_OF)
    return out


def want_verdict_members(u):
    """The verdict's members that are the record's own strings and flags."""
    u = u if isinstance(u, dict) else {}
    sc = u.get("sessionContext") if isinstance(u.get("sessionContext"), dict) else None
    si = sc.get("sessionIssuer") if sc is not None else None
    si = si if isinstance(si, dict) else {}
    obo = u.get("onBehalfOf") if isinstance(u.get("onBehalfOf"), dict) else {}
    return {
        "principalId": want_str(u.get("principalId")),
        "accessKeyId": want_str(u.get("accessKeyId")),
        "assumedRoot": sc is not None and sc.get("assumedRoot") == "true",
        "imdsv1": sc is not None and sc.get("ec2RoleDelivery") == "1.0",
        "issuerType": want_str(si.get("type")),
        "issuerName": want_str(si.get("userName")),
        "issuerArn": want_str(si.get("arn")),
        "issuerAccountId": want_str(si.get("accountId")),
        "onBehalfOfUserId": want_str(obo.get("userId")),
        "identityStoreArn": want_str(obo.get("identityStoreArn")),
    }


def want_resources(v):
    if not isinstance(v, list):
        return None
    out = []
    for e in v:
        if not isinstance(e, dict):
            continue  # left out, with a finding
        # "ARN" or "arn": the later key when both are written
        arn = None
        for k in e:
            if k in ("ARN", "arn"):
                arn = want_str(e[k])
        out.append({"ARN": arn, "accountId": want_str(e.get("accountId")),
                    "type": want_str(e.get("type"))})
    return out


def same_order(a, b):
    """Objects' members in the same order, at every depth (a repeated key
    keeps its first place, as json's dicts do)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same_order(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return all(same_order(x, y) for x, y in zip(a, b))
    return True


def want_outcome(r):
    if (isinstance(r.get("errorCode"), str) and r["errorCode"]) or \
       (isinstance(r.get("errorMessage"), str) and r["errorMessage"]):
        return "failure"
    resp = r.get("responseElements")
    if isinstance(resp, dict) and resp.get("ConsoleLogin") == "Failure":
        return "failure"
    return "success"


def same_json(a, b):
    """Equal as JSON values: numbers by value, 1 == 1.0 but not True."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def payload_mismatch(got, raw, path):
    """The typed payload's members are the record's own values; a member
    printed is one the record has. Returns the first differing path."""
    if got is None:
        return None
    if not isinstance(raw, dict):
        return path
    for k, v in got.items():
        if k not in raw:
            return path + "/" + k
        rv = raw[k]
        if isinstance(v, dict) and isinstance(rv, dict):
            bad = payload_mismatch(v, rv, path + "/" + k)
            if bad:
                return bad
        elif isinstance(v, list) and isinstance(rv, list):
            if len(v) != len(rv):
                return path + "/" + k
            for j, (x, y) in enumerate(zip(v, rv)):
                if isinstance(x, dict) and isinstance(y, dict):
                    bad = payload_mismatch(x, y, "%s/%s/%d" % (path, k, j))
                    if bad:
                        return bad
                elif not same_json(x, y):
                    return "%s/%s/%d" % (path, k, j)
        elif not same_json(v, rv):
            # A value kept as text because its JSON type was wrong is
            # printed as that text (docs/cli.md): the number's digits.
            if not (isinstance(rv, (int, float)) and not isinstance(rv, bool)
                    and isinstance(v, (int, float)) and v == rv):
                return path + "/" + k
    return None


class Report:
    def __init__(self):
        self.records = 0
        self.inputs = 0
        self.classes = {}

    def bad(self, cls, where, detail):
        n, ex = self.classes.get(cls, (0, None))
        self.classes[cls] = (n + 1, ex or "%s: %s" % (where, detail))


def compare(report, name, text, lines):
    """Compare one input's records with kvstrail's lines for it."""
    try:
        recs = records_of(text)
    except (NotCloudTrail, ValueError, AssertionError, IndexError) as e:
        return "python: %s" % e
    report.inputs += 1
    if len(recs) != len(lines):
        report.bad("record count", name, "python %d, kvstrail %d" % (len(recs), len(lines)))
        return None
    pos = Positions(text)
    for idx, ((ci, r), got) in enumerate(zip(recs, lines)):
        report.records += 1
        where = "%s record %d" % (name, idx)
        off, line, col = pos.at(ci)
        if got["record"] != idx:
            report.bad("record index", where, got["record"])
        if (got["offset"], got["line"], got["column"]) != (off, line, col):
            report.bad("position", where, "python %d %d:%d, kvstrail %d %d:%d" % (
                off, line, col, got["offset"], got["line"], got["column"]))
        for k in ENVELOPE:
            if got.get(k, "<missing>") != want_str(r.get(k)):
                report.bad("envelope " + k, where, "python %r, kvstrail %r" % (
                    want_str(r.get(k)), got.get(k, "<missing>")))
        for k in TRI:
            if got.get(k, "<missing>") != want_tri(r.get(k)):
                report.bad(k, where, "python %r, kvstrail %r" % (
                    want_tri(r.get(k)), got.get(k, "<missing>")))
        if got.get("outcome") != want_outcome(r):
            report.bad("outcome", where, "python %r, kvstrail %r" % (
                want_outcome(r), got.get("outcome")))
        uid = r.get("userIdentity")
        uid = uid if isinstance(uid, dict) else {}
        ident = got.get("identity") or {}
        for key, ukey in IDENTITY:
            if ident.get(key, "<missing>") != want_str(uid.get(ukey)):
                report.bad("identity " + key, where, "python %r, kvstrail %r" % (
                    want_str(uid.get(ukey)), ident.get(key, "<missing>")))
        sc = uid.get("sessionContext")
        si = sc.get("sessionIssuer") if isinstance(sc, dict) else None
        want_si = ({k: want_str(si.get(k)) for k in ISSUER}
                   if isinstance(si, dict) else None)
        if ident.get("sessionIssuer", "<missing>") != want_si:
            report.bad("identity sessionIssuer", where, "python %r, kvstrail %r" % (
                want_si, ident.get("sessionIssuer", "<missing>")))
        for k, v in want_verdict_members(r.get("userIdentity")).items():
            if ident.get(k, "<missing>") != v:
                report.bad("identity " + k, where, "python %r, kvstrail %r" % (
                    v, ident.get(k, "<missing>")))
        want_uid = want_user_identity(r.get("userIdentity"))
        got_uid = got.get("userIdentity", "<missing>")
        if not same_json(got_uid, want_uid):
            report.bad("userIdentity", where, "python %r, kvstrail %r" % (want_uid, got_uid))
        # every repeated key inside the free-form values (and another
        # service's payloads, which no typed payload reads) is a
        # KVST_F_DUPLICATE_KEY finding at its pointer
        rp = PAIRS.raw_decode(text, ci)[0]
        if isinstance(rp, str):  # a CloudWatch Logs message (awslogs: base64)
            try:
                rp = PAIRS.decode(rp)
            except ValueError:
                rp = None
        tops = dict(rp) if isinstance(rp, Pairs) else {}
        keys = FREE_FORM + (("requestParameters", "responseElements")
                            if got.get("action") is None else ())
        want_rep = []
        for k in keys:
            if k in tops:
                repeats_under(tops[k], "/" + k, want_rep)
        got_rep = [f.get("pointer") for f in got.get("findings") or []
                   if f.get("name") == "KVST_F_DUPLICATE_KEY" and
                   any((f.get("pointer") or "").startswith("/" + k + "/") for k in keys)]
        if sorted(want_rep) != sorted(got_rep):
            report.bad("repeated keys", where, "python %r, kvstrail %r" % (
                sorted(want_rep), sorted(got_rep)))
        for k in FREE_FORM:
            if not same_json(got.get(k, "<missing>"), r.get(k)):
                report.bad(k, where, "python %r, kvstrail %r" % (r.get(k), got.get(k, "<missing>")))
            elif not same_order(got.get(k), r.get(k)):
                report.bad(k + " order", where, "python %r, kvstrail %r" % (r.get(k), got.get(k)))
        for k, want in (("resources", want_resources(r.get("resources"))),
                        ("tlsDetails", want_obj(r.get("tlsDetails"), (
                            "tlsVersion", "cipherSuite", "clientProvidedHostHeader"))),
                        ("addendum", want_obj(r.get("addendum"), (
                            "reason", "updatedFields", "originalRequestID", "originalEventID")))):
            if got.get(k, "<missing>") != want:
                report.bad(k, where, "python %r, kvstrail %r" % (want, got.get(k, "<missing>")))
        if got.get("action") is not None:
            for member, key in (("request", "requestParameters"),
                                ("response", "responseElements")):
                raw = r.get(key)
                if got.get(member) is not None and not isinstance(raw, dict):
                    report.bad(member + " present", where, "python has %r" % (raw,))
                    continue
                if isinstance(raw, dict) and got.get(member) is None:
                    report.bad(member + " missing", where, "python has an object")
                    continue
                bad = payload_mismatch(got.get(member), raw, "/" + key)
                if bad:
                    report.bad(member + " member", where, bad)
    return None


def run_kvstrail(kvstrail, paths):
    """{path: [line dicts]} of one kvstrail run over paths; exit status."""
    r = subprocess.run([kvstrail, "events", "--format", "jsonl", "--"] + paths,
                       capture_output=True)
    out = {p: [] for p in paths}
    for raw in r.stdout.split(b"\n"):
        if not raw:
            continue
        raw.decode("utf-8")  # every line is UTF-8 (raises otherwise)
        d = json.loads(raw)
        out.setdefault(d["file"], []).append(d)
    return out, r.returncode, r.stderr.decode("utf-8", "replace")


# ---- inputs ------------------------------------------------------------------

def escape_all(v):
    """JSON text of v with every character of every string as \\uXXXX."""
    if isinstance(v, str):
        return '"' + "".join("\\u%04x" % b for ch in v
                             for b in ([ord(ch)] if ord(ch) < 0x10000 else
                                       [0xd800 + ((ord(ch) - 0x10000) >> 10),
                                        0xdc00 + ((ord(ch) - 0x10000) & 0x3ff)])) + '"'
    if isinstance(v, dict):
        return "{" + ",".join(escape_all(k) + ":" + escape_all(x) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(escape_all(x) for x in v) + "]"
    return json.dumps(v)


def shuffled(v, rng):
    if isinstance(v, dict):
        items = list(v.items())
        rng.shuffle(items)
        return {k: shuffled(x, rng) for k, x in items}
    if isinstance(v, list):
        return [shuffled(x, rng) for x in v]
    return v


def serialisations(records):
    """(name, bytes, gzip?) of the same records written in many ways."""
    rng = random.Random(13)
    doc = {"Records": records}
    out = [
        ("minified", json.dumps(doc, separators=(",", ":")).encode(), False),
        ("indented", json.dumps(doc, indent=2).encode(), False),
        ("shuffled", json.dumps(shuffled(doc, rng), indent=1).encode(), False),
        ("escaped", escape_all(doc).encode(), False),
        ("ascii", json.dumps(doc, ensure_ascii=True, indent="\t").encode(), False),
        ("crlf", json.dumps(doc, indent=4).replace("\n", "\r\n").encode(), False),
        ("jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n"
                          for r in records).encode(), False),
        ("jsonl-crlf", "".join(json.dumps(r) + "\r\n" for r in records).encode(), False),
        ("array", json.dumps(records, indent=2).encode(), False),
        ("concatenated", "".join(json.dumps(r, separators=(",", ":"))
                                 for r in records).encode(), False),
        ("eventbridge", "".join(json.dumps({
            "version": "0", "id": "x", "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.kinesisvideo", "account": "123456789012",
            "time": "2024-01-01T00:00:00Z", "region": "us-east-1",
            "resources": [], "detail": r}) + "\n" for r in records).encode(), False),
    ]
    # CloudWatch Logs subscription envelopes, 25 messages each, a
    # CONTROL_MESSAGE first: as JSON Lines, and one gzip member each (as a
    # Kinesis or Firehose consumer concatenates the records it receives).
    envs = [{"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "",
             "logStream": "", "subscriptionFilters": [],
             "logEvents": [{"id": "", "timestamp": 0,
                            "message": "CWL CONTROL MESSAGE: Checking health of destination"}]}]
    for k in range(0, len(records), 25):
        envs.append({"messageType": "DATA_MESSAGE", "owner": "123456789012",
                     "logGroup": "aws-cloudtrail-logs", "logStream": "123456789012_CloudTrail",
                     "subscriptionFilters": ["f"],
                     "logEvents": [{"id": str(k + j), "timestamp": 1700000000000 + k + j,
                                    "message": json.dumps(r, separators=(",", ":"))}
                                   for j, r in enumerate(records[k:k + 25])]})
    out.append(("cloudwatch-jsonl", "".join(json.dumps(e) + "\n" for e in envs).encode(), False))
    # ... and as the elements of one JSON array, as a consumer that
    # collects them writes them.
    out.append(("cloudwatch-array", json.dumps(envs, indent=1).encode(), False))
    cw = "".join(json.dumps(e, separators=(",", ":")) for e in envs).encode()
    out.append(("cloudwatch-gzip", cw, b"".join(
        gzip.compress(json.dumps(e, separators=(",", ":")).encode(), mtime=0) for e in envs)))
    # Lambda's form: each envelope base64'd and gzip'd under awslogs.data,
    # as JSON Lines (some with every '/' of the base64 written \/, as some
    # JSON writers do) and as the elements of an array.
    aws = [{"awslogs": {"data": base64.b64encode(gzip.compress(
        json.dumps(e, separators=(",", ":")).encode(), mtime=0)).decode()}} for e in envs]
    out.append(("cloudwatch-awslogs", "".join(
        (json.dumps(a).replace("/", "\\/") if k % 2 else json.dumps(a)) + "\n"
        for k, a in enumerate(aws)).encode(), False))
    out.append(("cloudwatch-awslogs-array", json.dumps(aws, indent=2).encode(), False))
    # Multi-member gzip: each member holds a slice of the minified text.
    text = json.dumps(doc, separators=(",", ":")).encode()
    buf = io.BytesIO()
    step = max(1, len(text) // 7)
    for k in range(0, len(text), step):
        buf.write(gzip.compress(text[k:k + step], mtime=0))
    out.append(("multi-member-gzip", text, buf.getvalue()))
    return out


EDGE_CASES = [
    # repeated keys, both orders, top level and nested
    ('{"eventSource":"kinesisvideo.amazonaws.com","eventName":"CreateStream",'
     '"eventName":"DeleteStream","requestParameters":{"streamName":"a"},'
     '"requestParameters":{"streamARN":"arn:aws:kinesisvideo:us-east-1:123456789012:stream/b/1"}}'),
    ('{"eventSource":"kinesisvideo.amazonaws.com","eventName":"DescribeStream",'
     '"awsRegion":"us-west-2","awsRegion":"eu-west-1",'
     '"userIdentity":{"type":"IAMUser","arn":"a1","arn":"a2","accountId":"111122223333"}}'),
    ('{"eventSource":"kinesisvideo.amazonaws.com","eventName":"DescribeStream",'
     '"userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":'
     '{"type":"Role","userName":"x","userName":"y"}}},"userIdentity":{"type":"IAMUser"}}'),
    # wrong types
    ('{"eventSource":"kinesisvideo.amazonaws.com","eventName":"DescribeStream",'
     '"awsRegion":5,"userAgent":true,"eventTime":1527206216,"readOnly":"true",'
     '"userIdentity":{"type":"IAMUser","userName":17,"arn":["x"]}}'),
    ('{"eventSource":"kinesisvideo.amazonaws.com","eventName":"DescribeStream",'
     '"readOnly":"false","errorCode":{"a":1},"sourceIPAddress":null}'),
    # outcome
    ('{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",'
     '"errorMessage":"No username found in supplied account"}'),
    ('{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",'
     '"responseElements":{"ConsoleLogin":"Failure"}}'),
    ('{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",'
     '"responseElements":{"ConsoleLogin":"Success","ConsoleLogin":"Failure"}}'),
    ('{"eventSource":"kinesisvideo.amazonaws.com","eventName":"CreateStream",'
     '"errorCode":"","errorMessage":""}'),
    # the members of 1.1: repeated, mistyped, nested, free-form values
    ('{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","apiVersion":"a",'
     '"apiVersion":"b","managementEvent":"true","sessionCredentialFromConsole":true,'
     '"sharedEventID":5,"eventCategory":"Management","vpcEndpointId":"vpce-1",'
     '"vpcEndpointAccountId":null,'
     '"userIdentity":{"type":"AssumedRole","principalId":"AROA:x","accessKeyId":"ASIA1",'
     '"credentialId":"c","identityProvider":7,"sessionContext":{"sourceIdentity":"s",'
     '"ec2RoleDelivery":"1.0","assumedRoot":"true","attributes":{"creationDate":"d",'
     '"mfaAuthenticated":true},"attributes":{"mfaAuthenticated":"true"},'
     '"webIdFederationData":{"federatedProvider":"p","attributes":{"a":1,"b":[1,2],"a":{"c":null}}},'
     '"sessionIssuer":{"type":"Role","userName":"R","arn":"arn:aws:iam::1:role/R","accountId":"1"}},'
     '"onBehalfOf":{"userId":"u","userId":"v","identityStoreArn":"i"},'
     '"inScopeOf":{"issuerType":"AWS::Lambda::Function","sourceAccount":"2","sourceArn":[]}},'
     '"resources":[{"ARN":"a1","accountId":"1","type":"t"},"x",{"arn":"a2","type":null},null],'
     '"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":1},"tlsDetails":{"tlsVersion":"TLSv1.2"},'
     '"addendum":{"reason":"DELIVERY_DELAY","originalEventID":"e"},'
     '"additionalEventData":{"z":1,"a":"\\u00e9\\ud83d\\ude00","z":[2.50,-0,1e5],"n":{"m":{}}},'
     '"serviceEventDetails":"a string","insightDetails":[{"state":"Start"}]}'),
    ('{"eventSource":"route53domains.amazonaws.com","eventName":"RegisterDomain",'
     '"additionalEventData":"Personally-identifying contact information is not logged",'
     '"serviceEventDetails":{"a":{"b":1},"a":{"c":2}},"userIdentity":"x","resources":{},'
     '"tlsDetails":[],"addendum":null,"insightDetails":null}'),
    # repeated keys inside another service's payloads (kept as raw bytes),
    # additionalEventData and insightDetails: at the top, nested, in
    # arrays, escaped, three times, in a repeated payload
    ('{"eventSource":"s3.amazonaws.com","eventName":"GetObject","requestParameters":'
     '{"bucketName":"a","key":"k","bucketName":"b","n":{"x":1,"l":[{"z":1,"z":2}],"x":{"y":3}}},'
     '"responseElements":{"r":1,"r":{"s":1,"\\u0073":2,"s":3}},'
     '"additionalEventData":{"q":[1],"q":{"a/b":1,"a/b":2}}}'),
    ('{"requestParameters":{"a":1,"a":2},"eventSource":"ec2.amazonaws.com",'
     '"eventName":"RunInstances","insightDetails":{"c":{"v":1,"v":2}},'
     '"responseElements":{"a":{"b":1,"b":2}},"responseElements":{"c":[{"d":1,"d":2}]}}'),
    # repeated keys inside the typed payload, nested, both orders
    ('{"eventSource":"kinesisvideo.amazonaws.com","eventName":"TagStream",'
     '"requestParameters":{"streamName":"a","tags":{"k":"1","j":"2","k":"3"},"streamName":"b"}}'),
    ('{"eventSource":"kinesisvideo.amazonaws.com","eventName":"CreateStream",'
     '"requestParameters":{"streamStorageConfiguration":{"defaultStorageTier":"WARM",'
     '"defaultStorageTier":"HOT"},"streamName":"s"}}'),
    # escapes, non-ASCII and white space kept as decoded
    ('{"eventSource":" kinesisvideo.amazonaws.com","eventName":"TagStream",'
     '"userAgent":"\\u00e9\\ud83d\\ude00 \\"q\\" \\\\ \\/","awsRegion":"\u00e9t\u00e9",'
     '"requestParameters":{"streamName":"s","tags":{"k\\u0031":"v","k2":"\u20ac"}}}'),
]

# CloudWatch Logs envelopes: a message with repeated keys and escapes, a
# second envelope on the same line, a CONTROL_MESSAGE between.
EDGE_CASES.append(json.dumps({"messageType": "DATA_MESSAGE", "logEvents": [
    {"id": "1", "timestamp": 1, "message":
     '{"eventSource":"kinesisvideo.amazonaws.com","eventName":"DescribeStream",'
     '"awsRegion":"\\u00e9","awsRegion":"us-east-1","userAgent":"\\ud83d\\ude00 \\"q\\"",'
     '"userIdentity":{"type":"IAMUser","arn":"a1","arn":"a2"}}'},
    {"id": "2", "timestamp": 2, "message": '  {"eventVersion":"1.08","errorMessage":"x"}  '}]})
    + json.dumps({"messageType": "CONTROL_MESSAGE", "logEvents": [
        {"id": "", "timestamp": 0, "message": "CWL CONTROL MESSAGE"}]})
    + "\n" + json.dumps({"messageType": "DATA_MESSAGE", "logEvents": [
        {"id": "3", "timestamp": 3, "message": '{"eventName":"ConsoleLogin",'
         '"eventSource":"signin.amazonaws.com","responseElements":{"ConsoleLogin":"Failure"}}'}]},
        indent=2))


# (name, the bad line, "exact" or "token": how its position compares)
REC = ('{"eventVersion":"1.05","eventSource":"kinesisvideo.amazonaws.com",'
       '"eventName":"ListStreams","eventTime":"2018-05-25T00:16:31Z","eventID":"e1"}')
ERROR_CASES = [
    ("overlong C0 AF", b'{"eventName":"a\xc0\xaf"}', "exact"),
    ("overlong E0 80 AF", b'{"eventName":"a\xe0\x80\xaf"}', "exact"),
    ("overlong F0 80 80 AF", b'{"eventName":"a\xf0\x80\x80\xaf"}', "exact"),
    ("surrogate ED A0 80", b'{"eventName":"a\xed\xa0\x80"}', "exact"),
    ("surrogate ED BF BF", b'{"eventName":"a\xed\xbf\xbf"}', "exact"),
    ("above U+10FFFF", b'{"eventName":"a\xf4\x90\x80\x80"}', "exact"),
    ("byte F5", b'{"eventName":"a\xf5\x80\x80\x80"}', "exact"),
    ("byte FF", b'{"eventName":"\xc3\xa9\xff"}', "exact"),
    ("lone continuation", b'{"eventName":"a\x80"}', "exact"),
    ("cut by the quote", b'{"eventName":"a\xe2\x82"}', "exact"),
    ("in a key", b'{"event\xed\xa0\x80Name":"a"}', "exact"),
    ("comment", b'/', "exact"),
    ("comment in a record", b'{"eventName":/x}', "exact"),
    ("invalid byte", b'@', "exact"),
    ("control byte in a string", b'{"eventName":"ab\x01"}', "exact"),
    ("missing colon", b'{"eventName" 5}', "exact"),
    ("second value", b'{"eventName":5 6}', "exact"),
    ("trailing comma", b'{"eventName":1,}', "exact"),
    ("leading zero", b'{"eventName":01}', "exact"),
    ("wrong bracket", b'{"eventName":1]', "exact"),
    ("bad literal", b'{"eventName":trxe}', "token"),
    ("literal cut", b'{"eventName":nul,"a":1}', "token"),
    ("unknown escape", b'{"eventName":"ab\\q"}', "token"),
    ("bad hex digit", b'{"eventName":"ab\\u12G4"}', "token"),
    ("no digit after minus", b'{"eventName":-x}', "token"),
    ("no digit after point", b'{"eventName":1.x}', "token"),
    ("no digit in exponent", b'{"eventName":1e+x}', "token"),
]
ERROR_PADS = (b"", b" " * 127, b" " * 200)


def python_error(data, start):
    """(class, byte offset) of Python's reading of data[start:] (one line)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return "KVST_E_ENCODING", e.start
    try:
        json.loads(text[len(data[:start].decode("utf-8")):])
    except json.JSONDecodeError as e:
        return "KVST_E_SYNTAX", start + len(text[len(data[:start].decode()):][:e.pos].encode())
    return None, None


def same_token(data, a, b):
    """data[b] (b >= a) breaks the JSON token at data[a]: it is in that
    token, or the byte just after it (a literal cut short: `nul,`)."""
    return a <= b and not any(c in b' \t\r\n,:[]{}' for c in data[a + 1:b])


def compare_errors(report, kvstrail, tmp):
    """The error cases: kvstrail's error class and position against Python's."""
    n = 0
    for name, bad, how in ERROR_CASES:
        for pad in ERROR_PADS:
            data = REC.encode() + b"\n" + pad + bad + b"\n"
            start = len(REC) + 1
            path = os.path.join(tmp, "error-%d.json" % n)
            n += 1
            with open(path, "wb") as f:
                f.write(data)
            where = "error case %s (%d spaces)" % (name, len(pad))
            r = subprocess.run([kvstrail, "events", "--format", "jsonl", "--", path],
                               capture_output=True)
            report.inputs += 1
            printed = [x for x in r.stdout.split(b"\n") if x]
            if len(printed) != 1:
                report.bad("error case records", where, "%d lines printed" % len(printed))
            err = r.stderr.decode("utf-8", "replace").strip().splitlines()
            fields = err[-1].split(":") if err else []
            cls = err[-1].rsplit("[", 1)[-1].rstrip("]") if err else None
            want_cls, want_off = python_error(data, start)
            if len(fields) < 3 or want_cls is None:
                report.bad("error case output", where, "%r (python %r)" % (err, want_cls))
                continue
            line, col = int(fields[1]), int(fields[2])
            off = data.rfind(b"\n", 0, start) + 1
            for _ in range(line - 1 - data[:off].count(b"\n")):
                off = data.index(b"\n", off) + 1
            off += col - 1
            report.records += 1
            if cls != want_cls:
                report.bad("error class", where, "python %s, kvstrail %s" % (want_cls, cls))
            elif how == "exact" and off != want_off:
                report.bad("error position", where, "python byte %d, kvstrail %d:%d (byte %d)" % (
                    want_off, line, col, off))
            elif how == "token" and not same_token(data, want_off, off):
                report.bad("error position in token", where,
                           "python byte %d, kvstrail %d:%d (byte %d)" % (want_off, line, col, off))
    return n


def main():
    args = sys.argv[1:]
    n_records = 400
    if "--records" in args:
        k = args.index("--records")
        n_records = int(args[k + 1])
        del args[k:k + 2]
    if len(args) != 2:
        print(__doc__)
        return 64
    kvstrail, shared = args
    corpus = os.path.join(shared, "corpus", "cloudtrail")
    gen = os.path.join(shared, "bench", "gen_trail.py")
    if not os.path.isdir(corpus) or not os.path.isfile(gen):
        print("SKIP: %s or %s is missing (the shared folder)" % (corpus, gen))
        return 77
    report = Report()
    left_out = {}

    # The public corpus.
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(corpus) for f in fs
                   if f.endswith((".json", ".jsonl", ".json.gz")))
    for k in range(0, len(files), 200):
        part = files[k:k + 200]
        lines, _, _ = run_kvstrail(kvstrail, part)
        for path in part:
            with open(path, "rb") as f:
                data = f.read()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                left_out["not UTF-8"] = left_out.get("not UTF-8", 0) + 1
                continue
            why = compare(report, os.path.relpath(path, corpus), text, lines[path])
            if why:
                # By kind ("python: Expecting value"), not by position.
                kind = why.split(":")[0] + ":" + why.split(":")[1]
                left_out[kind] = left_out.get(kind, 0) + 1
    corpus_records = report.records

    # A generated trail in many serialisations, and the edge cases.
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "trail.json")
        subprocess.run([sys.executable, gen, "--records", str(n_records),
                        "--seed", "13", "--out", src], check=True)
        with open(src, encoding="utf-8") as f:
            records = json.load(f)["Records"]
        inputs = []
        for name, text, gz in serialisations(records):
            path = os.path.join(tmp, name)
            with open(path, "wb") as f:
                f.write(gz if gz else text)
            inputs.append((path, name, text.decode("utf-8")))
        for j, case in enumerate(EDGE_CASES):
            path = os.path.join(tmp, "edge-%02d.json" % j)
            with open(path, "wb") as f:
                f.write(case.encode("utf-8"))
            inputs.append((path, "edge case %d" % j, case))
        lines, status, err = run_kvstrail(kvstrail, [p for p, _, _ in inputs])
        if status not in (0, 1):
            report.bad("kvstrail exit status", "generated inputs", "%d: %s" % (status, err[-300:]))
        for path, name, text in inputs:
            why = compare(report, name, text, lines[path])
            if why:
                report.bad("python could not read a generated input", name, why)
        n_errors = compare_errors(report, kvstrail, tmp)

    print("oracle: %d inputs, %d records compared (%d of the corpus, %d generated "
          "in %d serialisations of %d records, %d edge cases and %d errors)" % (
              report.inputs, report.records, corpus_records,
              report.records - corpus_records, len(serialisations(records[:1])),
              n_records, len(EDGE_CASES), n_errors))
    for why, n in sorted(left_out.items()):
        print("  left out of the corpus: %d file(s): %s" % (n, why))
    mismatches = sum(n for n, _ in report.classes.values())
    for cls, (n, ex) in sorted(report.classes.items()):
        print("MISMATCH %s: %d, first: %s" % (cls, n, ex))
    print("oracle: %d mismatch(es) in %d class(es)" % (mismatches, len(report.classes)))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
