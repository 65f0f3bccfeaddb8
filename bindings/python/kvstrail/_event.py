"""What parsing yields: Event (with Identity and Finding) and BrokenRecord.

An Event holds the JSON text that kvst_event_to_json() wrote for it (the
contract of `kvstrail events --format jsonl`) and decodes it on first use,
so iterating without looking at events costs no JSON decoding at all. All
data is copied out of the library before the parser moves on.
"""

from __future__ import annotations

import json
from typing import (Any, Dict, FrozenSet, Generic, List, NamedTuple, Optional,
                    TypeVar, Union, overload)

from ._enums import Access, Action, FindingCode

__all__ = ["Access", "Action", "BrokenRecord", "Event", "Finding", "FindingCode",
           "Identity", "finding_code"]


def finding_code(code: int) -> Union[FindingCode, int]:
    """FindingCode member for a number, the bare int for one a newer
    library reports that this binding's headers did not have."""
    try:
        return FindingCode(code)
    except ValueError:
        return code


class Finding(NamedTuple):
    """One validation finding. code is a FindingCode (an int), name its
    KVST_F_* name, severity "info", "warning" or "error", pointer a JSON
    pointer within the record, line/column where the value is in the input."""

    code: int
    name: str
    severity: str
    pointer: str
    line: int
    column: int
    message: str


def _findings(items: List[Dict[str, Any]]) -> List[Finding]:
    """The "findings" member of the JSON contract as Finding tuples."""
    return [Finding(finding_code(f["code"]), f["name"], f["severity"],
                    f["pointer"], f["line"], f["column"], f["message"])
            for f in items]


# Identity members of the JSON contract -> attribute names.
_IDENTITY_KEYS = (
    ("type", "type"), ("principal", "principal"), ("credential", "credential"),
    ("rootOrIamUser", "root_or_iam_user"),
    ("roleOrFederatedTemporary", "role_or_federated_temporary"),
    ("awsService", "aws_service"), ("mfa", "mfa"), ("console", "console"),
    ("crossAccount", "cross_account"), ("rootAccessKey", "root_access_key"),
    ("invokedBy", "invoked_by"), ("arn", "arn"), ("accountId", "account_id"),
    ("userName", "user_name"), ("sessionIssuer", "session_issuer"),
    # since 1.1
    ("principalId", "principal_id"), ("accessKeyId", "access_key_id"),
    ("assumedRoot", "assumed_root"), ("imdsv1", "imdsv1"),
    ("issuerType", "issuer_type"), ("issuerName", "issuer_name"),
    ("issuerArn", "issuer_arn"), ("issuerAccountId", "issuer_account_id"),
    ("onBehalfOfUserId", "on_behalf_of_user_id"),
    ("identityStoreArn", "identity_store_arn"),
    ("otherAccountId", "other_account_id"),
)

_FLAG_NAMES = ("mfa", "console", "cross_account", "root_access_key",
               "assumed_root", "imdsv1")


class Identity:
    """The identity verdict of a userIdentity.

    principal: "Root", "IAMUser", "AssumedRole", "Role", "FederatedUser",
    "AWSService", "AWSAccount", "IdentityCenterUser", "SAMLUser",
    "WebIdentityUser", "Directory" or "Unknown" (type keeps the raw string).
    credential: "long-term", "temporary", "service-bearer", "none", "unknown".
    The seed document's three questions: root_or_iam_user,
    role_or_federated_temporary, aws_service (bools). Flags: mfa (bool, or
    None when not recorded), console, cross_account, root_access_key; and
    since 1.1 principal_id, access_key_id (userIdentity's), assumed_root,
    imdsv1, issuer_*, on_behalf_of_user_id, identity_store_arn,
    other_account_id (on an Event's identity as on classify_identity()'s,
    which gives principal_id and access_key_id as None).
    """

    # One slot per member, declared below for type checkers. A new member:
    # a row in _IDENTITY_KEYS and a line here.
    __slots__ = tuple(attr for _, attr in _IDENTITY_KEYS)

    type: Optional[str]
    principal: Optional[str]
    credential: Optional[str]
    root_or_iam_user: Optional[bool]
    role_or_federated_temporary: Optional[bool]
    aws_service: Optional[bool]
    mfa: Optional[bool]
    console: Optional[bool]
    cross_account: Optional[bool]
    root_access_key: Optional[bool]
    invoked_by: Optional[str]
    arn: Optional[str]
    account_id: Optional[str]
    user_name: Optional[str]
    session_issuer: Optional[Dict[str, Optional[str]]]
    principal_id: Optional[str]
    access_key_id: Optional[str]
    assumed_root: Optional[bool]
    imdsv1: Optional[bool]
    issuer_type: Optional[str]
    issuer_name: Optional[str]
    issuer_arn: Optional[str]
    issuer_account_id: Optional[str]
    on_behalf_of_user_id: Optional[str]
    identity_store_arn: Optional[str]
    other_account_id: Optional[str]

    def __init__(self, **values: Any) -> None:
        unknown = set(values).difference(self.__slots__)
        if unknown:
            raise TypeError(f"Identity has no member {sorted(unknown)[0]!r}")
        # A member the source did not give is None.
        for name in self.__slots__:
            object.__setattr__(self, name, values.get(name))

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "Identity":
        return cls(**{attr: d.get(key) for key, attr in _IDENTITY_KEYS})

    @property
    def flags(self) -> FrozenSet[str]:
        """Names of the flags that are set (true)."""
        return frozenset(f for f in _FLAG_NAMES if getattr(self, f) is True)

    def to_dict(self) -> Dict[str, Any]:
        """Every member, snake_case, None when not known."""
        return {name: getattr(self, name) for name in self.__slots__}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Identity) and self.to_dict() == other.to_dict()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Identity is read-only ({name})")

    def __reduce__(self) -> Any:
        # The slots are read-only, so pickle rebuilds through __init__.
        return (_identity_from_members, (self.to_dict(),))

    def __repr__(self) -> str:
        return (f"Identity(principal={self.principal!r}, "
                f"credential={self.credential!r}, arn={self.arn!r})")


