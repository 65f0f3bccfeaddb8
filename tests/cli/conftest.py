"""Shared helpers of the kvstrail CLI tests.

KVSTRAIL_CLI is the built binary (set by meson); KVSTRAIL_DATA the folder
of the seed samples. Run by hand with:
    KVSTRAIL_CLI=build/tools/kvstrail /usr/bin/python3 -m pytest tests/cli
"""
import gzip
import json
import os
import pathlib
import subprocess

import pytest

HERE = pathlib.Path(__file__).resolve().parent
CLI = os.environ.get("KVSTRAIL_CLI")
DATA = pathlib.Path(os.environ.get("KVSTRAIL_DATA", HERE.parent / "data"))
DOCS = pathlib.Path(os.environ.get("KVSTRAIL_DOCS", HERE.parent.parent / "docs"))
MENDED = DATA / "seed-mended.json"
PUBLISHED = DATA / "seed-published.json"

# The five records of the mended seed sample, in order.
SEED_ACTIONS = ["CreateStream", "DeleteStream", "DescribeStream",
                "GetDataEndpoint", "ListStreams"]


_MEDIA_READ = {"GetMedia", "GetClip", "GetDASHStreamingSessionURL",
               "GetHLSStreamingSessionURL", "GetImages",
               "GetMediaForFragmentList"}
_MEDIA_WRITE = {"PutMedia", "JoinStorageSession"}
_SIGNALING = {"ConnectAsMaster", "ConnectAsViewer", "GetIceServerConfig",
              "SendAlexaOfferToMaster", "JoinStorageSessionAsViewer",
              "GetSignalingChannelEndpoint"}
_READ_APIS = {"GET_MEDIA", "GET_MEDIA_FOR_FRAGMENT_LIST",
              "GET_HLS_STREAMING_SESSION_URL", "GET_DASH_STREAMING_SESSION_URL",
              "GET_CLIP", "GET_IMAGES"}


def kvs_access(rec):
    """The access kind of a record by the rules of docs/kvs-model.md, written
    out again here rather than read from the library's table."""
    # Surrounding white space is a finding, not another service (the seed).
    if (rec.get("eventSource") or "").strip(" \t\r\n") != "kinesisvideo.amazonaws.com":
        return None
    name = rec.get("eventName", "")
    if name == "GetDataEndpoint":
        api = (rec.get("requestParameters") or {}).get("aPIName")
        return ("media-read" if api in _READ_APIS else
                "media-write" if api == "PUT_MEDIA" else "config-read")
    for names, kind in ((_MEDIA_READ, "media-read"),
                        (_MEDIA_WRITE, "media-write"),
                        (_SIGNALING, "signaling")):
        if name in names:
            return kind
    for prefixes, kind in ((("Describe", "List"), "config-read"),
                           (("Create", "Update", "Tag", "Untag", "Start"),
                            "config-write"),
                           (("Delete",), "delete")):
        if name.startswith(prefixes):
            return kind
    return None


def pytest_configure(config):
    if not CLI or not os.access(CLI, os.X_OK):
        raise pytest.UsageError("KVSTRAIL_CLI must name the built kvstrail binary")


def run(args, stdin=None, env=None, timeout=120):
    """Run kvstrail with args; stdin is bytes or None (then /dev/null)."""
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    if env:
        full_env.update(env)
    return subprocess.run([CLI] + [str(a) for a in args],
                          input=stdin if stdin is not None else b"",
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=full_env, timeout=timeout)


def jsonl(stdout):
    """Parse JSON Lines output; every line must be one JSON object."""
    lines = stdout.decode("utf-8").splitlines()
    out = []
    for line in lines:
        obj = json.loads(line)
        assert isinstance(obj, dict), line
        out.append(obj)
    return out


def seed_records():
    with open(MENDED, "rb") as f:
        return json.load(f)["Records"]


def projection(ev):
    """What must not depend on the container or on byte positions."""
    return (ev["action"], ev["eventName"], ev["eventTime"], ev["eventSource"],
            json.dumps(ev["identity"], sort_keys=True),
            json.dumps(ev["request"], sort_keys=True),
            json.dumps(ev["response"], sort_keys=True),
            sorted((f["name"], f["pointer"], f["severity"])
                   for f in ev["findings"]))


def write(path, data):
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def gz(data):
    return gzip.compress(data if isinstance(data, bytes) else data.encode("utf-8"))


@pytest.fixture(scope="session")
def seed_events():
    """The events of the mended sample, as kvstrail prints them."""
    r = run(["events", "--format", "jsonl", MENDED])
    assert r.returncode == 0, r.stderr.decode()
    return jsonl(r.stdout)
