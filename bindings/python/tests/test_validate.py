"""Validators, ARNs, the identity classifier and finding codes."""

import json

import pytest

import kvstrail
from kvstrail import FindingCode as F
from kvstrail import validate as v

from conftest import DATA, FIXTURES, SHARED


@pytest.mark.parametrize("fn, good, bad, code", [
    (v.stream_name, "my-stream_1.x", "bad name", F.STREAM_NAME),
    (v.kms_key_id, "arn:aws:kms:us-east-1:123456789012:key/abc", "arn:aws:kms::us-east-1:123456789012:alias", F.KMS_KEY_ARN),
    (v.media_type, "video/h264,audio/aac", "mediaType", F.MEDIA_TYPE),
    (v.region, "us-gov-west-1", "US-EAST-1", F.REGION_FORMAT),
    (v.account_id, "123456789012", "12345", F.ACCOUNT_ID_FORMAT),
    (v.uuid, "b7acfcd0-6ca9-4ee1-a3d7-c4e8d420d99b", "b7acfcd0", F.EVENT_ID_FORMAT),
    (v.source_ip, "2001:db8::1", "300.1.1.1", F.SOURCE_IP_FORMAT),
    (v.event_source, "kinesisvideo.amazonaws.com", " kinesisvideo.amazonaws.com", F.EVENT_SOURCE_SPACE),
    (v.tag_key, "team:video", "", F.TAG_KEY),
    (v.tag_value, "", "x" * 257, F.TAG_VALUE),
    (v.version_string, "keqrjeqkj9", "a-b", F.VERSION_STRING),
    (v.resource_arn, "arn:aws:kinesisvideo:us-east-1:123456789012:stream/s/1527207391000", "arn:aws:kinesisvideo:us-east-1:123456789012:stream/s", F.STREAM_ARN),
    (v.arn, "arn:aws:iam::123456789012:user/Alice", "arn:aws", F.STREAM_ARN),
    (v.timestamp, "2018-05-25T00:16:31Z", "2018-05-25:17:06Z", F.EVENT_TIME_FORMAT),
    (v.event_version, "1.10", "one", F.EVENT_VERSION_FORMAT),
])
def test_validator(fn, good, bad, code):
    assert fn(good) is None
    assert fn(good.encode()) is None
    got = fn(bad)
    assert got == code and isinstance(got, F)
    assert kvstrail.finding_info(got).name == "KVST_F_" + got.name


def test_validator_input_types():
    with pytest.raises(TypeError):
        v.media_type(3)
    assert v.stream_name("a\x00b") == F.STREAM_NAME  # length, not C string


def test_parse_helpers():
    assert v.parse_timestamp("2018-05-25T00:16:31Z") == 1527207391000
    with pytest.raises(v.InvalidValue) as exc:
        v.parse_timestamp("2018-02-30T00:00:00Z")
    assert exc.value.code == F.EVENT_TIME_CALENDAR
    assert v.parse_event_version("1.10") > v.parse_event_version("1.9")
    assert v.parse_event_version("1.08") == (1, 8)
    with pytest.raises(ValueError):
        v.parse_arn("not an arn")
    a = v.parse_arn("arn:aws:iam::123456789012:user/Alice")
    assert (a.service, a.region, a.account, a.resource) == \
        ("iam", "", "123456789012", "user/Alice")
    assert a.creation_time is None
    assert v.credential_kind("AKIAIOSFODNN7EXAMPLE") == "long-term"
    assert v.credential_kind("ASIAXXXX") == "temporary"
    assert v.credential_kind("ABIAXXXX") == "service-bearer"
    assert v.credential_kind("") == "none"
    assert v.credential_kind("EXAMPLE") == "unknown"
    assert v.principal_kind("AssumedRole") == "AssumedRole"
    assert v.principal_kind("SomethingNew") == "Unknown"


def test_finding_codes():
    assert F.MEDIA_TYPE == 112 and F.ROOT_ACCESS_KEY == 200
    info = kvstrail.finding_info(F.MEDIA_TYPE)
    assert info.severity == "error" and info.rule
    assert kvstrail.finding_info(F.EVENT_TIME_EARLY).severity == "info"
    with pytest.raises(ValueError):
        kvstrail.finding_info(99)


def test_actions():
    assert len(kvstrail.Action) >= 32
    assert kvstrail.Action.CreateStream == 1
    assert kvstrail.Action(32).name == "UpdateStreamStorageConfiguration"


def _names(getter, numbers, strip=""):
    out = {}
    for n in numbers:
        raw = getter(n)
        if raw:
            out[raw.decode("ascii")[len(strip):]] = n
    return out


