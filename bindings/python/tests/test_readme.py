"""bindings/python/README.md is the API reference: it names everything the
package exports, every declared attribute of its classes, every member of
the small enums and every validator."""

import pathlib
import re

import kvstrail
from kvstrail import validate

README = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text()
NAMED = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)", README)) | \
    set(re.findall(r"\b([A-Za-z_][A-Za-z0-9_]*)\b", README))


def public(names):
    return {n for n in names if not n.startswith("_")}


def missing(names):
    """Names the README does not mention: document each one there (the
    reference of bindings/python/README.md)."""
    return sorted(n for n in names if n not in NAMED)


def test_every_export_is_documented():
    assert missing(kvstrail.__all__) == []


def test_every_attribute_is_documented():
    classes = [kvstrail.Event, kvstrail.Identity, kvstrail.BrokenRecord,
               kvstrail.EventStream, kvstrail.Digest]
    for cls in classes:
        names = public(vars(cls)) | public(getattr(cls, "__slots__", ()))
        names |= public(getattr(cls, "__annotations__", {}))
        assert missing(names) == [], cls.__name__
    for tup in (kvstrail.Finding, kvstrail.FindingInfo, kvstrail.DigestLogFile,
                validate.Arn):
        assert missing(tup._fields) == [], tup.__name__


def test_every_validator_is_documented():
    funcs = [n for n in dir(validate) if not n.startswith("_")
             and callable(getattr(validate, n))
             and getattr(getattr(validate, n), "__module__", "") == validate.__name__]
    assert funcs and missing(funcs) == []


def test_small_enums_are_listed_whole():
    # Action and FindingCode are too long to list; their rule is given.
    for enum in (kvstrail.Access, kvstrail.Credential, kvstrail.Severity):
        assert missing(m.name for m in enum) == [], enum.__name__
