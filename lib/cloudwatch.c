/*
 * Stage 3b: CloudWatch Logs subscription envelopes. A CloudTrail trail that
 * sends its events to CloudWatch Logs reaches Kinesis, Firehose and Lambda
 * as gzip'd envelopes
 *
 *   {"messageType":"DATA_MESSAGE","owner":...,"logGroup":...,
 *    "logStream":...,"subscriptionFilters":[...],
 *    "logEvents":[{"id":...,"timestamp":...,"message":"<one event>"}]}
 *
 * where each message is one CloudTrail event as a JSON string. The record
 * builder reads an envelope as one record (so it is bounded by the record
 * limit, and each message with it); here each message's decoded text is
 * parsed into a record of its own, container KVST_CONTAINER_CLOUDWATCH_LOGS,
 * which delivery then treats as any other record.
 *
 * Positions (docs/api.md): the event, its findings and a message's error
 * are all at the message string's opening quote in the input. A position
 * inside the decoded text is no byte of the input (every quote of the
 * event is written \" there), and the finding's JSON pointer already says
 * where inside the event it is. The record is "pinned" (kvst_tape.pinned).
 *
 * yajl's memory comes from the envelope record's arena (reset with the
 * envelope), so a refused allocation leaves yajl by longjmp without
 * leaking; the message record's nodes and strings are on the parser's
 * allocator as the builder's are.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

typedef struct cw_build {
    const kvst_parser *p;
    kvst_record *m;             /* the message's record */
    const unsigned char *text;  /* the decoded message */
    size_t len;
    kvst_arena *ar;             /* yajl's memory */
    kvst_yajl_arena ya;         /* yajl, its memory from ar (yajl_guard.h) */
    uint32_t *open;             /* tape index of each open container */
    size_t depth, open_cap;
    int nomem, not_object, too_deep, event_key;
} cw_build;

/* ---- the message's tape ------------------------------------------------------- */

static size_t consumed(const cw_build *b)
{
    return yajl_get_bytes_consumed(b->ya.h);
}

/* End of a string or number token: from yajl's pointer when the text is
 * the input's own (no escape), else from what yajl consumed. */
static size_t token_end(const cw_build *b, const void *s, size_t len, size_t quote)
{
    uintptr_t a = (uintptr_t)s, t = (uintptr_t)b->text;
    if (a >= t && a - t + len + quote <= b->len)
        return (size_t)(a - t) + len + quote;
    return consumed(b);
}

static int push(cw_build *b, uint32_t kind, size_t end, const void *s, size_t len)
{
    kvst_record *m = b->m;
    const kvst_alloc *a = &b->p->alloc;
    kvst_node *n;

    if (b->depth == 0 && kind != KVST_JSON_OBJECT) {
        b->not_object = 1;
        return 0;
    }
    if (m->count == m->cap) {
        uint32_t cap = m->cap ? m->cap * 2 : 64;
        kvst_node *nn = (kvst_node *)kvst__realloc(a, m->nodes, cap * sizeof *nn);
        if (!nn) {
            b->nomem = 1;
            return 0;
        }
        m->nodes = nn;
        m->cap = cap;
    }
    n = &m->nodes[m->count];
    n->kind = kind;
    n->next = m->count + 1;
    n->start = 0;
    n->end = (uint32_t)end;
    n->len = (uint32_t)len;
    n->soff = (uint32_t)m->strings.len;
    if (s && (kvst__buf_append(&m->strings, a, s, len) ||
              kvst__buf_append(&m->strings, a, "", 1))) {
        b->nomem = 1;
        return 0;
    }
    m->count++;
    return 1;
}

static int cw_null(void *ctx)
{
    cw_build *b = (cw_build *)ctx;
    return push(b, KVST_JSON_NULL, consumed(b), NULL, 0);
}

static int cw_boolean(void *ctx, int v)
{
    cw_build *b = (cw_build *)ctx;
    return push(b, KVST_JSON_BOOLEAN, consumed(b), v ? "true" : "false", v ? 4 : 5);
}

static int cw_number(void *ctx, const char *s, size_t len)
{
    cw_build *b = (cw_build *)ctx;
    uint32_t kind = KVST_JSON_INTEGER;
    size_t i;
    for (i = 0; i < len; i++)
        if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
            kind = KVST_JSON_DOUBLE;
    return push(b, kind, token_end(b, s, len, 0), s, len);
}

