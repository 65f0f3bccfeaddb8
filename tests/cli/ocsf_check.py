"""An OCSF event checker written from the schema's own source files.

It does not use the OCSF server or its compiled schema: it reads the
folder of one release (dictionary.json, categories.json, objects/,
events/, profiles/) the way its SOURCES.md describes, resolves `extends`
and `$include` itself, and checks one event (a parsed JSON object):

  class      class_uid names a class; category_uid is its category;
             type_uid is class_uid * 100 + activity_id
  required   every attribute the class or an object requires is there
             (a profile's attributes only when metadata.profiles names
             the profile), and each `at_least_one` / `just_one`
             constraint holds
  defined    every attribute is defined for its class or object
  profile    an attribute of a profile is used only with that profile
  type       strings, integers (timestamps too), floats, booleans,
             objects (checked recursively), arrays (is_array) of them;
             a type's regex, max_len and range
  enum       an enum attribute has one of its defined values
  deprecated no attribute, object or enum value marked @deprecated
  null       no null anywhere

check_event() returns a list of (rule, path, text); empty means valid.
Run as a program: ocsf_check.py SCHEMA_DIR [FILE...] (JSON Lines, "-" or
none for stdin); prints each breach and exits 1 if there was one.
"""
import json
import pathlib
import re
import sys

# The enums of these the OCSF server makes from the classes and
# categories; the "class" rule checks them here.
GENERATED_ENUMS = {"class_uid", "category_uid", "type_uid"}

PRIMITIVES = {"string_t", "integer_t", "long_t", "float_t", "boolean_t",
              "json_t"}


def _load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class Schema:
    def __init__(self, root):
        self.root = pathlib.Path(root)
        self.dictionary = _load(self.root / "dictionary.json")["attributes"]
        self.types = _load(self.root / "dictionary.json")["types"]["attributes"]
        self.categories = {name: c["uid"] for name, c in
                           _load(self.root / "categories.json")["attributes"].items()}
        self.objects = {}
        for p in sorted((self.root / "objects").glob("*.json")):
            o = _load(p)
            self.objects[o["name"]] = o
        self.events = {}
        for p in sorted((self.root / "events").rglob("*.json")):
            e = _load(p)
            self.events[e["name"]] = e
        self.profiles = {}
        self.classes = {}
        for name in self.events:
            uid = self.class_uid(name)
            if uid is not None:
                self.classes[uid] = name
        self._resolved = {}

    def profile(self, rel):
        if rel not in self.profiles:
            self.profiles[rel] = _load(self.root / rel)
        return self.profiles[rel]

    def class_uid(self, name):
        """category uid * 1000 + the class's uid; base_event is 0."""
        e = self.events[name]
        if name == "base_event":
            return 0
        if "uid" not in e:
            return None
        cat = self.category_of(name)
        return None if cat is None else cat * 1000 + e["uid"]

    def category_of(self, name):
        while name is not None:
            e = self.events[name]
            if e.get("category") in self.categories:
                return self.categories[e["category"]]
            if e.get("category") == "other":
                return 0
            name = e.get("extends")
        return None

    @staticmethod
    def _own_attributes(defn, profile_of):
        """The attributes a definition writes itself, with its includes;
        each {name: (fields, profile)}."""
        out = {}
        attrs = defn.get("attributes", {})
        for rel in attrs.get("$include", []):
            prof = profile_of(rel)
            for name, fields in prof.get("attributes", {}).items():
                out[name] = (dict(fields), prof["name"])
        for name, fields in attrs.items():
            if name == "$include":
                continue
            prev, prof = out.get(name, ({}, None))
            merged = dict(prev)
            merged.update({k: v for k, v in fields.items() if k != "enum"})
            if "enum" in prev or "enum" in fields:
                merged["enum"] = {**prev.get("enum", {}), **fields.get("enum", {})}
            if "profile" in fields:
                prof = fields["profile"]
            out[name] = (merged, prof)
        return out

    def resolve(self, kind, name):
        """{attribute: (definition, profile)} and the constraints of an
        object or class, after extends (child over parent) and with the
        dictionary's definition underneath."""
        key = (kind, name)
        if key in self._resolved:
            return self._resolved[key]
        table = self.objects if kind == "object" else self.events
        chain = []
        n = name
        while n is not None and n in table:
            chain.append(table[n])
            n = table[n].get("extends")
        attrs, constraints = {}, {}
        for defn in reversed(chain):
            for a, (fields, prof) in self._own_attributes(defn, self.profile).items():
                prev, _ = attrs.get(a, ({}, None))
                merged = dict(prev)
                merged.update({k: v for k, v in fields.items() if k != "enum"})
                if "enum" in prev or "enum" in fields:
                    merged["enum"] = {**prev.get("enum", {}),
                                      **fields.get("enum", {})}
                attrs[a] = (merged, prof)
            if "constraints" in defn:
                constraints = defn["constraints"]
        full = {}
        for a, (fields, prof) in attrs.items():
            d = dict(self.dictionary.get(a, {}))
            enum = {**d.get("enum", {}), **fields.get("enum", {})}
            d.update(fields)
            if enum:
                d["enum"] = enum
            full[a] = (d, prof)
        deprecated = any("@deprecated" in c for c in chain)
        self._resolved[key] = (full, constraints, deprecated)
        return self._resolved[key]

    def base_type(self, t):
        """(primitive, [type definitions from t down])."""
        seen = []
        while t not in PRIMITIVES and t in self.types:
            seen.append(self.types[t])
            t = self.types[t].get("type")
        return t, seen


def _kind(v):
    return type(v).__name__


