"""`kvstrail verify` over archives built at test time.

Each test builds a CloudTrail archive in S3 layout in a temporary folder:
an RSA key pair from `openssl genrsa`, log files gzip-compressed, hourly
digests listing their SHA-256 (of the inflated bytes), chained by the
previous digest's hash and signature, each signed over the user guide's
four-line string with `openssl dgst -sha256 -sign`. Three chains: two
regions of one account (one of them with an empty hour and, later, a chain
that starts again: a backfill after logging was off) and an organisation
trail's member account. Then one tampering per test, each with the
verdicts it must give.

Run by hand: KVSTRAIL_CLI=build/tools/kvstrail /usr/bin/python3 -m pytest tests/verify
"""
import base64
import gzip
import hashlib
import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest

CLI = os.environ.get("KVSTRAIL_CLI")
DOCS = pathlib.Path(os.environ.get("KVSTRAIL_DOCS",
                                   pathlib.Path(__file__).resolve().parents[2] / "docs"))
BUCKET = "amzn-s3-demo-bucket"
DAY = "2025/10/21"


def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, check=True,
                          capture_output=True).stdout


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("keys")
    out = {}
    for name in ("aws", "other"):
        priv = d / (name + ".pem")
        openssl("genrsa", "-out", str(priv), "2048")
        pub = d / (name + "-pub.pem")
        openssl("rsa", "-in", str(priv), "-pubout", "-out", str(pub))
        der = openssl("rsa", "-in", str(priv), "-RSAPublicKey_out", "-outform", "DER")
        listing = d / (name + "-keys.json")
        listing.write_text(json.dumps({"PublicKeyList": [{
            "Value": base64.b64encode(der).decode(),
            "ValidityStartTime": "2025-01-01T00:00:00+00:00",
            "ValidityEndTime": "2026-01-01T00:00:00+00:00",
            "Fingerprint": hashlib.md5(der).hexdigest()}]}))
        out[name] = {"priv": priv, "pub": pub, "json": listing,
                     "fingerprint": hashlib.md5(der).hexdigest()}
    return out


def sign(priv, text):
    return openssl("dgst", "-sha256", "-sign", str(priv), data=text.encode()).hex()


def log_body(tag, n):
    records = [{"eventVersion": "1.09", "eventTime": "2025-10-21T00:00:%02dZ" % i,
                "eventSource": "kinesisvideo.amazonaws.com", "eventName": "ListStreams",
                "awsRegion": "us-east-1", "eventID": "%s-%d" % (tag, i)} for i in range(n)]
    return json.dumps({"Records": records}).encode()


class Archive:
    """An archive under root/AWSLogs/..., with what it should verify as."""

    def __init__(self, root, key):
        self.root = root
        self.key = key
        self.tips = {}      # newest digest key of each chain -> its signature
        self.digests = []   # S3 keys of every digest
        self.logs = []      # S3 keys of every log file

    def path(self, key):
        return self.root / key

    def write(self, key, data):
        p = self.path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)

    def chain(self, base, account, region, hours, empty=(), start_again=()):
        """Digests for hours (ends at hour+1), two log files per hour but the
        empty ones; the chain starts again (previous* null) at start_again."""
        prev = None
        for h in hours:
            logs = []
            if h not in empty:
                for k in range(2):
                    key = "%s/CloudTrail/%s/%s/%s_CloudTrail_%s_20251021T%02d%02dZ_u%d%d.json.gz" % (
                        base, region, DAY, account, region, h, 5 + 20 * k, h, k)
                    body = log_body(key, 3 + k)
                    self.write(key, gzip.compress(body))
                    self.logs.append(key)
                    logs.append({"s3Bucket": BUCKET, "s3Object": key,
                                 "hashValue": hashlib.sha256(body).hexdigest(),
                                 "hashAlgorithm": "SHA-256",
                                 "newestEventTime": "2025-10-21T%02d:00:0%dZ" % (h, 2 + k),
                                 "oldestEventTime": "2025-10-21T%02d:00:00Z" % h})
            if h in start_again:
                # the chain that stopped has a tip too: its signature is
                # only in S3's metadata
                self.tips[prev[0]] = prev[2]
                prev = None
            end = "2025-10-21T%02d:00:00Z" % (h + 1)
            key = "%s/CloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_trail_us-east-1_20251021T%02d0000Z.json.gz" % (
                base, region, DAY, account, region, h + 1)
            doc = {"awsAccountId": account,
                   "digestStartTime": "2025-10-21T%02d:00:00Z" % h,
                   "digestEndTime": end, "digestS3Bucket": BUCKET, "digestS3Object": key,
                   "digestPublicKeyFingerprint": self.key["fingerprint"],
                   "digestSignatureAlgorithm": "SHA256withRSA",
                   "newestEventTime": None if not logs else "2025-10-21T%02d:00:03Z" % h,
                   "oldestEventTime": None if not logs else "2025-10-21T%02d:00:00Z" % h,
                   "previousDigestS3Bucket": prev and BUCKET,
                   "previousDigestS3Object": prev and prev[0],
                   "previousDigestHashValue": prev and prev[1],
                   "previousDigestHashAlgorithm": prev and "SHA-256",
                   "previousDigestSignature": prev and prev[2],
                   "logFiles": logs}
            body = json.dumps(doc, indent=2).encode()
            sha = hashlib.sha256(body).hexdigest()
            sig = sign(self.key["priv"], "%s\n%s/%s\n%s\n%s" % (
                end, BUCKET, key, sha, prev[2] if prev else "null"))
            self.write(key, gzip.compress(body))
            self.digests.append(key)
            prev = (key, sha, sig)
        self.tips[prev[0]] = prev[2]

    def signatures(self, tips=None):
        p = self.root.parent / "signatures.jsonl"
        p.write_text("".join(json.dumps({"key": k, "signature": s}) + "\n"
                             for k, s in (tips or self.tips).items()))
        return p