/*
 * yajl decodes some \u escapes wrongly (utf8.h says which), as it does for
 * any record; the record builder decodes such a string again from the
 * record's bytes, and so does this: a string that is not the message's own
 * bytes (it had escapes) and holds such an escape is decoded from the
 * message text ending at end (one past its closing quote). 0, or 1 when out
 * of memory.
 */
static int redecode(cw_build *b, size_t end, const unsigned char **s, size_t *len)
{
    uintptr_t a = (uintptr_t)*s, t = (uintptr_t)b->text;
    const unsigned char *body;
    unsigned char *out;
    size_t q, blen;

    if ((a >= t && a - t < b->len) || end < 2 || end > b->len)
        return 0;
    q = kvst__json_string_start((const char *)b->text, end);
    body = b->text + q + 1;
    blen = end - q - 2;
    if (!kvst__json_needs_decode(body, blen))
        return 0;
    out = (unsigned char *)kvst__arena_alloc(b->ar, blen + 1);
    if (!out) {
        b->nomem = 1;
        return 1;
    }
    *len = kvst__json_decode(body, blen, out);
    *s = out;
    return 0;
}

static int cw_string(void *ctx, const unsigned char *s, size_t len)
{
    cw_build *b = (cw_build *)ctx;
    size_t end = token_end(b, s, len, 1);
    if (redecode(b, end, &s, &len))
        return 0;
    return push(b, KVST_JSON_STRING, end, s, len);
}

static int cw_key(void *ctx, const unsigned char *s, size_t len)
{
    cw_build *b = (cw_build *)ctx;
    size_t end = token_end(b, s, len, 1);
    if (redecode(b, end, &s, &len))
        return 0;
    if (b->depth == 1 && kvst__is_event_key(s, len))
        b->event_key = 1;
    return push(b, KVST_NODE_KEY, end, s, len);
}

static int cw_open(cw_build *b, uint32_t kind)
{
    uint32_t node = b->m->count;
    if (b->depth + 1 > b->p->opts.max_depth) {
        b->too_deep = 1;
        return 0;
    }
    if (!push(b, kind, 0, NULL, 0))
        return 0;
    b->m->nodes[node].start = (uint32_t)(consumed(b) - 1);
    if (b->depth == b->open_cap) {
        size_t cap = b->open_cap ? b->open_cap * 2 : 16;
        uint32_t *no = (uint32_t *)kvst__realloc(&b->p->alloc, b->open, cap * sizeof *no);
        if (!no) {
            b->nomem = 1;
            return 0;
        }
        b->open = no;
        b->open_cap = cap;
    }
    b->open[b->depth++] = node;
    return 1;
}

static int cw_start_map(void *ctx)
{
    return cw_open((cw_build *)ctx, KVST_JSON_OBJECT);
}

static int cw_start_array(void *ctx)
{
    return cw_open((cw_build *)ctx, KVST_JSON_ARRAY);
}

static int cw_close(void *ctx)
{
    cw_build *b = (cw_build *)ctx;
    kvst_node *n = &b->m->nodes[b->open[--b->depth]];
    n->next = b->m->count;
    n->end = (uint32_t)consumed(b);
    return 1;
}

static const yajl_callbacks cw_callbacks = {
    cw_null, cw_boolean, NULL, NULL, cw_number, cw_string,
    cw_start_map, cw_key, cw_close, cw_start_array, cw_close
};

/* The parse: 0, or 1 when memory ran out; on a yajl error *at is where
 * in the text, *msg yajl's words (arena memory). */
static int cw_parse(cw_build *b, yajl_status *st, size_t *at, const char **msg)
{
    if (kvst__yajl_arena_open(&b->ya, b->ar, &cw_callbacks, b) ||
        kvst__yajl_arena_parse(&b->ya, b->text, b->len, st) ||
        (*st == yajl_status_ok && kvst__yajl_arena_complete(&b->ya, st)))
        return 1;
    *at = consumed(b);
    if (*st == yajl_status_error && !(*msg = kvst__yajl_arena_error(&b->ya)))
        return 1;
    return 0;
}

/* Parse text (len bytes) into m's tape with b, set up here; yajl's memory
 * comes from ar. 0 (then b says what the text was), or KVST_E_NOMEM. */