def test_source_enums_agree_with_the_loaded_library():
    # The enums are generated from the headers; the library names its
    # numbers itself. Both must say the same, member for member.
    from kvstrail._ffi import lib
    assert _names(lib.kvst_action_name, range(1, 1024)) == \
        {m.name: m.value for m in kvstrail.Action}
    assert _names(lib.kvst_finding_name, range(0, 1024), "KVST_F_") == \
        {m.name: m.value for m in kvstrail.FindingCode}
    statuses = {lib.kvst_status_name(n).decode(): n for n in range(-64, 1)}
    del statuses["KVST_E_UNKNOWN"]
    assert statuses == {("KVST_OK" if m.value == 0 else "KVST_E_" + m.name):
                        m.value for m in kvstrail.Status}
    for m in kvstrail.Severity:
        assert lib.kvst_severity_name(m.value).decode() == m.name.lower()
    assert lib.kvst_principal_name(kvstrail.Principal.IAM_USER) == b"IAMUser"
    assert lib.kvst_credential_name(kvstrail.Credential.LONG_TERM) == b"long-term"


def test_classify_identity_dict_and_text():
    uid = {"type": "AssumedRole", "principalId": "AROA:me",
           "arn": "arn:aws:sts::123456789012:assumed-role/R/me",
           "accountId": "123456789012", "accessKeyId": "ASIAEXAMPLE",
           "sessionContext": {
               "sessionIssuer": {"type": "Role", "principalId": "AROA",
                                 "arn": "arn:aws:iam::123456789012:role/R",
                                 "accountId": "123456789012", "userName": "R"},
               "attributes": {"mfaAuthenticated": "true",
                              "creationDate": "2023-01-01T00:00:00Z"},
               "ec2RoleDelivery": "1.0"}}
    a = kvstrail.classify_identity(uid)
    b = kvstrail.classify_identity(json.dumps(uid))
    c = kvstrail.classify_identity(json.dumps(uid).encode())
    assert a == b == c
    assert (a.principal, a.credential) == ("AssumedRole", "temporary")
    assert (a.root_or_iam_user, a.role_or_federated_temporary, a.aws_service) == \
        (False, True, False)
    assert a.mfa is True and a.imdsv1 is True
    assert {"mfa", "imdsv1"} <= a.flags
    assert a.issuer_type == "Role" and a.issuer_name == "R"
    assert a.session_issuer == {"type": "Role", "principalId": "AROA",
                                "arn": "arn:aws:iam::123456789012:role/R",
                                "accountId": "123456789012", "userName": "R"}


def test_classify_identity_root_and_service():
    root = kvstrail.classify_identity({"type": "Root", "accessKeyId": "AKIAEXAMPLE",
                                       "accountId": "123456789012"})
    assert root.root_access_key is True and root.root_or_iam_user is True
    svc = kvstrail.classify_identity({"type": "AWSService",
                                      "invokedBy": "kinesisvideo.amazonaws.com"})
    assert svc.aws_service is True and svc.invoked_by == "kinesisvideo.amazonaws.com"
    assert svc.mfa is None and svc.credential == "none"
    unknown = kvstrail.classify_identity({"type": "Martian"})
    assert unknown.principal == "Unknown" and unknown.type == "Martian"


def test_classify_identity_errors():
    with pytest.raises(kvstrail.ParseError):
        kvstrail.classify_identity('{"type": ')
    with pytest.raises(kvstrail.NotCloudTrailError):
        kvstrail.classify_identity("[1]")
    with pytest.raises(TypeError):
        kvstrail.classify_identity(3)


JSON_MEMBERS = ("type", "principal", "credential", "root_or_iam_user",
                "role_or_federated_temporary", "aws_service", "mfa",
                "root_access_key", "invoked_by", "arn", "account_id",
                "user_name", "session_issuer",
                # in the event JSON since 1.1 (other_account_id depends on
                # the event, as cross_account does)
                "assumed_root", "imdsv1", "issuer_type", "issuer_name",
                "issuer_arn", "issuer_account_id", "on_behalf_of_user_id",
                "identity_store_arn")


def test_classifier_agrees_with_events():
    # The classifier alone agrees with the parser's verdict on every record
    # of the fixtures (cross_account and console depend on the rest of the
    # record: recipient account, userAgent, so they are left out; so does a
    # sign-in event's mfa, from additionalEventData.MFAUsed).
    checked = 0
    for path in FIXTURES:
        try:
            for ev in kvstrail.parse(path, keep_raw=True):
                uid = json.loads(ev.raw).get("userIdentity")
                if not isinstance(uid, dict):
                    continue
                alone = kvstrail.classify_identity(uid)
                sign_in = ev.event_source == "signin.amazonaws.com" or \
                    ev.event_type == "AwsConsoleSignIn"
                for m in JSON_MEMBERS:
                    if m == "mfa" and sign_in:
                        continue
                    assert getattr(alone, m) == getattr(ev.identity, m), (path, m)
                checked += 1
        except kvstrail.ParseError:
            pass
    assert checked > 50


def _sign_in(**extra):
    rec = {"eventVersion": "1.08", "eventTime": "2024-03-01T10:00:00Z",
           "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
           "awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.1, 198.51.100.7",
           "userAgent": "Mozilla/5.0", "eventID": "b7acfcd0-6ca9-4ee1-a3d7-c4e8d420d99b",
           "eventType": "AwsConsoleSignIn", "recipientAccountId": "123456789012",
           "readOnly": False, "managementEvent": True, "eventCategory": "Management",
           "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE",
                            "arn": "arn:aws:iam::123456789012:user/Alice",
                            "accountId": "123456789012", "userName": "Alice"}}
    rec.update(extra)
    return json.dumps({"Records": [rec]}).encode()


