"""parse(): the pull iterator of libkvstrail as a Python iterator."""

from __future__ import annotations

import json
import os
from ctypes import byref, c_uint64, create_string_buffer, sizeof, string_at
from typing import Any, BinaryIO, Dict, Iterator, Optional, Sequence, Union

from . import _ffi
from ._errors import from_parser, from_status
from ._event import BrokenRecord, Digest, Event
from ._ffi import kvst_parser_options, kvst_value, lib, str_bytes

#: Bytes read from a file and fed to the parser per call.
CHUNK_BYTES = 64 * 1024

#: Pass as a limit to turn it off.
UNLIMITED = _ffi.KVST_UNLIMITED

#: The limits parse() accepts as keywords (0 or None: the library default).
LIMITS = ("max_depth", "max_string_bytes", "max_record_bytes",
          "max_inflate_ratio")

Source = Union[str, "os.PathLike[str]", "os.PathLike[bytes]", bytes,
               bytearray, memoryview, BinaryIO]

# parse(name=...) not given: the path as given, else "-" as the CLI prints
# for stdin. A sentinel, because name=None (JSON null) is a valid choice.
_DEFAULT_NAME: Any = object()

_feed = lib.kvst_parser_feed
_next = lib.kvst_parser_next
_to_json = lib.kvst_event_to_json
_lookup = lib.kvst_event_lookup
_digest_of = lib.kvst_event_digest


def _options(flags: int, limits: Dict[str, Optional[int]]) -> kvst_parser_options:
    opts = kvst_parser_options()
    status = lib.kvst_parser_options_init(byref(opts), sizeof(opts))
    if status:
        raise from_status(status)
    opts.flags = flags
    for key, value in limits.items():
        if key not in LIMITS:
            raise TypeError(f"parse() got an unexpected keyword argument {key!r}"
                            f" (limits are {', '.join(LIMITS)})")
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) \
                or not 0 <= value <= UNLIMITED:
            raise ValueError(f"{key} must be an int in 0..UNLIMITED, not {value!r}")
        setattr(opts, key, value)
    return opts


def _value(v: kvst_value) -> Any:
    """A looked-up value as Python (objects and arrays come as JSON text)."""
    text = string_at(v.text.ptr, v.text.len) if v.text.ptr else b""
    t = v.json_type
    if t == _ffi.KVST_JSON_STRING:
        return text.decode("utf-8", "surrogateescape")
    if t == _ffi.KVST_JSON_BOOLEAN:
        return text == b"true"
    if t == _ffi.KVST_JSON_INTEGER:
        return int(text)
    if t == _ffi.KVST_JSON_DOUBLE:
        return float(text)
    if t in (_ffi.KVST_JSON_OBJECT, _ffi.KVST_JSON_ARRAY):
        return json.loads(text)
    return None


