/*
 * Stage 3: the record builder. yajl's callbacks land here. It finds the
 * records in whatever container the input is ({"Records":[...]}, an array,
 * single or concatenated objects, EventBridge envelopes), keeps each
 * record's values on a compact token tape plus its raw bytes, and hands
 * complete records to delivery. It knows nothing about KVS.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define P(ctx) ((kvst_parser *)(ctx))

static const char *const json_type_names[] = {
    "nothing", "null", "boolean", "integer", "number", "string", "object", "array"
};

/* ---- records ------------------------------------------------------------ */

kvst_record *kvst__record_new(kvst_parser *p)
{
    kvst_record *r = p->pool;

    if (r) {
        p->pool = r->next;
        r->next = NULL;
        return r;
    }
    r = (kvst_record *)kvst__malloc(&p->alloc, sizeof *r);
    if (!r)
        return NULL;
    memset(r, 0, sizeof *r);
    kvst__arena_init(&r->arena, &p->alloc);
    return r;
}

void kvst__record_recycle(kvst_parser *p, kvst_record *r)
{
    kvst__record_reset(r);
    r->next = p->pool;
    p->pool = r;
}

int kvst__builder_renew(kvst_parser *p)
{
    kvst_record *fresh = kvst__record_new(p);

    if (!fresh)
        return KVST_E_NOMEM;
    p->cur = fresh;
    return 0;
}

uint64_t kvst__builder_count_record(kvst_parser *p)
{
    return p->records++;
}

/*
 * The fast lexer's pass 1 found the record at the records' level whole
 * and well-formed, and its top-level eventSource (the last one) says
 * delivery would drop it before building anything (KVST_FLAG_KVS_ONLY or
 * the filter's actions): what reading it token by token would have left
 * of the builder's state, without its tape. It has an event key (its
 * eventSource), so classify_candidate would have taken it as an event of
 * its container; its index is counted; its raw bytes, tape and the
 * repeated "Records" key's place (on the first record of a repeated
 * array) would have gone with it. Nothing else it would have set is read
 * once the record is closed (record_begin sets it again).
 */
void kvst__builder_skip_record(kvst_parser *p, uint64_t end)
{
    uint32_t d = p->depth;

    if (d > 0 && p->levels[d].is_array)
        p->levels[d].items++;
    if (d == 0) { /* between top-level events */
        p->top_kind = KVST_JSON_OBJECT;
        p->top_values++;
        p->top = KVST_TOP_OBJECT;
    }
    p->saw_records_key = 0;
    p->last_tok_end = end;
    p->last_tok_kind = KVST_TOK_VALUE;
    p->top_has_event_key = 1;
    p->dup_records_line = 0;
    p->records++;
}

void kvst__record_reset(kvst_record *r)
{
    r->broken = 0;
    r->pinned = 0;
    r->dup_records_line = 0;
    r->lazy_repeat = 0;
    r->taped_payload = 0;
    r->no_u_escapes = 0;
    r->count = 0;
    r->strings.len = 0;
    r->raw.len = 0;
    r->root = 0;
    kvst__arena_reset(&r->arena);
}

void kvst__record_destroy(kvst_parser *p, kvst_record *r)
{
    if (!r)
        return;
    kvst__free(&p->alloc, r->nodes);
    kvst__buf_free(&r->strings, &p->alloc);
    kvst__buf_free(&r->raw, &p->alloc);
    kvst__arena_free(&r->arena);
    kvst__free(&p->alloc, r);
}

void kvst__record_tape(const kvst_record *r, kvst_tape *t)
{
    t->nodes = r->nodes;
    t->count = r->count;
    t->root = r->root;
    t->strings = r->strings.data ? (const char *)r->strings.data : "";
    t->strings_len = r->strings.len;
    t->raw = r->raw.data ? (const char *)r->raw.data : "";
    t->raw_len = r->raw.len;
    t->offset = r->offset;
    t->line = r->line;
    t->column = r->column;
    t->pinned = r->pinned;
    t->dup_records_offset = r->dup_records_offset;
    t->dup_records_line = r->dup_records_line;
    t->dup_records_column = r->dup_records_column;
    t->lazy_repeat = r->lazy_repeat;
    t->taped_payload = r->taped_payload;
    t->no_u_escapes = r->no_u_escapes;
}

/* ---- builder state -------------------------------------------------------- */

/* The cursor's where: an error's JSON pointer and record index. */
static uint64_t error_where(const void *ctx, char *pointer, size_t cap)
{
    const kvst_parser *p = (const kvst_parser *)ctx;

    kvst__builder_pointer(p, pointer, cap);
    return p->records;
}

int kvst__builder_init(kvst_parser *p, kvst_record_sink sink)
{
    p->record_sink = sink;
    kvst__cursor_set_where(&p->cursor, error_where, p);
    p->levels_cap = 16;
    p->levels = (kvst_level *)kvst__malloc(&p->alloc, p->levels_cap * sizeof *p->levels);
    if (!p->levels)
        return KVST_E_NOMEM;
    memset(p->levels, 0, p->levels_cap * sizeof *p->levels);
    p->cur = kvst__record_new(p);
    return p->cur ? 0 : KVST_E_NOMEM;
}

void kvst__builder_free(kvst_parser *p)
{
    kvst__buf_free(&p->u_text, &p->alloc);
    kvst__free(&p->alloc, p->levels);
    p->levels = NULL;
    kvst__record_destroy(p, p->cur);
    p->cur = NULL;
}

static int fail_nomem(kvst_parser *p)
{
    kvst__cursor_fail_at(&p->cursor, KVST_E_NOMEM, kvst__cursor_offset(&p->cursor), "out of memory");
    return 0;
}

/*
 * Append the current chunk's bytes of the open record, up to abs offset to.
 * At most the record limit's bytes (and one) are kept: a longer record is
 * never delivered (the limit error comes first, at its next token or its
 * end), and a record of white space must not take unbounded memory.
 */
static int raw_capture(kvst_parser *p, uint64_t to)
{
    uint64_t from = p->raw_from > p->cursor.chunk_base ? p->raw_from : p->cursor.chunk_base;
    uint64_t keep = to, max = p->opts.max_record_bytes;

    if (to <= from)
        return 0;
    if (max < UINT64_MAX - p->cur->offset - 1 && keep > p->cur->offset + max + 1)
        keep = p->cur->offset + max + 1;
    if (keep > from &&
        kvst__buf_append(&p->cur->raw, &p->alloc, p->cursor.chunk + (from - p->cursor.chunk_base),
                         (size_t)(keep - from)))
        return KVST_E_NOMEM;
    p->raw_from = to;
    return 0;
}

int kvst__builder_chunk_done(kvst_parser *p)
{
    if (!p->rec_active)
        return 0;
    if (raw_capture(p, p->cursor.chunk_base + p->cursor.chunk_len))
        return kvst__cursor_fail_at(&p->cursor, KVST_E_NOMEM, p->cursor.chunk_base + p->cursor.chunk_len, "out of memory");
    return 0;
}

/* Remember the first value that is not CloudTrail; finish reports it once
 * the whole input has proven to be valid JSON. */
static void note_not_cloudtrail(kvst_parser *p, const kvst_record *at, uint64_t off,
                                const char *fmt, ...) KVST_PRINTF(4, 5);
static void note_not_cloudtrail(kvst_parser *p, const kvst_record *at, uint64_t off,
                                const char *fmt, ...)
{
    va_list ap;

    if (p->not_ct)
        return;
    p->not_ct = 1;
    p->not_ct_off = off;
    if (at) { /* a whole candidate record: the cursor has moved past it */
        p->not_ct_line = at->line;
        p->not_ct_col = at->column;
    } else {
        kvst__cursor_position(&p->cursor, off, &p->not_ct_line, &p->not_ct_col);
    }
    va_start(ap, fmt);
    kvst__text_vprintf(p->not_ct_msg, sizeof p->not_ct_msg, fmt, ap);
    va_end(ap);
}

