"""`kvstrail events --format ocsf` against the OCSF 1.8.0 schema (issue 17).

    ocsf_conformance.py CLI SHARED_DIR GOLDEN_DIR FIXTURE_DIR

1. Every OCSF line of every file of the public corpus passes ocsf_check
   (an independent checker reading the schema's source files), and says
   what the JSON Lines contract of the same record says (operation,
   time, status, activity, severity, actor, source, cloud, the typed
   request; no contract member lost); -j 2 writes what -j 1 writes.
2. The checker fails on each kind of breach: one mutated line per rule.
3. Golden files of the mapping on fixtures with data events, root,
   assumed roles, failures and records OCSF's API Activity cannot hold
   (KVSTRAIL_UPDATE_GOLDEN=1 rewrites them).
Exits 77 when the shared folder has no OCSF schema or no corpus.
"""
import copy
import datetime
import json
import os
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import ocsf_check  # noqa: E402

GOLDEN_FIXTURES = ["kvs-data-events.json", "gen-trail-40.json",
                   "otel-identity-center.json"]
FAILURES = []

# The contract members the OCSF event carries outside unmapped.
MAPPED = {"eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
          "userAgent", "requestID", "eventID", "recipientAccountId", "errorCode",
          "errorMessage", "outcome", "request", "response", "apiVersion",
          "resources", "userIdentity"}
SEVERITY = {None: 1, "info": 1, "warning": 2, "error": 3}
STATUS = {"success": 1, "failure": 2}
VERBS = [("Create", 1), ("Describe", 2), ("Get", 2), ("List", 2), ("Lookup", 2),
         ("Update", 3), ("Modify", 3), ("Put", 3), ("Delete", 4)]
ACCESS = {"media-read": 2, "config-read": 2, "media-write": 3,
          "config-write": 3, "delete": 4, "signaling": 99}


def fail(what):
    FAILURES.append(what)
    print("FAIL", what)


def run(cli, args, cwd=None):
    return subprocess.run([cli] + [str(a) for a in args], cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=600)


def lines(stdout):
    return [json.loads(x) for x in stdout.decode("utf-8").splitlines()]


def without_nulls(v):
    """The value as the OCSF line must hold it: no nulls, no empties."""
    if isinstance(v, dict):
        out = {k: without_nulls(x) for k, x in v.items()}
        return {k: x for k, x in out.items() if x not in (None, {}, [])}
    if isinstance(v, list):
        out = [without_nulls(x) for x in v]
        return [x for x in out if x not in (None, {}, [])]
    return v


def activity(ev):
    name = ev.get("eventName") or ""
    for verb, act in VERBS:
        if ev.get("access") is not None and act != 1:
            continue
        if name.startswith(verb) and (len(name) == len(verb) or
                                      name[len(verb)].isupper()):
            return act
    return ACCESS.get(ev.get("access"), 99)


def epoch_ms(text):
    try:
        t = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError):
        return None
    return int(t.replace(tzinfo=datetime.timezone.utc).timestamp()) * 1000


