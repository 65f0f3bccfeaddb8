/*
 * Delivery: the public parser API. Owns the pipeline (gzip stage ->
 * tokenizer -> record builder), has each complete record's event built
 * (event_build.c: envelope, action mapper, identity + validation) and
 * hands it to the caller's callback or queues it for kvst_parser_next().
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The options struct of the first release (1.0): the smallest accepted. */
#define OPTIONS_SIZE_1_0 (offsetof(kvst_parser_options, max_inflate_ratio) + sizeof(uint64_t))
#define KNOWN_FLAGS \
    (KVST_FLAG_KVS_ONLY | KVST_FLAG_KEEP_RAW | KVST_FLAG_RECOVER | KVST_FLAG_NO_VALIDATE | \
     KVST_FLAG_SINGLE_THREAD | KVST_FLAG_DIGESTS | KVST_FLAG_NO_FASTLEX | \
     KVST_FLAG_NO_SKIP)

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

static int deliver(void *ctx, kvst_record *r);
static int lex_bytes(kvst_parser *p, const unsigned char *buf, size_t len);
static int on_break(void *ctx);
static int on_break_rest(void *ctx, const unsigned char *buf, size_t len);

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
    if (!rc) {
        kvst_record_sink sink;
        sink.put = deliver;
        sink.ctx = p;
        rc = kvst__builder_init(p, sink);
    }
    if (!rc) {
        kvst_break_sink brk;
        brk.broke = on_break;
        brk.rest = on_break_rest;
        brk.ctx = p;
        p->process = lex_bytes;
        rc = kvst__tok_new(p, brk);
    }
    if (!rc)
        kvst__lex_init(p);
    if (rc) {
        kvst_parser_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

static void release_handed(kvst_parser *p)
{
    if (p->handed) {
        kvst__record_recycle(p, p->handed);
        p->handed = NULL;
    }
}

/* ---- the parser's modes: lexing, or recovery ----------------------------- */

/* As expat swaps its processor, the parser swaps the handler of its plain
 * bytes (p->process): lexing (the fast lexer, the tokenizer) while the
 * records are good; recovery (recovery.c) from a broken record on, until
 * it has found the next record and hands control back. */

static int lex_bytes(kvst_parser *p, const unsigned char *buf, size_t len)
{
    return kvst__lex_feed(p, buf, len);
}

/* rc: of a call into recovery. When recovery has found the next record,
 * lexing takes over there, with the tokenizer made anew. */
static int resumed(kvst_parser *p, int rc)
{
    kvst_resume r;

    if (rc || !kvst__recover_take_resume(p, &r))
        return rc;
    p->process = lex_bytes;
    rc = kvst__tok_restart(p, (const unsigned char *)r.prefix, r.prefix_len, r.abs);
    if (!rc)
        rc = kvst__tok_feed(p, r.rest.data + r.from, r.rest.len - r.from);
    kvst__buf_free(&r.rest, &p->alloc);
    return rc;
}

static int recover_bytes(kvst_parser *p, const unsigned char *buf, size_t len)
{
    if (p->cursor.status)
        return p->cursor.status;
    return resumed(p, kvst__recover_feed(p, buf, len));
}

/* The tokenizer's break sink: a record broke. Recovery mode begins when
 * recovery can take the input over (else the error stands): the
 * tokenizer's handle goes, and the bytes go to recovery. */
static int on_break(void *ctx)
{
    kvst_parser *p = (kvst_parser *)ctx;
    uint64_t resyncs = p->resyncs;
    int rc = kvst__recover_begin(p);

    if (p->resyncs != resyncs) {
        kvst__tok_drop(p);
        p->process = recover_bytes;
    }
    return resumed(p, rc);
}

/* The bytes of a feed after a broken record, that the tokenizer was
 * given: recovery's. */
static int on_break_rest(void *ctx, const unsigned char *buf, size_t len)
{
    return recover_bytes((kvst_parser *)ctx, buf, len);
}

/* The gzip stage's output function: the plain bytes, to the mode's
 * handler. */
static int parse_bytes(void *ctx, const unsigned char *buf, size_t len)
{
    kvst_parser *p = (kvst_parser *)ctx;

    return p->process(p, buf, len);
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
    rc = kvst__input_feed(p->input, (const unsigned char *)buf, len, parse_bytes, p);
    /* what was held for a next piece waits for the next feed, unless the
     * gzip stage failed (its error stands past the held bytes) */
    if (rc ? kvst__lex_flush(p) : kvst__lex_feed_end(p))
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
    rc = kvst__input_finish(p->input, parse_bytes, p);
    if (kvst__lex_flush(p))
        return p->cursor.status;
    if (rc)
        return input_failure(p, rc);
    if (p->process == recover_bytes)
        rc = resumed(p, kvst__recover_finish(p));
    else
        rc = kvst__tok_finish(p);
    if (rc)
        return rc;
    if (p->top_values == 0)
        return kvst__cursor_fail_at(&p->cursor, KVST_E_SYNTAX, p->bytes_json,
                             "the input is empty: no JSON value");
    if (p->not_ct) {
        /* Valid JSON throughout: now it is fair to say it is not CloudTrail. */
        return kvst__cursor_fail_bare(&p->cursor, KVST_E_NOT_CLOUDTRAIL, p->not_ct_off, p->not_ct_line,
                                      p->not_ct_col, p->records, p->not_ct_msg);
    }
    return 0;
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
            kvst__record_recycle(p, r);
        return 0;
    }
    if (!p->opts.on_event) {
        if (is_cur && kvst__builder_renew(p))
            return kvst__cursor_fail_at(&p->cursor, KVST_E_NOMEM, kvst__cursor_offset(&p->cursor),
                                        "out of memory");
        r->next = NULL;
        if (p->ready_tail)
            p->ready_tail->next = r;
        else
            p->ready_head = r;
        p->ready_tail = r;
        return 0;
    }
    rc = kvst__event_build(r, p->opts.flags, &impl);
    if (rc) {
        if (!is_cur)
            kvst__record_recycle(p, r);
        return kvst__cursor_fail_at(&p->cursor, rc, kvst__cursor_offset(&p->cursor), "out of memory");
    }
    if (!kvst__filter_event(p->filter, &impl->ev)) {
        if (!is_cur)
            kvst__record_recycle(p, r);
        return 0;
    }
    p->delivered++;
    stop = p->opts.on_event(&impl->ev, p->opts.payload);
    if (!is_cur)
        kvst__record_recycle(p, r);
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
    kvst__text_printf(m->broken_msg, sizeof m->broken_msg, "%s", out->message);
    kvst__text_printf(m->broken_exc, sizeof m->broken_exc, "%s", out->excerpt);
    m->broken_ptr[0] = '\0';
}