US = "AWSLogs/111122223333"
ORG = "AWSLogs/o-aa11bb22cc/222233334444"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory, keys):
    a = Archive(tmp_path_factory.mktemp("pristine") / "bucket", keys["aws"])
    a.chain(US, "111122223333", "us-east-1", range(0, 4), empty=(2,))
    a.chain(US, "111122223333", "eu-west-1", (0, 1, 4, 5), start_again=(4,))
    a.chain(ORG, "222233334444", "us-east-1", range(0, 2))
    return a


@pytest.fixture
def archive(tmp_path, pristine):
    """A copy of the pristine archive, for one test to tamper with."""
    a = Archive(tmp_path / "bucket", pristine.key)
    shutil.copytree(pristine.root, a.root)
    a.tips, a.digests, a.logs = dict(pristine.tips), list(pristine.digests), list(pristine.logs)
    return a


def verify(archive, keys, *extra, key="aws", sigs=True, fmt="jsonl"):
    args = [CLI, "verify", "--format", fmt, "--public-keys", str(keys[key]["json"])]
    if sigs:
        args += ["--signatures", str(archive.signatures())]
    r = subprocess.run(args + list(extra) + [str(archive.root)], capture_output=True,
                       timeout=120)
    return r


def verdicts(r):
    """{S3 key or path under the archive: verdict} and the gap lines."""
    out, gaps = {}, []
    for line in r.stdout.decode().splitlines():
        e = json.loads(line)
        if e["type"] == "gap":
            gaps.append(e)
            continue
        p = e["path"]
        key = p[p.index("AWSLogs/"):] if "AWSLogs/" in p else p
        out[key] = e["verdict"]
    return out, gaps


def problems(v):
    return {k: x for k, x in v.items() if x != "valid"}


def test_untampered_archive_is_valid(archive, keys):
    r = verify(archive, keys)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    v, gaps = verdicts(r)
    assert problems(v) == {}
    assert sorted(v) == sorted(archive.digests + archive.logs)
    # eu-west-1 starts again at 04:00: the hours 02:00-04:00 have no digest
    assert len(gaps) == 1 and "2025-10-21T02:00:00Z to 2025-10-21T04:00:00Z (2 hours)" \
        in gaps[0]["reason"]
    text = verify(archive, keys, fmt="text")
    assert text.returncode == 0
    assert b"10/10 digest files valid\n18/18 log files valid\n" in text.stdout


def test_keys_as_pem(archive, keys):
    r = subprocess.run([CLI, "verify", "-f", "jsonl", "--public-keys", str(keys["aws"]["pub"]),
                        "--signatures", str(archive.signatures()), str(archive.root)],
                       capture_output=True)
    assert r.returncode == 0, r.stdout.decode()


def test_unsigned_tips_without_signatures(archive, keys):
    r = verify(archive, keys, sigs=False)
    assert r.returncode == 1
    assert problems(verdicts(r)[0]) == {k: "unsigned" for k in archive.tips}


def test_one_byte_of_a_log(archive, keys):
    key = archive.logs[1]
    body = bytearray(gzip.decompress(archive.path(key).read_bytes()))
    body[20] ^= 1
    archive.write(key, gzip.compress(bytes(body)))
    r = verify(archive, keys)
    assert r.returncode == 1
    assert problems(verdicts(r)[0]) == {key: "modified"}


def test_log_deleted(archive, keys):
    key = archive.logs[0]
    archive.path(key).unlink()
    r = verify(archive, keys)
    assert r.returncode == 1
    assert problems(verdicts(r)[0]) == {key: "missing"}