static int cw_read(cw_build *b, const kvst_parser *p, kvst_record *m, const unsigned char *text,
                   size_t len, kvst_arena *ar, yajl_status *st, size_t *at, const char **msg)
{
    int refused;

    memset(b, 0, sizeof *b);
    b->p = p;
    b->m = m;
    b->text = text;
    b->len = len;
    b->ar = ar;
    refused = cw_parse(b, st, at, msg);
    kvst__free(&p->alloc, b->open);
    b->open = NULL;
    return refused || b->nomem ? KVST_E_NOMEM : 0;
}

/* yajl's message without its trailing new line, at most 200 bytes. */
static int message_len(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
        n--;
    return (int)kvst__text_cut(s ? s : "", n, 200);
}

/* ---- one message ------------------------------------------------------------- */

/* A message that is not an event: what and why, for delivery to report. */
void kvst__cw_error(cw_message *out, int code, const char *fmt, ...)
{
    va_list ap;
    out->code = code;
    va_start(ap, fmt);
    kvst__text_vprintf(out->message, sizeof out->message, fmt, ap);
    va_end(ap);
}

/* A message that is not an event keeps the bytes of the input it was
 * read from (the string as written, or the element without a message), as
 * a broken record's text does. 0 or KVST_E_NOMEM. */
static int keep_input_text(const kvst_parser *p, kvst_record *m, const kvst_tape *t,
                           uint32_t node)
{
    uint32_t from = kvst__tape_start(t, node), to = t->nodes[node].end;
    m->raw.len = 0;
    return to > from && to <= t->raw_len
               ? kvst__buf_append(&m->raw, &p->alloc, t->raw + from, to - from)
               : 0;
}

int kvst__cloudwatch_message(const kvst_parser *p, kvst_record *env, uint32_t element,
                             kvst_record *m, cw_message *out)
{
    kvst_tape t;
    cw_build b;
    uint32_t msg;
    yajl_status st = yajl_status_ok;
    size_t at = 0;
    const char *ymsg = NULL;

    memset(out, 0, sizeof *out);
    kvst__record_tape(env, &t);
    kvst__record_reset(m);
    m->container = KVST_CONTAINER_CLOUDWATCH_LOGS;
    m->pinned = 1;
    msg = kvst__tape_get(&t, element, "message", 7);
    kvst__tape_position(&t, msg < t.count ? msg : element, &m->offset, &m->line, &m->column);
    {
        /* The excerpt is made here, from the envelope's bytes: the
         * tokenizer holds only the last few, whatever the split. */
        size_t from = kvst__tape_start(&t, msg < t.count ? msg : element);
        kvst__excerpt(out->excerpt, sizeof out->excerpt, (const unsigned char *)t.raw + from,
                      t.raw_len - from, 0);
    }
    out->offset = m->offset;
    out->line = m->line;
    out->column = m->column;
    if (msg >= t.count || t.nodes[msg].kind != KVST_JSON_STRING) {
        kvst__cw_error(out, KVST_E_NOT_CLOUDTRAIL,
                      "a logEvents element of a CloudWatch Logs envelope has %s",
                      msg >= t.count ? "no message" : "a message that is not a string");
        return keep_input_text(p, m, &t, msg < t.count ? msg : element);
    }

    if (kvst__buf_append(&m->raw, &p->alloc, t.strings + t.nodes[msg].soff, t.nodes[msg].len) ||
        cw_read(&b, p, m, (const unsigned char *)t.strings + t.nodes[msg].soff, t.nodes[msg].len,
                &env->arena, &st, &at, &ymsg))
        return KVST_E_NOMEM;
    if (b.too_deep)
        kvst__cw_error(out, KVST_E_LIMIT,
                      "the CloudWatch Logs message nests deeper than the limit of %llu "
                      "(at byte %llu of the decoded message)",
                      (unsigned long long)p->opts.max_depth, (unsigned long long)at);
    else if (b.not_object)
        kvst__cw_error(out, KVST_E_NOT_CLOUDTRAIL,
                      "the CloudWatch Logs message is not a JSON object, so not a "
                      "CloudTrail event");
    else if (st != yajl_status_ok)
        kvst__cw_error(out, KVST_E_SYNTAX,
                      "the CloudWatch Logs message is not JSON: %.*s at byte %llu of the "
                      "decoded message",
                      ymsg ? message_len(ymsg) : 14, ymsg ? ymsg : "a syntax error",
                      (unsigned long long)at);
    else if (m->count == 0)
        kvst__cw_error(out, KVST_E_NOT_CLOUDTRAIL, "the CloudWatch Logs message is empty");
    else if (!b.event_key)
        kvst__cw_error(out, KVST_E_NOT_CLOUDTRAIL,
                      "the CloudWatch Logs message is a JSON object without eventVersion, "
                      "eventSource, eventName, eventTime or eventID, not a CloudTrail event");
    if (ymsg)
        yajl_free_error(b.ya.h, (unsigned char *)(uintptr_t)ymsg);
    return out->code ? keep_input_text(p, m, &t, msg) : 0;
}