def _identity_from_members(values: Dict[str, Any]) -> Identity:
    return Identity(**values)


_T = TypeVar("_T")


class _Member(Generic[_T]):
    # A read-only attribute of Event: one member of its JSON, decoded on
    # first use. Typed, so that checkers see Event.event_time as
    # Optional[str] rather than Any.

    def __init__(self, key: str) -> None:
        self.key = key
        self.__doc__ = f'The "{key}" member of the event\'s JSON.'

    @overload
    def __get__(self, obj: None, owner: Any) -> "_Member[_T]": ...

    @overload
    def __get__(self, obj: "Event", owner: Any) -> _T: ...

    def __get__(self, obj: Optional["Event"], owner: Any) -> Any:
        if obj is None:
            return self
        return obj._dict()[self.key]


class Event:
    """One CloudTrail record.

    Envelope attributes (snake_case of CloudTrail's names; None when
    absent): event_version, event_time, event_source, event_name,
    aws_region, source_ip_address, user_agent, request_id, event_id,
    event_type, recipient_account_id, read_only, error_code, error_message,
    and since 1.1 api_version, management_event, shared_event_id,
    vpc_endpoint_id, vpc_endpoint_account_id, event_category,
    session_credential_from_console; outcome ("success" or "failure", the
    contract's rule; since 1.1); user_identity (the record's userIdentity
    as a dict of its known members, None when absent; since 1.1);
    where the record starts: file, record (0-based index), offset, line,
    column. action is an Action or None (another service); access an Access
    (what the call does to the video) or None likewise; identity an
    Identity; request/response the typed payload (dicts of ints, strs,
    dicts, lists; None when absent); additional_event_data,
    service_event_details, insight_details the record's own JSON values,
    resources (a list of dicts), tls_details and addendum (dicts), all None
    when absent (since 1.1); findings a list of Finding.
    event_time_ms is eventTime in epoch milliseconds (None when invalid).
    raw is the record's exact bytes with parse(keep_raw=True), else None;
    fields holds the values of parse(fields=[...]) JSON pointers found in
    this record.
    """

    __slots__ = ("_json", "_d", "event_time_ms", "raw", "fields")

    event_time_ms: Optional[int]
    raw: Optional[bytes]
    fields: Dict[str, Any]

    # Members of the JSON contract (docs/cli.md), read-only. A new member
    # of the contract is one line here.
    file: _Member[Optional[str]] = _Member("file")
    record: _Member[int] = _Member("record")
    offset: _Member[int] = _Member("offset")
    line: _Member[int] = _Member("line")
    column: _Member[int] = _Member("column")
    event_version: _Member[Optional[str]] = _Member("eventVersion")
    event_time: _Member[Optional[str]] = _Member("eventTime")
    event_source: _Member[Optional[str]] = _Member("eventSource")
    event_name: _Member[Optional[str]] = _Member("eventName")
    aws_region: _Member[Optional[str]] = _Member("awsRegion")
    source_ip_address: _Member[Optional[str]] = _Member("sourceIPAddress")
    user_agent: _Member[Optional[str]] = _Member("userAgent")
    request_id: _Member[Optional[str]] = _Member("requestID")
    event_id: _Member[Optional[str]] = _Member("eventID")
    event_type: _Member[Optional[str]] = _Member("eventType")
    recipient_account_id: _Member[Optional[str]] = _Member("recipientAccountId")
    read_only: _Member[Optional[bool]] = _Member("readOnly")
    error_code: _Member[Optional[str]] = _Member("errorCode")
    error_message: _Member[Optional[str]] = _Member("errorMessage")
    # since 1.1
    api_version: _Member[Optional[str]] = _Member("apiVersion")
    management_event: _Member[Optional[bool]] = _Member("managementEvent")
    shared_event_id: _Member[Optional[str]] = _Member("sharedEventID")
    vpc_endpoint_id: _Member[Optional[str]] = _Member("vpcEndpointId")
    vpc_endpoint_account_id: _Member[Optional[str]] = _Member("vpcEndpointAccountId")
    event_category: _Member[Optional[str]] = _Member("eventCategory")
    session_credential_from_console: _Member[Optional[bool]] = _Member(
        "sessionCredentialFromConsole")
    outcome: _Member[str] = _Member("outcome")
    user_identity: _Member[Optional[Dict[str, Any]]] = _Member("userIdentity")
    request: _Member[Optional[Dict[str, Any]]] = _Member("request")
    response: _Member[Optional[Dict[str, Any]]] = _Member("response")
    # since 1.1
    additional_event_data: _Member[Any] = _Member("additionalEventData")
    service_event_details: _Member[Any] = _Member("serviceEventDetails")
    insight_details: _Member[Any] = _Member("insightDetails")
    resources: _Member[Optional[List[Dict[str, Optional[str]]]]] = _Member("resources")
    tls_details: _Member[Optional[Dict[str, Optional[str]]]] = _Member("tlsDetails")
    addendum: _Member[Optional[Dict[str, Optional[str]]]] = _Member("addendum")

    def __init__(self, json_text: bytes, event_time_ms: Optional[int] = None,
                 raw: Optional[bytes] = None,
                 fields: Optional[Dict[str, Any]] = None) -> None:
        self._json = json_text
        self._d: Optional[Dict[str, Any]] = None
        self.event_time_ms = event_time_ms
        self.raw = raw
        self.fields = fields if fields is not None else {}

    def _dict(self) -> Dict[str, Any]:
        d = self._d
        if d is None:
            d = self._d = json.loads(self._json)
        return d

    def to_dict(self) -> Dict[str, Any]:
        """Exactly the object `kvstrail events --format jsonl` prints for
        this event (a new dict each call; mutate it freely)."""
        result: Dict[str, Any] = json.loads(self._json)
        return result

    def to_json(self) -> str:
        """The JSON Lines text of this event (without the newline)."""
        return self._json.decode("utf-8")

    @property
    def action(self) -> Optional[Action]:
        """The Action, or None for a record of another service."""
        name = self._dict()["action"]
        return None if name is None else Action[name]

    @property
    def access(self) -> Optional[Access]:
        """The Access kind (what the call does to the video), or None when
        action is None. Since 1.1."""
        label = self._dict()["access"]
        return None if label is None else Access[label.upper().replace("-", "_")]

    @property
    def container(self) -> Optional[str]:
        """"cloudwatch-logs" for the message of a CloudWatch Logs
        subscription envelope (the contract's "container"), None for a
        record of a log file, an array, a stream of events or an
        EventBridge envelope. Since 1.1."""
        c: Optional[str] = self._dict().get("container")
        return c

    @property
    def identity(self) -> Optional[Identity]:
        d = self._dict()["identity"]
        return None if d is None else Identity.from_json(d)

    @property
    def findings(self) -> List[Finding]:
        return _findings(self._dict()["findings"])

    def __repr__(self) -> str:
        d = self._dict()
        return (f"<Event record={d['record']} {d['eventSource']}:"
                f"{d['eventName']} at {d['eventTime']}>")


