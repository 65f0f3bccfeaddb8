/*
 * Stage 2: the yajl tokenizer. Feeds plain bytes to yajl, turns yajl's
 * per-chunk offsets into absolute offsets, lines and columns, and yajl's
 * errors into kvst errors with an excerpt.
 *
 * yajl 2.1 does not check its own allocations (a NULL from malloc is
 * dereferenced), so its allocator hooks never return NULL: on failure, or
 * when yajl wants more than the string limit allows (it buffers a whole
 * string before reporting it), they longjmp back to the call into yajl and
 * the parser fails for good. Every yajl block is kept on a list, and the
 * handle is freed through that list, never through yajl's half-updated
 * state.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Header in front of every yajl allocation: a doubly linked list. */
typedef struct yblock {
    struct yblock *prev, *next;
    size_t size;
    size_t pad_; /* keeps the payload 16-byte aligned on 64-bit */
} yblock;

static void yblock_link(kvst_parser *p, yblock *b)
{
    b->prev = NULL;
    b->next = (yblock *)p->yajl_blocks;
    if (b->next)
        b->next->prev = b;
    p->yajl_blocks = b;
}

static void yblock_unlink(kvst_parser *p, yblock *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        p->yajl_blocks = b->next;
    if (b->next)
        b->next->prev = b->prev;
}

/* Outside a guarded call (yajl_get_error allocates, and checks) a refusal
 * is an ordinary NULL. */
static void yajl_refuse(kvst_parser *p, int code)
{
    if (!p->in_yajl)
        return;
    p->jmp_code = code;
    longjmp(p->yajl_jmp, 1);
}

static void *y_malloc(void *ctx, size_t size)
{
    kvst_parser *p = (kvst_parser *)ctx;
    yblock *b;

    if (size > p->yajl_cap) {
        yajl_refuse(p, KVST_E_LIMIT);
        return NULL;
    }
    b = (yblock *)kvst__malloc(&p->alloc, sizeof *b + size);
    if (!b) {
        yajl_refuse(p, KVST_E_NOMEM);
        return NULL;
    }
    b->size = size;
    yblock_link(p, b);
    return b + 1;
}

static void *y_realloc(void *ctx, void *ptr, size_t size)
{
    kvst_parser *p = (kvst_parser *)ctx;
    yblock *b, *nb;

    if (!ptr)
        return y_malloc(ctx, size);
    if (size > p->yajl_cap) {
        yajl_refuse(p, KVST_E_LIMIT);
        return NULL;
    }
    b = (yblock *)ptr - 1;
    yblock_unlink(p, b);
    nb = (yblock *)kvst__realloc(&p->alloc, b, sizeof *b + size);
    if (!nb) {
        yblock_link(p, b); /* the old block is still valid */
        yajl_refuse(p, KVST_E_NOMEM);
        return NULL;
    }
    nb->size = size;
    yblock_link(p, nb);
    return nb + 1;
}

static void y_free(void *ctx, void *ptr)
{
    kvst_parser *p = (kvst_parser *)ctx;
    yblock *b;

    if (!ptr)
        return;
    b = (yblock *)ptr - 1;
    yblock_unlink(p, b);
    kvst__free(&p->alloc, b);
}

int kvst__tok_new(kvst_parser *p)
{
    yajl_alloc_funcs af;
    uint64_t cap;

    af.malloc = y_malloc;
    af.realloc = y_realloc;
    af.free = y_free;
    af.ctx = p;
    /* yajl doubles its buffer while a string grows: room for the longest
     * allowed string twice over, plus slack for its stacks. */
    cap = p->opts.max_string_bytes;
    cap = cap > ((uint64_t)-1 - (1u << 16)) / 2 ? (uint64_t)-1 : cap * 2 + (1u << 16);
    /* and its state stack: a byte per open container */
    cap = cap > (uint64_t)-1 - p->opts.max_depth ? (uint64_t)-1 : cap + p->opts.max_depth;
    p->yajl_cap = cap > (uint64_t)(size_t)-1 ? (size_t)-1 : (size_t)cap;

    p->in_yajl = 1;
    if (setjmp(p->yajl_jmp)) {
        p->in_yajl = 0;
        return p->jmp_code;
    }
    p->yajl = yajl_alloc(&kvst__builder_callbacks, &af, p);
    if (p->yajl)
        yajl_config(p->yajl, yajl_allow_multiple_values, 1);
    p->in_yajl = 0;
    return p->yajl ? 0 : KVST_E_NOMEM;
}

