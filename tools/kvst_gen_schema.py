#!/usr/bin/python3
"""Generate kvstrail's KVS schema tables from the botocore KVS models.

    kvst_gen_schema.py --model service-2.json [--model OTHER.json ...] \
        --actions tools/kvs_actions.txt \
        --header include/kvstrail/kvs_model.h --source lib/kvs_schema.c [--check]

--model is given once per model, the control plane (kinesisvideo) first:
the data-plane models (kinesis-video-media, -archived-media, -signaling,
-webrtc-storage) and tools/kvs_unmodelled.json (the API actions with no SDK
model) add their operations and shapes. A shape of a later model that has
the name of an earlier one is shared when the two say the same (ignoring
documentation), and otherwise is named after its model (NextToken of
"Kinesis Video Archived Media" becomes KinesisVideoArchivedMediaNextToken).

Writes the public payload structs and action numbers (the header) and the
internal shape/member/operation tables (the source). With --check nothing is
written: the files are regenerated in memory and compared with the ones on
disk; a difference is printed as a unified diff and the exit status is 1.
With --check and a model file missing (a clone without the shared folder)
the exit status is 77, which meson test reports as a skip.

The output depends only on the model, the actions file and this script (no
dates, no absolute paths), so regenerating is a no-op unless one of them
changed. Standard library only. See docs/kvs-model.md.
"""

import argparse
import difflib
import hashlib
import json
import os
import re
import sys

GENERATOR = "tools/kvst_gen_schema.py"

# Model type -> KVST_TYPE_* of <kvstrail/common.h>.
MODEL_TYPES = {
    "string": "KVST_TYPE_STRING",
    "integer": "KVST_TYPE_INTEGER",
    "long": "KVST_TYPE_LONG",
    "boolean": "KVST_TYPE_BOOLEAN",
    "double": "KVST_TYPE_DOUBLE",
    "float": "KVST_TYPE_DOUBLE",
    "timestamp": "KVST_TYPE_TIMESTAMP",
    "structure": "KVST_TYPE_STRUCTURE",
    "list": "KVST_TYPE_LIST",
    "map": "KVST_TYPE_MAP",
}

# Every pattern string of the model -> enum kvst_pattern_id (lib/schema.h).
# Each class has a hand-written matcher in lib/validate.c, so a pattern that
# is not listed here must be decided on by a person: the generator refuses it.
PATTERNS = {
    "[a-zA-Z0-9_.-]+": "KVST_PAT_NAME",
    "^[a-z]+(-[a-z]+)?-[a-z]+-[0-9]$": "KVST_PAT_REGION",
    "^[a-zA-Z_0-9]+:(//)?([^/]+)/?([^*]*)$": "KVST_PAT_DESTINATION_URI",
    "^[a-zA-Z_0-9]+": "KVST_PAT_FORMAT_CONFIG",
    "arn:[a-z\\d-]+:iot:[a-z0-9-]+:[0-9]+:thing/[a-zA-Z0-9_.-]+":
        "KVST_PAT_IOT_THING_ARN",
    ".+": "KVST_PAT_ANY",
    "[\\w\\-\\.\\+]+/[\\w\\-\\.\\+]+(,[\\w\\-\\.\\+]+/[\\w\\-\\.\\+]+)*":
        "KVST_PAT_MEDIA_TYPE",
    "arn:[a-z\\d-]+:secretsmanager:[a-z0-9-]+:[0-9]+:secret:[a-zA-Z0-9_.-]+":
        "KVST_PAT_SECRET_ARN",
    "[a-zA-Z0-9+/=]*": "KVST_PAT_NEXT_TOKEN",
    "arn:[a-z\\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+":
        "KVST_PAT_RESOURCE_ARN",
    "[^\\n]{11,100}": "KVST_PAT_SCHEDULE",
    "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$": "KVST_PAT_TAG_KEY",
    "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*": "KVST_PAT_TAG_VALUE",
    "[a-zA-Z0-9]+": "KVST_PAT_VERSION",
    # the data-plane models
    "^[a-zA-Z0-9_\\.\\-]+$": "KVST_PAT_NAME",
    "^[a-zA-Z0-9_.-]+$": "KVST_PAT_NAME",
    "^[0-9]+$": "KVST_PAT_DIGITS",
    "[a-zA-Z0-9+/]+={0,2}": "KVST_PAT_BASE64",
    "[a-zA-Z0-9+/=]+": "KVST_PAT_BASE64_TEXT",
    "arn:aws:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+":
        "KVST_PAT_RESOURCE_ARN_AWS",
    "^arn:(aws[a-zA-Z-]*):kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/"
    "[a-zA-Z0-9_.-]+/[0-9]+$": "KVST_PAT_RESOURCE_ARN_AWS_ANY",
}