class DigestLogFile(NamedTuple):
    """One element of a digest's logFiles: a log file CloudTrail delivered
    in the digest's hour and the SHA-256 (hex) of its inflated bytes.
    Members are None when absent or null."""

    s3_bucket: Optional[str]
    s3_object: Optional[str]
    hash_value: Optional[str]
    hash_algorithm: Optional[str]
    newest_event_time: Optional[str]
    oldest_event_time: Optional[str]


_LOG_FILE_KEYS = ("s3Bucket", "s3Object", "hashValue", "hashAlgorithm",
                  "newestEventTime", "oldestEventTime")


class _DigestMember:
    # A read-only attribute of Digest: one member of its "digest" object.

    def __init__(self, key: str) -> None:
        self.key = key
        self.__doc__ = f'The "{key}" member of the digest file.'

    @overload
    def __get__(self, obj: None, owner: Any) -> "_DigestMember": ...

    @overload
    def __get__(self, obj: "Digest", owner: Any) -> Optional[str]: ...

    def __get__(self, obj: Optional["Digest"], owner: Any) -> Any:
        if obj is None:
            return self
        return obj._d["digest"][self.key]


class Digest:
    """A CloudTrail digest file, from parse(digests=True). Since 1.1.

    Attributes are the snake_case of CloudTrail's names, None when absent
    or null (a starting digest has every previous_* None); log_files a
    list of DigestLogFile (empty for an hour without log files); findings
    a list of Finding (KVST_F_DIGEST_*); file, record, offset, line,
    column as for an Event. Hashes and signatures are checked by
    `kvstrail verify`, not here.
    """

    __slots__ = ("_json", "_d")

    aws_account_id = _DigestMember("awsAccountId")
    digest_start_time = _DigestMember("digestStartTime")
    digest_end_time = _DigestMember("digestEndTime")
    digest_s3_bucket = _DigestMember("digestS3Bucket")
    digest_s3_object = _DigestMember("digestS3Object")
    digest_public_key_fingerprint = _DigestMember("digestPublicKeyFingerprint")
    digest_signature_algorithm = _DigestMember("digestSignatureAlgorithm")
    newest_event_time = _DigestMember("newestEventTime")
    oldest_event_time = _DigestMember("oldestEventTime")
    previous_digest_s3_bucket = _DigestMember("previousDigestS3Bucket")
    previous_digest_s3_object = _DigestMember("previousDigestS3Object")
    previous_digest_hash_value = _DigestMember("previousDigestHashValue")
    previous_digest_hash_algorithm = _DigestMember("previousDigestHashAlgorithm")
    previous_digest_signature = _DigestMember("previousDigestSignature")

    def __init__(self, json_text: bytes) -> None:
        self._json = json_text
        self._d: Dict[str, Any] = json.loads(json_text)

    @property
    def file(self) -> Optional[str]:
        value: Optional[str] = self._d["file"]
        return value

    @property
    def record(self) -> int:
        return int(self._d["record"])

    @property
    def offset(self) -> int:
        return int(self._d["offset"])

    @property
    def line(self) -> int:
        return int(self._d["line"])

    @property
    def column(self) -> int:
        return int(self._d["column"])

    @property
    def log_files(self) -> List[DigestLogFile]:
        return [DigestLogFile(*(None if lf is None else lf[k] for k in _LOG_FILE_KEYS))
                for lf in self._d["digest"]["logFiles"]]

    @property
    def findings(self) -> List[Finding]:
        return _findings(self._d["findings"])

    def to_dict(self) -> Dict[str, Any]:
        """Exactly what `kvstrail events --format jsonl` prints for it."""
        result: Dict[str, Any] = json.loads(self._json)
        return result

    def __repr__(self) -> str:
        return (f"<Digest {self.aws_account_id} {self.digest_start_time}.."
                f"{self.digest_end_time}, {len(self._d['digest']['logFiles'])} log files>")


