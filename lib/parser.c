/*
 * Delivery: the public parser API. Owns the pipeline (gzip stage ->
 * tokenizer -> record builder), builds each complete record's event
 * (envelope, action mapper, identity + validation) and hands it to the
 * caller's callback or queues it for kvst_parser_next().
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "validate_internal.h"

/* The options struct of the first release (1.0): the smallest accepted. */
#define OPTIONS_SIZE_1_0 (offsetof(kvst_parser_options, max_inflate_ratio) + sizeof(uint64_t))
#define KNOWN_FLAGS \
    (KVST_FLAG_KVS_ONLY | KVST_FLAG_KEEP_RAW | KVST_FLAG_RECOVER | KVST_FLAG_NO_VALIDATE | \
     KVST_FLAG_SINGLE_THREAD | KVST_FLAG_DIGESTS | KVST_FLAG_NO_FASTLEX)

int kvst_parser_options_init(kvst_parser_options *opts, size_t struct_size)
{
    if (!opts)
        return KVST_E_INVAL;
    if (struct_size < OPTIONS_SIZE_1_0)
        return KVST_E_ABI;
    memset(opts, 0, struct_size);
    opts->struct_size = struct_size;
    return 0;
}

static uint64_t limit_or(uint64_t v, uint64_t dflt)
{
    return v ? v : dflt;
}

static int options_take(kvst_parser_options *dst, const kvst_parser_options *src)
{
    memset(dst, 0, sizeof *dst);
    if (src) {
        size_t n = src->struct_size, i;
        if (n < OPTIONS_SIZE_1_0)
            return KVST_E_ABI;
        /* A newer caller's tail is fine only if it asks for nothing. */
        for (i = sizeof *dst; i < n; i++)
            if (((const unsigned char *)src)[i])
                return KVST_E_ABI;
        memcpy(dst, src, n < sizeof *dst ? n : sizeof *dst);
    }
    dst->struct_size = sizeof *dst;
    if (dst->flags & ~KNOWN_FLAGS)
        return KVST_E_INVAL;
    dst->max_depth = limit_or(dst->max_depth, KVST_DEFAULT_MAX_DEPTH);
    dst->max_string_bytes = limit_or(dst->max_string_bytes, KVST_DEFAULT_MAX_STRING_BYTES);
    dst->max_record_bytes = limit_or(dst->max_record_bytes, KVST_DEFAULT_MAX_RECORD_BYTES);
    dst->max_inflate_ratio = limit_or(dst->max_inflate_ratio, KVST_DEFAULT_MAX_INFLATE_RATIO);
    /* The tape stores record offsets in 32 bits. */
    if (dst->max_record_bytes > 0xfffffff0u)
        dst->max_record_bytes = 0xfffffff0u;
    if (dst->max_string_bytes > dst->max_record_bytes)
        dst->max_string_bytes = dst->max_record_bytes;
    return 0;
}