# Field names must be valid in C and in C++ (the header is used from both).
KEYWORDS = frozenset("""
    auto break case char const continue default do double else enum extern
    float for goto if inline int long register restrict return short signed
    sizeof static struct switch typedef union unsigned void volatile while
    _Bool _Complex _Imaginary bool true false
    alignas alignof and and_eq asm bitand bitor catch char16_t char32_t
    char8_t class compl concept consteval constexpr constinit const_cast
    co_await co_return co_yield decltype delete dynamic_cast explicit export
    friend mutable namespace new noexcept not not_eq nullptr operator or
    or_eq private protected public reinterpret_cast requires static_assert
    static_cast template this thread_local throw try typeid typename using
    virtual wchar_t xor xor_eq
    struct_size
""".split())


class GenError(Exception):
    """A problem with the model or the actions file, for the user to fix."""


def snake(name):
    """APIName -> api_name, StreamARN -> stream_arn, KmsKeyId -> kms_key_id."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def field_name(member):
    c = snake(member)
    if not re.match(r"^[a-z_][a-z0-9_]*$", c):
        raise GenError("member name %r does not give a C identifier" % member)
    return c + "_" if c in KEYWORDS else c


def json_name(member):
    """CloudTrail lower-cases the first letter only: APIName -> aPIName."""
    return member[:1].lower() + member[1:]


def upper_snake(name):
    return snake(name).upper()


def c_string(text):
    out = ['"']
    for ch in text.encode("utf-8"):
        if ch in (0x22, 0x5C):
            out.append("\\" + chr(ch))
        elif 0x20 <= ch < 0x7F and ch != 0x3F:
            out.append(chr(ch))
        else:
            # '?' too: no trigraphs in C89 mode.
            out.append("\\%03o" % ch)
    out.append('"')
    return "".join(out)


def comment_text(text):
    """Text that is safe inside /* */ under -std=c89 -Wall -Werror."""
    text = text.replace("*/", "*\\/").replace("/*", "/\\*")
    return text.replace("??", "?\\?")


class Action(str):
    """An operation name with the release that introduced its number."""

    def __new__(cls, name, since="1.0"):
        self = str.__new__(cls, name)
        self.since = since
        return self


def read_actions(path):
    """Lines "OperationName [SINCE]"; SINCE (default 1.0) is the release
    whose header first had the action."""
    names = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if (len(words) > 2 or not re.match(r"^[A-Z][A-Za-z0-9]*$", words[0])
                    or (len(words) == 2
                        and not re.match(r"^[0-9]+\.[0-9]+$", words[1]))):
                raise GenError("%s:%d: expected an operation name and an"
                               " optional release (\"TagResource 1.1\"), got %r"
                               % (path, lineno, line.strip()))
            if words[0] in names:
                raise GenError("%s:%d: %s is listed twice"
                               % (path, lineno, words[0]))
            names.append(Action(*words))
    return names


def as_int64(value, where):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GenError("%s: min/max %r is not a number" % (where, value))
    if isinstance(value, float):
        if value != int(value):
            raise GenError("%s: min/max %r is not a whole number; "
                           "kvst_shape keeps int64 bounds" % (where, value))
        value = int(value)
    if not -(2 ** 63) <= value < 2 ** 63:
        raise GenError("%s: min/max %r is outside int64" % (where, value))
    return value


def strip_docs(value):
    """A shape without its documentation, for comparing two models' shapes."""
    if isinstance(value, dict):
        return {k: strip_docs(v) for k, v in value.items()
                if k != "documentation"}
    if isinstance(value, list):
        return [strip_docs(v) for v in value]
    return value


