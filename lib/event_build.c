/*
 * Event building: the event of a record, from its tape (envelope, action
 * and payload, outcome, identity, the validators' findings) or of a broken
 * record (recovery mode). Delivery (parser.c) builds each record's event
 * here, and a copy (event_copy.c) builds it again from the copied tape:
 * one code path, so a copy cannot drift from the original. Both call
 * down to this file; it calls nothing above it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "validate_internal.h"

typedef struct finding_node {
    struct finding_node *next;
    kvst_finding f;
} finding_node;

typedef struct build_sink {
    kvst_finding_sink sink;
    kvst_arena *ar;
    const kvst_tape *tape;
    uint64_t record_index;
    finding_node *head, **tail;
    finding_node *last; /* the finding sink_add made last */
    size_t count;
} build_sink;

static int sink_add(kvst_finding_sink *s, uint32_t code, uint32_t severity, const char *pointer,
                    size_t pointer_len, const char *fmt, va_list ap)
{
    build_sink *b = (build_sink *)s->ctx;
    finding_node *n = (finding_node *)kvst__arena_zalloc(b->ar, sizeof *n);
    uint32_t node;
    va_list ap2;
    int len;
    char *msg, *ptr, first[256];
    size_t rest;

    if (!n || !fmt)
        return n ? KVST_E_INVAL : KVST_E_NOMEM;
    /* formatted once when it fits the stack buffer (most messages do),
     * else again into room of its length */
    va_copy(ap2, ap);
    len = vsnprintf(first, sizeof first, fmt, ap2);
    va_end(ap2);
    if (len < 0) {
        len = 0;
        first[0] = '\0';
    }
    msg = (char *)kvst__arena_alloc(b->ar, (size_t)len + 1);
    ptr = kvst__arena_strdup(b->ar, pointer, pointer_len);
    if (!msg || !ptr)
        return KVST_E_NOMEM;
    if ((size_t)len < sizeof first)
        memcpy(msg, first, (size_t)len + 1);
    else
        vsnprintf(msg, (size_t)len + 1, fmt, ap);
    {
        /* well-formed UTF-8 whatever the record held (kvst__text_clean):
         * an ill-formed byte grows to three */
        int why;
        if (kvst__utf8_check((const unsigned char *)msg, (size_t)len, &why) != (size_t)len) {
            char *clean = (char *)kvst__arena_alloc(b->ar, 3 * (size_t)len + 1);
            if (!clean)
                return KVST_E_NOMEM;
            len = (int)kvst__text_clean(clean, 3 * (size_t)len + 1, msg, (size_t)len);
            msg = clean;
        }
    }
    n->f.struct_size = sizeof n->f;
    n->f.code = code;
    n->f.severity = severity;
    n->f.pointer.ptr = ptr;
    n->f.pointer.len = pointer_len;
    n->f.message.ptr = msg;
    n->f.message.len = (size_t)len;
    n->f.record_index = b->record_index;
    /* Placed at the node named (kvst__finding_at), else where the pointer
     * leads; a pointer to an absent member locates the object that lacks
     * it. */
    node = s->at ? s->at - 1 : kvst__tape_resolve(b->tape, pointer, pointer_len, &rest);
    while (node >= b->tape->count && pointer_len > 0) {
        while (pointer_len > 0 && pointer[pointer_len - 1] != '/')
            pointer_len--;
        if (pointer_len > 0)
            pointer_len--;
        node = kvst__tape_resolve(b->tape, pointer, pointer_len, &rest);
    }
    kvst__tape_position(b->tape, node < b->tape->count ? node : b->tape->root, &n->f.offset,
                        &n->f.line, &n->f.column);
    *b->tail = n;
    b->tail = &n->next;
    b->last = n;
    b->count++;
    return 0;
}

/* The first event of a log file's repeated "Records" array: the last
 * occurrence of a key wins, as everywhere, but the earlier array's events
 * are delivered already (a stream cannot take them back). The finding is
 * the log file's, placed at the later key; its pointer is empty (the key
 * is outside any record). */