void kvst__tok_free(kvst_parser *p)
{
    /* Every yajl block is on the list, so freeing the list frees the handle
     * whether or not yajl's own state is consistent (after a longjmp). */
    yblock *b = (yblock *)p->yajl_blocks;

    while (b) {
        yblock *n = b->next;
        kvst__free(&p->alloc, b);
        b = n;
    }
    p->yajl_blocks = NULL;
    p->yajl = NULL;
}

uint64_t kvst__tok_offset(const kvst_parser *p)
{
    if (p->fl_span) /* the fast lexer is reporting (fastlex.c) */
        return p->fl_at;
    return p->chunk_base + yajl_get_bytes_consumed(p->yajl);
}

/* Move the line cursor forward to off (never past the chunk). */
static void cursor_advance(kvst_parser *p, uint64_t off)
{
    const unsigned char *s, *e, *nl;
    uint64_t chunk_end = p->chunk_base + p->chunk_len;

    if (off > chunk_end)
        off = chunk_end;
    if (off <= p->cur_off)
        return;
    s = p->chunk + (p->cur_off - p->chunk_base);
    e = p->chunk + (off - p->chunk_base);
    while (s < e && (nl = (const unsigned char *)memchr(s, '\n', (size_t)(e - s))) != NULL) {
        p->cur_line++;
        p->cur_line_start = p->chunk_base + (uint64_t)(nl - p->chunk) + 1;
        s = nl + 1;
    }
    p->cur_off = off;
}

static int byte_at(const kvst_parser *p, uint64_t off);

void kvst__tok_position(kvst_parser *p, uint64_t off, uint64_t *line, uint64_t *col)
{
    uint64_t o, start;
    int c;

    cursor_advance(p, off);
    *line = p->cur_line;
    if (off >= p->cur_line_start) {
        *col = off - p->cur_line_start + 1;
        return;
    }
    /* Behind the cursor, on an earlier line (a token that began in the
     * previous chunk): walk back through the bytes we still hold. */
    for (o = p->cur_line_start; o > off; o--)
        if (byte_at(p, o - 1) == '\n')
            (*line)--;
    start = off;
    while (start > 0 && (c = byte_at(p, start - 1)) >= 0 && c != '\n')
        start--;
    *col = off - start + 1;
}

/* The byte at absolute offset off, from the chunk or the history. */
static int byte_at(const kvst_parser *p, uint64_t off)
{
    if (off >= p->chunk_base) {
        if (off - p->chunk_base < p->chunk_len)
            return p->chunk[off - p->chunk_base];
        return -1;
    }
    if (p->chunk_base - off <= p->history_len)
        return p->history[p->history_len - (size_t)(p->chunk_base - off)];
    /* a byte is what it is at its offset: any held one will do */
    if (off >= p->hold_from && off - p->hold_from < p->hold.len)
        return p->hold.data[off - p->hold_from];
    return -1;
}

int kvst__tok_held(kvst_parser *p, uint64_t from, kvst_buf *out, uint64_t *first)
{
    uint64_t hist = p->chunk_base - p->history_len, lo = hist;

    /* the token hold reaches further back when it joins the history */
    if (p->hold.len > 0 && p->hold_from < hist && p->hold_from + p->hold.len >= hist)
        lo = p->hold_from;
    if (from < lo)
        from = lo;
    *first = from;
    if (from < hist &&
        kvst__buf_append(out, &p->alloc, p->hold.data + (size_t)(from - p->hold_from),
                         (size_t)(hist - from)))
        return KVST_E_NOMEM;
    if (from < hist)
        from = hist;
    if (from < p->chunk_base &&
        kvst__buf_append(out, &p->alloc, p->history + p->history_len - (size_t)(p->chunk_base - from),
                         (size_t)(p->chunk_base - from)))
        return KVST_E_NOMEM;
    return 0;
}