uint32_t kvst__cloudwatch_next(const kvst_record *r, uint32_t prev)
{
    kvst_tape t;
    uint32_t events;

    kvst__record_tape(r, &t);
    events = kvst__tape_get(&t, 0, "logEvents", 9);
    if (events >= t.count)
        return KVST_NO_NODE;
    if (prev == KVST_NO_NODE)
        prev = events + 1;
    else
        prev = t.nodes[prev].next;
    return prev < t.nodes[events].next ? prev : KVST_NO_NODE;
}

/*
 * An envelope that was not in the input as JSON (Lambda's awslogs form,
 * awslogs.c): env->raw holds its inflated text, checked as UTF-8; here it
 * is parsed into env's tape and classified as the record builder
 * classifies a plain one. env keeps its pinned position. 0 (out->code says
 * whether it is an envelope; a CONTROL_MESSAGE is one with no messages:
 * env->container is 0 then) or KVST_E_NOMEM.
 */
int kvst__cloudwatch_envelope(const kvst_parser *p, kvst_record *env, cw_message *out)
{
    kvst_tape t;
    cw_build b;
    yajl_status st = yajl_status_ok;
    size_t at = 0;
    const char *ymsg = NULL;
    uint32_t type, events;

    env->count = 0;
    env->strings.len = 0;
    env->root = 0;
    env->container = 0;
    if (cw_read(&b, p, env, (const unsigned char *)env->raw.data, env->raw.len, &env->arena, &st,
                &at, &ymsg))
        return KVST_E_NOMEM;
    if (b.too_deep)
        kvst__cw_error(out, KVST_E_LIMIT,
                      "the CloudWatch Logs envelope of the awslogs data nests deeper than the "
                      "limit of %llu (at byte %llu of the inflated envelope)",
                      (unsigned long long)p->opts.max_depth, (unsigned long long)at);
    else if (b.not_object)
        kvst__cw_error(out, KVST_E_NOT_CLOUDTRAIL,
                      "the awslogs data is not a JSON object, so not a CloudWatch Logs envelope");
    else if (st != yajl_status_ok)
        kvst__cw_error(out, KVST_E_SYNTAX,
                      "the awslogs data's envelope is not JSON: %.*s at byte %llu of the "
                      "inflated envelope",
                      ymsg ? message_len(ymsg) : 14, ymsg ? ymsg : "a syntax error",
                      (unsigned long long)at);
    else if (env->count == 0)
        kvst__cw_error(out, KVST_E_NOT_CLOUDTRAIL, "the awslogs data is empty");
    if (ymsg)
        yajl_free_error(b.ya.h, (unsigned char *)(uintptr_t)ymsg);
    if (out->code)
        return 0;
    kvst__record_tape(env, &t);
    type = kvst__tape_get(&t, 0, "messageType", 11);
    events = kvst__tape_get(&t, 0, "logEvents", 9);
    if (type < t.count && t.nodes[type].kind == KVST_JSON_STRING && t.nodes[type].len == 15 &&
        memcmp(t.strings + t.nodes[type].soff, "CONTROL_MESSAGE", 15) == 0)
        return 0;
    if (type < t.count && t.nodes[type].kind == KVST_JSON_STRING && t.nodes[type].len == 12 &&
        memcmp(t.strings + t.nodes[type].soff, "DATA_MESSAGE", 12) == 0 && events < t.count &&
        t.nodes[events].kind == KVST_JSON_ARRAY) {
        env->container = KVST__CONTAINER_CW_ENVELOPE;
        return 0;
    }
    kvst__cw_error(out, KVST_E_NOT_CLOUDTRAIL,
                  "the awslogs data is not a CloudWatch Logs envelope: not a DATA_MESSAGE "
                  "with a logEvents array, nor a CONTROL_MESSAGE");
    return 0;
}