static int duplicate_records(build_sink *b)
{
    int rc;

    b->last = NULL;
    rc = kvst__finding(&b->sink, KVST_F_DUPLICATE_KEY, "",
                       "the log file's \"Records\" key is repeated: this is the first event of "
                       "the later array (the earlier array's events were delivered already)");
    if (!rc && b->last) {
        b->last->f.offset = b->tape->dup_records_offset;
        b->last->f.line = b->tape->dup_records_line;
        b->last->f.column = b->tape->dup_records_column;
    }
    return rc;
}

/* A lone surrogate escape (the record builder read it as U+FFFD): a
 * finding at the string's pointer, placed at the escape itself. */
static int lone_surrogate(void *ctx, uint32_t node, uint32_t at)
{
    build_sink *b = (build_sink *)ctx;
    char ptr[256];
    int rc;

    if (!kvst__tape_pointer(b->tape, node, ptr, sizeof ptr))
        return 0; /* not in the event (an EventBridge envelope's own) */
    b->last = NULL;
    rc = kvst__finding(&b->sink, KVST_F_LONE_SURROGATE, ptr,
                       "%s holds \\u%.4s, half of a surrogate pair without the other half: "
                       "read as U+FFFD", *ptr ? ptr : "a key", b->tape->raw + at + 2);
    if (!rc && b->last)
        kvst__tape_position_at(b->tape, at, &b->last->f.offset, &b->last->f.line,
                               &b->last->f.column);
    return rc;
}

/*
 * Keys repeated inside the values no typed field reads, which the JSON
 * Lines contract prints (with the last one: event_json.c) and lookups
 * read (the last one): each repeat is a KVST_F_DUPLICATE_KEY warning, as
 * those of the envelope and the typed payloads are (envelope.c,
 * action_map.c), with their message. On the tape (kvst__tape_repeats):
 * additionalEventData, serviceEventDetails and insightDetails when taped,
 * webIdFederationData's attributes, and the payloads of a record of no
 * KVS action. Kept lazy (kvst__lazy_repeats): those the record builder
 * marked. Each is placed at the repeat's key (its opening quote).
 */
#define REPEAT_MESSAGE "%s is repeated in its object; the last one is read"

static int taped_repeat(void *ctx, uint32_t key)
{
    build_sink *b = (build_sink *)ctx;
    char ptr[256];

    if (!kvst__tape_pointer(b->tape, key, ptr, sizeof ptr))
        return 0; /* not in the event (an EventBridge envelope's own) */
    return kvst__finding_at(&b->sink, key, KVST_F_DUPLICATE_KEY, ptr, REPEAT_MESSAGE, ptr);
}

static int lazy_repeat(void *ctx, const char *ptr, uint32_t at)
{
    build_sink *b = (build_sink *)ctx;
    int rc;

    b->last = NULL;
    rc = kvst__finding(&b->sink, KVST_F_DUPLICATE_KEY, ptr, REPEAT_MESSAGE, ptr);
    if (!rc && b->last)
        kvst__tape_position_at(b->tape, at, &b->last->f.offset, &b->last->f.line,
                               &b->last->f.column);
    return rc;
}

static int is_container(const kvst_value *v)
{
    return v->state == KVST_VALUE_OK &&
           (v->json_type == KVST_JSON_OBJECT || v->json_type == KVST_JSON_ARRAY);
}

/* The free-form values of the record: additionalEventData and
 * serviceEventDetails are lazy but in an EventBridge event's detail; the
 * payloads are lazy unless the record builder says otherwise. */