class EventStream:
    """The iterator parse() returns: Event objects (and BrokenRecord ones in
    recovery mode) in input order.

    Also a context manager: leaving the `with` block (or calling close())
    frees the parser and closes a file parse() opened, even in the middle
    of the input. The parser is freed as well when the iteration ends, on
    an error, and when the stream is garbage-collected.
    """

    def __init__(self, source: Source, flags: int,
                 limits: Dict[str, Optional[int]], name: Any,
                 fields: Sequence[str]) -> None:
        self._p: Optional[_ffi.ParserPointer] = None
        self._final_stats = {"records": 0, "bytes_in": 0, "bytes_json": 0}
        self._file: Optional[BinaryIO] = None
        self._owns_file = False
        opts = _options(flags, limits)
        self._keep_raw = bool(flags & _ffi.KVST_FLAG_KEEP_RAW)
        self._fields = [(f, f.encode("utf-8")) for f in fields]

        if isinstance(source, (str, os.PathLike)):
            path = os.fspath(source)
            label = path if isinstance(path, str) else os.fsdecode(path)
            self._file = open(path, "rb", buffering=0)
            self._owns_file = True
            self._data: Optional[memoryview] = None
        elif isinstance(source, (bytes, bytearray, memoryview)):
            label = "-"
            self._data = memoryview(source).cast("B")
        elif hasattr(source, "read"):
            label = "-"
            self._file = source
            self._data = None
        else:
            raise TypeError("parse() needs a path, bytes or a binary file "
                            f"object, not {type(source).__name__}")
        if name is not _DEFAULT_NAME:
            label = name
        self.name: Optional[str] = label
        self._name_b = None if label is None else os.fsencode(label)

        p = _ffi._parser_p()
        status = lib.kvst_parser_new(byref(opts), byref(p))
        if status:
            self._close_file()
            raise from_status(status)
        self._p = p
        self._gen = self._run()

    def _chunks(self) -> Iterator[bytes]:
        if self._data is not None:
            data = self._data
            for start in range(0, len(data), CHUNK_BYTES):
                yield bytes(data[start:start + CHUNK_BYTES])
            return
        f = self._file
        assert f is not None
        while True:
            chunk = f.read(CHUNK_BYTES)
            if not chunk:
                return
            if not isinstance(chunk, (bytes, bytearray)):
                raise TypeError("parse() needs a binary file object "
                                "(open the file with 'rb')")
            yield chunk if type(chunk) is bytes else bytes(chunk)

    def _run(self) -> Iterator[Union[Event, BrokenRecord, Digest]]:
        p = self._p
        if p is None:  # set by __init__; close() closes this generator first
            return
        evp = _ffi._event_p()
        cap = 16 * 1024
        buf = create_string_buffer(cap)
        name_b = self._name_b
        keep_raw = self._keep_raw
        fields = self._fields
        value = kvst_value()
        try:
            chunks = self._chunks()
            while True:
                chunk = next(chunks, None)
                if chunk is None:
                    status = lib.kvst_parser_finish(p)
                else:
                    status = _feed(p, chunk, len(chunk))
                # The events completed before an error come first.
                while True:
                    got = _next(p, byref(evp))
                    if got != 1:
                        break
                    n = _to_json(evp, name_b, buf, cap)
                    if n >= cap:
                        cap = max(n + 1, 2 * cap)
                        buf = create_string_buffer(cap)
                        _to_json(evp, name_b, buf, cap)
                    text = string_at(buf, n)
                    ev = evp.contents
                    if ev.status < 0:
                        err = ev.error
                        yield BrokenRecord(text, ev.status,
                                           str_bytes(err.contents.record_text)
                                           if err else None)
                        continue
                    if _digest_of(evp):
                        yield Digest(text)
                        continue
                    raw = None
                    if keep_raw and ev.raw.ptr:
                        raw = string_at(ev.raw.ptr, ev.raw.len)
                    found = {}
                    for key, key_b in fields:
                        if _lookup(evp, key_b, byref(value)) == 0:
                            found[key] = _value(value)
                    yield Event(text,
                                ev.event_time_ms if ev.event_time_valid else None,
                                raw, found)
                if got < 0:
                    raise from_parser(p, got, self.name)
                if status < 0:
                    raise from_parser(p, status, self.name)
                if chunk is None:
                    return
        finally:
            self._free()

    def __iter__(self) -> "EventStream":
        return self

    def __next__(self) -> Union[Event, BrokenRecord, Digest]:
        return next(self._gen)

    def stats(self) -> Dict[str, int]:
        """Records read so far (delivered, left out by kvs_only, or broken),
        input bytes consumed and JSON bytes (inflated) parsed, from
        kvst_parser_stats(); once the parser is freed, the figures it had
        then."""
        if self._p is None:
            return dict(self._final_stats)
        records, bytes_in, bytes_json = (c_uint64() for _ in range(3))
        lib.kvst_parser_stats(self._p, byref(records), byref(bytes_in),
                              byref(bytes_json))
        return {"records": records.value, "bytes_in": bytes_in.value,
                "bytes_json": bytes_json.value}

    def _close_file(self) -> None:
        if self._owns_file and self._file is not None:
            self._file.close()
        self._file = None
        self._data = None  # lets a caller's bytearray be resized again

    def _free(self) -> None:
        if self._p is not None:
            self._final_stats = self.stats()
            lib.kvst_parser_free(self._p)
            self._p = None
        self._close_file()

    def close(self) -> None:
        """Stop early: free the parser (idempotent)."""
        gen = getattr(self, "_gen", None)
        if gen is not None:
            gen.close()
        self._free()

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


def parse(source: Source, *, kvs_only: bool = False, recover: bool = False,
          keep_raw: bool = False, validate: bool = True,
          single_thread: bool = False, digests: bool = False,
          fields: Sequence[str] = (), name: Any = _DEFAULT_NAME,
          **limits: Optional[int]) -> EventStream:
    """Parse a CloudTrail log and iterate over its events.

    source: a path (str or os.PathLike), bytes, or a binary file object
    (read in 64 KiB chunks). Plain or gzip, detected by the library; any
    CloudTrail shape (log file, single event, array, JSON Lines,
    EventBridge).

    kvs_only: deliver KVS records only. recover: go on after a broken
    record, yielding a BrokenRecord for it. keep_raw: fill Event.raw with
    the record's exact bytes. validate=False: skip the validators (findings
    empty). single_thread: inflate gzip on the iterating thread (by default
    the library may inflate on a second thread when two CPUs are usable).
    digests: yield a CloudTrail digest file as a Digest (since 1.1) instead
    of raising NotCloudTrailError.
    fields: JSON pointers ("/tlsDetails/tlsVersion") to look up in
    every record; the values found land in Event.fields. name: the "file"
    member of each event (default: the path as given; "-" for bytes and
    file objects, as the CLI prints for stdin).

    limits: max_depth, max_string_bytes, max_record_bytes,
    max_inflate_ratio (None or 0: the library's default; UNLIMITED: off).
    A breach raises LimitError.

    Errors: options the library refuses raise InvalidArgumentError now;
    parse errors are raised by the iteration after every event completed
    before them has been yielded.
    """
    flags = 0
    if kvs_only:
        flags |= _ffi.KVST_FLAG_KVS_ONLY
    if keep_raw:
        flags |= _ffi.KVST_FLAG_KEEP_RAW
    if recover:
        flags |= _ffi.KVST_FLAG_RECOVER
    if not validate:
        flags |= _ffi.KVST_FLAG_NO_VALIDATE
    if single_thread:
        flags |= _ffi.KVST_FLAG_SINGLE_THREAD
    if digests:
        flags |= _ffi.KVST_FLAG_DIGESTS
    return EventStream(source, flags, limits, name, fields)