/* The rare paths of node_push, kept out of line so the common path stays
 * small: grow the node array and/or the string buffer. */
static int node_grow(kvst_parser *p, kvst_record *r, size_t len)
{
    if (r->count == r->cap) {
        uint32_t cap = r->cap ? r->cap * 2 : 256;
        kvst_node *nn = (kvst_node *)kvst__realloc(&p->alloc, r->nodes, cap * sizeof *nn);
        if (!nn)
            return fail_nomem(p);
        r->nodes = nn;
        r->cap = cap;
    }
    if (kvst__buf_reserve(&r->strings, &p->alloc, len + 1))
        return fail_nomem(p);
    return 1;
}

/* Most keys and values are short: copy them with two overlapping
 * fixed-size moves (which compilers inline) instead of a call. */
static inline void copy_text(unsigned char *dst, const unsigned char *src, size_t len)
{
    if (len >= 8 && len <= 16) {
        memcpy(dst, src, 8);
        memcpy(dst + len - 8, src + len - 8, 8);
    } else if (len > 16 && len <= 32) {
        memcpy(dst, src, 16);
        memcpy(dst + len - 16, src + len - 16, 16);
    } else if (len >= 4 && len < 8) {
        memcpy(dst, src, 4);
        memcpy(dst + len - 4, src + len - 4, 4);
    } else {
        memcpy(dst, src, len);
    }
}

/* Node i of a record's tape, its next the node after it (end and start
 * relative to the record's first byte). */
static inline void node_set(kvst_node *n, uint32_t i, uint32_t kind, uint32_t start, uint32_t end,
                            uint32_t len, uint32_t soff)
{
    n += i;
    n->kind = kind;
    n->next = i + 1;
    n->start = start;
    n->end = end;
    n->len = len;
    n->soff = soff;
}

/* A node's text at dst, NUL-terminated (the room is made). */
static inline void text_put(unsigned char *dst, const unsigned char *s, size_t len)
{
    copy_text(dst, s, len);
    dst[len] = '\0';
}

/* Push one node (and its text when s is given). The record's counters are
 * read into locals and written back once: stores to the node could alias
 * them, and the compiler would reload them after each one. */
static inline int node_push(kvst_parser *p, uint32_t kind, uint64_t end, const void *s, size_t len)
{
    kvst_record *r = p->cur;
    uint32_t i = r->count;
    size_t so = r->strings.len;

    if (KVST_UNLIKELY(i == r->cap || r->strings.cap - so <= len + 1)) {
        if (!node_grow(p, r, len))
            return 0;
    }
    node_set(r->nodes, i, kind, 0, (uint32_t)(end - r->offset), (uint32_t)len, (uint32_t)so);
    r->count = i + 1;
    if (s) {
        text_put(r->strings.data + so, (const unsigned char *)s, len);
        r->strings.len = so + len + 1;
    }
    return 1;
}

/*
 * Absolute offset just past a string or number token. When yajl hands us
 * text that points into the chunk (no escapes, not split between chunks)
 * the offset follows from the pointer; else we ask yajl. quote is 1 for
 * strings (the closing quote), 0 for numbers.
 */
static inline uint64_t token_end(const kvst_parser *p, const void *s, size_t len, size_t quote)
{
    uintptr_t a = (uintptr_t)s, c = (uintptr_t)p->cursor.chunk;

    if (a >= c && a - c + len + quote <= p->cursor.chunk_len)
        return p->cursor.chunk_base + (uint64_t)(a - c) + len + quote;
    return kvst__cursor_offset(&p->cursor);
}

/*
 * yajl decodes some \u escapes wrongly (utf8.h says which). When yajl
 * hands over a string that is not the input's own bytes -- it had escapes
 * or a chunk's end cut it -- and those bytes hold such an escape, the
 * string is decoded again from the record's bytes, and *s, *len point at
 * that. The fast lexer never takes a \u escape (it leaves the record to
 * yajl), so both paths read every string the same. 0, or 1 when out of
 * memory (the error is set).
 */
static int redecode(kvst_parser *p, uint64_t end, const void **s, size_t *len)
{
    kvst_record *r = p->cur;
    uint64_t rel = end - r->offset;
    uint32_t q;
    const unsigned char *body;
    size_t blen;

    if (p->cursor.span)
        return 0;
    if (raw_capture(p, end)) {
        fail_nomem(p);
        return 1;
    }
    if (rel > r->raw.len || rel < 2) /* past the record limit: its error comes */
        return 0;
    q = (uint32_t)kvst__json_string_start((const char *)r->raw.data, (size_t)rel);
    body = r->raw.data + q + 1;
    blen = (size_t)rel - q - 2;
    if (!kvst__json_needs_decode(body, blen))
        return 0;
    if (kvst__buf_reserve(&p->u_text, &p->alloc, blen + 1)) {
        fail_nomem(p);
        return 1;
    }
    *len = kvst__json_decode(body, blen, p->u_text.data);
    *s = p->u_text.data;
    return 0;
}

/* A container's level as it opens (a lazy payload's prints are set by
 * its caller). */
static inline void level_set(kvst_level *l, int is_array, uint32_t node)
{
    l->node = node;
    l->is_array = (uint32_t)is_array;
    l->items = 0;
    l->key_soff = 0;
    l->key_len = 0;
}

static int level_push(kvst_parser *p, int is_array, uint32_t node)
{
    if ((uint64_t)p->depth + 1 > p->opts.max_depth) {
        kvst__cursor_fail_at(&p->cursor, KVST_E_LIMIT, kvst__cursor_offset(&p->cursor) - 1,
                      "nesting deeper than the limit of %llu",
                      (unsigned long long)p->opts.max_depth);
        return 0;
    }
    if (p->depth + 1 >= p->levels_cap) {
        uint32_t cap = p->levels_cap * 2;
        kvst_level *nl = (kvst_level *)kvst__realloc(&p->alloc, p->levels, cap * sizeof *nl);
        if (!nl)
            return fail_nomem(p);
        p->levels = nl;
        p->levels_cap = cap;
    }
    p->depth++;
    level_set(&p->levels[p->depth], is_array, node);
    return 1;
}

static int record_begin(kvst_parser *p, uint32_t container, uint64_t start)
{
    kvst_record *r = p->cur;

    kvst__record_reset(r);
    r->container = container;
    r->index = p->records;
    r->offset = start;
    kvst__cursor_position(&p->cursor, start, &r->line, &r->column);
    p->rec_active = 1;
    p->rec_depth = p->depth + 1;
    p->raw_from = start;
    p->top_has_event_key = 0;
    p->rec_kvs = 0;
    p->skip_depth = 0;
    return 1;
}

static void record_abandon(kvst_parser *p)
{
    p->rec_active = 0;
    kvst__record_reset(p->cur);
}

/* Keys that make an object an event (and not just any JSON object). */
int kvst__is_event_key(const unsigned char *k, size_t len)
{
    switch (len) {
    case 7: return memcmp(k, "eventID", 7) == 0;
    case 9: return memcmp(k, "eventName", 9) == 0 || memcmp(k, "eventTime", 9) == 0;
    case 11: return memcmp(k, "eventSource", 11) == 0;
    case 12: return memcmp(k, "eventVersion", 12) == 0;
    default: return 0;
    }
}

/*
 * Bookkeeping before any value: top-level container detection, array
 * element counting. Returns 0 to cancel the parse (error set), 1 to go on.
 */