/* Strict mode: the error of r, a CloudWatch Logs message or awslogs
 * envelope that is not an event (out), is the parser's, with r's index
 * and out's excerpt (the input's bytes); r is released. */
static int fail_as(kvst_parser *p, kvst_record *r, const cw_message *out)
{
    uint64_t index = r->index;

    kvst__record_recycle(p, r);
    return kvst__cursor_fail_for(&p->cursor, out->code, out->offset, out->line, out->column, index,
                                 out->excerpt, out->message);
}

/* A CloudWatch Logs envelope: each message is a record of its own, with
 * its own index (cloudwatch.c). A message that is not an event is a
 * broken record in recovery mode, and the next messages follow; else it is
 * the parser's error, as any bad record is (what strict mode delivered is
 * what recovery mode delivers before its first broken record). */
static int deliver_messages(kvst_parser *p, kvst_record *env, const char *excerpt)
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
            kvst__record_recycle(p, m);
            return kvst__cursor_fail_known(&p->cursor, rc, out.offset, out.line, out.column,
                                    "out of memory reading a CloudWatch Logs message");
        }
        m->index = kvst__builder_count_record(p);
        if (excerpt) /* the input's bytes, not the inflated envelope's */
            kvst__text_printf(out.excerpt, sizeof out.excerpt, "%s", excerpt);
        if (out.code && !(p->opts.flags & KVST_FLAG_RECOVER))
            return fail_as(p, m, &out);
        if (out.code)
            message_broken(m, &out);
        rc = deliver_record(p, m, 0);
        if (rc)
            return rc;
    }
    return 0;
}

/* Lambda's form of an envelope (awslogs.c): the envelope it carries,
 * pinned at its data string, read as a plain one is. Data that is not
 * such an envelope is one record that is not an event (a broken record
 * in recovery mode, at the data string or its bad byte), as a bad message
 * is; a CONTROL_MESSAGE yields nothing. */
static int deliver_awslogs(kvst_parser *p, kvst_record *r)
{
    kvst_record *env = kvst__record_new(p);
    cw_message out;
    int rc;

    if (!env)
        return kvst__cursor_fail_known(&p->cursor, KVST_E_NOMEM, r->offset, r->line, r->column,
                                       "out of memory");
    rc = kvst__awslogs_envelope(p, r, env, &out);
    if (rc) {
        kvst__record_recycle(p, env);
        return kvst__cursor_fail_known(&p->cursor, rc, out.offset, out.line, out.column,
                                       "out of memory reading awslogs data");
    }
    if (out.code) {
        env->index = kvst__builder_count_record(p);
        if (!(p->opts.flags & KVST_FLAG_RECOVER))
            return fail_as(p, env, &out);
        /* the broken record's text: the awslogs object as written */
        env->raw.len = 0;
        env->count = 0;
        env->container = KVST_CONTAINER_CLOUDWATCH_LOGS;
        if (kvst__buf_append(&env->raw, &p->alloc, r->raw.data, r->raw.len)) {
            kvst__record_recycle(p, env);
            return kvst__cursor_fail_known(&p->cursor, KVST_E_NOMEM, out.offset, out.line,
                                           out.column, "out of memory");
        }
        message_broken(env, &out);
        return deliver_record(p, env, 0);
    }
    rc = env->container == KVST__CONTAINER_CW_ENVELOPE ? deliver_messages(p, env, out.excerpt) : 0;
    kvst__record_recycle(p, env);
    return rc;
}

/* The record sink the parser gives the record builder and recovery: a
 * complete record, delivered (callback) or queued (pull). */
static int deliver(void *ctx, kvst_record *r)
{
    kvst_parser *p = (kvst_parser *)ctx;

    if (r->container == KVST__CONTAINER_CW_ENVELOPE)
        return deliver_messages(p, r, NULL);
    if (r->container == KVST__CONTAINER_CW_AWSLOGS)
        return deliver_awslogs(p, r);
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
    rc = kvst__event_build(r, p->opts.flags, &impl);
    if (rc) {
        /* sticky like any other error: this record and those queued after
         * it are dropped, and every later call returns the error */
        while (p->ready_head) {
            kvst_record *q = p->ready_head;
            p->ready_head = q->next;
            kvst__record_recycle(p, q);
        }
        p->ready_tail = NULL;
        kvst__cursor_clear(&p->cursor);
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
        *bytes_json = p ? p->bytes_json + kvst__lex_held(p) : 0;
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
    kvst__recover_free(p);
    kvst__cursor_free(&p->cursor, &p->alloc);
    kvst__lex_free(p);
    kvst__filter_free(&p->alloc, p->filter);
    a = p->alloc;
    kvst__free(&a, p);
}