def is_media_blob(shape):
    # A streaming blob is the video itself (GetMedia's Payload): CloudTrail
    # never logs it, so the member is left out of the payload struct.
    return shape.get("type") == "blob" and shape.get("streaming") is True


def merge_models(models):
    """One {"shapes", "operations"} from several botocore models (the first
    one's names kept). Each later model's shapes are taken children first,
    so a shape whose child was renamed is compared with its references
    rewritten; a renamed shape that says the same as one an earlier model
    renamed is shared too. Streaming blob members are dropped here."""
    shapes, ops, renamed_all = {}, {}, {}
    for where, model in models:
        own = model.get("shapes", {})
        prefix = re.sub(r"[^A-Za-z0-9]", "",
                        model.get("metadata", {}).get("serviceId", ""))
        renamed = {}

        def take(name, stack=()):
            if name in renamed:
                return renamed[name]
            if name in stack:
                raise GenError("%s: shape %s refers to itself" % (where, name))
            if name not in own:
                raise GenError("%s: shape %s is referenced but not defined"
                               % (where, name))
            s = strip_docs(own[name])
            if s.get("type") == "structure":
                members = {}
                for m, ref in s.get("members", {}).items():
                    if is_media_blob(own.get(ref["shape"], {})):
                        continue
                    ref = dict(ref)
                    ref["shape"] = take(ref["shape"], stack + (name,))
                    members[m] = ref
                s["members"] = members
                if "required" in s:
                    s["required"] = [r for r in s["required"] if r in members]
            for key in ("member", "key", "value"):
                if key in s:
                    s[key] = dict(s[key])
                    s[key]["shape"] = take(s[key]["shape"], stack + (name,))
            final = name
            if name in shapes and shapes[name] != s:
                # an earlier model's renamed copy that says the same
                same = [k for k, v in renamed_all.get(name, []) if v == s]
                final = same[0] if same else prefix + name
                if not prefix or (final in shapes and shapes[final] != s):
                    raise GenError("%s: shape %s differs from the one of an"
                                   " earlier model and cannot be renamed"
                                   % (where, name))
            shapes.setdefault(final, s)
            if final != name:
                renamed_all.setdefault(name, []).append((final, s))
            renamed[name] = final
            return final

        for op, body in model.get("operations", {}).items():
            if op in ops:
                raise GenError("%s: operation %s is in an earlier model too"
                               % (where, op))
            body = strip_docs(body)
            for key in ("input", "output"):
                if key in body:
                    body[key] = {"shape": take(body[key]["shape"])}
            ops[op] = body
    return {"shapes": shapes, "operations": ops}