static inline int value_begin(kvst_parser *p, uint32_t kind, uint64_t off)
{
    uint32_t d = p->depth;
    uint64_t start = (kind == KVST_JSON_OBJECT || kind == KVST_JSON_ARRAY) ? off - 1 : off;
    uint64_t item = 0;

    p->last_tok_end = off;
    p->last_tok_kind = start == off ? KVST_TOK_VALUE : KVST_TOK_OPEN;
    if (d > 0 && p->levels[d].is_array)
        item = p->levels[d].items++;

    if (p->rec_active) {
        if (off - p->cur->offset > p->opts.max_record_bytes) {
            kvst__cursor_fail_at(&p->cursor, KVST_E_LIMIT, start, "record %llu is larger than the limit of %llu bytes",
                          (unsigned long long)p->records,
                          (unsigned long long)p->opts.max_record_bytes);
            return 0;
        }
        if (p->top == KVST_TOP_OBJECT && d == 1 && p->saw_records_key && kind == KVST_JSON_ARRAY) {
            /* {"Records":[ ... ]}: a log file after all. */
            record_abandon(p);
            p->top = KVST_TOP_RECORDS;
        }
        p->saw_records_key = 0;
        return 1;
    }
    p->saw_records_key = 0;

    if (d == 0) {
        if (p->top_values && (kind != KVST_JSON_OBJECT || p->top_kind != KVST_JSON_OBJECT)) {
            kvst__cursor_fail_at(&p->cursor, KVST_E_SYNTAX, start,
                          "a JSON %s after a top-level JSON %s: only events (objects) may "
                          "follow one another",
                          json_type_names[kind], json_type_names[p->top_kind]);
            return 0;
        }
        p->top_kind = kind;
        p->top_values++;
        if (kind == KVST_JSON_OBJECT) {
            p->top = KVST_TOP_OBJECT;
            return record_begin(p, KVST_CONTAINER_SINGLE, start);
        }
        if (kind == KVST_JSON_ARRAY) {
            p->top = KVST_TOP_ARRAY;
            return 1;
        }
        note_not_cloudtrail(p, NULL, start, "the input is a JSON %s, not a CloudTrail log file or event",
                            json_type_names[kind]);
        return 1;
    }
    if (d == 1 && p->top == KVST_TOP_ARRAY) {
        if (kind == KVST_JSON_OBJECT)
            return record_begin(p, KVST_CONTAINER_ARRAY, start);
        note_not_cloudtrail(p, NULL, start, "element %llu of the top-level array is a JSON %s, not an event",
                            (unsigned long long)item, json_type_names[kind]);
        return 1;
    }
    if (d == 2 && p->top == KVST_TOP_RECORDS && p->levels[2].node == 1) {
        /* levels[2].node marks the open Records array (see container_begin) */
        if (kind == KVST_JSON_OBJECT)
            return record_begin(p, KVST_CONTAINER_LOG_FILE, start);
        note_not_cloudtrail(p, NULL, start, "Records[%llu] is a JSON %s, not an event",
                            (unsigned long long)item, json_type_names[kind]);
    }
    return 1;
}

/* eventSource at the record's root tells whether the record is KVS before
 * its payload arrives (in the usual key order). */
static void note_event_source(kvst_parser *p, const unsigned char *s, size_t len)
{
    const kvst_level *l = &p->levels[p->depth];

    if (l->key_len != 11 || memcmp(p->cur->strings.data + l->key_soff, "eventSource", 11) != 0)
        return;
    p->rec_kvs = kvst__is_kvs_source((const char *)s, len) ? 1 : -1;
}

static inline int scalar(void *ctx, uint32_t kind, const void *s, size_t len, uint64_t end)
{
    kvst_parser *p = P(ctx);

    if (p->skip_depth && p->depth >= p->skip_depth) {
        p->last_tok_end = end; /* error positions start from it */
        p->last_tok_kind = KVST_TOK_VALUE;
        return 1;              /* inside a payload kept only as raw bytes */
    }
    if (len > p->opts.max_string_bytes) {
        kvst__cursor_fail_at(&p->cursor, KVST_E_LIMIT, end,
                      "a %s of %llu bytes is longer than the %s of %llu",
                      json_type_names[kind], (unsigned long long)len,
                      KVST_STRING_LIMIT_NAME(p),
                      (unsigned long long)p->opts.max_string_bytes);
        return 0;
    }
    if (!value_begin(p, kind, end))
        return 0;
    if (!p->rec_active)
        return 1;
    if (p->depth == p->rec_depth && kind == KVST_JSON_STRING)
        note_event_source(p, (const unsigned char *)s, len);
    return node_push(p, kind, end, s, len);
}

static int cb_null(void *ctx)
{
    if (P(ctx)->fl_standin)
        return 1; /* stands in for records the fast lexer delivered */
    return scalar(ctx, KVST_JSON_NULL, NULL, 0, kvst__cursor_offset(&P(ctx)->cursor));
}

static int cb_boolean(void *ctx, int b)
{
    return scalar(ctx, KVST_JSON_BOOLEAN, b ? "true" : "false", b ? 4 : 5,
                  kvst__cursor_offset(&P(ctx)->cursor));
}

/* A number with a fraction or an exponent is a double, else an integer. */
static inline uint32_t number_kind(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
            return KVST_JSON_DOUBLE;
    return KVST_JSON_INTEGER;
}

static int cb_number(void *ctx, const char *s, size_t len)
{
    return scalar(ctx, number_kind(s, len), s, len, token_end(P(ctx), s, len, 0));
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
    kvst_parser *p = P(ctx);
    uint64_t end = token_end(p, s, len, 1);
    const void *text = s;

    if (end == kvst__cursor_offset(&p->cursor) && p->rec_active &&
        !(p->skip_depth && p->depth >= p->skip_depth) && redecode(p, end, &text, &len))
        return 0;
    return scalar(ctx, KVST_JSON_STRING, text, len, end);
}

/*
 * Payloads no later stage reads are kept as raw bytes only (one lazy node;
 * lookups parse the bytes on demand): additionalEventData and
 * serviceEventDetails always, requestParameters and responseElements once
 * eventSource said the record is not KVS. This is most of the tokens of
 * other services' records.
 */
static int lazy_payload(kvst_parser *p)
{
    const kvst_level *l = &p->levels[p->depth];
    const char *k = (const char *)p->cur->strings.data + l->key_soff;

    switch (l->key_len) {
    case 16:
        if (memcmp(k, "responseElements", 16) != 0)
            return 0;
        break;
    case 17:
        if (memcmp(k, "requestParameters", 17) != 0)
            return 0;
        break;
    case 19:
        return memcmp(k, "additionalEventData", 19) == 0 ||
               memcmp(k, "serviceEventDetails", 19) == 0;
    default:
        return 0;
    }
    if (p->rec_kvs < 0)
        return 1;
    /* a payload on the tape, which only a KVS action's typed payload
     * reads: event building looks for repeated keys in it otherwise */
    p->cur->taped_payload = 1;
    return 0;
}

static int container_begin(void *ctx, uint32_t kind)
{
    kvst_parser *p = P(ctx);
    uint32_t node = KVST_NO_NODE;
    int records_array;

    uint64_t off = kvst__cursor_offset(&p->cursor);
    int lazy;

    if (p->skip_depth && p->depth >= p->skip_depth) {
        p->last_tok_end = off;
        p->last_tok_kind = KVST_TOK_OPEN;
        if (!level_push(p, kind == KVST_JSON_ARRAY, KVST_NO_NODE))
            return 0;
        p->levels[p->depth].prints_from = p->lazy_print_count;
        p->levels[p->depth].print_bits = 0;
        return 1;
    }
    /* (in a log file already: a repeated "Records" key, whose array is
     * read as well -- the last occurrence wins, and the earlier one's
     * events are delivered already) */
    records_array = (p->top == KVST_TOP_OBJECT || p->top == KVST_TOP_RECORDS) && p->depth == 1 &&
                    p->saw_records_key && kind == KVST_JSON_ARRAY;
    if (!value_begin(p, kind, off))
        return 0;
    if (p->rec_active) {
        node = p->cur->count;
        lazy = p->depth == p->rec_depth && lazy_payload(p);
        if (!node_push(p, kind, off, NULL, 0))
            return 0;
        p->cur->nodes[node].start = (uint32_t)(off - 1 - p->cur->offset);
        if (lazy) {
            p->cur->nodes[node].len = KVST_LAZY;
            if (!level_push(p, kind == KVST_JSON_ARRAY, node))
                return 0;
            p->skip_depth = p->depth;
            p->levels[p->depth].prints_from = 0;
            p->levels[p->depth].print_bits = 0;
            p->lazy_print_count = 0;
            p->lazy_marked = 0;
            return 1;
        }
    } else if (records_array) {
        node = 1; /* marks the Records array for value_begin */
    }
    return level_push(p, kind == KVST_JSON_ARRAY, node);
}