int kvst_parser_new(const kvst_parser_options *opts, kvst_parser **out)
{
    kvst_parser_options o;
    kvst_alloc a;
    kvst_parser *p;
    int rc;

    if (!out)
        return KVST_E_INVAL;
    *out = NULL;
    rc = options_take(&o, opts);
    if (rc)
        return rc;
    kvst__alloc_init(&a, &o.allocator);
    p = (kvst_parser *)kvst__malloc(&a, sizeof *p);
    if (!p)
        return KVST_E_NOMEM;
    memset(p, 0, sizeof *p);
    p->alloc = a;
    p->opts = o;
    p->opts.filter = NULL; /* the caller's, which may go away: see below */
    kvst__cursor_init(&p->cursor);
    rc = kvst__filter_new(&p->alloc, o.filter, &p->filter);
    if (!rc)
        rc = kvst__input_new(&p->alloc, o.max_inflate_ratio == KVST_UNLIMITED ? 0 : o.max_inflate_ratio,
                         o.flags & KVST_FLAG_SINGLE_THREAD ? KVST_INPUT_THREADS_ONE : KVST_INPUT_THREADS_AUTO, &p->input);
    if (!rc)
        rc = kvst__builder_init(p);
    if (!rc)
        rc = kvst__tok_new(p);
    if (!rc)
        kvst__lex_init(p);
    if (rc) {
        kvst_parser_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

static void record_release(kvst_parser *p, kvst_record *r)
{
    kvst__record_reset(r);
    r->next = p->pool;
    p->pool = r;
}

static void release_handed(kvst_parser *p)
{
    if (p->handed) {
        record_release(p, p->handed);
        p->handed = NULL;
    }
}

/* An error raised by the gzip stage (the tokenizer sets its own). */
static int input_failure(kvst_parser *p, int rc)
{
    if (p->cursor.status)
        return p->cursor.status;
    return kvst__cursor_fail_at(&p->cursor, rc, p->bytes_json, "%s", kvst__input_message(p->input));
}

int kvst_parser_feed(kvst_parser *p, const void *buf, size_t len)
{
    int rc;

    if (!p || (!buf && len))
        return KVST_E_INVAL;
    if (p->cursor.status)
        return p->cursor.status;
    if (p->finished)
        return KVST_E_INVAL;
    release_handed(p);
    rc = kvst__input_feed(p->input, (const unsigned char *)buf, len, kvst__lex_feed, p);
    if (kvst__lex_flush(p)) /* what was held for a next piece */
        return p->cursor.status;
    return rc ? input_failure(p, rc) : 0;
}

int kvst_parser_finish(kvst_parser *p)
{
    int rc;

    if (!p)
        return KVST_E_INVAL;
    if (p->cursor.status)
        return p->cursor.status;
    if (p->finished)
        return 0;
    p->finished = 1;
    release_handed(p);
    rc = kvst__input_finish(p->input, kvst__lex_feed, p);
    if (kvst__lex_flush(p))
        return p->cursor.status;
    if (rc)
        return input_failure(p, rc);
    rc = kvst__tok_finish(p);
    if (rc)
        return rc;
    if (p->top_values == 0)
        return kvst__cursor_fail_at(&p->cursor, KVST_E_SYNTAX, p->bytes_json,
                             "the input is empty: no JSON value");
    if (p->not_ct) {
        /* Valid JSON throughout: now it is fair to say it is not CloudTrail. */
        p->cursor.status = p->cursor.err.code = KVST_E_NOT_CLOUDTRAIL;
        p->cursor.err.offset = p->not_ct_off;
        p->cursor.err.line = p->not_ct_line;
        p->cursor.err.column = p->not_ct_col;
        p->cursor.err.record_index = p->records;
        snprintf(p->cursor.message, sizeof p->cursor.message, "%s", p->not_ct_msg);
        p->cursor.err.message.ptr = p->cursor.message;
        p->cursor.err.message.len = strlen(p->cursor.message);
        return p->cursor.status;
    }
    return 0;
}

/* ---- events --------------------------------------------------------------- */

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
    char *msg, *ptr, probe[1];
    size_t rest;

    if (!n || !fmt)
        return n ? KVST_E_INVAL : KVST_E_NOMEM;
    va_copy(ap2, ap);
    len = vsnprintf(probe, sizeof probe, fmt, ap2);
    va_end(ap2);
    if (len < 0)
        len = 0;
    msg = (char *)kvst__arena_alloc(b->ar, (size_t)len + 1);
    ptr = kvst__arena_strdup(b->ar, pointer, pointer_len);
    if (!msg || !ptr)
        return KVST_E_NOMEM;
    vsnprintf(msg, (size_t)len + 1, fmt, ap);
    n->f.struct_size = sizeof n->f;
    n->f.code = code;
    n->f.severity = severity;
    n->f.pointer.ptr = ptr;
    n->f.pointer.len = pointer_len;
    n->f.message.ptr = msg;
    n->f.message.len = (size_t)len;
    n->f.record_index = b->record_index;
    /* A pointer to an absent member locates the object that lacks it. */
    node = kvst__tape_resolve(b->tape, pointer, pointer_len, &rest);
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
        size_t i, span = n->end - n->start;
        const char *raw = t->raw + n->start;
        int named = 0;

        for (i = 0; !named && i + sizeof key - 1 <= span; i++)
            named = raw[i] == 'C' && memcmp(raw + i, key, sizeof key - 1) == 0;
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

int kvst__event_build(kvst_parser *p, kvst_record *r, kvst_event_impl **out)
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
        return kvst__event_build_broken(&shape, &e, text, p->opts.flags, &r->arena, out);
    }
    kvst__record_tape(r, &t);
    return kvst__event_build_tape(&t, r->container, r->index, p->opts.flags, &r->arena, out);
}

