"""The library's validators, one function each.

Every validator takes a str (or bytes) and returns None when the value is
valid, else the FindingCode saying what is wrong (an int enum:
FindingCode.MEDIA_TYPE == 112, its .name without the KVST_F_ prefix;
kvstrail.finding_info(code) gives the rule and severity). They are pure and
thread-safe, like the C functions they call.

    >>> validate.media_type("video/h264") is None
    True
    >>> validate.media_type("mediaType")
    <FindingCode.MEDIA_TYPE: 112>

parse_arn(), parse_timestamp() and parse_event_version() also return the
parts, raising ValueError (with .code, a FindingCode) when invalid.
"""

from __future__ import annotations

from ctypes import byref, c_int32, c_int64
from typing import Callable, NamedTuple, Optional, Tuple, Union

from ._event import finding_code
from ._ffi import VALIDATORS, kvst_arn, lib, str_text

Text = Union[str, bytes]
Code = Optional[int]


def _b(s: Text) -> bytes:
    if isinstance(s, str):
        return s.encode("utf-8", "surrogatepass")
    if isinstance(s, (bytes, bytearray)):
        return bytes(s)
    raise TypeError(f"expected str or bytes, not {type(s).__name__}")


def _code(c: int) -> Code:
    return None if c == 0 else finding_code(c)


def _plain(cname: str) -> Callable[[Text], Code]:
    fn = getattr(lib, "kvst_validate_" + cname)

    def validator(s: Text) -> Code:
        b = _b(s)
        return _code(fn(b, len(b)))

    validator.__name__ = validator.__qualname__ = cname
    validator.__doc__ = (f"kvst_validate_{cname}(): None when valid, else "
                         "the FindingCode.")
    return validator


stream_name = _plain("stream_name")
kms_key_id = _plain("kms_key_id")
media_type = _plain("media_type")
region = _plain("region")
account_id = _plain("account_id")
uuid = _plain("uuid")
source_ip = _plain("source_ip")
event_source = _plain("event_source")
tag_key = _plain("tag_key")
tag_value = _plain("tag_value")
version_string = _plain("version_string")


class Arn(NamedTuple):
    """Parts of arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE; for KVS
    resources (TYPE/NAME/CREATION) resource_type, name and creation are
    split out and creation_time is epoch ms (None when absent)."""

    partition: Optional[str]
    service: Optional[str]
    region: Optional[str]
    account: Optional[str]
    resource: Optional[str]
    resource_type: Optional[str]
    name: Optional[str]
    creation: Optional[str]
    creation_time: Optional[int]


class InvalidValue(ValueError):
    """A value a parse_* function could not accept; .code is the
    FindingCode."""

    def __init__(self, code: int, what: str, value: Text) -> None:
        self.code = finding_code(code)
        super().__init__(f"{what} {value!r} is not valid "
                         f"[{getattr(self.code, 'name', self.code)}]")


def _arn_parts(a: kvst_arn) -> Arn:
    return Arn(str_text(a.partition), str_text(a.service), str_text(a.region),
               str_text(a.account), str_text(a.resource),
               str_text(a.resource_type), str_text(a.name),
               str_text(a.creation),
               None if a.creation_time < 0 else a.creation_time)


def arn(s: Text) -> Code:
    """kvst_arn_parse(): None for any well-formed ARN, else
    FindingCode.STREAM_ARN."""
    b = _b(s)
    return _code(lib.kvst_arn_parse(b, len(b), byref(kvst_arn())))


def resource_arn(s: Text) -> Code:
    """A KVS resource ARN (stream, channel ... with creation time)."""
    b = _b(s)
    return _code(lib.kvst_validate_resource_arn(b, len(b), None))


def parse_arn(s: Text) -> Arn:
    """Split an ARN into its parts (kvst_arn_parse()); InvalidValue when it
    is not arn:P:S:R:A:RES."""
    b = _b(s)
    out = kvst_arn()
    # The views point into b, which lives until the parts are copied.
    code = lib.kvst_arn_parse(b, len(b), byref(out))
    if code:
        raise InvalidValue(code, "ARN", s)
    return _arn_parts(out)


def timestamp(s: Text) -> Code:
    """YYYY-MM-DDTHH:MM:SSZ with a calendar check."""
    b = _b(s)
    return _code(lib.kvst_validate_timestamp(b, len(b), None))


def parse_timestamp(s: Text) -> int:
    """A CloudTrail timestamp as epoch milliseconds."""
    b = _b(s)
    ms = c_int64()
    code = lib.kvst_validate_timestamp(b, len(b), byref(ms))
    if code:
        raise InvalidValue(code, "timestamp", s)
    return ms.value


def event_version(s: Text) -> Code:
    """eventVersion "MAJOR.MINOR" (major 1)."""
    b = _b(s)
    return _code(lib.kvst_validate_event_version(b, len(b), None, None))


def parse_event_version(s: Text) -> Tuple[int, int]:
    """(major, minor) as integers, so (1, 10) > (1, 9)."""
    b = _b(s)
    major, minor = c_int32(), c_int32()
    code = lib.kvst_validate_event_version(b, len(b), byref(major), byref(minor))
    if code:
        raise InvalidValue(code, "eventVersion", s)
    return major.value, minor.value


def credential_kind(access_key_id: Text) -> str:
    """"long-term" (AKIA), "temporary" (ASIA), "service-bearer" (ABIA),
    "none" (empty) or "unknown"."""
    b = _b(access_key_id)
    name: bytes = lib.kvst_credential_name(lib.kvst_credential_kind(b, len(b)))
    return name.decode()


def principal_kind(identity_type: Text) -> str:
    """The principal kind of a userIdentity.type ("Unknown" if unknown)."""
    b = _b(identity_type)
    name: bytes = lib.kvst_principal_name(lib.kvst_principal_kind(b, len(b)))
    return name.decode()


__all__ = ["Arn", "InvalidValue", "arn", "resource_arn", "parse_arn",
           "timestamp", "parse_timestamp", "event_version",
           "parse_event_version", "credential_kind", "principal_kind",
           *VALIDATORS]
