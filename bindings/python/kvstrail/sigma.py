"""kvstrail.sigma: Sigma rules over CloudTrail events (libkvstrail-sigma).

    from kvstrail.sigma import RuleSet
    rules = RuleSet(["rules/kvs", "my_rule.yml"],
                    placeholders={"AllowedPrincipals": ["arn:aws:iam::1:role/ops"]})
    for m in rules.scan("trail.json.gz"):
        print(m.rule.title, m.rule.author, m.event_name, m.fields)

The library is found like the core: the libdir meson recorded when it
installed the package, $KVSTRAIL_SIGMA_LIBRARY,
ctypes.util.find_library("kvstrail-sigma"), then the SONAME
libkvstrail-sigma.so.1. A RuleSet is compiled once and immutable: share it
between threads; each scan() has its own matching state (correlation
windows included). See docs/sigma.md and docs/python.md.
"""

from __future__ import annotations

import ctypes
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, byref, c_char_p, c_int,
                    c_int32, c_int64, c_size_t, c_uint32, c_uint64, c_void_p,
                    sizeof)
from typing import (Any, Dict, Iterable, Iterator, List, NamedTuple,
                    Optional, Sequence, Tuple, Union)

from . import _ffi
from ._errors import Error, from_parser, from_status
from ._ffi import kvst_str, lib, str_text

SONAME = "libkvstrail-sigma.so.1"

#: kvst_sigma_rule.kind
DETECTION = 1
CORRELATION = 2

LEVELS = ("", "informational", "low", "medium", "high", "critical")


class kvst_sigma_error(Structure):
    _fields_ = [("struct_size", c_size_t), ("file", kvst_str),
                ("line", c_uint64), ("column", c_uint64),
                ("title", kvst_str), ("message", kvst_str)]


class kvst_sigma_rule(Structure):
    _fields_ = [
        ("struct_size", c_size_t), ("kind", c_uint32), ("level_rank", c_uint32),
        ("id", kvst_str), ("name", kvst_str), ("title", kvst_str),
        ("status", kvst_str), ("level", kvst_str), ("author", kvst_str),
        ("description", kvst_str), ("date", kvst_str), ("modified", kvst_str),
        ("license", kvst_str),
        ("tag_count", c_size_t), ("tags", POINTER(kvst_str)),
        ("reference_count", c_size_t), ("references", POINTER(kvst_str)),
        ("falsepositive_count", c_size_t), ("falsepositives", POINTER(kvst_str)),
        ("logsource", kvst_str), ("file", kvst_str), ("line", c_uint64),
        ("correlation_type", kvst_str), ("reported", c_int32),
        ("reserved", c_uint32),
    ]


class kvst_sigma_field(Structure):
    _fields_ = [("name", kvst_str), ("value", kvst_str)]


class kvst_sigma_result(Structure):
    _fields_ = [
        ("struct_size", c_size_t), ("rule", POINTER(kvst_sigma_rule)),
        ("event", POINTER(_ffi.kvst_event)), ("field_count", c_size_t),
        ("fields", POINTER(kvst_sigma_field)), ("count", c_uint64),
        ("window_start_ms", c_int64), ("window_end_ms", c_int64),
    ]


class kvst_sigma_stats(Structure):
    _fields_ = [("struct_size", c_size_t)] + [
        (n, c_uint64) for n in ("events", "rule_evaluations", "matches",
                                "regex_errors", "untimed", "dropped", "late")]


_MATCH_FN = CFUNCTYPE(c_int, POINTER(kvst_sigma_result), c_void_p)

_PROTOTYPES: Dict[str, Tuple[Any, List[Any]]] = {
    "kvst_sigma_builder_new": (c_int, [c_void_p, POINTER(c_void_p)]),
    "kvst_sigma_builder_placeholder": (c_int, [c_void_p, c_char_p, c_char_p]),
    "kvst_sigma_builder_add_text": (c_int, [c_void_p, c_char_p, c_char_p, c_size_t]),
    "kvst_sigma_builder_add_path": (c_int, [c_void_p, c_char_p]),
    "kvst_sigma_builder_error_count": (c_size_t, [c_void_p]),
    "kvst_sigma_builder_error": (POINTER(kvst_sigma_error), [c_void_p, c_size_t]),
    "kvst_sigma_builder_skipped_count": (c_size_t, [c_void_p]),
    "kvst_sigma_builder_skipped": (POINTER(kvst_sigma_rule), [c_void_p, c_size_t]),
    "kvst_sigma_builder_build": (c_int, [c_void_p, POINTER(c_void_p)]),
    "kvst_sigma_builder_free": (None, [c_void_p]),
    "kvst_sigma_ruleset_rule_count": (c_size_t, [c_void_p]),
    "kvst_sigma_ruleset_rule": (POINTER(kvst_sigma_rule), [c_void_p, c_size_t]),
    "kvst_sigma_ruleset_free": (None, [c_void_p]),
    "kvst_sigma_state_new": (c_int, [c_void_p, POINTER(c_void_p)]),
    "kvst_sigma_match": (c_int, [c_void_p, POINTER(_ffi.kvst_event), _MATCH_FN,
                                 c_void_p]),
    "kvst_sigma_state_stats": (None, [c_void_p, POINTER(kvst_sigma_stats)]),
    "kvst_sigma_state_free": (None, [c_void_p]),
    "kvst_sigma_version_string": (c_char_p, []),
}