/* "  the line up to the error\n        ^": bytes before the error come from
 * the history, so the excerpt is the same for every split of the input. */
static void make_excerpt(kvst_parser *p, uint64_t off, uint64_t line_start)
{
    char *out = p->err_excerpt;
    size_t cap = sizeof p->err_excerpt, n = 0, caret;
    uint64_t from = off > 60 ? off - 60 : 0, o;
    int c;

    if (from < line_start)
        from = line_start;
    while (from < off && byte_at(p, from) < 0)
        from++;
    for (o = from; o <= off && n + 1 < cap / 2; o++) {
        c = byte_at(p, o);
        if (c < 0 || c == '\n' || c == '\r')
            break;
        out[n++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    caret = (size_t)(off - from);
    if (caret > n)
        caret = n;
    out[n++] = '\n';
    while (caret-- > 0 && n + 2 < cap)
        out[n++] = ' ';
    out[n++] = '^';
    out[n] = '\0';
    p->err.excerpt.ptr = out;
    p->err.excerpt.len = n;
}

static int fail_set(kvst_parser *p, int code, uint64_t off, uint64_t line, uint64_t col,
                    const char *fmt, va_list ap) KVST_PRINTF(6, 0);

int kvst__fail_at(kvst_parser *p, int code, uint64_t off, const char *fmt, ...)
{
    va_list ap;
    uint64_t line, col;
    int rc;

    if (p->status)
        return p->status;
    kvst__tok_position(p, off, &line, &col);
    va_start(ap, fmt);
    rc = fail_set(p, code, off, line, col, fmt, ap);
    va_end(ap);
    return rc;
}

int kvst__fail_known(kvst_parser *p, int code, uint64_t off, uint64_t line, uint64_t col,
                     const char *fmt, ...)
{
    va_list ap;
    int rc;

    if (p->status)
        return p->status;
    va_start(ap, fmt);
    rc = fail_set(p, code, off, line, col, fmt, ap);
    va_end(ap);
    return rc;
}

void kvst__clear_error(kvst_parser *p)
{
    p->status = 0;
    memset(&p->err, 0, sizeof p->err);
    p->err.struct_size = sizeof p->err;
    p->err.message.ptr = p->err.excerpt.ptr = p->err.pointer.ptr = "";
}

/* The error at off, line, col: message, pointer, excerpt (from the bytes
 * still held: an offset far behind gives an empty line and the caret). */
static int fail_set(kvst_parser *p, int code, uint64_t off, uint64_t line, uint64_t col,
                    const char *fmt, va_list ap)
{
    p->status = code;
    p->err.code = code;
    p->err.offset = off;
    p->err.line = line;
    p->err.column = col;
    p->err.record_index = p->records;
    vsnprintf(p->err_message, sizeof p->err_message, fmt, ap);
    p->err.message.ptr = p->err_message;
    p->err.message.len = strlen(p->err_message);
    kvst__builder_pointer(p, p->err_pointer, sizeof p->err_pointer);
    p->err.pointer.ptr = p->err_pointer;
    p->err.pointer.len = strlen(p->err_pointer);
    make_excerpt(p, off, off - (col - 1));
    return code;
}

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* First non-white byte at or after off (-1 past what we hold). Bytes no
 * longer held are known when note_next_token saw them: white space from
 * ws_ref to ws_to, but for one separator at ws_sep. */
static uint64_t skip_space(const kvst_parser *p, uint64_t off, int *c)
{
    for (;;) {
        *c = byte_at(p, off);
        if (*c < 0 && off >= p->ws_ref && off < p->ws_to) {
            if (p->ws_sep_c && off <= p->ws_sep) {
                if (off == p->ws_sep) {
                    *c = p->ws_sep_c;
                    return off;
                }
                off = p->ws_sep;
            } else {
                off = p->ws_to;
            }
            continue;
        }
        if (*c < 0 || !is_space(*c))
            return off;
        off++;
    }
}

/*
 * Where the offending token starts. yajl's offset is one past the bad
 * byte for a lexical error; for a grammar error it depends on how the
 * token was buffered, so take the first token after the last one the
 * builder accepted -- or, when that is a ',' or ':' which may well be
 * right, the token after it if yajl got that far.
 */
static uint64_t offending_start(const kvst_parser *p, uint64_t e, int lexical)
{
    uint64_t t1, t2;
    int c;

    if (lexical || e == 0)
        return e ? e - 1 : 0;
    t1 = skip_space(p, p->last_tok_end, &c);
    if (c < 0) /* those bytes are no longer held: what was seen of them */
        return p->next_tok_end == p->last_tok_end ? p->next_tok : p->last_tok_end;
    if (c != ',' && c != ':')
        return t1;
    t2 = skip_space(p, t1 + 1, &c);
    return c >= 0 && t2 < e ? t2 : t1;
}

/* At the end of a chunk, note where the token after the last accepted one
 * starts while its bytes are still held (a long token may push them out of
 * the history before yajl rejects it). */
static void note_next_token(kvst_parser *p)
{
    int c, sep;
    uint64_t t = skip_space(p, p->last_tok_end, &c);

    if (c < 0) {
        /* white space to the chunk's end: remember it, the next chunk may
         * hold the token (after more white space than the history keeps) */
        p->ws_ref = p->last_tok_end;
        p->ws_sep_c = 0;
        p->ws_to = t;
        return;
    }
    if (c == ',' || c == ':') {
        uint64_t t2;
        sep = c;
        t2 = skip_space(p, t + 1, &c);
        if (c < 0) {
            p->ws_ref = p->last_tok_end;
            p->ws_sep = t;
            p->ws_sep_c = sep;
            p->ws_to = t2;
            return; /* not known yet: maybe at the next chunk's end */
        }
        t = t2;
    }
    p->next_tok = t;
    p->next_tok_end = p->last_tok_end;
}

/*
 * Keep the bytes of the token yajl is still lexing at the chunk's end,
 * from HOLD_CONTEXT bytes before its start (noted by note_next_token). If
 * it turns out to be the offending token, its position and excerpt need
 * its start and the bytes before it, which may be further back than the
 * history reaches by the time yajl rejects it: HOLD_CONTEXT bytes of the
 * token are enough for that. In recovery mode the broken record's text
 * needs all of it: the whole token is kept (yajl's limit bounds it). At
 * most one token is held.
 */
#define HOLD_CONTEXT 64u

static int hold_pending(kvst_parser *p)
{
    uint64_t end = p->chunk_base + p->chunk_len, want, upto = end;

    if (p->next_tok_end != p->last_tok_end || p->next_tok >= end) {
        p->hold.len = 0;
        return 0;
    }
    if (!(p->opts.flags & KVST_FLAG_RECOVER) && upto > p->next_tok + HOLD_CONTEXT)
        upto = p->next_tok + HOLD_CONTEXT;
    want = p->next_tok > HOLD_CONTEXT ? p->next_tok - HOLD_CONTEXT : 0;
    if (p->hold.len > 0 && p->hold_tok == p->next_tok) {
        /* the same token, held since an earlier chunk: add what is wanted
         * of this one */
        uint64_t have = p->hold_from + p->hold.len;
        if (have < p->chunk_base || have >= upto)
            return 0;
        return kvst__buf_append(&p->hold, &p->alloc, p->chunk + (have - p->chunk_base),
                                (size_t)(upto - have)) ? 1 : 0;
    }
    /* a new token: its context and start from the history (what it no
     * longer holds is left out), the rest from the chunk */
    p->hold.len = 0;
    p->hold_tok = p->next_tok;
    if (want < p->chunk_base && p->chunk_base - want > p->history_len)
        want = p->chunk_base - p->history_len;
    p->hold_from = want;
    if (want < p->chunk_base &&
        kvst__buf_append(&p->hold, &p->alloc,
                         p->history + p->history_len - (size_t)(p->chunk_base - want),
                         (size_t)(p->chunk_base - want)))
        return 1;
    if (want < p->chunk_base)
        want = p->chunk_base;
    if (upto <= want)
        return 0;
    return kvst__buf_append(&p->hold, &p->alloc, p->chunk + (want - p->chunk_base),
                            (size_t)(upto - want)) ? 1 : 0;
}

/* Where the token being lexed starts (the one after the last accepted
 * token and its separator): the same for every split of the input, unlike
 * yajl's offset when it runs out of room. When those bytes are no longer
 * held, the end of the last accepted token. */
static uint64_t token_start(const kvst_parser *p)
{
    int c;
    uint64_t t = skip_space(p, p->last_tok_end, &c);

    if (c == ',' || c == ':')
        t = skip_space(p, t + 1, &c);
    if (c >= 0)
        return t;
    return p->next_tok_end == p->last_tok_end ? p->next_tok : p->last_tok_end;
}

/* Translate a yajl error. yajl's offset is just past the offending byte. */
static int yajl_failure(kvst_parser *p, int at_end)
{
    unsigned char *msg = yajl_get_error(p->yajl, 0, NULL, 0);
    size_t consumed = yajl_get_bytes_consumed(p->yajl);
    uint64_t off = p->chunk_base + consumed;
    int code = KVST_E_SYNTAX;
    char text[200];
    size_t n;

    if (!msg)
        return kvst__fail_at(p, KVST_E_NOMEM, off, "out of memory");
    snprintf(text, sizeof text, "%s", (const char *)msg);
    n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == ' ' || text[n - 1] == '.'))
        text[--n] = '\0';
    yajl_free_error(p->yajl, msg);

    if (at_end) {
        off = p->bytes_json;
        if (strstr(text, "premature EOF")) {
            if (p->top_values == 0)
                return kvst__fail_at(p, KVST_E_SYNTAX, off,
                                     "the input is empty: no JSON value");
            if (kvst__builder_in_cloudtrail(p))
                return kvst__fail_at(p, KVST_E_TRUNCATED, off,
                                     "input ends inside record %llu",
                                     (unsigned long long)p->records);
            return kvst__fail_at(p, KVST_E_SYNTAX, off,
                                 "input ends inside a JSON value");
        }
        return kvst__fail_at(p, KVST_E_SYNTAX, off, "%s", text);
    }
    if (strstr(text, "UTF8"))
        code = KVST_E_ENCODING;
    off = offending_start(p, off, strncmp(text, "lexical", 7) == 0);
    return kvst__fail_at(p, code, off, "%s", text);
}