static int cb_start_map(void *ctx)
{
    return container_begin(ctx, KVST_JSON_OBJECT);
}

static int cb_start_array(void *ctx)
{
    return container_begin(ctx, KVST_JSON_ARRAY);
}

/* A key's print: its length and its first and last bytes (eight each,
 * fewer when it is shorter), mixed. Equal keys have equal prints; two
 * different keys rarely do (that costs only kvst__lazy_repeats' look). */
static inline uint64_t key_print(const unsigned char *s, size_t len)
{
    uint64_t a = len, b = 0;

    if (len >= 8) {
        memcpy(&a, s, 8);
        memcpy(&b, s + len - 8, 8);
    } else if (len >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + len - 4, 4);
        a = x;
        b = (uint64_t)y << 32 | len;
    } else if (len > 0) {
        a = (uint64_t)s[0] | (uint64_t)s[len / 2] << 8 | (uint64_t)s[len - 1] << 16;
    }
    return (a ^ (b << 1) ^ (b >> 7) ^ len) * 0x9e3779b97f4a7c15u;
}

/*
 * A key of a lazy payload, which the tape does not keep: its print is
 * compared with those of the earlier keys of its object. A match, more
 * keys in the open objects than the prints hold, or a key whose
 * text is not the input's own bytes (it had escapes, or a chunk's end cut
 * it: yajl's copy, which may decode \u escapes otherwise), marks the
 * payload for event building, where kvst__lazy_repeats compares the keys
 * themselves and reports each repeat. Most payloads are never marked.
 */
static KVST_NOINLINE void lazy_key_at(kvst_parser *p, uint32_t depth, uint32_t skip,
                                       const unsigned char *s, size_t len, int own)
{
    kvst_level *l = &p->levels[depth];
    uint32_t i, n = p->lazy_print_count;
    uint64_t h, bit;

    if (!own)
        goto mark;
    h = key_print(s, len);
    bit = (uint64_t)1 << (h >> 58);
    if (l->print_bits & bit)
        for (i = l->prints_from; i < n; i++)
            if (p->lazy_prints[i] == h)
                goto mark;
    if (n == sizeof p->lazy_prints / sizeof p->lazy_prints[0])
        goto mark;
    l->print_bits |= bit;
    p->lazy_prints[n] = h;
    p->lazy_print_count = n + 1;
    return;
mark:
    p->lazy_marked = 1;
    p->cur->nodes[p->levels[skip].node].len = KVST_LAZY_REPEAT;
    p->cur->lazy_repeat = 1;
}

static void lazy_key(kvst_parser *p, const unsigned char *s, size_t len, int own)
{
    lazy_key_at(p, p->depth, p->skip_depth, s, len, own);
}

static int cb_map_key(void *ctx, const unsigned char *s, size_t len)
{
    kvst_parser *p = P(ctx);
    kvst_level *l = &p->levels[p->depth];
    uint64_t end;
    uint32_t so;

    end = token_end(p, s, len, 1);
    p->last_tok_end = end;
    p->last_tok_kind = KVST_TOK_KEY;
    if (p->skip_depth && p->depth >= p->skip_depth) {
        if (!p->lazy_marked) /* (token_end: the text is the input's own bytes) */
            lazy_key(p, s, len, end != kvst__cursor_offset(&p->cursor) ||
                                    (uintptr_t)s - (uintptr_t)p->cursor.chunk + len < p->cursor.chunk_len);
        return 1;
    }
    if (p->rec_active && end - p->cur->offset > p->opts.max_record_bytes) {
        /* a key past the record limit fails as a value there does (at its
         * end): its bytes are not kept (raw_capture), so it could not be
         * decoded again, and the error's pointer names its object (not
         * the key before it) */
        l->key_len = 0;
        l->key_soff = 0;
        kvst__cursor_fail_at(&p->cursor, KVST_E_LIMIT, end, "record %llu is larger than the limit of %llu bytes",
                             (unsigned long long)p->records,
                             (unsigned long long)p->opts.max_record_bytes);
        return 0;
    }
    if (p->rec_active && end == kvst__cursor_offset(&p->cursor)) {
        const void *text = s;
        if (redecode(p, end, &text, &len))
            return 0;
        s = (const unsigned char *)text;
    }
    if (len > p->opts.max_string_bytes) {
        kvst__cursor_fail_at(&p->cursor, KVST_E_LIMIT, end,
                      "a key of %llu bytes is longer than the %s of %llu",
                      (unsigned long long)len, KVST_STRING_LIMIT_NAME(p),
                      (unsigned long long)p->opts.max_string_bytes);
        return 0;
    }
    if (p->depth == 1 && p->top != KVST_TOP_ARRAY) {
        p->saw_records_key = len == 7 && memcmp(s, "Records", 7) == 0;
        if (p->saw_records_key && p->top == KVST_TOP_RECORDS) {
            /* the later "Records" key: where it starts, when written
             * plainly as every log file writes it (with escapes in it, a
             * few bytes into it: the same for every split) */
            uint64_t at = end - len - 2;
            p->dup_records_offset = at;
            kvst__cursor_position(&p->cursor, at, &p->dup_records_line, &p->dup_records_column);
        }
    }
    if (!p->rec_active)
        return 1;
    if (p->depth == p->rec_depth && !p->top_has_event_key && kvst__is_event_key(s, len))
        p->top_has_event_key = 1;
    so = (uint32_t)p->cur->strings.len; /* where node_push puts the text */
    if (!node_push(p, KVST_NODE_KEY, end, s, len))
        return 0; /* the error's pointer names the key before this one */
    l->key_soff = so;
    l->key_len = (uint32_t)len;
    return 1;
}

/* Find key in the object node obj of the record being built. */
static uint32_t cur_get(const kvst_record *r, uint32_t obj, const char *key, size_t len)
{
    kvst_tape t;
    kvst__record_tape(r, &t);
    return kvst__tape_get(&t, obj, key, len);
}

/*
 * A complete top-level object or top-level array element: an event, an
 * EventBridge envelope with the event under "detail", or not CloudTrail.
 */