_lib = _ffi.open_first(
    _ffi.library_candidates(SONAME, "KVSTRAIL_SIGMA_LIBRARY", "kvstrail-sigma"),
    _PROTOTYPES, "libkvstrail-sigma")
LIBRARY_VERSION: str = _lib.kvst_sigma_version_string().decode("ascii")


def _text(s: kvst_str) -> str:
    return str_text(s) or ""


def _texts(p: Any, n: int) -> Tuple[str, ...]:
    return tuple(_text(p[i]) for i in range(n))


class Rule(NamedTuple):
    """A rule as loaded (kvst_sigma_rule). author is kept in every match, as
    the Detection Rule License of SigmaHQ's rules asks."""
    id: str
    name: str
    title: str
    status: str
    level: str
    author: str
    description: str
    tags: Tuple[str, ...]
    references: Tuple[str, ...]
    falsepositives: Tuple[str, ...]
    logsource: str
    file: str
    line: int
    kind: str              # "detection" or "correlation"
    correlation_type: str  # "" for detections
    reported: bool         # False for a rule only referred to by correlations

    @classmethod
    def _of(cls, r: kvst_sigma_rule) -> "Rule":
        return cls(_text(r.id), _text(r.name), _text(r.title), _text(r.status),
                   _text(r.level), _text(r.author), _text(r.description),
                   _texts(r.tags, r.tag_count),
                   _texts(r.references, r.reference_count),
                   _texts(r.falsepositives, r.falsepositive_count),
                   _text(r.logsource), _text(r.file), int(r.line),
                   "correlation" if r.kind == CORRELATION else "detection",
                   _text(r.correlation_type), bool(r.reported))


class RuleError(NamedTuple):
    """A refused rule: where and why (kvst_sigma_error)."""
    file: str
    line: int
    column: int
    title: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.message}"


class Match(NamedTuple):
    """One match: the rule, where the event is, and what matched. For a
    correlation, window_count (events or distinct values in the window) and
    the window's eventTime bounds (ms) are set and fields holds the group-by
    values."""
    rule: Rule
    file: Optional[str]
    record: int
    line: int
    column: int
    event_id: Optional[str]
    event_name: Optional[str]
    event_time: Optional[str]
    fields: Dict[str, str]
    window_count: int
    window_start_ms: int
    window_end_ms: int


class RulesRefused(Error):
    """Raised by RuleSet(strict=True) when some rule was refused; errors
    lists them."""

    def __init__(self, errors: Sequence[RuleError]) -> None:
        self.errors = list(errors)
        super().__init__(_ffi.KVST_E_SYNTAX,
                         "; ".join(str(e) for e in self.errors[:5]))


RulePath = Union[str, "os.PathLike[str]"]


