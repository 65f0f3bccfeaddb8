"""Loading libkvstrail and the one table of C prototypes.

Everything that touches ctypes directly lives here: the library search, the
struct mirrors of <kvstrail/*.h> and the argtypes/restype of every function
the binding calls. No function is variadic, so every call is type-checked by
ctypes. ctypes releases the GIL around each foreign call, which is what lets
parsers on different threads run at the same time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char_p,
    c_double,
    c_int,
    c_int32,
    c_int64,
    c_size_t,
    c_uint32,
    c_uint64,
    c_ulong,
    c_void_p,
)
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from . import _install

#: The library major version this binding was written against (the SONAME's
#: number; a different major would mean a different ABI).
ABI_MAJOR = 1
SONAME = "libkvstrail.so.1"

# Status codes (<kvstrail/common.h>); numbers are frozen by the ABI policy.
KVST_OK = 0
KVST_E_SYNTAX = -1
KVST_E_ENCODING = -2
KVST_E_TRUNCATED = -3
KVST_E_LIMIT = -4
KVST_E_NOMEM = -5
KVST_E_GZIP = -6
KVST_E_NOT_CLOUDTRAIL = -7
KVST_E_ABORTED = -8
KVST_E_INVAL = -9
KVST_E_ABI = -10
KVST_E_IO = -11
KVST_E_NOT_FOUND = -12

# Parser flags (<kvstrail/parser.h>).
KVST_FLAG_KVS_ONLY = 0x1
KVST_FLAG_KEEP_RAW = 0x2
KVST_FLAG_RECOVER = 0x4
KVST_FLAG_NO_VALIDATE = 0x8
KVST_FLAG_SINGLE_THREAD = 0x10
KVST_FLAG_DIGESTS = 0x20  # since 1.1
KVST_FILTER_SINCE = 0x1  # kvst_filter.flags, since 1.1
KVST_FILTER_UNTIL = 0x2

KVST_UNLIMITED = (1 << 64) - 1

# kvst_value.json_type (<kvstrail/common.h>).
KVST_JSON_NULL = 1
KVST_JSON_BOOLEAN = 2
KVST_JSON_INTEGER = 3
KVST_JSON_DOUBLE = 4
KVST_JSON_STRING = 5
KVST_JSON_OBJECT = 6
KVST_JSON_ARRAY = 7


class kvst_str(Structure):
    _fields_ = [("ptr", c_void_p), ("len", c_size_t)]


def str_bytes(s: kvst_str) -> "bytes | None":
    """Copy a view out of library storage (views die at the next call)."""
    if not s.ptr:
        return None
    return ctypes.string_at(s.ptr, s.len)


def str_text(s: kvst_str) -> "str | None":
    b = str_bytes(s)
    # The library checks UTF-8; surrogateescape keeps a recovery-mode raw
    # record (which may be anything) round-trippable instead of raising.
    return None if b is None else b.decode("utf-8", "surrogateescape")


class kvst_value(Structure):
    pass


kvst_value._fields_ = [
    ("state", c_uint32),
    ("json_type", c_uint32),
    ("model_type", c_uint32),
    ("reserved", c_uint32),
    ("text", kvst_str),
    ("i", c_int64),
    ("d", c_double),
    ("count", c_size_t),
    ("items", POINTER(kvst_value)),
    ("keys", POINTER(kvst_str)),
    ("object", c_void_p),
]


class kvst_allocator(Structure):
    _fields_ = [
        ("malloc_fn", CFUNCTYPE(c_void_p, c_size_t, c_void_p)),
        ("realloc_fn", CFUNCTYPE(c_void_p, c_void_p, c_size_t, c_void_p)),
        ("free_fn", CFUNCTYPE(None, c_void_p, c_void_p)),
        ("ctx", c_void_p),
    ]


#: int (*kvst_event_fn)(const kvst_event *ev, void *payload). The binding
#: leaves it NULL and uses the pull iterator; the type is here so that the
#: mirror of kvst_parser_options has the right member.
kvst_event_fn = CFUNCTYPE(c_int, c_void_p, c_void_p)


class kvst_filter(Structure):
    """<kvstrail/filter.h> (since 1.1)."""
    _fields_ = [
        ("struct_size", c_size_t),
        ("flags", c_uint32),
        ("event_kind", c_uint32),
        ("actions", POINTER(c_uint32)),
        ("action_count", c_size_t),
        ("principals", c_uint64),
        ("arn_glob", c_char_p),
        ("access_key_id", c_char_p),
        ("account_id", c_char_p),
        ("region", c_char_p),
        ("source_cidr", c_char_p),
        ("since_ms", c_int64),
        ("until_ms", c_int64),
        ("outcome", c_uint32),
        ("access", c_uint32),
    ]


class kvst_parser_options(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("flags", c_uint32),
        ("reserved", c_uint32),
        ("allocator", kvst_allocator),
        ("on_event", kvst_event_fn),
        ("payload", c_void_p),
        ("max_depth", c_uint64),
        ("max_string_bytes", c_uint64),
        ("max_record_bytes", c_uint64),
        ("max_inflate_ratio", c_uint64),
        ("filter", POINTER(kvst_filter)),  # since 1.1
    ]


class kvst_error(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("code", c_int32),
        ("reserved", c_uint32),
        ("offset", c_uint64),
        ("line", c_uint64),
        ("column", c_uint64),
        ("record_index", c_uint64),
        ("pointer", kvst_str),
        ("message", kvst_str),
        ("excerpt", kvst_str),
        ("record_offset", c_uint64),
        ("record_length", c_uint64),
        ("record_text", kvst_str),
    ]


class kvst_identity_info(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("principal", c_uint32),
        ("credential", c_uint32),
        ("root_or_iam_user", c_int32),
        ("role_or_federated_temporary", c_int32),
        ("aws_service", c_int32),
        ("mfa", c_int32),
        ("console", c_int32),
        ("cross_account", c_int32),
        ("root_access_key", c_int32),
        ("assumed_root", c_int32),
        ("imdsv1", c_int32),
        ("type", kvst_str),
        ("account_id", kvst_str),
        ("arn", kvst_str),
        ("user_name", kvst_str),
        ("invoked_by", kvst_str),
        ("issuer_type", kvst_str),
        ("issuer_name", kvst_str),
        ("issuer_arn", kvst_str),
        ("issuer_account_id", kvst_str),
        ("on_behalf_of_user_id", kvst_str),
        ("identity_store_arn", kvst_str),
        ("other_account_id", kvst_str),
    ]


_ENVELOPE_STRS = (
    "event_source", "event_name", "aws_region", "source_ip_address",
    "user_agent", "error_code", "error_message", "request_id", "event_id",
    "event_type", "api_version", "recipient_account_id", "shared_event_id",
    "event_category", "vpc_endpoint_id", "vpc_endpoint_account_id",
)


class kvst_event(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("status", c_int32),
        ("action", c_uint32),
        ("container", c_uint32),
        ("reserved", c_uint32),
        ("record_index", c_uint64),
        ("offset", c_uint64),
        ("line", c_uint64),
        ("column", c_uint64),
        ("length", c_uint64),
        ("raw", kvst_str),
        ("event_version", kvst_str),
        ("event_version_major", c_int32),
        ("event_version_minor", c_int32),
        ("event_time", kvst_str),
        ("event_time_ms", c_int64),
        ("event_time_valid", c_int32),
        ("read_only", c_int32),
        ("management_event", c_int32),
        ("session_credential_from_console", c_int32),
    ] + [(name, kvst_str) for name in _ENVELOPE_STRS] + [
        ("user_identity", c_void_p),
        ("resource_count", c_size_t),
        ("resources", c_void_p),
        ("tls_details", c_void_p),
        ("addendum", c_void_p),
        ("request", c_void_p),
        ("response", c_void_p),
        ("request_state", c_uint32),
        ("response_state", c_uint32),
        ("identity", POINTER(kvst_identity_info)),
        ("finding_count", c_size_t),
        ("findings", c_void_p),
        ("error", POINTER(kvst_error)),
        # Since 1.1
        ("access", c_uint32),
        ("outcome", c_uint32),
        ("additional_event_data", kvst_value),
        ("service_event_details", kvst_value),
        ("insight_details", kvst_value),
    ]


class kvst_arn(Structure):
    _fields_ = [
        ("partition", kvst_str),
        ("service", kvst_str),
        ("region", kvst_str),
        ("account", kvst_str),
        ("resource", kvst_str),
        ("resource_type", kvst_str),
        ("name", kvst_str),
        ("creation", kvst_str),
        ("creation_time", c_int64),
    ]


class kvst_parser(Structure):
    """Opaque handle."""


_parser_p = POINTER(kvst_parser)
if TYPE_CHECKING:
    # What type checkers call a kvst_parser * (POINTER() makes a class at
    # run time, which a checker cannot use as a type).
    ParserPointer = ctypes._Pointer[kvst_parser]
_event_p = POINTER(kvst_event)

#: Every C function the binding calls: name -> (restype, argtypes).
#: (pointer, length) validators share one shape and are listed in VALIDATORS.
PROTOTYPES: Dict[str, Tuple[Any, List[Any]]] = {
    "kvst_version_number": (c_ulong, []),
    "kvst_version_string": (c_char_p, []),
    "kvst_strerror": (c_char_p, [c_int]),
    "kvst_status_name": (c_char_p, [c_int]),
    "kvst_parser_options_init": (c_int, [POINTER(kvst_parser_options), c_size_t]),
    "kvst_parser_new": (c_int, [POINTER(kvst_parser_options), POINTER(_parser_p)]),
    "kvst_parser_feed": (c_int, [_parser_p, c_char_p, c_size_t]),
    "kvst_parser_finish": (c_int, [_parser_p]),
    "kvst_parser_next": (c_int, [_parser_p, POINTER(_event_p)]),
    "kvst_parser_error": (POINTER(kvst_error), [_parser_p]),
    "kvst_parser_stats": (None, [_parser_p, POINTER(c_uint64), POINTER(c_uint64),
                                 POINTER(c_uint64)]),
    "kvst_parser_free": (None, [_parser_p]),
    "kvst_event_to_json": (c_size_t, [_event_p, c_char_p, c_char_p, c_size_t]),
    "kvst_event_lookup": (c_int, [_event_p, c_char_p, POINTER(kvst_value)]),
    "kvst_event_digest": (c_void_p, [_event_p]),
    "kvst_action_name": (c_char_p, [c_uint32]),
    "kvst_access_name": (c_char_p, [c_uint32]),
    "kvst_principal_name": (c_char_p, [c_uint32]),
    "kvst_credential_name": (c_char_p, [c_uint32]),
    "kvst_severity_name": (c_char_p, [c_uint32]),
    "kvst_finding_name": (c_char_p, [c_uint32]),
    "kvst_finding_severity": (c_uint32, [c_uint32]),
    "kvst_finding_rule": (c_char_p, [c_uint32]),
    "kvst_identity_classify_json": (c_int, [c_char_p, c_size_t,
                                            POINTER(kvst_identity_info)]),
    "kvst_credential_kind": (c_uint32, [c_char_p, c_size_t]),
    "kvst_principal_kind": (c_uint32, [c_char_p, c_size_t]),
    "kvst_arn_parse": (c_uint32, [c_char_p, c_size_t, POINTER(kvst_arn)]),
    "kvst_validate_resource_arn": (c_uint32, [c_char_p, c_size_t, POINTER(kvst_arn)]),
    "kvst_validate_timestamp": (c_uint32, [c_char_p, c_size_t, POINTER(c_int64)]),
    "kvst_validate_event_version": (c_uint32, [c_char_p, c_size_t, POINTER(c_int32),
                                               POINTER(c_int32)]),
}

#: uint32_t kvst_validate_NAME(const char *s, size_t len): the plain ones.
VALIDATORS = (
    "stream_name", "kms_key_id", "media_type", "region", "account_id", "uuid",
    "source_ip", "event_source", "tag_key", "tag_value", "version_string",
)
for _name in VALIDATORS:
    PROTOTYPES["kvst_validate_" + _name] = (c_uint32, [c_char_p, c_size_t])


def library_candidates(soname: str, env_var: str,
                       find_name: str) -> List[Tuple[str, Optional[str]]]:
    """(where it came from, what to dlopen or None when that place gave
    nothing), in the documented order: the libdir meson recorded when it
    installed this package, $env_var, find_library(find_name), the
    SONAME. libkvstrail and libkvstrail-sigma are installed side by side,
    so one recorded libdir serves both."""
    out: List[Tuple[str, Optional[str]]] = []
    here = os.path.dirname(os.path.abspath(__file__))
    if _install.LIBDIR_FROM_PACKAGE is not None:
        rel = os.path.normpath(os.path.join(here, _install.LIBDIR_FROM_PACKAGE))
        out.append(("installed libdir, relative to the package",
                    os.path.join(rel, soname)))
    if _install.LIBDIR is not None:
        out.append(("installed libdir", os.path.join(_install.LIBDIR, soname)))
    else:
        out.append(("installed libdir", None))  # not installed by meson
    out.append((env_var, os.environ.get(env_var) or None))
    finder = f'ctypes.util.find_library("{find_name}")'
    out.append((finder, ctypes.util.find_library(find_name)))
    out.append(("SONAME", soname))
    return out


# What the ImportError says of a place that gave nothing to try (an
# environment variable: "not set").
_NOTHING_FROM = {
    "installed libdir": "none recorded (this copy was not installed by meson)",
}


def _nothing_from(origin: str) -> str:
    if origin in _NOTHING_FROM:
        return _NOTHING_FROM[origin]
    return "found nothing" if origin.startswith("ctypes.util") else "not set"


def open_first(candidates: List[Tuple[str, Optional[str]]],
               prototypes: Dict[str, Tuple[Any, List[Any]]],
               what: str) -> ctypes.CDLL:
    """The first candidate that loads and has every function of
    prototypes, with their restype and argtypes set; ImportError naming
    every place tried, and why each failed, when none does."""
    tried = []
    for origin, name in candidates:
        if name is None:
            tried.append(f"{origin}: {_nothing_from(origin)}")
            continue
        try:
            found = ctypes.CDLL(name)
        except OSError as exc:
            tried.append(f"{origin}: {name} ({exc})")
            continue
        missing = [f for f in prototypes if not hasattr(found, f)]
        if missing:
            tried.append(f"{origin}: {name} (lacks {', '.join(missing)})")
            continue
        for fname, (restype, argtypes) in prototypes.items():
            fn = getattr(found, fname)
            fn.restype = restype
            fn.argtypes = argtypes
        return found
    raise ImportError(f"cannot load {what}; tried:\n  " + "\n  ".join(tried))


lib = open_first(library_candidates(SONAME, "KVSTRAIL_LIBRARY", "kvstrail"),
                 PROTOTYPES, "libkvstrail")

#: The version of the library actually loaded: 0xMMmmpp and "M.m.p".
LIBRARY_VERSION_NUMBER: int = lib.kvst_version_number()
LIBRARY_VERSION: str = lib.kvst_version_string().decode("ascii")


def check_version(number: int, text: str, where: str) -> None:
    """Refuse a library of another major version (another ABI)."""
    if number >> 16 != ABI_MAJOR:
        raise ImportError(f"kvstrail: {where} is version {text}; this binding "
                          f"needs major version {ABI_MAJOR}")


check_version(LIBRARY_VERSION_NUMBER, LIBRARY_VERSION, lib._name)


def cstr(p: "bytes | None") -> "str | None":
    """A static C string the library returned (names, messages)."""
    return None if p is None else p.decode("utf-8")


def status_name(code: int) -> str:
    name: bytes = lib.kvst_status_name(code)
    return name.decode("ascii")


def strerror(code: int) -> str:
    text: bytes = lib.kvst_strerror(code)
    return text.decode("utf-8")