def agrees(ev, oc, where):
    """What the OCSF line says that the contract line says too (an empty
    string is no value: OCSF lines leave it out)."""
    ev = {k: (None if v == "" else v) for k, v in ev.items()}
    ident = {k: (None if v == "" else v) for k, v in (ev.get("identity") or {}).items()}

    def want(cond, text):
        if not cond:
            fail(f"{where}: {text}")
    um = oc.get("unmapped", {})
    want(oc["metadata"]["version"] == "1.8.0", "metadata.version")
    want(oc["metadata"]["product"]["name"] == "kvstrail", "product")
    want(oc["metadata"].get("uid") == ev.get("eventID"), "metadata.uid")
    want(oc["metadata"].get("original_time") == ev.get("eventTime"),
         "original_time")
    ms = epoch_ms(ev.get("eventTime"))
    want(ms is None or oc["time"] == ms, f"time {oc['time']} != {ms}")
    want(oc["status_id"] == STATUS.get(ev.get("outcome"), 0), "status_id")
    worst = max((f["severity"] for f in ev["findings"]),
                key=lambda s: SEVERITY[s], default=None)
    want(oc["severity_id"] == SEVERITY[worst], "severity_id")
    want(oc["cloud"]["provider"] == "AWS", "cloud.provider")
    want(oc["cloud"].get("region") == ev.get("awsRegion"), "cloud.region")
    want(oc["cloud"].get("account", {}).get("uid") == ev.get("recipientAccountId"),
         "cloud.account")
    api = oc.get("api") if oc["class_uid"] == 6003 else um.get("api", oc.get("api"))
    api = api or {}
    want(api.get("operation") == ev.get("eventName"), "api.operation")
    want(api.get("response", {}).get("error") == ev.get("errorCode"),
         "response.error")
    if ev.get("request") is not None and ev.get("requestID") is not None:
        want(api["request"]["data"] == without_nulls(ev["request"]),
             "api.request.data is the typed request")
    if oc["class_uid"] == 6003:
        want(oc["activity_id"] == activity(ev),
             f"activity_id {oc['activity_id']} != {activity(ev)}")
        src = oc["src_endpoint"]
        want(src.get("ip", src.get("domain")) == ev.get("sourceIPAddress"),
             "src_endpoint")
        user = oc["actor"].get("user")
        if user is not None:
            want(user.get("uid") == ident.get("arn"), "actor.user.uid")
            want(user.get("name") == ident.get("userName"), "actor.user.name")
        want(oc["actor"].get("app_name") == ident.get("invokedBy"),
             "actor.app_name")
    else:
        want(oc["class_uid"] == 0 and oc["activity_id"] == 99 and
             oc.get("message", "").startswith("not an API Activity"),
             "a Base Event says why")
    for k, v in ev.items():
        if v is not None and k not in MAPPED and k not in um and \
                without_nulls(v) not in ({}, []):
            fail(f"{where}: contract member {k} is lost")


def corpus_test(cli, schema, corpus):
    files = sorted(str(p) for p in corpus.rglob("*")
                   if p.is_file() and (p.suffix == ".json" or p.name.endswith(".gz")))
    r = run(cli, ["events", "--format", "ocsf", "-j", "1"] + files)
    ref = run(cli, ["events", "--format", "jsonl", "-j", "1"] + files)
    if r.returncode not in (0, 2) or r.returncode != ref.returncode:
        fail(f"corpus: exit {r.returncode} (jsonl {ref.returncode})")
    if r.stderr != ref.stderr:
        fail("corpus: ocsf and jsonl report different input errors")
    events = [e for e in lines(ref.stdout) if "digest" not in e]
    ocsf = lines(r.stdout)
    if len(ocsf) != len(events) or len(ocsf) < 1000:
        fail(f"corpus: {len(ocsf)} OCSF lines for {len(events)} records")
    classes = {}
    for n, (ev, oc) in enumerate(zip(events, ocsf), 1):
        where = f"{ev['file']} record {ev['record']}"
        for rule, path, text in ocsf_check.check_event(schema, oc):
            fail(f"{where}: {rule}: {path}: {text}")
        agrees(ev, oc, where)
        classes[oc["class_uid"]] = classes.get(oc["class_uid"], 0) + 1
    if classes.get(6003, 0) < 1000 or not classes.get(0):
        fail(f"corpus: classes {classes}")
    par = run(cli, ["events", "--format", "ocsf", "-j", "2"] + files)
    if (par.returncode, par.stdout, par.stderr) != \
            (r.returncode, r.stdout, r.stderr):
        fail("corpus: -j 2 differs from -j 1")
    print(f"corpus: {len(ocsf)} OCSF lines of {len(files)} files checked "
          f"({classes})")
    return ocsf


def pick(ocsf, cond):
    for oc in ocsf:
        if cond(oc):
            return copy.deepcopy(oc)
    raise AssertionError("no corpus line for a mutation")


# One breach per rule: (rule wanted, what it does to a valid line).
def _del(path):
    def f(oc):
        *head, last = path.split(".")
        for k in head:
            oc = oc[k]
        del oc[last]
    return f


def _set(path, value):
    def f(oc):
        *head, last = path.split(".")
        for k in head:
            oc = oc[k]
        oc[last] = value
    return f