/* Whether the record's action lets it through, decided on the tape before
 * anything else of the event is built. */
static int wanted(const kvst_parser *p, const kvst_record *r)
{
    kvst_tape t;
    uint32_t action;

    if (!(p->opts.flags & KVST_FLAG_KVS_ONLY) && !kvst__filter_has_actions(p->filter))
        return 1;
    kvst__record_tape(r, &t);
    action = kvst__action_of(&t);
    if ((p->opts.flags & KVST_FLAG_KVS_ONLY) && action == KVST_ACTION_NONE)
        return 0;
    return kvst__filter_action(p->filter, action);
}

/* Queue r (pull mode) or build its event and call on_event. r is the
 * builder's current record when is_cur (pull mode then gives the builder a
 * fresh one); else it is delivery's own (a CloudWatch Logs message), queued
 * or released here. */
static int deliver_record(kvst_parser *p, kvst_record *r, int is_cur)
{
    kvst_event_impl *impl;
    int rc, stop;

    if (!r->broken && !wanted(p, r)) {
        if (!is_cur)
            record_release(p, r);
        return 0;
    }
    if (!p->opts.on_event) {
        if (is_cur) {
            kvst_record *fresh = kvst__record_new(p);
            if (!fresh)
                return kvst__cursor_fail_at(&p->cursor, KVST_E_NOMEM, kvst__cursor_offset(&p->cursor), "out of memory");
            p->cur = fresh;
        }
        r->next = NULL;
        if (p->ready_tail)
            p->ready_tail->next = r;
        else
            p->ready_head = r;
        p->ready_tail = r;
        return 0;
    }
    rc = kvst__event_build(p, r, &impl);
    if (rc) {
        if (!is_cur)
            record_release(p, r);
        return kvst__cursor_fail_at(&p->cursor, rc, kvst__cursor_offset(&p->cursor), "out of memory");
    }
    if (!kvst__filter_event(p->filter, &impl->ev)) {
        if (!is_cur)
            record_release(p, r);
        return 0;
    }
    p->delivered++;
    stop = p->opts.on_event(&impl->ev, p->opts.payload);
    if (!is_cur)
        record_release(p, r);
    if (stop)
        return kvst__cursor_fail_at(&p->cursor, KVST_E_ABORTED, kvst__cursor_offset(&p->cursor),
                             "stopped by the on_event callback after record %llu",
                             (unsigned long long)r->index);
    return 0;
}

/* A message that is not an event, in recovery mode: a broken record at
 * the message, its decoded text as the record's text. */
static void message_broken(kvst_record *m, const cw_message *out)
{
    m->broken = out->code;
    memset(&m->broken_err, 0, sizeof m->broken_err);
    m->broken_err.struct_size = sizeof m->broken_err;
    m->broken_err.code = out->code;
    m->broken_err.offset = out->offset;
    m->broken_err.line = out->line;
    m->broken_err.column = out->column;
    m->broken_err.record_index = m->index;
    snprintf(m->broken_msg, sizeof m->broken_msg, "%s", out->message);
    snprintf(m->broken_exc, sizeof m->broken_exc, "%s", out->excerpt);
    m->broken_ptr[0] = '\0';
}

/* A CloudWatch Logs envelope: each message is a record of its own, with
 * its own index (cloudwatch.c). A message that is not an event is a
 * broken record in recovery mode, and the next messages follow; else it is
 * the parser's error, as any bad record is (what strict mode delivered is
 * what recovery mode delivers before its first broken record). */