static int classify_candidate(kvst_parser *p, uint64_t item)
{
    kvst_record *r = p->cur;
    uint32_t detail, dtype;

    if (p->top_has_event_key)
        return 1;
    dtype = cur_get(r, 0, "detail-type", 11);
    detail = cur_get(r, 0, "detail", 6);
    if (dtype != KVST_NO_NODE && detail != KVST_NO_NODE && r->nodes[detail].kind == KVST_JSON_OBJECT &&
        r->nodes[dtype].kind == KVST_JSON_STRING && r->nodes[dtype].len >= 14 &&
        memcmp(r->strings.data + r->nodes[dtype].soff + r->nodes[dtype].len - 14, "via CloudTrail", 14) == 0) {
        r->root = detail;
        r->container = KVST_CONTAINER_EVENTBRIDGE;
        return 1;
    }
    if (cur_get(r, 0, "digestStartTime", 15) != KVST_NO_NODE ||
        cur_get(r, 0, "digestPublicKeyFingerprint", 26) != KVST_NO_NODE ||
        (cur_get(r, 0, "logFiles", 8) != KVST_NO_NODE &&
         cur_get(r, 0, "digestS3Bucket", 14) != KVST_NO_NODE)) {
        if (p->opts.flags & KVST_FLAG_DIGESTS && p->top != KVST_TOP_ARRAY) {
            r->container = KVST_CONTAINER_DIGEST;
            return 1;
        }
        note_not_cloudtrail(p, r, r->offset, "this is a CloudTrail digest file, not a log file");
        return 0;
    }
    if (dtype != KVST_NO_NODE) {
        note_not_cloudtrail(p, r, r->offset, "an EventBridge event that is not a CloudTrail event");
        return 0;
    }
    if (cur_get(r, 0, "logEvents", 9) != KVST_NO_NODE) {
        /* A CloudWatch Logs subscription envelope, at the top or an
         * element of a top-level array (a consumer that collects the
         * records it receives into one JSON array): delivery parses the
         * messages of a DATA_MESSAGE (cloudwatch.c); a CONTROL_MESSAGE (the
         * subscription's own check) has none. */
        uint32_t type = cur_get(r, 0, "messageType", 11);
        const kvst_node *n = type != KVST_NO_NODE ? &r->nodes[type] : NULL;
        const char *s = n ? (const char *)r->strings.data + n->soff : "";
        if (n && n->kind == KVST_JSON_STRING && n->len == 15 &&
            memcmp(s, "CONTROL_MESSAGE", 15) == 0)
            return 0;
        if (n && n->kind == KVST_JSON_STRING && n->len == 12 && memcmp(s, "DATA_MESSAGE", 12) == 0 &&
            r->nodes[cur_get(r, 0, "logEvents", 9)].kind == KVST_JSON_ARRAY) {
            r->container = KVST__CONTAINER_CW_ENVELOPE;
            return 1;
        }
        note_not_cloudtrail(p, r, r->offset,
                            "a CloudWatch Logs envelope that is not a DATA_MESSAGE with a "
                            "logEvents array, nor a CONTROL_MESSAGE");
        return 0;
    }
    if (cur_get(r, 0, "awslogs", 7) != KVST_NO_NODE) {
        /* Lambda's form of an envelope: delivery decodes and inflates its
         * data (awslogs.c) and reads the envelope it carries. */
        uint32_t aw = cur_get(r, 0, "awslogs", 7);
        uint32_t data = r->nodes[aw].kind == KVST_JSON_OBJECT ? cur_get(r, aw, "data", 4)
                                                               : KVST_NO_NODE;
        if (data != KVST_NO_NODE && r->nodes[data].kind == KVST_JSON_STRING) {
            r->container = KVST__CONTAINER_CW_AWSLOGS;
            return 1;
        }
        note_not_cloudtrail(p, r, r->offset,
                            "an awslogs object without a data string is not a CloudWatch Logs "
                            "envelope as Lambda receives it");
        return 0;
    }
    if (p->top == KVST_TOP_ARRAY)
        note_not_cloudtrail(p, r, r->offset,
                            "element %llu of the top-level array is an object without "
                            "eventVersion, eventSource, eventName, eventTime or eventID",
                            (unsigned long long)item);
    else
        note_not_cloudtrail(p, r, r->offset,
                            "a JSON object without Records, eventVersion, eventSource, "
                            "eventName, eventTime or eventID is not a CloudTrail log or event");
    return 0;
}

static int container_end(void *ctx)
{
    kvst_parser *p = P(ctx);
    kvst_level *l = &p->levels[p->depth];
    uint64_t off;

    off = kvst__cursor_offset(&p->cursor);
    p->last_tok_end = off;
    p->last_tok_kind = KVST_TOK_VALUE;
    if (p->skip_depth && p->depth > p->skip_depth) {
        p->lazy_print_count = l->prints_from; /* its keys' prints go */
        p->depth--;
        return 1;
    }
    if (p->skip_depth == p->depth)
        p->skip_depth = 0; /* the lazy payload closes */
    if (p->rec_active) {
        kvst_record *r = p->cur;
        if (off - r->offset > p->opts.max_record_bytes) {
            kvst__cursor_fail_known(&p->cursor, KVST_E_LIMIT, r->offset, r->line, r->column,
                             "record %llu is larger than the limit of %llu bytes",
                             (unsigned long long)p->records,
                             (unsigned long long)p->opts.max_record_bytes);
            return 0;
        }
        r->nodes[l->node].next = r->count;
        r->nodes[l->node].end = (uint32_t)(off - r->offset);
        if (p->depth == p->rec_depth) {
            int deliver = 1;
            uint64_t item = p->depth >= 2 ? p->levels[p->depth - 1].items - 1 : 0;

            p->depth--;
            p->rec_active = 0;
            if (raw_capture(p, off))
                return fail_nomem(p);
            if (r->container == KVST_CONTAINER_SINGLE || r->container == KVST_CONTAINER_ARRAY)
                deliver = classify_candidate(p, item);
            if (p->cursor.status)
                return 0;
            if (!deliver) {
                kvst__record_reset(r);
                return 1;
            }
            if (r->container != KVST__CONTAINER_CW_ENVELOPE &&
                r->container != KVST__CONTAINER_CW_AWSLOGS)
                p->records++; /* else each message counts */
            if (p->dup_records_line) { /* the first record of a repeated Records */
                r->dup_records_offset = p->dup_records_offset;
                r->dup_records_line = p->dup_records_line;
                r->dup_records_column = p->dup_records_column;
                p->dup_records_line = 0;
            }
            if (p->record_sink.put(p->record_sink.ctx, r))
                return 0;
            return 1;
        }
    }
    p->depth--;
    return 1;
}

static int cb_end_map(void *ctx)
{
    return container_end(ctx);
}

static int cb_end_array(void *ctx)
{
    kvst_parser *p = P(ctx);
    if (p->depth == 2 && p->top == KVST_TOP_RECORDS && p->levels[2].node == 1)
        p->levels[2].node = KVST_NO_NODE; /* the Records array closed */
    return container_end(ctx);
}

/* The builder's view of the last token it saw, told from the token itself
 * (KVST_FT_* form): kvst__builder_take keeps it in no variable of its own
 * and writes it where it hands the parser over. */
static inline void take_last(kvst_parser *p, const unsigned char *s0, uint64_t base,
                             const uint32_t *t)
{
    const uint32_t w = t[1];
    uint32_t n = w, kind = KVST_TOK_VALUE;

    switch (s0[t[0]]) {
    case '{':
    case '[':
        n = 1;
        kind = KVST_TOK_OPEN;
        break;
    case '}':
    case ']':
        n = 1;
        break;
    case '"':
        n = (w & KVST_FT_LEN) + 2;
        if (w & KVST_FT_KEY)
            kind = KVST_TOK_KEY;
        break;
    case 't':
    case 'n':
        n = 4;
        break;
    case 'f':
        n = 5;
        break;
    default: /* a number: w is its length */
        break;
    }
    p->last_tok_end = base + t[0] + n;
    p->last_tok_kind = kind;
}