def test_sign_in_verdict_as_python_sees_it():
    # console from the sign-in event itself; mfa from MFAUsed as written.
    for used, mfa in (("Yes", True), ("No", False), ("yes", None), (None, None)):
        extra = {"responseElements": {"ConsoleLogin": "Success"}}
        if used is not None:
            extra["additionalEventData"] = {"MFAUsed": used, "LoginTo": "x"}
        (ev,) = kvstrail.parse(_sign_in(**extra))
        assert ev.identity.console is True and ev.identity.aws_service is False
        assert ev.identity.mfa is mfa, used
        # (sign-in records carry no requestID: an info finding, left alone)
        assert [f for f in ev.findings if f.severity != "info"] == [], ev.findings
        assert ev.to_dict()["outcome"] == "success"
    # A failed sign-in: errorMessage alone, no ERROR_INCONSISTENT.
    (ev,) = kvstrail.parse(_sign_in(errorMessage="Failed authentication",
                                    responseElements={"ConsoleLogin": "Failure"}))
    assert ev.to_dict()["outcome"] == "failure"
    assert F.ERROR_INCONSISTENT not in [f.code for f in ev.findings]


def test_console_is_not_a_service_and_credential_mismatch():
    uid = {"type": "IAMUser", "accountId": "123456789012",
           "invokedBy": "signin.amazonaws.com", "accessKeyId": "ASIAEXAMPLE"}
    a = kvstrail.classify_identity(uid)
    assert a.aws_service is False and a.console is True
    uid["invokedBy"] = "cloudformation.amazonaws.com"
    assert kvstrail.classify_identity(uid).aws_service is True
    for key, mismatch in (("AKIAIOSFODNN7EXAMPLE", True), ("ASIAIOSFODNN7EXAMPLE", False),
                          ("AKI", False)):
        ident = {"type": "AssumedRole", "accountId": "123456789012", "accessKeyId": key,
                 "arn": "arn:aws:sts::123456789012:assumed-role/R/s"}
        (ev,) = kvstrail.parse(_sign_in(eventSource="iam.amazonaws.com",
                                        eventName="ListUsers", eventType="AwsApiCall",
                                        userIdentity=ident))
        got = [f for f in ev.findings if f.code == F.CREDENTIAL_MISMATCH]
        assert bool(got) is mismatch, key
        if got:
            assert got[0].pointer == "/userIdentity/accessKeyId"
            assert got[0].severity == "warning"
    assert kvstrail.finding_info(F.CREDENTIAL_MISMATCH).name == "KVST_F_CREDENTIAL_MISMATCH"


def test_identity_rules_over_the_corpus():
    # Every corpus record a rule of docs/identity.md is about: sign-in
    # events (console, MFAUsed, failures as errorMessage alone) and the
    # console host in invokedBy (not an AWS service).
    corpus = SHARED / "corpus" / "cloudtrail"
    if not corpus.is_dir():
        pytest.skip(f"{corpus} is missing (KVSTRAIL_SHARED)")
    sign_ins = console_invoked = 0
    for path in sorted(corpus.rglob("*.json")):
        try:
            events = list(kvstrail.parse(path, keep_raw=True))
        except kvstrail.Error:
            continue
        for ev in events:
            rec = json.loads(ev.raw)
            uid = rec.get("userIdentity") if isinstance(rec.get("userIdentity"), dict) else {}
            codes = [f.code for f in ev.findings]
            if uid.get("invokedBy") == "signin.amazonaws.com":
                console_invoked += 1
                assert ev.identity.console is True and ev.identity.aws_service is False, path
            if rec.get("eventSource") == "signin.amazonaws.com" or \
                    rec.get("eventType") == "AwsConsoleSignIn":
                sign_ins += 1
                assert ev.identity.console is True, path
                extra = rec.get("additionalEventData")
                used = extra.get("MFAUsed") if isinstance(extra, dict) else None
                ctx = (uid.get("sessionContext") or {}).get("attributes") or {}
                before = {"true": True, "false": False}.get(ctx.get("mfaAuthenticated"))
                want = {"Yes": True, "No": False}.get(used, before)
                assert ev.identity.mfa is want, (path, used)
                if rec.get("errorMessage") and "errorCode" not in rec:
                    assert F.ERROR_INCONSISTENT not in codes, path
                    assert ev.to_dict()["outcome"] == "failure"
            ident_type, key = uid.get("type"), uid.get("accessKeyId") or ""
            mismatch = ident_type in ("AssumedRole", "FederatedUser") and key.startswith("AKIA")
            assert (F.CREDENTIAL_MISMATCH in codes) is mismatch, path
    assert sign_ins >= 40 and console_invoked >= 40, (sign_ins, console_invoked)