class BrokenRecord:
    """A record that could not be parsed, from parse(recover=True).

    code is the status (negative KVST_E_*), status its name, message why;
    line, column and offset locate the error; record_offset and length give
    the broken record's byte range, text its text as str and raw its exact
    bytes; record is its index and file the source's name. The parse went
    on after it.
    """

    __slots__ = ("_json", "code", "status", "message", "line", "column",
                 "offset", "length", "text", "raw", "record", "file",
                 "record_offset")

    def __init__(self, json_text: bytes, code: int,
                 raw: Optional[bytes] = None) -> None:
        self._json = json_text
        self.raw = raw
        d = json.loads(json_text)
        err = d["error"]
        self.code = code
        self.status = err["code"]
        self.message = err["message"]
        self.line = err["line"]
        self.column = err["column"]
        self.offset = err["offset"]
        self.length = err["length"]
        self.text = err["text"]
        self.record = d["record"]
        self.file = d["file"]
        self.record_offset = d["offset"]

    def to_dict(self) -> Dict[str, Any]:
        """Exactly what `kvstrail events --format jsonl` prints for it."""
        result: Dict[str, Any] = json.loads(self._json)
        return result

    def exception(self) -> Exception:
        """The ParseError (subclass) strict mode would have raised here."""
        from ._errors import ParseError, error_class
        cls = error_class(self.code)
        if not issubclass(cls, ParseError):
            cls = ParseError
        return cls(self.code, self.message, offset=self.offset, line=self.line,
                   column=self.column, record=self.record, file=self.file)

    def __repr__(self) -> str:
        return (f"<BrokenRecord record={self.record} {self.status} at "
                f"{self.line}:{self.column}: {self.message}>")