MUTATIONS = [
    ("null", _set("actor.user.name", None)),
    ("null", _set("unmapped.findings", [None])),
    ("required", _del("time")),
    ("required", _del("api.operation")),
    ("required", _del("metadata.product")),
    ("required", _set("actor.user.programmatic_credentials", [{"type": "x"}])),
    ("required", _set("actor", {"idp": {"name": "x"}})),      # at_least_one
    ("required", _set("src_endpoint", {"port": 443})),        # at_least_one
    ("defined", _set("actor.user.shoe_size", 44)),
    ("defined", _set("colour", "blue")),
    ("type", _set("time", "2018-05-25T00:16:31Z")),           # timestamp
    ("type", _set("time", 1.5)),
    ("type", _set("actor.user.uid", 5)),
    ("type", _set("severity_id", True)),
    ("type", _set("resources", {"uid": "x"})),                # not an array
    ("type", _set("metadata.profiles", "cloud")),
    ("type", _set("metadata", "1.8.0")),                      # not an object
    ("type", _set("src_endpoint", {"ip": "not-an-address"})), # ip_t regex
    ("enum", _set("severity_id", 7)),
    ("enum", _set("activity_id", 5)),
    ("enum", _set("actor.user.type_id", 42)),
    ("deprecated", _set("actor.invoked_by", "ec2.amazonaws.com")),
    ("deprecated", _set("actor.user.credential_uid", "AKIAEXAMPLE")),
    ("deprecated", _set("actor.user.account.type_id", 3)),    # enum value
    ("profile", _set("metadata.profiles", [])),
    ("class", _set("class_uid", 6099)),
    ("class", _set("type_uid", 600302)),
    ("class", _set("category_uid", 3)),
]


def mutation_test(schema, ocsf):
    base = pick(ocsf, lambda oc: oc["class_uid"] == 6003 and
                "programmatic_credentials" in oc["actor"].get("user", {}) and
                "account" in oc["actor"]["user"] and
                "findings" in oc["unmapped"] and oc["activity_id"] == 1)
    if ocsf_check.check_event(schema, base):
        fail("mutations: the line to mutate is not valid")
    for rule, mutate in MUTATIONS:
        oc = copy.deepcopy(base)
        mutate(oc)
        got = {e[0] for e in ocsf_check.check_event(schema, oc)}
        if rule not in got:
            fail(f"mutation for {rule}: the checker said {sorted(got)}")
    print(f"mutations: {len(MUTATIONS)} breaches, each found")


def golden_test(cli, golden_dir, fixture_dir, schema):
    version = run(cli, ["--version"]).stdout.decode().split()[1]
    for name in GOLDEN_FIXTURES:
        r = run(cli, ["events", "--format", "ocsf", name], cwd=fixture_dir)
        out = r.stdout.decode().replace(f'"version":"{version}"',
                                        '"version":"VERSION"')
        for n, oc in enumerate(lines(r.stdout), 1):
            for rule, path, text in ocsf_check.check_event(schema, oc):
                fail(f"{name}:{n}: {rule}: {path}: {text}")
        path = pathlib.Path(golden_dir) / (name + ".ocsf")
        if os.environ.get("KVSTRAIL_UPDATE_GOLDEN"):
            path.write_text(out, encoding="utf-8")
        elif not path.is_file() or path.read_text(encoding="utf-8") != out:
            fail(f"golden {path.name} differs from the output of {name}")
    print(f"goldens: {len(GOLDEN_FIXTURES)} fixtures")


def main(argv):
    cli, shared, golden_dir, fixture_dir = argv[1:5]
    cli = os.path.abspath(cli)
    schema_dir = pathlib.Path(shared) / "ocsf" / "1.8.0"
    corpus = pathlib.Path(shared) / "corpus" / "cloudtrail"
    if not (schema_dir / "dictionary.json").is_file() or not corpus.is_dir():
        print(f"SKIP no OCSF 1.8.0 schema or corpus under {shared}")
        return 77
    schema = ocsf_check.Schema(schema_dir)
    ocsf = corpus_test(cli, schema, corpus)
    mutation_test(schema, ocsf)
    golden_test(cli, golden_dir, fixture_dir, schema)
    if FAILURES:
        print(f"{len(FAILURES)} failures")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