static int free_form_repeats(build_sink *b, const kvst_event *ev, uint32_t container)
{
    static const char *const pointers[] = {
        "/insightDetails", "/userIdentity/sessionContext/webIdFederationData/attributes",
        "/requestParameters", "/responseElements", "/additionalEventData",
        "/serviceEventDetails",
    };
    const kvst_tape *t = b->tape;
    const kvst_session_context *sc = ev->user_identity ? ev->user_identity->session_context : NULL;
    int bridge = container == KVST_CONTAINER_EVENTBRIDGE;
    int present[6];
    size_t i, rest;
    uint32_t node;
    int rc;

    present[0] = is_container(&ev->insight_details);
    present[1] = sc != NULL && is_container(&sc->web_id_attributes);
    present[2] = present[3] = ev->action == KVST_ACTION_NONE && (t->taped_payload || bridge);
    present[4] = bridge && is_container(&ev->additional_event_data);
    present[5] = bridge && is_container(&ev->service_event_details);
    for (i = 0; i < sizeof pointers / sizeof pointers[0]; i++) {
        if (!present[i])
            continue;
        node = kvst__tape_resolve(t, pointers[i], strlen(pointers[i]), &rest);
        if (node < t->count && !t->nodes[node].len &&
            (rc = kvst__tape_repeats(t, node, b->ar, taped_repeat, b)) != 0)
            return rc;
    }
    if (!t->lazy_repeat)
        return 0;
    for (node = 0; node < t->count; node++) {
        char ptr[256];
        const kvst_node *n = &t->nodes[node];

        if ((n->kind != KVST_JSON_OBJECT && n->kind != KVST_JSON_ARRAY) ||
            n->len != KVST_LAZY_REPEAT || !kvst__tape_pointer(t, node, ptr, sizeof ptr))
            continue;
        /* a repeated payload's earlier occurrence is no one's */
        if (kvst__tape_resolve(t, ptr, strlen(ptr), &rest) != node)
            continue;
        if ((rc = kvst__lazy_repeats(t, node, ptr, b->ar, lazy_repeat, b)) != 0)
            return rc;
    }
    return 0;
}

/* KVST_FLAG_NO_VALIDATE: the stages still run, their findings go nowhere. */
static int sink_drop(kvst_finding_sink *s, uint32_t code, uint32_t severity, const char *pointer,
                     size_t pointer_len, const char *fmt, va_list ap)
{
    (void)s;
    (void)code;
    (void)severity;
    (void)pointer;
    (void)pointer_len;
    (void)fmt;
    (void)ap;
    return 0;
}

/* The outcome rule of the contract (docs/cli.md): a failure when errorCode
 * or errorMessage is a non-empty string (AWS writes sign-in failures with
 * errorMessage alone), or when responseElements.ConsoleLogin is "Failure".
 * Another
 * service's responseElements is kept as raw bytes: it is parsed only when
 * those bytes name ConsoleLogin at all. 0 or KVST_E_NOMEM. */
static int event_outcome(kvst_event *ev, const kvst_tape *t)
{
    static const char key[] = "ConsoleLogin";
    uint32_t resp;
    kvst_value v;
    int rc;

    ev->outcome = KVST_OUTCOME_SUCCESS;
    if ((ev->error_code.ptr && ev->error_code.len) || (ev->error_message.ptr && ev->error_message.len)) {
        ev->outcome = KVST_OUTCOME_FAILURE;
        return 0;
    }
    resp = kvst__tape_get(t, t->root, "responseElements", 16);
    if (resp >= t->count || t->nodes[resp].kind != KVST_JSON_OBJECT)
        return 0;
    if (t->nodes[resp].len) {
        const kvst_node *n = &t->nodes[resp];
        const char *raw = t->raw + n->start, *end = t->raw + n->end, *c = raw;
        int named = 0;

        /* each 'C' (memchr: most payloads have few) that may start the key */
        while (!named && (size_t)(end - c) >= sizeof key - 1 &&
               (c = (const char *)memchr(c, 'C', (size_t)(end - c) - (sizeof key - 2))) != NULL)
            named = memcmp(c++, key, sizeof key - 1) == 0;
        if (!named)
            return 0;
    }
    rc = kvst_event_lookup(ev, "/responseElements/ConsoleLogin", &v);
    if (rc == KVST_E_NOMEM)
        return rc;
    if (rc == 0 && v.json_type == KVST_JSON_STRING && v.text.len == 7 &&
        memcmp(v.text.ptr, "Failure", 7) == 0)
        ev->outcome = KVST_OUTCOME_FAILURE;
    return 0;
}

/* A sign-in event's MFA is in additionalEventData.MFAUsed, which the
 * event struct does not carry (docs/identity.md): looked up here, where
 * lookups may be made. 0 or KVST_E_NOMEM. */
static int event_sign_in_mfa(const kvst_event *ev, kvst_identity_info *info)
{
    kvst_value v;
    int rc;

    if (!kvst__is_sign_in(ev))
        return 0;
    rc = kvst_event_lookup(ev, "/additionalEventData/MFAUsed", &v);
    if (rc == KVST_E_NOMEM)
        return rc;
    if (rc == 0 && v.json_type == KVST_JSON_STRING)
        kvst__identity_mfa_used(info, v.text);
    return 0;
}