class Model:
    def __init__(self, model, actions):
        self.shapes = model.get("shapes", {})
        self.ops = model.get("operations", {})
        missing = sorted(set(self.ops) - set(actions))
        unknown = [a for a in actions if a not in self.ops]
        if missing:
            raise GenError(
                "the model has operations that are not in the actions file: %s;"
                " append them to the actions file (never insert: the numbers"
                " are frozen)" % ", ".join(missing))
        if unknown:
            raise GenError(
                "the actions file names operations the model does not have: %s"
                % ", ".join(unknown))
        self.actions = actions
        self.reachable = self._reach()
        self.input_shapes = set()
        for op in actions:
            shape = self._io(op, "input")
            if shape:
                self.input_shapes.add(shape)
        self._check()

    def _io(self, op, key):
        ref = self.ops[op].get(key)
        if ref is None:
            return None
        name = ref["shape"]
        if self.shape(name)["type"] != "structure":
            raise GenError("%s %s %s is not a structure" % (op, key, name))
        return name

    def shape(self, name):
        try:
            return self.shapes[name]
        except KeyError:
            raise GenError("shape %s is referenced but not defined" % name)

    def children(self, name):
        s = self.shape(name)
        t = s.get("type")
        if t == "structure":
            return [m["shape"] for m in s.get("members", {}).values()]
        if t == "list":
            return [s["member"]["shape"]]
        if t == "map":
            return [s["key"]["shape"], s["value"]["shape"]]
        return []

    def _reach(self):
        """Shapes reachable from the operations, in first-reach (pre-)order:
        an action's input, its output, then what they contain. since_of
        gives each the release of the first action that reaches it."""
        seen, order = set(), []
        self.since_of = {}

        def visit(name, since):
            if name in seen:
                return
            seen.add(name)
            order.append(name)
            self.since_of[name] = since
            for child in self.children(name):
                visit(child, since)

        for op in self.actions:
            for key in ("input", "output"):
                shape = self._io(op, key)
                if shape:
                    visit(shape, getattr(op, "since", "1.0"))
        return order

    def _check(self):
        structs = {}
        for name in self.reachable:
            s = self.shape(name)
            t = s.get("type")
            if t not in MODEL_TYPES:
                raise GenError("shape %s has type %r, which kvst_value cannot "
                               "hold; extend KVST_TYPE_* first" % (name, t))
            if "pattern" in s and s["pattern"] not in PATTERNS:
                raise GenError(
                    "shape %s has a pattern this generator does not know: %r;"
                    " add a KVST_PAT_* class (lib/schema.h, lib/validate.c) and"
                    " map it in PATTERNS" % (name, s["pattern"]))
            if "pattern" in s and t != "string":
                raise GenError("shape %s: pattern on a %s" % (name, t))
            for key in ("min", "max"):
                if key in s:
                    as_int64(s[key], name)
            if t == "structure":
                cname = struct_name(name)
                if cname in structs:
                    raise GenError("shapes %s and %s both give %s"
                                   % (structs[cname], name, cname))
                structs[cname] = name
                fields = {}
                for member in s.get("members", {}):
                    f = field_name(member)
                    if f in fields:
                        raise GenError("%s: members %s and %s both give field"
                                       " %s" % (name, fields[f], member, f))
                    fields[f] = member
                for req in s.get("required", []):
                    if req not in s.get("members", {}):
                        raise GenError("%s requires %s, which is not a member"
                                       % (name, req))

    def stream_id_rule(self, name):
        s = self.shape(name)
        members = s.get("members", {})
        required = set(s.get("required", []))
        return int(name in self.input_shapes
                   and "StreamName" in members and "StreamARN" in members
                   and "StreamName" not in required
                   and "StreamARN" not in required)


def struct_name(shape):
    return "kvst_kvs_" + snake(shape)


def var(prefix, shape):
    return "%s_%s" % (prefix, snake(shape))


def bounds_text(s):
    lo, hi = s.get("min"), s.get("max")
    if lo is None and hi is None:
        return ""
    return " %s..%s" % ("" if lo is None else as_int64(lo, ""),
                        "" if hi is None else as_int64(hi, ""))


def describe(model, name):
    """The model type and constraints of a shape, for a header comment."""
    s = model.shape(name)
    t = s["type"]
    if t == "structure":
        return "structure -> %s via .object" % struct_name(name)
    if t == "list":
        item = s["member"]["shape"]
        text = "list%s of %s" % (bounds_text(s), brief(model, item))
        return text
    if t == "map":
        return "map%s %s -> %s" % (bounds_text(s), brief(model, s["key"]["shape"]),
                                   brief(model, s["value"]["shape"]))
    text = t + bounds_text(s)
    if "pattern" in s:
        text += " " + s["pattern"]
    if "enum" in s:
        text += " enum " + "|".join(s["enum"])
    return text


def brief(model, name):
    """How a list item or map key/value is named inside another comment."""
    s = model.shape(name)
    if s["type"] == "structure":
        return "%s (%s via .object)" % (name, struct_name(name))
    return "%s (%s)" % (name, describe(model, name))


