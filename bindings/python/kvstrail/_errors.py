"""Exceptions: one class per kind of failure, all under kvstrail.Error."""

from __future__ import annotations

from typing import Dict, Optional, Type

from . import _ffi
from ._ffi import lib, str_text


class Error(Exception):
    """Base of every exception kvstrail raises.

    code is the library's negative status (KVST_E_*), status its name
    ("KVST_E_SYNTAX"), message what went wrong.
    """

    def __init__(self, code: int, message: Optional[str] = None) -> None:
        self.code = code
        self.status = _ffi.status_name(code)
        self.message = message if message else _ffi.strerror(code)
        super().__init__(f"{self.message} [{self.status}]")


class ParseError(Error):
    """The input could not be parsed: where and why.

    offset is the absolute byte offset over all input (of the inflated
    stream for gzip), line and column are 1-based (column in bytes), record
    the 0-based index of the record being read, pointer a JSON pointer within
    it ("" when none), excerpt the line around the error with a caret, file
    the source's name as events print it.
    """

    def __init__(self, code: int, message: Optional[str] = None, *,
                 offset: int = 0, line: int = 0, column: int = 0,
                 record: int = 0, pointer: str = "", excerpt: str = "",
                 file: Optional[str] = None) -> None:
        self.offset = offset
        self.line = line
        self.column = column
        self.record = record
        self.pointer = pointer
        self.excerpt = excerpt
        self.file = file
        super().__init__(code, message)

    def __str__(self) -> str:
        # Compiler style, like the CLI's error lines.
        where = f"{self.file if self.file is not None else '<input>'}:{self.line}:{self.column}"
        return f"{where}: {self.message} [{self.status}]"


class EncodingError(ParseError):
    """Invalid UTF-8 in a string (KVST_E_ENCODING)."""


class TruncatedError(ParseError):
    """Input ended inside a value or a gzip member (KVST_E_TRUNCATED)."""


class LimitError(ParseError):
    """A configured limit was exceeded (KVST_E_LIMIT)."""


class GzipError(ParseError):
    """Corrupt gzip data (KVST_E_GZIP)."""


class NotCloudTrailError(ParseError):
    """Valid JSON that is not a CloudTrail log, e.g. a digest file
    (KVST_E_NOT_CLOUDTRAIL)."""


class OutOfMemoryError(Error, MemoryError):
    """An allocation inside the library failed (KVST_E_NOMEM)."""


class InvalidArgumentError(Error, ValueError):
    """The library refused an argument or option (KVST_E_INVAL)."""


class AbiError(Error):
    """The library did not understand a struct's size (KVST_E_ABI)."""


_CLASSES: Dict[int, Type[Error]] = {
    _ffi.KVST_E_SYNTAX: ParseError,
    _ffi.KVST_E_ENCODING: EncodingError,
    _ffi.KVST_E_TRUNCATED: TruncatedError,
    _ffi.KVST_E_LIMIT: LimitError,
    _ffi.KVST_E_GZIP: GzipError,
    _ffi.KVST_E_NOT_CLOUDTRAIL: NotCloudTrailError,
    _ffi.KVST_E_NOMEM: OutOfMemoryError,
    _ffi.KVST_E_INVAL: InvalidArgumentError,
    _ffi.KVST_E_ABI: AbiError,
}


def error_class(code: int) -> Type[Error]:
    return _CLASSES.get(code, Error)


def from_status(code: int, message: Optional[str] = None) -> Error:
    """An exception for a bare status (no parser detail at hand)."""
    cls = error_class(code)
    return cls(code, message)


def from_parser(p: "_ffi.ParserPointer", code: int, file: Optional[str]) -> Error:
    """An exception carrying the parser's kvst_error detail (copied now:
    the struct is only valid until the next call on the parser)."""
    e = lib.kvst_parser_error(p).contents
    if e.code != 0:
        code = e.code
    cls = error_class(code)
    message = str_text(e.message)
    if not issubclass(cls, ParseError):
        return cls(code, message)
    return cls(code, message, offset=e.offset, line=e.line, column=e.column,
               record=e.record_index, pointer=str_text(e.pointer) or "",
               excerpt=str_text(e.excerpt) or "", file=file)
