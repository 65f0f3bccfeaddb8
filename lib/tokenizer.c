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
#include "scan.h"

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

    p->line_ring[0] = p->cur_line_start;
    p->line_ring_n = 1;
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

/* The line starts kept behind the cursor (p->line_ring): an error may
 * point at a token that began lines before the bytes at hand -- after
 * white space, at the end of the input -- and the history (128 bytes) may
 * no longer reach back to its line's start. */
#define LINE_RING (sizeof ((kvst_parser *)0)->line_ring / sizeof (uint64_t))

static void line_ring_push(kvst_parser *p, uint64_t start)
{
    p->line_ring[p->line_ring_n++ % LINE_RING] = start;
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
        line_ring_push(p, p->cur_line_start);
        s = nl + 1;
    }
    p->cur_off = off;
}

static int byte_at(const kvst_parser *p, uint64_t off);

void kvst__tok_position(kvst_parser *p, uint64_t off, uint64_t *line, uint64_t *col)
{
    uint64_t o, start, j, kept;
    int c;

    cursor_advance(p, off);
    *line = p->cur_line;
    if (off >= p->cur_line_start) {
        *col = off - p->cur_line_start + 1;
        return;
    }
    /* Behind the cursor, on an earlier line: one of the line starts kept
     * (the newest is cur_line_start, each older one a line up). */
    kept = p->line_ring_n < LINE_RING ? p->line_ring_n : LINE_RING;
    for (j = 1; j < kept; j++) {
        start = p->line_ring[(p->line_ring_n - 1 - j) % LINE_RING];
        if (off >= start) {
            *line = p->cur_line - j;
            *col = off - start + 1;
            return;
        }
    }
    /* Further back than that: walk back through the bytes still held. */
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

static uint64_t token_start(const kvst_parser *p);

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/*
 * The offending byte of a lexical error, from the bytes themselves: yajl's
 * offset is one past it for some kinds and at it for others (those where
 * its lexer backs up: a '/', a control byte, escape or hex digit in a
 * string, a number's missing digit). Inside a string (t: its quote) yajl
 * always backs up to the byte it rejects, so e is that byte. Else the
 * token is short: walk it -- a literal to its first wrong letter, a number
 * to the place a digit is missing, any other byte is the offender itself.
 * e - 1 when the bytes are no longer held (a number longer than what is
 * kept).
 */
static uint64_t lexical_offender(const kvst_parser *p, uint64_t e)
{
    static const char *const literals[] = { "true", "false", "null" };
    uint64_t t = token_start(p), o = t;
    int c = byte_at(p, t);
    size_t i, k;

    if (c == '"')
        return e;
    for (i = 0; i < sizeof literals / sizeof literals[0]; i++)
        if (c == literals[i][0]) {
            for (k = 1; literals[i][k] && byte_at(p, t + k) == literals[i][k]; k++)
                ;
            return byte_at(p, t + k) < 0 && e > 0 ? e - 1 : t + k;
        }
    if (c != '-' && !is_digit(c))
        return t;
    if (c == '-')
        c = byte_at(p, ++o);
    if (c == '0') {
        c = byte_at(p, ++o);
    } else if (is_digit(c)) {
        while (is_digit(c = byte_at(p, ++o)))
            ;
    } else {
        return c < 0 && e > 0 ? e - 1 : o;
    }
    if (c == '.') {
        if (!is_digit(c = byte_at(p, ++o)))
            return c < 0 && e > 0 ? e - 1 : o;
        while (is_digit(c = byte_at(p, ++o)))
            ;
    }
    if (c == 'e' || c == 'E') {
        c = byte_at(p, ++o);
        if (c == '+' || c == '-')
            c = byte_at(p, ++o);
        if (!is_digit(c))
            return c < 0 && e > 0 ? e - 1 : o;
    }
    return e > 0 ? e - 1 : 0;
}

/*
 * Where the offending token starts. For a lexical error, the offending
 * byte (lexical_offender). For a grammar error yajl's offset depends on
 * how the token was buffered, so take the first token after the last one
 * the builder accepted -- or, when that is a ',' or ':' which may well be
 * right, the token after it if yajl got that far.
 */
static uint64_t offending_start(const kvst_parser *p, uint64_t e, int lexical)
{
    uint64_t t1, t2;
    int c;

    if (lexical)
        return lexical_offender(p, e);
    if (e == 0)
        return 0;
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
    p->line_ring[0] = p->cur_line_start;
    p->line_ring_n = 1;
    p->u8_in_str = p->u8_esc = 0; /* the prefix holds no string */
    p->u8_pend_n = 0;
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

/*
 * The UTF-8 check. yajl's own is lax (a lead byte and continuation bytes:
 * overlong forms, surrogates and code points above U+10FFFF pass), so the
 * strings of the bytes yajl is given are checked here first, with the
 * one checker (utf8.h), and yajl parses only up to the first ill-formed
 * sequence: what comes before it is delivered, then the error points at
 * the sequence's first byte. Outside strings any byte from 0x80 on is
 * yajl's syntax error anyway.
 *
 * A sequence the chunk's end cuts is kept back from yajl (u8_pend) until
 * the next chunk decides it (pend_feed), so that yajl never sees bytes
 * the whole input would have stopped it before, whatever the split.
 *
 * Returns how many bytes of buf yajl may parse; *bad is the absolute
 * offset of the ill-formed sequence (UINT64_MAX: none in buf) and *why
 * what is wrong with it.
 */
static size_t utf8_scan(kvst_parser *p, const unsigned char *buf, size_t len, uint64_t *bad,
                        int *why)
{
    size_t i = 0, k;
    uint32_t cp;

    *bad = UINT64_MAX;
    while (i < len) {
        if (!p->u8_in_str) {
            const unsigned char *q = (const unsigned char *)memchr(buf + i, '"', len - i);
            if (!q)
                break;
            i = (size_t)(q - buf) + 1;
            p->u8_in_str = 1;
            continue;
        }
        if (p->u8_esc) {
            p->u8_esc = 0;
            i++;
            continue;
        }
        i = (size_t)(p->scan->str_run(buf + i, buf + len) - buf);
        if (i >= len)
            break;
        if (buf[i] < 0x80) {
            /* the closing quote, an escape or a control byte (yajl's) */
            if (buf[i] == '"')
                p->u8_in_str = 0;
            else if (buf[i] == '\\')
                p->u8_esc = 1;
            i++;
            continue;
        }
        k = kvst__utf8_decode(buf + i, len - i, &cp, why);
        if (k) {
            i += k;
            continue;
        }
        if (*why != KVST_UTF8_CUT) {
            *bad = p->chunk_base + i;
            return i;
        }
        p->u8_pend_n = len - i;
        p->u8_pend_at = p->chunk_base + i;
        memcpy(p->u8_pend, buf + i, len - i);
        return i;
    }
    return len;
}

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

static int feed_bytes(kvst_parser *p, const unsigned char *buf, size_t len, size_t avail);

/*
 * The chunk after one whose end cut a UTF-8 sequence: its first bytes
 * complete the sequence, which yajl is then given on its own as a chunk
 * of its own (the tokenizer's copy of it) -- or leave it cut still, or
 * show it ill-formed: the error points back at its first byte.
 */
static int pend_feed(kvst_parser *p, const unsigned char *buf, size_t len, size_t avail)
{
    size_t n = p->u8_pend_n, take = len < 4 - n ? len : 4 - n, k;
    unsigned char seq[4];
    uint32_t cp;
    int why, rc;

    memcpy(seq, p->u8_pend, n);
    memcpy(seq + n, buf, take);
    k = kvst__utf8_decode(seq, n + take, &cp, &why);
    if (k == 0 && why == KVST_UTF8_CUT) { /* still cut: buf is all of it */
        memcpy(p->u8_pend + n, buf, take);
        p->u8_pend_n = n + take;
        return 0;
    }
    p->u8_pend_n = 0;
    if (k == 0) {
        /* the error sees the sequence's bytes as the chunk (excerpt,
         * recovery), then recovery takes buf too */
        p->chunk = p->u8_pend;
        p->chunk_len = n;
        kvst__fail_at(p, KVST_E_ENCODING, p->u8_pend_at, "invalid UTF-8 in a string: %s",
                      kvst__utf8_why(why));
        rc = kvst__recover_begin(p);
        return rc || !p->resyncing ? rc : kvst__recover_feed(p, buf, avail);
    }
    memcpy(p->u8_pend + n, buf, k - n);
    rc = feed_bytes(p, p->u8_pend, k, k);
    buf += k - n;
    len -= k - n;
    avail -= k - n;
    if (rc)
        return rc;
    if (p->resyncing) /* yajl rejected the sequence's string: recovery takes the rest */
        return kvst__recover_feed(p, buf, avail);
    return len ? feed_bytes(p, buf, len, avail) : 0;
}

static int feed_chunk(kvst_parser *p, const unsigned char *buf, size_t len, size_t avail)
{
    if (p->status)
        return p->status;
    if (p->resyncing)
        return kvst__recover_feed(p, buf, avail);
    if (p->u8_pend_n && len)
        return pend_feed(p, buf, len, avail);
    return feed_bytes(p, buf, len, avail);
}

static int feed_bytes(kvst_parser *p, const unsigned char *buf, size_t len, size_t avail)
{
    yajl_status st;
    const unsigned char *ff, *vt;
    size_t n, n8;
    uint64_t bad;
    int why;

    /* An error sees the bytes after the piece too (excerpts, recovery),
     * as it would with the feed parsed whole. */
    p->chunk = buf;
    p->chunk_len = avail;
    n = n8 = utf8_scan(p, buf, len, &bad, &why);
    /* yajl takes form feed and vertical tab for white space; JSON does not
     * (and inside a string they are invalid anyway). Parse up to the first
     * one so that the records before it are still delivered. */
    ff = (const unsigned char *)memchr(buf, '\f', n8);
    vt = (const unsigned char *)memchr(buf, '\v', ff ? (size_t)(ff - buf) : n8);
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
    if (n < n8) {
        kvst__fail_at(p, KVST_E_SYNTAX, p->chunk_base + n,
                      "%s is not JSON white space (nor allowed in a string)",
                      buf[n] == '\f' ? "a form feed" : "a vertical tab");
        return kvst__recover_begin(p);
    }
    if (bad != UINT64_MAX) {
        kvst__fail_at(p, KVST_E_ENCODING, bad, "invalid UTF-8 in a string: %s",
                      kvst__utf8_why(why));
        return kvst__recover_begin(p);
    }

    p->chunk_len = n8; /* a cut UTF-8 sequence waits in u8_pend */
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
    if (p->u8_pend_n) /* the input ends inside a string's UTF-8 sequence */
        return kvst__fail_at(p, KVST_E_ENCODING, p->u8_pend_at, "invalid UTF-8 in a string: %s",
                             kvst__utf8_why(KVST_UTF8_SHORT));
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