class RuleSet:
    """Sigma rules compiled once (libkvstrail-sigma), immutable, shareable
    between threads.

    paths: rule files or folders (folders: every *.yml / *.yaml, in name
    order). texts: (label, YAML text) pairs. placeholders: {name: [values]}
    for |expand. A refused rule is listed in .errors (strict=True raises
    RulesRefused instead); rules of other logsources are in .skipped.
    """

    def __init__(self, paths: Iterable[RulePath] = (),
                 texts: Iterable[Tuple[str, str]] = (),
                 placeholders: Optional[Dict[str, Sequence[str]]] = None,
                 strict: bool = False) -> None:
        self._rs: Optional[int] = None
        b = c_void_p()
        status = _lib.kvst_sigma_builder_new(None, byref(b))
        if status:
            raise from_status(status)
        try:
            for name, values in (placeholders or {}).items():
                for v in values:
                    status = _lib.kvst_sigma_builder_placeholder(
                        b, name.encode("utf-8"), v.encode("utf-8"))
                    if status:
                        raise from_status(status)
            for p in paths:
                status = _lib.kvst_sigma_builder_add_path(b, os.fsencode(p))
                if status == _ffi.KVST_E_NOMEM:
                    raise from_status(status)
            for label, text in texts:
                data = text.encode("utf-8")
                status = _lib.kvst_sigma_builder_add_text(
                    b, label.encode("utf-8"), data, len(data))
                if status == _ffi.KVST_E_NOMEM:
                    raise from_status(status)
            rs = c_void_p()
            status = _lib.kvst_sigma_builder_build(b, byref(rs))
            if status == _ffi.KVST_E_NOMEM:
                raise from_status(status)
            self._rs = rs.value
            self.errors: List[RuleError] = []
            for i in range(_lib.kvst_sigma_builder_error_count(b)):
                e = _lib.kvst_sigma_builder_error(b, i).contents
                self.errors.append(RuleError(_text(e.file), int(e.line),
                                             int(e.column), _text(e.title),
                                             _text(e.message)))
            self.skipped: List[Rule] = [
                Rule._of(_lib.kvst_sigma_builder_skipped(b, i).contents)
                for i in range(_lib.kvst_sigma_builder_skipped_count(b))]
        finally:
            _lib.kvst_sigma_builder_free(b)
        n = _lib.kvst_sigma_ruleset_rule_count(self._rs)
        self._ptrs = [ctypes.addressof(_lib.kvst_sigma_ruleset_rule(self._rs, i).contents)
                      for i in range(n)]
        self.rules: List[Rule] = [
            Rule._of(_lib.kvst_sigma_ruleset_rule(self._rs, i).contents)
            for i in range(n)]
        self._by_ptr = dict(zip(self._ptrs, self.rules))
        if strict and self.errors:
            raise RulesRefused(self.errors)

    def __del__(self) -> None:
        self.close()

    def close(self) -> None:
        """Free the compiled rules (scans in progress must be finished)."""
        if getattr(self, "_rs", None):
            _lib.kvst_sigma_ruleset_free(self._rs)
            self._rs = None

    def __len__(self) -> int:
        return len(self.rules)

    def scan(self, source: Any, name: Any = None, kvs_only: bool = False,
             stats: Optional[Dict[str, int]] = None) -> Iterator[Match]:
        """Parse source (a path, bytes or a binary file, as kvstrail.parse
        takes) and yield every match, in input order. stats, when given, is
        filled with the state's counters at the end (events, matches,
        regex_errors, untimed, dropped, late...). Raises kvstrail.ParseError
        after the matches of the records before an error."""
        if self._rs is None:
            raise ValueError("the RuleSet is closed")
        flags = _ffi.KVST_FLAG_KEEP_RAW | (_ffi.KVST_FLAG_KVS_ONLY if kvs_only else 0)
        if isinstance(source, (str, os.PathLike)) and name is None:
            name = os.fspath(source)
        label = name if isinstance(name, str) else None
        st = c_void_p()
        status = _lib.kvst_sigma_state_new(self._rs, byref(st))
        if status:
            raise from_status(status)
        found: List[Match] = []

        def on_match(mp: Any, _payload: Any) -> int:
            found.append(self._match(mp.contents, label))
            return 0

        callback = _MATCH_FN(on_match)  # alive as long as the scan
        opts = _ffi.kvst_parser_options()
        lib.kvst_parser_options_init(byref(opts), sizeof(opts))
        opts.flags = flags
        p = _ffi._parser_p()
        status = lib.kvst_parser_new(byref(opts), byref(p))
        if status:
            _lib.kvst_sigma_state_free(st)
            raise from_status(status)
        evp = _ffi._event_p()
        f = None
        try:
            if isinstance(source, (str, os.PathLike)):
                fh = open(source, "rb")
                f = fh
                chunks: Iterator[bytes] = iter(lambda: fh.read(1 << 16), b"")
            elif isinstance(source, (bytes, bytearray, memoryview)):
                data = bytes(source)
                chunks = iter([data[i:i + (1 << 16)]
                               for i in range(0, len(data), 1 << 16)])
            else:
                chunks = iter(lambda: bytes(source.read(1 << 16)), b"")
            while True:
                chunk = next(chunks, None)
                status = (lib.kvst_parser_finish(p) if chunk is None
                          else lib.kvst_parser_feed(p, chunk, len(chunk)))
                while True:
                    got = lib.kvst_parser_next(p, byref(evp))
                    if got != 1:
                        break
                    rc = _lib.kvst_sigma_match(st, evp, callback, None)
                    if rc < 0:
                        raise from_status(rc)
                    yield from found
                    found.clear()
                if got < 0:
                    raise from_parser(p, got, label)
                if status < 0:
                    raise from_parser(p, status, label)
                if chunk is None:
                    break
            if stats is not None:
                s = kvst_sigma_stats()
                s.struct_size = sizeof(s)
                _lib.kvst_sigma_state_stats(st, byref(s))
                stats.update({n: int(getattr(s, n)) for n, _ in s._fields_[1:]})
        finally:
            if f is not None:
                f.close()
            lib.kvst_parser_free(p)
            _lib.kvst_sigma_state_free(st)

    def _match(self, m: kvst_sigma_result, label: Optional[str]) -> Match:
        rule = self._by_ptr[ctypes.addressof(m.rule.contents)]
        ev = m.event.contents
        fields: Dict[str, str] = {}
        for i in range(m.field_count):
            fields.setdefault(_text(m.fields[i].name), _text(m.fields[i].value))
        return Match(rule, label, int(ev.record_index), int(ev.line),
                     int(ev.column), str_text(ev.event_id), str_text(ev.event_name),
                     str_text(ev.event_time), fields, int(m.count),
                     int(m.window_start_ms), int(m.window_end_ms))

