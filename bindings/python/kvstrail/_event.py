"""What parsing yields: Event (with Identity and Finding) and BrokenRecord.

An Event holds the JSON text that kvst_event_to_json() wrote for it (the
contract of `kvstrail events --format jsonl`) and decodes it on first use,
so iterating without looking at events costs no JSON decoding at all. All
data is copied out of the library before the parser moves on.
"""

from __future__ import annotations

import enum
import json
from typing import Any, Dict, FrozenSet, List, NamedTuple, Optional, Union

from ._ffi import lib


def _library_enum(cls: Any, name: str, getter: Any, numbers: range,
                  strip: str = "") -> Any:
    """An enum whose members are the names the loaded library gives to
    `numbers` (so a newer library with more actions/codes is covered)."""
    members = []
    for n in numbers:
        raw = getter(n)
        if raw:
            members.append((raw.decode("ascii")[len(strip):], n))
    return cls(name, members, module=__name__)


#: The KVS actions: Action.CreateStream == 1 ... as numbered by
#: KVST_ACTION_* (names from kvst_action_name()). Records of other services
#: have action None.
Action = _library_enum(enum.IntEnum, "Action", lib.kvst_action_name, range(1, 256))


class _AccessEnum(enum.IntEnum):
    """IntEnum whose label is the kind as the JSON contract spells it."""

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")


#: What a KVS call does to the video: Access.MEDIA_READ == 1 ... as numbered
#: by KVST_ACCESS_* (names from kvst_access_name(): "media-read" is
#: MEDIA_READ). Records of other services have access None. Since 1.1.
Access = _AccessEnum("Access", [
    (lib.kvst_access_name(n).decode("ascii").upper().replace("-", "_"), n)
    for n in range(1, 64) if lib.kvst_access_name(n)], module=__name__)

#: Finding codes (KVST_F_*, without the prefix): FindingCode.MEDIA_TYPE == 112.
#: Numbers are frozen; docs/findings.md gives each one's rule and severity.
FindingCode = _library_enum(enum.IntEnum, "FindingCode", lib.kvst_finding_name,
                            range(1, 1000), strip="KVST_F_")


def finding_code(code: int) -> Union["enum.IntEnum", int]:
    """FindingCode member for a number, the bare int for one the library
    names but this process has not seen (cannot happen within one load)."""
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


# Identity members of the JSON contract -> attribute names.
_IDENTITY_KEYS = (
    ("type", "type"), ("principal", "principal"), ("credential", "credential"),
    ("rootOrIamUser", "root_or_iam_user"),
    ("roleOrFederatedTemporary", "role_or_federated_temporary"),
    ("awsService", "aws_service"), ("mfa", "mfa"), ("console", "console"),
    ("crossAccount", "cross_account"), ("rootAccessKey", "root_access_key"),
    ("invokedBy", "invoked_by"), ("arn", "arn"), ("accountId", "account_id"),
    ("userName", "user_name"), ("sessionIssuer", "session_issuer"),
)