def gen_header(model, source_note):
    out = []
    w = out.append
    w("/*")
    w(" * kvstrail: KVS actions and their typed payloads.")
    w(" *")
    w(" * GENERATED by %s; do not edit." % GENERATOR)
    w(" * From %s." % source_note)
    w(" * Regenerate with the command in docs/kvs-model.md.")
    w(" *")
    w(" * Part of the public API; include <kvstrail/kvstrail.h> rather than this")
    w(" * file. kvst_event.action is one of the KVST_ACTION_* numbers below")
    w(" * (frozen: new operations are only appended). kvst_event.request and")
    w(" * .response point to the operation's input and output struct (table")
    w(" * below). Each member is a kvst_value (<kvstrail/common.h>) named after")
    w(" * the model member in snake case; the comment gives the member's")
    w(" * CloudTrail JSON name, model type and constraints. A STRUCTURE member's")
    w(" * .object points to the struct named in its comment. Payload structs")
    w(" * are library-owned and may grow at their end (check struct_size).")
    w(" */")
    w("#ifndef KVSTRAIL_KVS_MODEL_H")
    w("#define KVSTRAIL_KVS_MODEL_H")
    w("")
    w("#include <kvstrail/common.h>")
    w("")
    w("#ifdef __cplusplus")
    w('extern "C" {')
    w("#endif")
    w("")
    w("/* KVS actions (kvst_event.action). Numbers frozen. */")
    width = max(len(upper_snake(a)) for a in model.actions) + len("KVST_ACTION_")
    w("#define %-*s %3du /* not a KVS call. Since 1.0 */"
      % (width, "KVST_ACTION_NONE", 0))
    for num, op in enumerate(model.actions, 1):
        macro = "KVST_ACTION_" + upper_snake(op)
        w("#define %-*s %3du /* %s. Since %s */"
          % (width, macro, num, op, getattr(op, "since", "1.0")))
    w("/* Number of action values in this version, KVST_ACTION_NONE included.")
    w(" * Grows when actions are appended. Since 1.0 */")
    w("#define KVST_ACTION__COUNT %du" % (len(model.actions) + 1))
    w("")
    w("/*")
    w(" * Payload structs of each action: request is what kvst_event.request")
    w(" * points to (requestParameters), response what kvst_event.response")
    w(" * points to (responseElements).")
    for op in model.actions:
        i, o = model._io(op, "input"), model._io(op, "output")
        w(" *")
        w(" *   %s" % op)
        w(" *       request:  %s" % (struct_name(i) if i else "(none)"))
        w(" *       response: %s" % (struct_name(o) if o else "(none)"))
    w(" */")
    for name in model.reachable:
        s = model.shape(name)
        if s["type"] != "structure":
            continue
        cname = struct_name(name)
        w("")
        w("/* %s. Since %s. */" % (name, model.since_of[name]))
        w("typedef struct %s {" % cname)
        w("    size_t struct_size;")
        required = set(s.get("required", []))
        for member, ref in s.get("members", {}).items():
            note = describe(model, ref["shape"])
            if member in required:
                note += ", required"
            w("    kvst_value %s; /* \"%s\": %s */"
              % (field_name(member), json_name(member), comment_text(note)))
        if name in model.input_shapes and model.stream_id_rule(name):
            w("    /* streamName or streamARN: the API needs one of them. */")
        w("} %s;" % cname)
    w("")
    w("/* The operation name of an action (\"CreateStream\"); NULL for")
    w(" * KVST_ACTION_NONE and unknown numbers. Static, thread-safe. Since 1.0. */")
    w("KVST_EXPORT const char *kvst_action_name(uint32_t action);")
    w("")
    w("/* The action of an operation name (CloudTrail's eventName, exact case,")
    w(" * name[0..len), need not be NUL-terminated); KVST_ACTION_NONE when it is")
    w(" * not a KVS operation. Thread-safe. Since 1.0. */")
    w("KVST_EXPORT uint32_t kvst_action_from_name(const char *name, size_t len);")
    w("")
    w("#ifdef __cplusplus")
    w("}")
    w("#endif")
    w("")
    w("#endif /* KVSTRAIL_KVS_MODEL_H */")
    return "\n".join(out) + "\n"


def shape_order(model):
    """Reachable shapes in post-order, so that every static table refers only
    to tables defined above it. Cycles (none in the 2017-09-30 model) get a
    tentative definition first."""
    done, active, order, forward = set(), set(), [], []

    def visit(name):
        if name in done:
            return
        if name in active:
            if name not in forward:
                forward.append(name)
            return
        active.add(name)
        for child in model.children(name):
            visit(child)
        active.discard(name)
        done.add(name)
        order.append(name)

    for name in model.reachable:
        visit(name)
    return order, forward