/*
 * The fast lexer's pass 2 (fastlex.c, emit_record) for the tokens inside
 * a record: what the callbacks above do with them, in one loop, for a
 * record pass 1 checked whole. What pass 1 checked is not checked again:
 * the depth, record and string limits (value_begin's, scalar's,
 * level_push's and cb_map_key's tests would pass), and that no string has
 * a \u escape (the cursor is in a span, so redecode returns at once). The
 * span's bytes are the cursor's chunk, so a plain string's end is the one
 * token_end takes from its pointer, and its text is the input's own (a
 * lazy key's own). Left to the callbacks, by returning it: the record's
 * own '{' (outside a record) and '}' (delivery), a string with escapes
 * (the fast lexer decodes it), a key at depth 1 of a log file (the
 * repeated Records key), and any token for which the nodes, the strings
 * or the levels would have to grow (so that a failure is reported where
 * yajl's count stands).
 *
 * Two loops: the tokens that go on the tape, and those inside a payload
 * kept as raw bytes only (skip_depth), each entered where the other
 * leaves off. The last token's end and kind (last_tok_end, last_tok_kind)
 * follow from the token (take_last) and are written only where the parser
 * is handed over: before a call that reads it, and at the end.
 */
static KVST_INLINE const uint32_t *take(kvst_parser *p, const unsigned char *s0, uint64_t base,
                                        const uint32_t *t, const uint32_t *te, const int roomy)
{
    kvst_record *r = p->cur;
    /* The state the loops move, in locals (stores through the record's
     * arrays could alias the parser's fields): written back (SYNC) before
     * each call that reads it and at the end. */
    uint32_t d = p->depth, skip = p->skip_depth, count, ncap;
    const uint32_t rec_depth = p->rec_depth, lcap = p->levels_cap;
    const uint32_t *const t_in = t;
    size_t slen, scap;
    kvst_node *nodes;
    unsigned char *sdata;
    kvst_level *levels = p->levels, *l; /* l: levels[d] */
    const uint64_t smax = p->opts.max_string_bytes;
    /* the record's offsets from the tokens': a token's end less this */
    const uint32_t rel = (uint32_t)(base - r->offset);

    count = r->count;
    ncap = r->cap;
    nodes = r->nodes;
    slen = r->strings.len;
    scap = r->strings.cap;
    sdata = r->strings.data;
#define SYNC()                        \
    do {                              \
        p->depth = d;                 \
        p->skip_depth = skip;         \
        r->count = count;             \
        r->strings.len = slen;        \
    } while (0)

    l = &levels[d];
    if (skip && d >= skip)
        goto lazy;
taped:
    for (; t < te; t += 2) {
        const unsigned char *s = s0 + t[0];
        const uint32_t w = t[1];
        uint32_t kind, i, end; /* end: relative to the record's first byte */
        size_t len = 0;
        const unsigned char *text = NULL;

        switch (*s) {
        case '}':
        case ']':
            if (d == rec_depth || (*s == ']' && d == 2 && p->top == KVST_TOP_RECORDS))
                goto out; /* the record is whole: delivery (or cb_end_array's case) */
            end = t[0] + rel + 1;
            if (skip == d)
                skip = 0; /* a raw payload's end (from the loop below) */
            nodes[l->node].next = count;
            nodes[l->node].end = end;
            l = &levels[--d];
            continue;
        case '"':
            if (w & KVST_FT_ESC)
                goto out;
            len = w & KVST_FT_LEN;
            text = s + 1;
            end = t[0] + rel + (uint32_t)len + 2;
            if (w & KVST_FT_KEY) {
                if (KVST_UNLIKELY(d == 1 && p->top != KVST_TOP_ARRAY)) {
                    if (p->top == KVST_TOP_RECORDS)
                        goto out;
                    p->saw_records_key = len == 7 && memcmp(text, "Records", 7) == 0;
                }
                if (!roomy && KVST_UNLIKELY(count == ncap || scap - slen <= len + 1))
                    goto out;
                if (d == rec_depth && !p->top_has_event_key && kvst__is_event_key(text, len))
                    p->top_has_event_key = 1;
                l->key_soff = (uint32_t)slen;
                l->key_len = (uint32_t)len;
                kind = KVST_NODE_KEY;
                goto push;
            }
            kind = KVST_JSON_STRING;
            break;
        case '{':
        case '[':
            kind = *s == '{' ? KVST_JSON_OBJECT : KVST_JSON_ARRAY;
            end = t[0] + rel + 1;
            break;
        case 't':
            kind = KVST_JSON_BOOLEAN;
            text = (const unsigned char *)"true";
            len = 4;
            end = t[0] + rel + 4;
            break;
        case 'f':
            kind = KVST_JSON_BOOLEAN;
            text = (const unsigned char *)"false";
            len = 5;
            end = t[0] + rel + 5;
            break;
        case 'n':
            kind = KVST_JSON_NULL;
            end = t[0] + rel + 4;
            break;
        default:
            kind = number_kind((const char *)s, w);
            len = w;
            text = s;
            end = t[0] + rel + w;
            break;
        }
        /* a value (value_begin, scalar, container_begin) */
        if (!roomy && KVST_UNLIKELY(count == ncap || scap - slen <= len + 1))
            goto out;
        if (!roomy && KVST_UNLIKELY(len > smax))
            goto out; /* "true" or "false" over a string limit under 5 */
        if (kind == KVST_JSON_OBJECT || kind == KVST_JSON_ARRAY) {
            int lazy = 0;
            if (d + 1 >= lcap)
                goto out;
            p->saw_records_key = 0;
            if (l->is_array)
                l->items++;
            if (d == rec_depth) {
                SYNC();
                take_last(p, s0, base, t);
                lazy = lazy_payload(p);
            }
            i = count++;
            node_set(nodes, i, kind, end - 1, end, lazy ? KVST_LAZY : 0, (uint32_t)slen);
            l = &levels[++d];
            level_set(l, kind == KVST_JSON_ARRAY, i);
            if (lazy) {
                skip = d;
                l->prints_from = 0;
                l->print_bits = 0;
                p->lazy_print_count = 0;
                p->lazy_marked = 0;
                t += 2;
                goto lazy;
            }
            continue;
        }
        p->saw_records_key = 0;
        if (l->is_array)
            l->items++;
        if (d == rec_depth && kind == KVST_JSON_STRING && l->key_len == 11) {
            SYNC();
            take_last(p, s0, base, t);
            note_event_source(p, text, len);
        }
    push:
        i = count++;
        node_set(nodes, i, kind, 0, end, (uint32_t)len, (uint32_t)slen);
        if (text) {
            text_put(sdata + slen, text, len);
            slen += len + 1;
        }
    }
    goto out;

lazy:
    /* inside a payload kept as raw bytes only: its keys' prints, its
     * levels; nothing on the tape */
    for (; t < te; t += 2) {
        const unsigned char *s = s0 + t[0];
        const uint32_t w = t[1];

        switch (*s) {
        case '{':
        case '[':
            if (d + 1 >= lcap)
                goto out;
            l = &levels[++d];
            level_set(l, *s == '[', KVST_NO_NODE);
            l->prints_from = p->lazy_print_count;
            l->print_bits = 0;
            continue;
        case '}':
        case ']':
            if (d == skip)
                goto taped; /* the payload closes: on the tape, as any container */
            p->lazy_print_count = l->prints_from;
            l = &levels[--d];
            continue;
        case '"':
            if (w & KVST_FT_ESC)
                goto out;
            if ((w & KVST_FT_KEY) && !p->lazy_marked)
                lazy_key_at(p, d, skip, s + 1, w & KVST_FT_LEN, 1);
            continue;
        default: /* a literal or a number */
            continue;
        }
    }

out:
    SYNC();
    if (t != t_in)
        take_last(p, s0, base, t - 2);
#undef SYNC
    return t;
}