# Only kvst_identity_classify_json() reports these (the event JSON does not).
_CLASSIFIER_ONLY = (
    "assumed_root", "imdsv1", "issuer_type", "issuer_name", "issuer_arn",
    "issuer_account_id", "on_behalf_of_user_id", "identity_store_arn",
    "other_account_id",
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
    from classify_identity() only: assumed_root, imdsv1, issuer_*,
    on_behalf_of_user_id, identity_store_arn, other_account_id (None on an
    Event's identity, which carries exactly the JSON contract's members).
    """

    __slots__ = ("_v",)
    _NAMES = tuple(attr for _, attr in _IDENTITY_KEYS) + _CLASSIFIER_ONLY

    def __init__(self, **values: Any) -> None:
        unknown = set(values).difference(self._NAMES)
        if unknown:
            raise TypeError(f"Identity has no member {sorted(unknown)[0]!r}")
        self._v = values

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not slots: the members. A member
        # the source did not give (the classifier-only ones on an Event's
        # identity) is None.
        if name in Identity._NAMES:
            return self._v.get(name)
        raise AttributeError(name)

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "Identity":
        ident = cls.__new__(cls)
        ident._v = {attr: d.get(key) for key, attr in _IDENTITY_KEYS}
        return ident

    @property
    def flags(self) -> FrozenSet[str]:
        """Names of the flags that are set (true)."""
        return frozenset(f for f in _FLAG_NAMES if getattr(self, f) is True)

    def to_dict(self) -> Dict[str, Any]:
        """Every member, snake_case, None when not known."""
        return {name: self._v.get(name) for name in self._NAMES}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Identity) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return (f"Identity(principal={self.principal!r}, "
                f"credential={self.credential!r}, arn={self.arn!r})")


# Envelope attribute -> member of the JSON contract (docs/cli.md).
_ENVELOPE = {
    "file": "file", "record": "record", "offset": "offset", "line": "line",
    "column": "column", "event_version": "eventVersion",
    "event_time": "eventTime", "event_source": "eventSource",
    "event_name": "eventName", "aws_region": "awsRegion",
    "source_ip_address": "sourceIPAddress", "user_agent": "userAgent",
    "request_id": "requestID", "event_id": "eventID",
    "event_type": "eventType", "recipient_account_id": "recipientAccountId",
    "read_only": "readOnly", "error_code": "errorCode",
    "error_message": "errorMessage", "request": "request",
    "response": "response",
}


def _member(key: str) -> property:
    return property(lambda self: self._dict()[key],
                    doc=f'The "{key}" member of the event\'s JSON.')


class Event:
    """One CloudTrail record.

    Envelope attributes (snake_case of CloudTrail's names; None when
    absent): event_version, event_time, event_source, event_name,
    aws_region, source_ip_address, user_agent, request_id, event_id,
    event_type, recipient_account_id, read_only, error_code, error_message;
    where the record starts: file, record (0-based index), offset, line,
    column. action is an Action or None (another service); access an Access
    (what the call does to the video) or None likewise; identity an
    Identity; request/response the typed payload (dicts of ints, strs,
    dicts, lists; None when absent); findings a list of Finding.
    event_time_ms is eventTime in epoch milliseconds (None when invalid).
    raw is the record's exact bytes with parse(keep_raw=True), else None;
    fields holds the values of parse(fields=[...]) JSON pointers found in
    this record.
    """

    __slots__ = ("_json", "_d", "event_time_ms", "raw", "fields")

    # For type checkers: read-only properties made from _ENVELOPE below.
    file: Optional[str]
    record: int
    offset: int
    line: int
    column: int
    event_version: Optional[str]
    event_time: Optional[str]
    event_source: Optional[str]
    event_name: Optional[str]
    aws_region: Optional[str]
    source_ip_address: Optional[str]
    user_agent: Optional[str]
    request_id: Optional[str]
    event_id: Optional[str]
    event_type: Optional[str]
    recipient_account_id: Optional[str]
    read_only: Optional[bool]
    error_code: Optional[str]
    error_message: Optional[str]
    request: Optional[Dict[str, Any]]
    response: Optional[Dict[str, Any]]

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
        return json.loads(self._json)

    def to_json(self) -> str:
        """The JSON Lines text of this event (without the newline)."""
        return self._json.decode("utf-8")

    @property
    def action(self) -> Optional["enum.IntEnum"]:
        name = self._dict()["action"]
        return None if name is None else Action[name]

    @property
    def access(self) -> Optional["enum.IntEnum"]:
        label = self._dict()["access"]
        return None if label is None else Access[label.upper().replace("-", "_")]

    @property
    def identity(self) -> Optional[Identity]:
        d = self._dict()["identity"]
        return None if d is None else Identity.from_json(d)

    @property
    def findings(self) -> List[Finding]:
        return [Finding(finding_code(f["code"]), f["name"], f["severity"],
                        f["pointer"], f["line"], f["column"], f["message"])
                for f in self._dict()["findings"]]

    def __repr__(self) -> str:
        d = self._dict()
        return (f"<Event record={d['record']} {d['eventSource']}:"
                f"{d['eventName']} at {d['eventTime']}>")


for _attr, _key in _ENVELOPE.items():
    setattr(Event, _attr, _member(_key))


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
        return json.loads(self._json)

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