def gen_source(model, source_note):
    out = []
    w = out.append
    w("/*")
    w(" * The KVS schema tables: one kvst_shape per shape of the model reachable")
    w(" * from an operation, the members of each structure, and the operations")
    w(" * indexed by KVST_ACTION_*.")
    w(" *")
    w(" * GENERATED by %s; do not edit." % GENERATOR)
    w(" * From %s." % source_note)
    w(" * Regenerate with the command in docs/kvs-model.md.")
    w(" */")
    w("#include <stddef.h>")
    w("#include <string.h>")
    w("")
    w('#include "schema.h"')
    order, forward = shape_order(model)
    if forward:
        w("")
        for name in forward:
            w("static const kvst_shape %s;" % var("s", name))
    for name in order:
        s = model.shape(name)
        t = s["type"]
        w("")
        if "enum" in s:
            w("static const char *const %s[] = {" % var("e", name))
            for value in s["enum"]:
                w("    %s," % c_string(value))
            w("};")
        members = s.get("members", {})
        if t == "structure" and members:
            cname = struct_name(name)
            required = set(s.get("required", []))
            w("static const kvst_member_def %s[] = {" % var("m", name))
            for member, ref in members.items():
                jn = json_name(member)
                fn = field_name(member)
                w("    {%s, %s, %du, %du," % (c_string(jn), c_string(fn),
                                              len(jn.encode("utf-8")),
                                              int(member in required)))
                w("     (uint32_t)offsetof(%s, %s), &%s}," % (cname, fn,
                                                              var("s", ref["shape"])))
            w("};")
        fields = []
        fields.append(".name = %s" % c_string(name))
        fields.append(".type = %s" % MODEL_TYPES[t])
        if t == "structure":
            fields.append(".struct_size = (uint32_t)sizeof(%s)" % struct_name(name))
        if "min" in s:
            fields.append(".has_min = 1, .min = %d" % as_int64(s["min"], name))
        if "max" in s:
            fields.append(".has_max = 1, .max = %d" % as_int64(s["max"], name))
        if "pattern" in s:
            fields.append(".pattern = %s" % PATTERNS[s["pattern"]])
        if "enum" in s:
            fields.append(".enum_count = %du, .enum_values = %s"
                          % (len(s["enum"]), var("e", name)))
        if members:
            fields.append(".member_count = %du, .members = %s"
                          % (len(members), var("m", name)))
        if t == "list":
            fields.append(".item = &%s" % var("s", s["member"]["shape"]))
        if t == "map":
            fields.append(".item = &%s" % var("s", s["value"]["shape"]))
            fields.append(".key = &%s" % var("s", s["key"]["shape"]))
        if t == "structure" and model.stream_id_rule(name):
            fields.append(".stream_id_rule = 1")
        w("static const kvst_shape %s = {" % var("s", name))
        for f in fields:
            w("    %s," % f)
        w("};")
    w("")
    w("const kvst_operation_def kvst__operations[KVST_ACTION__COUNT] = {")
    w("    {NULL, 0, KVST_ACTION_NONE, NULL, NULL},")
    for op in model.actions:
        i, o = model._io(op, "input"), model._io(op, "output")
        w("    {%s, %du, KVST_ACTION_%s," % (c_string(op), len(op), upper_snake(op)))
        w("     %s, %s}," % ("&" + var("s", i) if i else "NULL",
                             "&" + var("s", o) if o else "NULL"))
    w("};")
    w("")
    w("const uint32_t kvst__operation_count = KVST_ACTION__COUNT;")
    w("")
    # Names grouped by length: the switch rejects most non-KVS eventNames
    # without comparing a byte.
    by_len = {}
    for num, op in enumerate(model.actions, 1):
        by_len.setdefault(len(op), []).append((op, num))
    w("const kvst_operation_def *kvst__operation_find(const char *name, size_t len)")
    w("{")
    w("    uint32_t action = KVST_ACTION_NONE;")
    w("")
    w("    if (name == NULL)")
    w("        return NULL;")
    w("    switch (len) {")
    for length in sorted(by_len):
        w("    case %d:" % length)
        for k, (op, num) in enumerate(sorted(by_len[length])):
            w("        %sif (memcmp(name, %s, %d) == 0)"
              % ("else " if k else "", c_string(op), length))
            w("            action = KVST_ACTION_%s;" % upper_snake(op))
        w("        break;")
    w("    default:")
    w("        break;")
    w("    }")
    w("    return action == KVST_ACTION_NONE ? NULL : &kvst__operations[action];")
    w("}")
    w("")
    w("const kvst_member_def *kvst__member_find(const kvst_shape *shape,")
    w("                                         const char *name, size_t len)")
    w("{")
    w("    uint32_t i;")
    w("")
    w("    /* Structures have at most a dozen members: a scan beats a hash. */")
    w("    if (shape == NULL || shape->type != KVST_TYPE_STRUCTURE || name == NULL)")
    w("        return NULL;")
    w("    for (i = 0; i < shape->member_count; i++) {")
    w("        const kvst_member_def *m = &shape->members[i];")
    w("        if (m->json_name_len == len && memcmp(m->json_name, name, len) == 0)")
    w("            return m;")
    w("    }")
    w("    return NULL;")
    w("}")
    w("")
    w("KVST_EXPORT const char *kvst_action_name(uint32_t action)")
    w("{")
    w("    if (action == KVST_ACTION_NONE || action >= KVST_ACTION__COUNT)")
    w("        return NULL;")
    w("    return kvst__operations[action].name;")
    w("}")
    w("")
    w("KVST_EXPORT uint32_t kvst_action_from_name(const char *name, size_t len)")
    w("{")
    w("    const kvst_operation_def *op = kvst__operation_find(name, len);")
    w("")
    w("    return op == NULL ? KVST_ACTION_NONE : op->action;")
    w("}")
    return "\n".join(out) + "\n"