const uint32_t *kvst__builder_take(kvst_parser *p, const unsigned char *s0, uint64_t base,
                                   const uint32_t *t, const uint32_t *te)
{
    kvst_record *r = p->cur;
    size_t ntok = (size_t)(te - t) / 2;

    if (!p->rec_active)
        return t;
    /* Only the fast lexer calls, for a record it took whole: one with no
     * \u escape (pass 1 of fastlex.c leaves a record with one to yajl). */
    r->no_u_escapes = 1;
    /* The room every token left could take, had: the loop without the
     * tests for it. A token's text and its NUL take at most its bytes and
     * one more (a string's quotes are not copied; "true" is four bytes and
     * takes five), and the tokens lie in order between the first one's
     * start and the last one's end (at most its length and five bytes
     * after its start). True and false are under any string limit of five
     * bytes or more (pass 1 checked strings and numbers against it). */
    if (t < te && p->opts.max_string_bytes >= 5 && r->cap - r->count >= ntok) {
        uint64_t span = (uint64_t)te[-2] - t[0] + (te[-1] & KVST_FT_LEN) + 5;
        if (r->strings.cap - r->strings.len > span + ntok + 1) {
            p->takes_roomy++;
            return take(p, s0, base, t, te, 1);
        }
    }
    return take(p, s0, base, t, te, 0);
}

const yajl_callbacks kvst__builder_callbacks = {
    cb_null, cb_boolean, NULL, NULL, cb_number, cb_string,
    cb_start_map, cb_map_key, cb_end_map, cb_start_array, cb_end_array
};

/* ---- errors --------------------------------------------------------------- */

void kvst__builder_pointer(const kvst_parser *p, char *out, size_t cap)
{
    size_t n = 0, m;
    uint32_t d;

    out[0] = '\0';
    if (!p->rec_active || !p->cur)
        return;
    for (d = p->rec_depth + 1; d <= p->depth; d++) {
        const kvst_level *l = &p->levels[d - 1];
        if (l->is_array)
            m = kvst__ptr_push_index(out, cap, n, l->items ? l->items - 1 : 0);
        else if (l->key_len || l->key_soff)
            m = kvst__ptr_push(out, cap, n, (const char *)p->cur->strings.data + l->key_soff,
                               l->key_len);
        else
            continue;
        if (m == n)
            return; /* the rest does not fit */
        n = m;
    }
    /* the innermost open container's current member */
    if (p->depth >= p->rec_depth) {
        const kvst_level *l = &p->levels[p->depth];
        if (l->is_array && l->items)
            kvst__ptr_push_index(out, cap, n, l->items - 1);
        else if (!l->is_array && l->key_len)
            kvst__ptr_push(out, cap, n, (const char *)p->cur->strings.data + l->key_soff,
                           l->key_len);
    }
}

void kvst__builder_restart(kvst_parser *p)
{
    p->depth = 0;
    p->skip_depth = 0;
    p->top = KVST_TOP_BETWEEN;
    p->top_kind = 0;
    p->top_values = 0;
    p->rec_active = 0;
    p->saw_records_key = 0;
    p->top_has_event_key = 0;
}

void kvst__builder_abandon(kvst_parser *p)
{
    p->rec_active = 0;
}

int kvst__builder_in_cloudtrail(const kvst_parser *p)
{
    if (p->not_ct)
        return 0;
    return p->records > 0 || p->top == KVST_TOP_RECORDS ||
           (p->rec_active && p->top_has_event_key);
}

/* ---- tape helpers ---------------------------------------------------------- */

uint32_t kvst__tape_get(const kvst_tape *t, uint32_t obj, const char *key, size_t len)
{
    uint32_t i, end, found = KVST_NO_NODE;

    if (obj >= t->count || t->nodes[obj].kind != KVST_JSON_OBJECT)
        return KVST_NO_NODE;
    end = t->nodes[obj].next;
    /* The last occurrence of a repeated key, as the envelope reads it (one
     * rule for every consumer: docs/cli.md). */
    for (i = obj + 1; i < end; ) {
        const kvst_node *k = &t->nodes[i];
        if (k->len == len && memcmp(t->strings + k->soff, key, len) == 0)
            found = i + 1;
        i = t->nodes[i + 1].next;
    }
    return found;
}

uint32_t kvst__tape_start(const kvst_tape *t, uint32_t node)
{
    const kvst_node *n = &t->nodes[node];
    uint32_t e;

    if (n->kind == KVST_JSON_OBJECT || n->kind == KVST_JSON_ARRAY)
        return n->start;
    e = n->end;
    if (e == 0 || e > t->raw_len)
        return 0;
    if (n->kind == KVST_JSON_STRING || n->kind == KVST_NODE_KEY)
        return (uint32_t)kvst__json_string_start(t->raw, e);
    if (n->kind == KVST_JSON_NULL)
        return e >= 4 ? e - 4 : 0;
    return e >= n->len ? e - n->len : 0; /* numbers, true, false: text as written */
}

void kvst__tape_position(const kvst_tape *t, uint32_t node, uint64_t *off, uint64_t *line,
                         uint64_t *col)
{
    kvst__tape_position_at(t, node < t->count ? kvst__tape_start(t, node) : 0, off, line, col);
}

void kvst__tape_position_at(const kvst_tape *t, uint32_t at, uint64_t *off, uint64_t *line,
                            uint64_t *col)
{
    uint64_t l = t->line, c = t->column;
    const char *p, *end, *nl, *last = NULL;

    if (t->pinned) {
        *off = t->offset;
        *line = l;
        *col = c;
        return;
    }
    /* Lines by memchr (a finding of a 7 KB record counted its bytes one by
     * one: 6% of a plain run's instructions); the column is the bytes since
     * the last newline before at, or since the record's own column. */
    p = t->raw;
    end = t->raw + (at < t->raw_len ? at : t->raw_len);
    while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        l++;
        last = nl;
        p = nl + 1;
    }
    c = last != NULL ? (uint64_t)(end - last) : c + (uint64_t)(end - t->raw);
    *off = t->offset + at;
    *line = l;
    *col = c;
}

int kvst__tape_pointer(const kvst_tape *t, uint32_t node, char *out, size_t cap)
{
    uint32_t at = t->root, i, idx;
    size_t n = 0, m;

    if (at >= t->count || node < at || node >= t->nodes[at].next || cap == 0)
        return 0;
    out[0] = '\0';
    while (at != node) {
        const kvst_node *c = &t->nodes[at];
        int obj = c->kind == KVST_JSON_OBJECT;
        /* the child whose subtree holds node (an object's: a key, then
         * its value) */
        for (i = at + 1, idx = 0; i < c->next; i = t->nodes[obj ? i + 1 : i].next, idx++)
            if (node < t->nodes[obj ? i + 1 : i].next)
                break;
        if (i >= c->next)
            return 0;
        if (obj) {
            const kvst_node *k = &t->nodes[i];
            m = kvst__ptr_push(out, cap, n, t->strings + k->soff, k->len);
            if (node == i) /* the key: its member */
                at = node;
            else
                at = i + 1;
        } else {
            m = kvst__ptr_push_index(out, cap, n, idx);
            at = i;
        }
        if (m == n)
            return 0;
        n = m;
    }
    return 1;
}

/* Whether raw[0, len) may hold a surrogate escape: a backslash followed by
 * "uD8" to "uDF" (either case). A yes may be wrong (an escaped backslash
 * before "uD800" is text); a no is not: every surrogate escape has one. */
static int may_hold_surrogate(const unsigned char *raw, size_t len)
{
    const unsigned char *s = raw, *end = raw + len, *b;

    while ((b = (const unsigned char *)memchr(s, '\\', (size_t)(end - s))) != NULL) {
        if (end - b >= 4 && b[1] == 'u' && (b[2] | 0x20) == 'd' &&
            ((b[3] >= '8' && b[3] <= '9') || ((b[3] | 0x20) >= 'a' && (b[3] | 0x20) <= 'f')))
            return 1;
        s = b + 1;
    }
    return 0;
}