static int deliver_messages(kvst_parser *p, kvst_record *env)
{
    cw_message out;
    uint32_t el;
    int rc;

    for (el = kvst__cloudwatch_next(env, KVST_NO_NODE); el != KVST_NO_NODE;
         el = kvst__cloudwatch_next(env, el)) {
        kvst_record *m = kvst__record_new(p);

        if (!m)
            return kvst__cursor_fail_known(&p->cursor, KVST_E_NOMEM, env->offset, env->line, env->column,
                                    "out of memory");
        rc = kvst__cloudwatch_message(p, env, el, m, &out);
        if (rc) {
            record_release(p, m);
            return kvst__cursor_fail_known(&p->cursor, rc, out.offset, out.line, out.column,
                                    "out of memory reading a CloudWatch Logs message");
        }
        m->index = p->records++;
        if (out.code && !(p->opts.flags & KVST_FLAG_RECOVER)) {
            uint64_t index = m->index;

            record_release(p, m);
            rc = kvst__cursor_fail_known(&p->cursor, out.code, out.offset, out.line, out.column, "%s",
                                  out.message);
            if (p->cursor.err.code == out.code && p->cursor.err.offset == out.offset) {
                p->cursor.err.record_index = index;
                snprintf(p->cursor.excerpt, sizeof p->cursor.excerpt, "%s", out.excerpt);
                p->cursor.err.excerpt.ptr = p->cursor.excerpt;
                p->cursor.err.excerpt.len = strlen(p->cursor.excerpt);
            }
            return rc;
        }
        if (out.code)
            message_broken(m, &out);
        rc = deliver_record(p, m, 0);
        if (rc)
            return rc;
    }
    return 0;
}

int kvst__deliver(kvst_parser *p, kvst_record *r)
{
    if (r->container == KVST__CONTAINER_CW_ENVELOPE)
        return deliver_messages(p, r);
    return deliver_record(p, r, r == p->cur);
}

int kvst_parser_next(kvst_parser *p, const kvst_event **out)
{
    kvst_record *r;
    kvst_event_impl *impl;
    int rc;

    if (!p || !out)
        return KVST_E_INVAL;
    *out = NULL;
next_record:
    release_handed(p);
    r = p->ready_head;
    if (!r)
        return p->cursor.status;
    p->ready_head = r->next;
    if (!p->ready_head)
        p->ready_tail = NULL;
    r->next = NULL;
    p->handed = r;
    rc = kvst__event_build(p, r, &impl);
    if (rc) {
        /* sticky like any other error: this record and those queued after
         * it are dropped, and every later call returns the error */
        while (p->ready_head) {
            kvst_record *q = p->ready_head;
            p->ready_head = q->next;
            record_release(p, q);
        }
        p->ready_tail = NULL;
        p->cursor.status = 0;
        return kvst__cursor_fail_known(&p->cursor, rc, r->offset, r->line, r->column,
                                "out of memory building record %llu",
                                (unsigned long long)r->index);
    }
    if (!kvst__filter_event(p->filter, &impl->ev))
        goto next_record; /* built, then ruled out: the next one */
    p->delivered++;
    *out = &impl->ev;
    return 1;
}

const kvst_error *kvst_parser_error(const kvst_parser *p)
{
    return p ? &p->cursor.err : NULL;
}

void kvst_parser_stats(const kvst_parser *p, uint64_t *records, uint64_t *bytes_in,
                       uint64_t *bytes_json)
{
    if (records)
        *records = p ? p->records : 0;
    if (bytes_in)
        *bytes_in = p && p->input ? kvst__input_bytes_in(p->input) : 0;
    if (bytes_json)
        *bytes_json = p ? p->bytes_json : 0;
}

static void record_list_destroy(kvst_parser *p, kvst_record *r)
{
    while (r) {
        kvst_record *n = r->next;
        kvst__record_destroy(p, r);
        r = n;
    }
}

void kvst_parser_free(kvst_parser *p)
{
    kvst_alloc a;

    if (!p)
        return;
    kvst__tok_free(p);
    kvst__builder_free(p);
    record_list_destroy(p, p->ready_head);
    record_list_destroy(p, p->pool);
    kvst__record_destroy(p, p->handed);
    kvst__input_free(p->input);
    kvst__buf_free(&p->resync, &p->alloc);
    kvst__cursor_free(&p->cursor, &p->alloc);
    kvst__lex_free(p);
    kvst__filter_free(&p->alloc, p->filter);
    a = p->alloc;
    kvst__free(&a, p);
}