static void history_keep(kvst_parser *p)
{
    size_t h = sizeof p->history;

    if (p->chunk_len >= h) {
        memcpy(p->history, p->chunk + p->chunk_len - h, h);
        p->history_len = h;
        return;
    }
    if (p->history_len + p->chunk_len > h) {
        size_t drop = p->history_len + p->chunk_len - h;
        memmove(p->history, p->history + drop, p->history_len - drop);
        p->history_len -= drop;
    }
    memcpy(p->history + p->history_len, p->chunk, p->chunk_len);
    p->history_len += p->chunk_len;
}

/* yajl_parse with the longjmp landing pad of the allocator hooks; 1 when
 * an allocation was refused (p->jmp_code says why). Kept apart so that no
 * local of the caller lives across setjmp. */
int kvst__tok_guarded_parse(kvst_parser *p, yajl_handle h, const unsigned char *buf,
                            size_t n, yajl_status *st)
{
    p->in_yajl = 1;
    if (setjmp(p->yajl_jmp)) {
        p->in_yajl = 0;
        return 1;
    }
    *st = yajl_parse(h, buf, n);
    p->in_yajl = 0;
    return 0;
}

int kvst__tok_guarded_alloc(kvst_parser *p, const yajl_callbacks *cb, void *ctx,
                            yajl_handle *out)
{
    yajl_alloc_funcs af;

    af.malloc = y_malloc;
    af.realloc = y_realloc;
    af.free = y_free;
    af.ctx = p;
    *out = NULL;
    p->in_yajl = 1;
    if (setjmp(p->yajl_jmp)) {
        p->in_yajl = 0;
        return 1;
    }
    *out = yajl_alloc(cb, &af, ctx);
    p->in_yajl = 0;
    if (!*out) {
        p->jmp_code = KVST_E_NOMEM;
        return 1;
    }
    return 0;
}