int kvst__tape_lone_surrogates(const kvst_tape *t, int (*fn)(void *ctx, uint32_t node, uint32_t at),
                               void *ctx)
{
    const unsigned char *raw = (const unsigned char *)t->raw;
    uint32_t i;
    int rc;

    /* most records hold no surrogate escape at all; those the fast lexer
     * took no \u escape at all */
    if (t->no_u_escapes || !may_hold_surrogate(raw, t->raw_len))
        return 0;
    for (i = 0; i < t->count; i++) {
        const kvst_node *n = &t->nodes[i];
        uint32_t s, e = n->end;
        size_t blen, at;
        if ((n->kind != KVST_JSON_STRING && n->kind != KVST_NODE_KEY) || e < 2 || e > t->raw_len)
            continue;
        s = kvst__tape_start(t, i) + 1;
        if (s >= e)
            continue;
        blen = e - 1 - s;
        for (at = kvst__json_lone_surrogate(raw + s, blen, 0); at < blen;
             at = kvst__json_lone_surrogate(raw + s, blen, at + 6))
            if ((rc = fn(ctx, i, s + (uint32_t)at)) != 0)
                return rc;
    }
    return 0;
}

typedef struct tape_key {
    const char *s;
    uint32_t len, node, place;
} tape_key;

/* By text, then by place: a repeated key's occurrences sort together,
 * first one first. */
static int tape_key_cmp(const void *a, const void *b)
{
    const tape_key *x = (const tape_key *)a, *y = (const tape_key *)b;
    uint32_t n = x->len < y->len ? x->len : y->len;
    int d = n ? memcmp(x->s, y->s, n) : 0;

    if (d == 0 && x->len != y->len)
        d = x->len < y->len ? -1 : 1;
    if (d == 0)
        d = x->node < y->node ? -1 : x->node > y->node;
    return d;
}

static int same_key(const kvst_tape *t, uint32_t a, uint32_t b)
{
    return t->nodes[a].len == t->nodes[b].len &&
           memcmp(t->strings + t->nodes[a].soff, t->strings + t->nodes[b].soff,
                  t->nodes[a].len) == 0;
}

int kvst__object_repeats(const kvst_tape *t, uint32_t obj, kvst_arena *ar, uint32_t **out,
                         uint32_t *count)
{
    uint32_t i, j, keys = 0, n = 0, end = t->nodes[obj].next;
    uint32_t *reps;
    tape_key *order;
    unsigned char *marks;

    *out = NULL;
    *count = 0;
    for (i = obj + 1; i < end; i = t->nodes[i + 1].next)
        keys++;
    if (keys < 2)
        return 0;
    reps = (uint32_t *)kvst__arena_alloc(ar, keys * sizeof *reps);
    if (!reps)
        return KVST_E_NOMEM;
    if (keys <= 8) {
        for (i = obj + 1; i < end; i = t->nodes[i + 1].next) {
            for (j = obj + 1; j < i && !same_key(t, j, i); j = t->nodes[j + 1].next)
                ;
            if (j < i)
                reps[n++] = i;
        }
    } else {
        order = (tape_key *)kvst__arena_alloc(ar, keys * sizeof *order);
        marks = (unsigned char *)kvst__arena_zalloc(ar, keys);
        if (!order || !marks)
            return KVST_E_NOMEM;
        for (i = obj + 1, j = 0; i < end; i = t->nodes[i + 1].next, j++) {
            order[j].s = t->strings + t->nodes[i].soff;
            order[j].len = t->nodes[i].len;
            order[j].node = i;
            order[j].place = j;
        }
        qsort(order, keys, sizeof *order, tape_key_cmp);
        for (i = 1; i < keys; i++)
            if (same_key(t, order[i].node, order[i - 1].node))
                marks[order[i].place] = 1;
        /* back to input order */
        for (i = obj + 1, j = 0; i < end; i = t->nodes[i + 1].next, j++)
            if (marks[j])
                reps[n++] = i;
    }
    if (n) {
        *out = reps;
        *count = n;
    }
    return 0;
}

int kvst__tape_repeats(const kvst_tape *t, uint32_t node, kvst_arena *ar,
                       int (*fn)(void *ctx, uint32_t key), void *ctx)
{
    uint32_t i, k, n, *reps, end;
    int rc;

    if (node >= t->count)
        return 0;
    end = t->nodes[node].next;
    for (i = node; i < end; i++) {
        if (t->nodes[i].kind != KVST_JSON_OBJECT || t->nodes[i].len)
            continue;
        if ((rc = kvst__object_repeats(t, i, ar, &reps, &n)) != 0)
            return rc;
        for (k = 0; k < n; k++)
            if ((rc = fn(ctx, reps[k])) != 0)
                return rc;
    }
    return 0;
}

/* RFC 6901: "/a~1b/0" */
uint32_t kvst__tape_resolve(const kvst_tape *t, const char *ptr, size_t len, size_t *rest)
{
    uint32_t node = t->root;
    size_t i = 0;
    char tok[512];

    *rest = len;
    if (len == 0)
        return node;
    if (ptr[0] != '/')
        return KVST_NO_NODE - 1;
    while (i < len) {
        size_t at = i, n = kvst__ptr_next(ptr, len, &i, tok, sizeof tok - 1);
        if (n == KVST_PTR_BAD)
            return KVST_NO_NODE - 1;
        if (n == KVST_PTR_LONG)
            return KVST_NO_NODE;
        if (node >= t->count)
            return KVST_NO_NODE;
        if ((t->nodes[node].kind == KVST_JSON_OBJECT || t->nodes[node].kind == KVST_JSON_ARRAY) &&
            t->nodes[node].len) {
            *rest = at; /* lazy: the rest is in its raw bytes */
            return node;
        }
        if (t->nodes[node].kind == KVST_JSON_OBJECT) {
            node = kvst__tape_get(t, node, tok, n);
        } else if (t->nodes[node].kind == KVST_JSON_ARRAY) {
            uint64_t idx = 0;
            uint32_t j, end = t->nodes[node].next;
            size_t k;
            if (n == 0 || (n > 1 && tok[0] == '0'))
                return KVST_NO_NODE;
            for (k = 0; k < n; k++) {
                if (tok[k] < '0' || tok[k] > '9' || idx > 0xffffffffu)
                    return KVST_NO_NODE;
                idx = idx * 10 + (uint64_t)(tok[k] - '0');
            }
            for (j = node + 1; j < end && idx > 0; idx--)
                j = t->nodes[j].next;
            node = j < end ? j : KVST_NO_NODE;
        } else {
            return KVST_NO_NODE;
        }
        if (node == KVST_NO_NODE)
            return node;
    }
    return node;
}

int kvst__tape_value(const kvst_tape *t, uint32_t node, kvst_arena *ar, kvst_value *v)
{
    const kvst_node *n = &t->nodes[node];

    memset(v, 0, sizeof *v);
    v->state = n->kind == KVST_JSON_NULL ? KVST_VALUE_NULL : KVST_VALUE_OK;
    v->json_type = n->kind == KVST_NODE_KEY ? KVST_JSON_STRING : n->kind;
    if (n->kind == KVST_JSON_OBJECT || n->kind == KVST_JSON_ARRAY) {
        uint32_t i;
        /* a copy: views are NUL-terminated, the raw bytes are not */
        v->text.len = n->end - n->start;
        v->text.ptr = kvst__arena_strdup(ar, t->raw + n->start, v->text.len);
        if (!v->text.ptr)
            return KVST_E_NOMEM;
        for (i = node + 1; i < n->next; i = t->nodes[i].next)
            if (n->kind == KVST_JSON_ARRAY || t->nodes[i].kind == KVST_NODE_KEY)
                v->count++;
        return 0;
    }
    if (n->kind == KVST_JSON_NULL) {
        v->text.ptr = "null";
        v->text.len = 4;
        return 0;
    }
    v->text.ptr = t->strings + n->soff;
    v->text.len = n->len;
    if (n->kind == KVST_JSON_BOOLEAN) {
        v->i = n->len == 4;
        v->d = (double)v->i;
    }
    return 0;
}