def generate(model_paths, actions_path):
    models, notes = [], []
    for path in model_paths:
        with open(path, "rb") as f:
            raw = f.read()
        try:
            data = json.loads(raw.decode("utf-8"))
        except ValueError as e:
            raise GenError("%s: not a JSON model: %s" % (path, e))
        if not isinstance(data, dict):
            raise GenError("%s: not a JSON model: not an object" % path)
        models.append((path, data))
        meta = data.get("metadata", {})
        # the uid names the service and its version, the parent folder tells
        # two service-2.json apart; no absolute paths in the output
        name = os.path.join(os.path.basename(os.path.dirname(path)),
                            os.path.basename(path)) if len(model_paths) > 1 \
            else os.path.basename(path)
        notes.append("the %s model %s (%s, sha256 %s)" % (
            meta.get("uid" if len(model_paths) > 1 else "endpointPrefix", "?"),
            meta.get("apiVersion", "?"), name,
            hashlib.sha256(raw).hexdigest()[:16]))
    model = Model(merge_models(models), read_actions(actions_path))
    if len(notes) == 1:
        source_note = notes[0]
    else:
        source_note = ("%d models:\n *   " % len(notes)) + ";\n *   ".join(notes)
    return gen_header(model, source_note), gen_source(model, source_note)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, action="append",
                    help="a botocore service-2.json (repeat; control plane first)")
    ap.add_argument("--actions", required=True, help="tools/kvs_actions.txt")
    ap.add_argument("--header", required=True, help="kvs_model.h to write")
    ap.add_argument("--source", required=True, help="kvs_schema.c to write")
    ap.add_argument("--check", action="store_true",
                    help="compare with the files on disk instead of writing")
    args = ap.parse_args(argv)
    missing = [m for m in args.model if not os.path.exists(m)]
    if args.check and missing:
        print("kvst_gen_schema: skipped: no KVS model at %s (the shared "
              "folder is missing; set -Dshared_dir)" % ", ".join(missing))
        return 77
    try:
        texts = generate(args.model, args.actions)
    except (GenError, OSError) as e:
        print("kvst_gen_schema: error: %s" % e, file=sys.stderr)
        return 2
    paths = (args.header, args.source)
    if args.check:
        stale = 0
        for path, text in zip(paths, texts):
            try:
                with open(path, encoding="utf-8", newline="") as f:
                    old = f.read()
            except OSError as e:
                print("kvst_gen_schema: %s" % e, file=sys.stderr)
                stale += 1
                continue
            if old != text:
                stale += 1
                sys.stdout.writelines(difflib.unified_diff(
                    old.splitlines(True), text.splitlines(True),
                    path + " (committed)", path + " (regenerated)"))
        if stale:
            print("kvst_gen_schema: %d generated file(s) out of date; rerun"
                  " without --check and commit" % stale, file=sys.stderr)
            return 1
        return 0
    for path, text in zip(paths, texts):
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