void kvst__tok_release(kvst_parser *p, yajl_handle h)
{
    (void)p;
    if (h)
        yajl_free(h);
}

void kvst__tok_drop(kvst_parser *p)
{
    kvst__tok_release(p, p->yajl);
    p->yajl = NULL;
}

int kvst__tok_restart(kvst_parser *p, const unsigned char *prefix, size_t len, uint64_t abs)
{
    yajl_status st = yajl_status_ok;
    int rc;

    if (kvst__tok_guarded_alloc(p, &kvst__builder_callbacks, p, &p->yajl))
        return kvst__fail_at(p, KVST_E_NOMEM, abs, "out of memory");
    yajl_config(p->yajl, yajl_allow_multiple_values, 1);
    p->ws_to = 0; /* what was known of bytes before the restart */
    p->hold.len = 0;
    p->chunk = prefix;
    p->chunk_len = len;
    p->chunk_base = abs - len;
    rc = len ? kvst__tok_guarded_parse(p, p->yajl, prefix, len, &st) : 0;
    p->chunk = NULL;
    p->chunk_len = 0;
    p->chunk_base = abs;
    p->bytes_json = abs;
    if (rc)
        return kvst__fail_at(p, KVST_E_NOMEM, abs, "out of memory");
    return st == yajl_status_ok ? 0 : kvst__fail_at(p, KVST_E_SYNTAX, abs, "cannot reopen the container");
}