def test_log_added(archive, keys):
    key = US + "/CloudTrail/us-east-1/%s/111122223333_CloudTrail_us-east-1_20251021T0130Z_zz.json.gz" % DAY
    archive.write(key, gzip.compress(log_body("injected", 1)))
    r = verify(archive, keys)
    assert problems(verdicts(r)[0]) == {key: "not-listed"}
    assert r.returncode == 1


def test_digest_deleted_from_the_middle(archive, keys):
    middle = archive.digests[1]  # us-east-1, ends 02:00
    archive.path(middle).unlink()
    r = verify(archive, keys)
    assert r.returncode == 1
    v, gaps = verdicts(r)
    assert problems(v) == {
        middle: "missing",
        archive.digests[0]: "unsigned",    # its successor held its signature
        archive.logs[2]: "not-listed",     # the hour the missing one listed
        archive.logs[3]: "not-listed",
    }
    assert any("2025-10-21T01:00:00Z to 2025-10-21T02:00:00Z (1 hours): a digest is missing"
               in g["reason"] for g in gaps)


def test_digests_reordered(archive, keys):
    a, b = archive.path(archive.digests[1]), archive.path(archive.digests[2])
    da, db = a.read_bytes(), b.read_bytes()
    a.write_bytes(db)
    b.write_bytes(da)
    r = verify(archive, keys)
    assert r.returncode == 1
    assert problems(verdicts(r)[0]) == {archive.digests[1]: "moved",
                                        archive.digests[2]: "moved"}


def test_digest_moved(archive, keys):
    src = archive.digests[0]
    dst = src.replace("/2025/10/21/", "/2025/10/22/")
    archive.write(dst, archive.path(src).read_bytes())
    archive.path(src).unlink()
    r = verify(archive, keys)
    assert r.returncode == 1
    assert problems(verdicts(r)[0]) == {dst: "moved"}


def test_signature_swapped(archive, keys):
    tips = list(archive.tips.items())
    swapped = dict(tips)
    swapped[tips[0][0]], swapped[tips[1][0]] = tips[1][1], tips[0][1]
    r = subprocess.run([CLI, "verify", "-f", "jsonl", "--public-keys", str(keys["aws"]["json"]),
                        "--signatures", str(archive.signatures(swapped)), str(archive.root)],
                       capture_output=True)
    assert r.returncode == 1
    assert problems(verdicts(r)[0]) == {tips[0][0]: "bad-signature",
                                        tips[1][0]: "bad-signature"}


def test_wrong_key(archive, keys):
    r = verify(archive, keys, key="other")
    assert r.returncode == 1
    v = verdicts(r)[0]
    assert {v[k] for k in archive.digests} == {"bad-signature"}
    assert problems(v).keys() == set(archive.digests)


def test_digest_content_changed(archive, keys):
    # A log file's listed hash rewritten (to hide a change to it): the
    # digest's signature fails and its successor's chain link breaks.
    key = archive.digests[0]
    doc = json.loads(gzip.decompress(archive.path(key).read_bytes()))
    doc["logFiles"][0]["hashValue"] = "0" * 64
    archive.write(key, gzip.compress(json.dumps(doc, indent=2).encode()))
    r = verify(archive, keys)
    assert r.returncode == 1
    assert problems(verdicts(r)[0]) == {key: "bad-signature",
                                        archive.digests[1]: "chain-broken",
                                        archive.logs[0]: "modified"}


def test_data_after_the_gzip_member(archive, keys):
    key = archive.logs[4]
    with open(archive.path(key), "ab") as f:
        f.write(gzip.compress(log_body("appended", 1)))
    r = verify(archive, keys)
    assert r.returncode == 1
    out = [json.loads(x) for x in r.stdout.decode().splitlines()]
    bad = [e for e in out if e["verdict"] != "valid" and e["type"] != "gap"]
    assert len(bad) == 1 and bad[0]["path"].endswith(key)
    assert bad[0]["verdict"] == "modified" and "after the gzip member" in bad[0]["reason"]


def test_filters(archive, keys):
    r = verify(archive, keys, "--region", "eu-west-1")
    assert r.returncode == 0
    v = verdicts(r)[0]
    assert v and all("/eu-west-1/" in k for k in v)
    r = verify(archive, keys, "--account", "222233334444")
    assert r.returncode == 0
    assert all(k.startswith(ORG) for k in verdicts(r)[0])
    # from 02:00 on: the digests ending at 03:00 and later, their logs; the
    # link to the digest before the range is not checked
    r = verify(archive, keys, "--since", "2025-10-21T02:30:00Z")
    assert r.returncode == 0, r.stdout.decode()
    assert sorted(verdicts(r)[0]) == sorted(
        [d for d in archive.digests if d.endswith(("T030000Z.json.gz", "T040000Z.json.gz",
                                                   "T050000Z.json.gz", "T060000Z.json.gz"))]
        + [l for l in archive.logs if "T03" in l or "T04" in l or "T05" in l])