def check_event(schema, event):
    errors = []

    def err(rule, path, text):
        errors.append((rule, path, text))

    def no_nulls(v, path):
        if v is None:
            err("null", path, "null value")
        elif isinstance(v, dict):
            for k, x in v.items():
                no_nulls(x, f"{path}.{k}")
        elif isinstance(v, list):
            for i, x in enumerate(v):
                no_nulls(x, f"{path}[{i}]")

    no_nulls(event, "$")
    if not isinstance(event, dict):
        err("type", "$", "an event is an object")
        return errors
    uid = event.get("class_uid")
    if not isinstance(uid, int) or isinstance(uid, bool) or uid not in schema.classes:
        err("class", "$.class_uid", f"no class has uid {uid!r}")
        return errors
    cls = schema.classes[uid]
    if event.get("category_uid") != schema.category_of(cls):
        err("class", "$.category_uid",
            f"{cls} is in category {schema.category_of(cls)}, "
            f"not {event.get('category_uid')!r}")
    act = event.get("activity_id")
    if isinstance(act, int) and event.get("type_uid") != uid * 100 + act:
        err("class", "$.type_uid",
            f"type_uid {event.get('type_uid')!r} is not {uid * 100 + act}")
    meta = event.get("metadata")
    profiles = set(meta.get("profiles", [])) if isinstance(meta, dict) and \
        isinstance(meta.get("profiles", []), list) else set()
    profiles = {p for p in profiles if isinstance(p, str)}

    def check_value(defn, v, path):
        if v is None:
            return
        if defn.get("is_array"):
            if not isinstance(v, list):
                err("type", path, f"an array, not {_kind(v)}")
                return
            for i, x in enumerate(v):
                check_scalar(defn, x, f"{path}[{i}]")
        else:
            check_scalar(defn, v, path)

    def check_scalar(defn, v, path):
        if v is None:
            return
        t = defn.get("type")
        if t in schema.objects and t != "object":
            if not isinstance(v, dict):
                err("type", path, f"object {t}, not {_kind(v)}")
                return
            check_object("object", t, v, path)
            return
        if t == "object":
            if not isinstance(v, dict):
                err("type", path, f"an object, not {_kind(v)}")
            return
        base, chain = schema.base_type(t)
        ok = {
            "string_t": isinstance(v, str),
            "integer_t": isinstance(v, int) and not isinstance(v, bool),
            "long_t": isinstance(v, int) and not isinstance(v, bool),
            "float_t": isinstance(v, (int, float)) and not isinstance(v, bool),
            "boolean_t": isinstance(v, bool),
            "json_t": True,
        }.get(base)
        if ok is None:
            err("type", path, f"unknown type {t!r}")
            return
        if not ok:
            err("type", path, f"{t} ({base}), not {_kind(v)} {v!r}")
            return
        for td in chain:
            if "regex" in td and isinstance(v, str) and not re.search(td["regex"], v):
                err("type", path, f"{v!r} does not match the regex of {t}")
            if "max_len" in td and isinstance(v, str) and len(v) > td["max_len"]:
                err("type", path, f"longer than {td['max_len']} ({t})")
            if "range" in td and isinstance(v, int) and \
                    not td["range"][0] <= v <= td["range"][1]:
                err("type", path, f"{v} out of {t}'s range {td['range']}")
        enum = defn.get("enum")
        if enum:
            key = str(v).lower() if isinstance(v, bool) else str(v)
            if key not in enum:
                err("enum", path, f"{v!r} is not a value of its enum "
                                  f"({', '.join(sorted(enum, key=lambda k: (len(k), k)))})")
            elif "@deprecated" in enum[key]:
                err("deprecated", path, f"enum value {v!r} is deprecated")

    def check_object(kind, name, obj, path):
        attrs, constraints, deprecated = schema.resolve(kind, name)
        if deprecated:
            err("deprecated", path, f"object {name} is deprecated")
        for a, (defn, prof) in attrs.items():
            if defn.get("requirement") == "required" and \
                    (prof is None or prof in profiles) and a not in obj:
                err("required", f"{path}.{a}", f"{name} requires {a}")
        for a, v in obj.items():
            if a not in attrs:
                err("defined", f"{path}.{a}", f"{name} has no attribute {a}")
                continue
            defn, prof = attrs[a]
            if prof is not None and prof not in profiles:
                err("profile", f"{path}.{a}",
                    f"{a} is of profile {prof}, which metadata.profiles "
                    f"does not name")
            if "@deprecated" in defn:
                err("deprecated", f"{path}.{a}", f"{name}.{a} is deprecated")
            if kind == "event" and a in GENERATED_ENUMS:
                defn = {k: x for k, x in defn.items() if k != "enum"}
            check_value(defn, v, f"{path}.{a}")
        present = [a for a in constraints.get("at_least_one", []) if a in obj]
        if constraints.get("at_least_one") and not present:
            err("required", path, f"{name} needs one of "
                                  f"{', '.join(constraints['at_least_one'])}")
        one = [a for a in constraints.get("just_one", []) if a in obj]
        if constraints.get("just_one") and len(one) != 1:
            err("required", path, f"{name} needs exactly one of "
                                  f"{', '.join(constraints['just_one'])}")

    check_object("event", cls, event, "$")
    return errors


def main(argv):
    if len(argv) < 2:
        print("usage: ocsf_check.py SCHEMA_DIR [FILE...]", file=sys.stderr)
        return 64
    schema = Schema(argv[1])
    bad = 0
    for name in argv[2:] or ["-"]:
        f = sys.stdin if name == "-" else open(name, encoding="utf-8")
        for n, line in enumerate(f, 1):
            for rule, path, text in check_event(schema, json.loads(line)):
                print(f"{name}:{n}: {rule}: {path}: {text}")
                bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv))