static int feed_chunk(kvst_parser *p, const unsigned char *buf, size_t len, size_t avail);
static int chunk_done(kvst_parser *p);

int kvst__tok_feed(void *parser, const unsigned char *buf, size_t len)
{
    return kvst__tok_feed_part((kvst_parser *)parser, buf, len, len);
}

int kvst__tok_feed_part(kvst_parser *p, const unsigned char *buf, size_t len, size_t avail)
{
    int rc = feed_chunk(p, buf, len, avail);

    /* An error leaves early: the caller's bytes are not ours once this
     * returns (recovery frees them), so a later error must not read them. */
    if (p->chunk && p->chunk >= buf && p->chunk <= buf + len) {
        p->chunk = NULL;
        p->chunk_len = 0;
    }
    return rc;
}

static int feed_chunk(kvst_parser *p, const unsigned char *buf, size_t len, size_t avail)
{
    yajl_status st;
    const unsigned char *ff, *vt;
    size_t n = len;

    if (p->status)
        return p->status;
    if (p->resyncing)
        return kvst__recover_feed(p, buf, avail);
    /* An error sees the bytes after the piece too (excerpts, recovery),
     * as it would with the feed parsed whole. */
    p->chunk = buf;
    p->chunk_len = avail;
    /* yajl takes form feed and vertical tab for white space; JSON does not
     * (and inside a string they are invalid anyway). Parse up to the first
     * one so that the records before it are still delivered. */
    ff = (const unsigned char *)memchr(buf, '\f', len);
    vt = (const unsigned char *)memchr(buf, '\v', ff ? (size_t)(ff - buf) : len);
    if (vt)
        n = (size_t)(vt - buf);
    else if (ff)
        n = (size_t)(ff - buf);

    if (kvst__tok_guarded_parse(p, p->yajl, buf, n, &st)) {
        if (p->jmp_code == KVST_E_LIMIT)
            return kvst__fail_at(p, KVST_E_LIMIT, token_start(p),
                                 "a string is longer than the %s of %llu bytes",
                                 KVST_STRING_LIMIT_NAME(p),
                                 (unsigned long long)p->opts.max_string_bytes);
        return kvst__fail_at(p, KVST_E_NOMEM, kvst__tok_offset(p), "out of memory");
    }

    if (st == yajl_status_client_canceled)
        return p->status ? kvst__recover_begin(p) : KVST_E_ABORTED;
    if (st == yajl_status_error) {
        yajl_failure(p, 0);
        return kvst__recover_begin(p);
    }
    if (n < len) {
        kvst__fail_at(p, KVST_E_SYNTAX, p->chunk_base + n,
                      "%s is not JSON white space (nor allowed in a string)",
                      buf[n] == '\f' ? "a form feed" : "a vertical tab");
        return kvst__recover_begin(p);
    }

    p->chunk_len = len;
    return chunk_done(p);
}