def test_sarif_and_unreadable_input(archive, keys, tmp_path):
    archive.path(archive.logs[0]).write_bytes(b"\x1f\x8bnot gzip")
    r = verify(archive, keys, fmt="sarif")
    assert r.returncode == 2
    sarif = json.loads(r.stdout)
    results = sarif["runs"][0]["results"]
    assert [x["ruleId"] for x in results] == ["unreadable"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] \
        .endswith(archive.logs[0])
    r = subprocess.run([CLI, "verify", str(tmp_path / "nowhere")], capture_output=True)
    assert r.returncode == 2


def test_usage_and_docs():
    r = subprocess.run([CLI, "verify"], capture_output=True)
    assert r.returncode == 64
    r = subprocess.run([CLI, "verify", "--format", "xml", "x"], capture_output=True)
    assert r.returncode == 64
    r = subprocess.run([CLI, "verify", "--help"], capture_output=True)
    assert r.returncode == 0
    options = set(re.findall(r"--[a-z][a-z-]+", r.stdout.decode()))
    assert "--public-keys" in options
    page = (DOCS / "verify.md").read_text()
    for opt in options:
        assert "`" + opt in page, opt
    for verdict in ("valid", "modified", "missing", "not-listed", "moved", "unreadable",
                    "bad-signature", "unsigned", "chain-broken"):
        assert "`%s`" % verdict in page, verdict


def _needed(path):
    out = subprocess.run(["readelf", "-d", path], capture_output=True, check=True,
                         text=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def test_crypto_is_a_module_only_verify_loads():
    # The program never links libcrypto (it cost every command 1.6 MiB of
    # peak RSS); the module beside it does, and exports one entry point.
    if shutil.which("readelf") is None:
        pytest.skip("readelf is not installed")
    needed = _needed(CLI)
    assert needed and not any(n.startswith("libcrypto") for n in needed), needed
    module = pathlib.Path(CLI).parent / "kvstrail-verify-crypto.so"
    assert any(n.startswith("libcrypto") for n in _needed(str(module)))
    syms = subprocess.run(["nm", "-D", "--defined-only", str(module)], capture_output=True,
                          check=True, text=True).stdout.split()
    assert [s for s in syms if not re.fullmatch(r"[0-9a-f]+|[A-Za-z]", s)] == \
        ["kvstrail_cli_crypto"]


def _program_alone(tmp_path):
    """A copy of the program in tmp_path (no module beside it), and the
    environment that finds its libraries."""
    ldd = subprocess.run(["ldd", CLI], capture_output=True, check=True, text=True).stdout
    libdirs = sorted({os.path.dirname(m) for m in re.findall(r"=> (/\S+libkvstrail\S*)", ldd)})
    alone = tmp_path / "kvstrail"
    shutil.copy(CLI, alone)
    return alone, dict(os.environ, LD_LIBRARY_PATH=":".join(libdirs))


def test_crypto_module_missing(tmp_path):
    # A program with no module beside it or in its install directory: verify
    # says which paths it tried and exits 2; --help and the other commands
    # do not need the module.
    alone, env = _program_alone(tmp_path)
    r = subprocess.run([str(alone), "verify", str(tmp_path)], capture_output=True, env=env,
                       text=True)
    assert r.returncode == 2
    assert "cannot load its crypto module" in r.stderr
    assert str(tmp_path / "kvstrail-verify-crypto.so") + ": not found" in r.stderr
    assert r.stderr.count("kvstrail-verify-crypto.so") == 2, r.stderr
    assert r.stdout == ""
    r = subprocess.run([str(alone), "verify", "--help"], capture_output=True, env=env)
    assert r.returncode == 0
    r = subprocess.run([str(alone), "--version"], capture_output=True, env=env)
    assert r.returncode == 0


def test_crypto_module_of_another_build(tmp_path):
    # A file of that name that is not the module (or of another build) is
    # refused with the loader's words, never called.
    alone, env = _program_alone(tmp_path)
    (tmp_path / "kvstrail-verify-crypto.so").write_bytes(b"not an ELF file\n")
    r = subprocess.run([str(alone), "verify", str(tmp_path)], capture_output=True, env=env,
                       text=True)
    assert r.returncode == 2
    assert "cannot load its crypto module" in r.stderr and "not found" in r.stderr
    assert str(tmp_path / "kvstrail-verify-crypto.so") + ":" in r.stderr
