"""kvstrail: read AWS CloudTrail logs incrementally, one typed event per
Amazon Kinesis Video Streams API call (ctypes binding of libkvstrail).

    import kvstrail
    with kvstrail.open("trail.json.gz") as events:
        for ev in events:
            if ev.action is kvstrail.Action.CreateStream:
                print(ev.event_time, ev.identity.principal, ev.findings)

The shared library is found through the libdir recorded when meson
installed this package, then $KVSTRAIL_LIBRARY, then
ctypes.util.find_library("kvstrail"), then the SONAME libkvstrail.so.1.
bindings/python/README.md is the API reference; docs/python.md the guide.
"""

from __future__ import annotations

import json
from ctypes import byref, sizeof
from typing import Any, Dict, NamedTuple, Optional, Union

from . import _ffi, validate
from ._errors import (
    AbiError,
    EncodingError,
    Error,
    GzipError,
    InvalidArgumentError,
    LimitError,
    NotCloudTrailError,
    OutOfMemoryError,
    ParseError,
    TruncatedError,
    from_status,
)
from ._enums import Access, Credential, Outcome, Principal, Severity, Status
from ._event import (Action, BrokenRecord, Digest, DigestLogFile, Event, Finding,
                     FindingCode, Identity)
from ._ffi import kvst_identity_info, lib, str_text
from ._parser import CHUNK_BYTES, LIMITS, UNLIMITED, EventStream, parse

#: Version of this binding.
__version__ = "1.0.0"

#: Version of the libkvstrail actually loaded ("1.0.0") and its number
#: (0xMMmmpp, KVST_VERSION_NUM).
library_version: str = _ffi.LIBRARY_VERSION
library_version_number: int = _ffi.LIBRARY_VERSION_NUMBER

#: `with kvstrail.open(path) as events:` reads better than parse(); same thing.
open = parse  # noqa: A001 - a module-level name, like gzip.open


# Members of "sessionIssuer" in the JSON contract (docs/cli.md).
_ISSUER_KEYS = ("type", "principalId", "arn", "accountId", "userName")


def _bool(v: int) -> Optional[bool]:
    """KVST_BOOL_* tri-state (and the plain 0/1 flags) as Python."""
    return None if v < 0 else bool(v)


def classify_identity(user_identity: Union[Dict[str, Any], str, bytes]) -> Identity:
    """Classify a CloudTrail userIdentity (a dict, or its JSON text) with
    kvst_identity_classify_json().

    Returns an Identity with principal, credential, the three booleans
    (root_or_iam_user, role_or_federated_temporary, aws_service), the flags
    (mfa: None when not recorded; console, cross_account, root_access_key,
    assumed_root, imdsv1) and the strings (type, arn, account_id, user_name,
    invoked_by, issuer_*, on_behalf_of_user_id, identity_store_arn,
    other_account_id; None when absent). Without an event around it,
    cross_account only sees the identity itself. Raises ParseError for bad
    JSON, NotCloudTrailError when it is not an object.
    """
    if isinstance(user_identity, dict):
        text = json.dumps(user_identity).encode("utf-8")
    elif isinstance(user_identity, str):
        text = user_identity.encode("utf-8")
    elif isinstance(user_identity, (bytes, bytearray)):
        text = bytes(user_identity)
    else:
        raise TypeError("classify_identity() needs a dict or JSON text, not "
                        f"{type(user_identity).__name__}")
    info = kvst_identity_info()
    info.struct_size = sizeof(info)
    status = lib.kvst_identity_classify_json(text, len(text), byref(info))
    if status:
        raise from_status(status)
    # The views point into `text`; copy them before it goes away.
    # session_issuer in the shape the event JSON gives it.
    uid = json.loads(text) if not isinstance(user_identity, dict) else user_identity
    si = (uid.get("sessionContext") or {}).get("sessionIssuer")
    issuer = None
    if isinstance(si, dict):
        issuer = {k: si.get(k) if isinstance(si.get(k), str) else None
                  for k in _ISSUER_KEYS}
    return Identity(
        type=str_text(info.type),
        principal=_ffi.cstr(lib.kvst_principal_name(info.principal)),
        credential=_ffi.cstr(lib.kvst_credential_name(info.credential)),
        root_or_iam_user=bool(info.root_or_iam_user),
        role_or_federated_temporary=bool(info.role_or_federated_temporary),
        aws_service=bool(info.aws_service),
        mfa=_bool(info.mfa),
        console=bool(info.console),
        cross_account=bool(info.cross_account),
        root_access_key=bool(info.root_access_key),
        assumed_root=bool(info.assumed_root),
        imdsv1=bool(info.imdsv1),
        invoked_by=str_text(info.invoked_by),
        arn=str_text(info.arn),
        account_id=str_text(info.account_id),
        user_name=str_text(info.user_name),
        session_issuer=issuer,
        issuer_type=str_text(info.issuer_type),
        issuer_name=str_text(info.issuer_name),
        issuer_arn=str_text(info.issuer_arn),
        issuer_account_id=str_text(info.issuer_account_id),
        on_behalf_of_user_id=str_text(info.on_behalf_of_user_id),
        identity_store_arn=str_text(info.identity_store_arn),
        other_account_id=str_text(info.other_account_id),
    )


class FindingInfo(NamedTuple):
    """What the library says about a finding code."""

    code: int
    name: str
    severity: str
    rule: str


def finding_info(code: int) -> FindingInfo:
    """Name, default severity and one-line rule of a finding code;
    ValueError for a code the library does not know."""
    name = lib.kvst_finding_name(code)
    if name is None:
        raise ValueError(f"unknown finding code {code}")
    return FindingInfo(FindingCode(code), name.decode("ascii"),
                       lib.kvst_severity_name(lib.kvst_finding_severity(code)).decode(),
                       (lib.kvst_finding_rule(code) or b"").decode("utf-8"))


def status_name(code: int) -> str:
    """The name of a status code: status_name(-1) == "KVST_E_SYNTAX"."""
    return _ffi.status_name(code)


__all__ = [
    "AbiError", "Access", "Action", "BrokenRecord", "CHUNK_BYTES", "Credential",
    "Digest", "DigestLogFile", "EncodingError",
    "Error", "Event", "EventStream", "Finding", "FindingCode", "FindingInfo",
    "GzipError", "Identity", "InvalidArgumentError", "LIMITS", "LimitError",
    "NotCloudTrailError", "Outcome", "OutOfMemoryError", "ParseError", "Principal",
    "Severity", "Status", "TruncatedError",
    "UNLIMITED", "classify_identity", "finding_info", "library_version",
    "library_version_number", "open", "parse", "status_name", "validate",
    "__version__",
]