/* The chunk [chunk_base, chunk_base + chunk_len) is parsed: keep what
 * error positions and the open record need of it, and move on. */
static int chunk_done(kvst_parser *p)
{
    size_t len = p->chunk_len;
    int rc = kvst__builder_chunk_done(p);

    if (rc)
        return rc;
    note_next_token(p);
    if (hold_pending(p))
        return kvst__fail_at(p, KVST_E_NOMEM, p->chunk_base + len, "out of memory");
    cursor_advance(p, p->chunk_base + len);
    history_keep(p);
    p->chunk_base += len;
    p->bytes_json += len;
    p->chunk = NULL;
    p->chunk_len = 0;
    return 0;
}

void kvst__tok_span_begin(kvst_parser *p, const unsigned char *buf, size_t len)
{
    p->chunk = buf;
    p->chunk_len = len;
    p->fl_span = 1;
}

int kvst__tok_span_end(kvst_parser *p, size_t n, const char *standin)
{
    yajl_status st = yajl_status_ok;
    size_t sl = standin ? strlen(standin) : 0;

    p->fl_span = 0;
    if (p->status) /* a delivery failed: the error is set, nothing to keep */
        return p->status;
    if (n == 0) { /* nothing taken (no stand-in either) */
        p->chunk = NULL;
        p->chunk_len = 0;
        return 0;
    }
    p->chunk_len = n;
    if (sl) {
        int refused;
        p->fl_standin = 1;
        refused = kvst__tok_guarded_parse(p, p->yajl, (const unsigned char *)standin, sl, &st);
        p->fl_standin = 0;
        if (refused)
            return kvst__fail_at(p, KVST_E_NOMEM, p->chunk_base + n, "out of memory");
        if (st != yajl_status_ok) /* cannot happen: yajl is between records */
            return kvst__fail_at(p, KVST_E_SYNTAX, p->chunk_base + n,
                                 "internal error: the tokenizer lost its place");
    }
    return chunk_done(p);
}

int kvst__tok_finish(kvst_parser *p)
{
    static const unsigned char nothing[1] = { ' ' };
    yajl_status st;

    if (p->status)
        return p->status;
    if (p->resyncing)
        return kvst__recover_finish(p);
    /* yajl_complete_parse feeds one space; positions refer to the end. */
    p->chunk = nothing;
    p->chunk_len = 0;
    p->in_yajl = 1;
    if (setjmp(p->yajl_jmp)) {
        p->in_yajl = 0;
        return kvst__fail_at(p, p->jmp_code, p->bytes_json, "out of memory");
    }
    st = yajl_complete_parse(p->yajl);
    p->in_yajl = 0;
    if (st == yajl_status_client_canceled)
        return p->status ? p->status : KVST_E_ABORTED;
    if (st == yajl_status_error)
        return yajl_failure(p, 1);
    return 0;
}