/* A CloudTrail record: envelope, action and payload, identity, findings. */
static int build_record(kvst_event_impl *impl, kvst_arena *ar, uint32_t flags,
                        kvst_finding_sink *sink)
{
    kvst_event *ev = &impl->ev;
    int rc = kvst__envelope_build(&impl->tape, ar, ev, sink);

    if (!rc)
        rc = kvst__action_map(&impl->tape, ar, ev, sink);
    if (!rc)
        rc = event_outcome(ev, &impl->tape);
    if (!rc && !(flags & KVST_FLAG_NO_VALIDATE)) {
        rc = kvst__validate_event(ev, &impl->info, sink);
    } else if (!rc) {
        if (!ev->user_identity || kvst_identity_classify(ev->user_identity, ev, &impl->info)) {
            memset(&impl->info, 0, sizeof impl->info);
            impl->info.struct_size = sizeof impl->info;
            impl->info.mfa = KVST_BOOL_ABSENT;
        }
    }
    if (!rc)
        rc = event_sign_in_mfa(ev, &impl->info);
    return rc;
}

int kvst__event_build_tape(const kvst_tape *t, uint32_t container, uint64_t index,
                           uint32_t flags, kvst_arena *ar, kvst_event_impl **out)
{
    kvst_event_impl *impl = (kvst_event_impl *)kvst__arena_zalloc(ar, sizeof *impl);
    kvst_event *ev;
    build_sink bs;
    int rc;

    if (!impl)
        return KVST_E_NOMEM;
    ev = &impl->ev;
    impl->tape = *t;
    impl->flags = flags;
    impl->arena = ar;
    ev->struct_size = sizeof *ev;
    ev->container = container;
    ev->record_index = index;
    ev->offset = t->offset;
    ev->line = t->line;
    ev->column = t->column;
    ev->length = t->raw_len;
    if (flags & KVST_FLAG_KEEP_RAW) {
        ev->raw.ptr = t->raw;
        ev->raw.len = t->raw_len;
    }
    if (container == KVST_CONTAINER_EVENTBRIDGE && t->root < t->count) {
        /* The event is detail, not its envelope: its place and bytes are
         * detail's, as its findings' pointers are relative to detail. The
         * raw view is NUL-terminated: detail's bytes are copied. */
        const kvst_node *d = &t->nodes[t->root];

        kvst__tape_position(t, t->root, &ev->offset, &ev->line, &ev->column);
        ev->length = d->end - d->start;
        if (flags & KVST_FLAG_KEEP_RAW) {
            ev->raw.ptr = kvst__arena_strdup(ar, t->raw + d->start, ev->length);
            if (!ev->raw.ptr)
                return KVST_E_NOMEM;
            ev->raw.len = ev->length;
        }
    }

    memset(&bs, 0, sizeof bs);
    bs.sink.add = (flags & KVST_FLAG_NO_VALIDATE) ? sink_drop : sink_add;
    bs.sink.ctx = &bs;
    bs.ar = ar;
    bs.tape = &impl->tape;
    bs.record_index = index;
    bs.tail = &bs.head;

    impl->info.struct_size = sizeof impl->info;
    if (container == KVST_CONTAINER_DIGEST) {
        /* No envelope, no identity: the digest is the whole record. */
        ev->read_only = ev->management_event = ev->session_credential_from_console =
            KVST_BOOL_ABSENT;
        impl->info.mfa = KVST_BOOL_ABSENT;
        rc = kvst__digest_build(&impl->tape, ar, &impl->digest, &bs.sink);
    } else {
        rc = build_record(impl, ar, flags, &bs.sink);
        if (!rc && t->dup_records_line)
            rc = duplicate_records(&bs);
        /* (most records have nothing for it to look at) */
        if (!rc && !(flags & KVST_FLAG_NO_VALIDATE) &&
            (t->lazy_repeat || container == KVST_CONTAINER_EVENTBRIDGE ||
             ev->insight_details.state != KVST_VALUE_ABSENT ||
             (t->taped_payload && ev->action == KVST_ACTION_NONE) ||
             (ev->user_identity && ev->user_identity->session_context &&
              ev->user_identity->session_context->web_id_attributes.state != KVST_VALUE_ABSENT)))
            rc = free_form_repeats(&bs, ev, container);
        if (!rc)
            rc = kvst__tape_lone_surrogates(&impl->tape, lone_surrogate, &bs);
    }
    if (rc)
        return rc;
    ev->identity = &impl->info;
    if (bs.count) {
        const kvst_finding **list = (const kvst_finding **)kvst__arena_alloc(
            ar, bs.count * sizeof(const kvst_finding *));
        finding_node *n;
        size_t i = 0;
        if (!list)
            return KVST_E_NOMEM;
        for (n = bs.head; n; n = n->next)
            list[i++] = &n->f;
        ev->findings = list;
        ev->finding_count = bs.count;
    }
    *out = impl;
    return 0;
}

static kvst_str arena_str(kvst_arena *ar, kvst_str s, int *oom)
{
    kvst_str d;
    d.len = s.ptr ? s.len : 0;
    d.ptr = kvst__arena_strdup(ar, s.ptr ? s.ptr : "", d.len);
    if (!d.ptr)
        *oom = 1;
    return d;
}

int kvst__event_build_broken(const kvst_event *shape, const kvst_error *err, kvst_str text,
                             uint32_t flags, kvst_arena *ar, kvst_event_impl **out)
{
    kvst_event_impl *impl = (kvst_event_impl *)kvst__arena_zalloc(ar, sizeof *impl);
    kvst_event *ev;
    int oom = 0;

    if (!impl)
        return KVST_E_NOMEM;
    ev = &impl->ev;
    impl->flags = flags;
    impl->arena = ar;
    ev->struct_size = sizeof *ev;
    ev->status = err->code;
    ev->container = shape->container;
    ev->record_index = shape->record_index;
    ev->offset = shape->offset;
    ev->line = shape->line;
    ev->column = shape->column;
    ev->length = text.len;
    ev->read_only = ev->management_event = ev->session_credential_from_console = KVST_BOOL_ABSENT;
    impl->err = *err;
    impl->err.struct_size = sizeof impl->err;
    impl->err.message = arena_str(ar, err->message, &oom);
    impl->err.pointer = arena_str(ar, err->pointer, &oom);
    impl->err.excerpt = arena_str(ar, err->excerpt, &oom);
    impl->err.record_offset = shape->offset;
    impl->err.record_length = text.len;
    impl->err.record_text = arena_str(ar, text, &oom);
    if (oom)
        return KVST_E_NOMEM;
    /* the text is the record's raw bytes: lookups find nothing, copies work */
    impl->tape.raw = impl->err.record_text.ptr;
    impl->tape.raw_len = text.len;
    impl->tape.strings = "";
    impl->tape.offset = shape->offset;
    impl->tape.line = shape->line;
    impl->tape.column = shape->column;
    if (flags & KVST_FLAG_KEEP_RAW)
        ev->raw = impl->err.record_text;
    ev->error = &impl->err;
    *out = impl;
    return 0;
}

int kvst__event_build(kvst_record *r, uint32_t flags, kvst_event_impl **out)
{
    kvst_tape t;

    if (r->broken) {
        kvst_event shape;
        kvst_error e = r->broken_err;
        kvst_str text;
        memset(&shape, 0, sizeof shape);
        shape.container = r->container;
        shape.record_index = r->index;
        shape.offset = r->offset;
        shape.line = r->line;
        shape.column = r->column;
        e.code = r->broken;
        e.message.ptr = r->broken_msg;
        e.message.len = strlen(r->broken_msg);
        e.pointer.ptr = r->broken_ptr;
        e.pointer.len = strlen(r->broken_ptr);
        e.excerpt.ptr = r->broken_exc;
        e.excerpt.len = strlen(r->broken_exc);
        text.ptr = r->raw.data ? (const char *)r->raw.data : "";
        text.len = r->raw.len;
        return kvst__event_build_broken(&shape, &e, text, flags, &r->arena, out);
    }
    kvst__record_tape(r, &t);
    return kvst__event_build_tape(&t, r->container, r->index, flags, &r->arena, out);
}
