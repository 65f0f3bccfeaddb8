/*
 * Stage 2a: the fast lexer. Between the gzip stage and yajl, it lexes the
 * records of a {"Records":[...]} array, of a top-level array of events
 * and of a stream of events itself when they are plain -- whole in the
 * bytes at hand, no \u escape -- and reports their tokens to the record
 * builder through the same callbacks yajl calls, with the same positions.
 * Everything else goes to yajl (tokenizer.c): the bytes before the first
 * record, a record cut by the end of the caller's feed or that the fast
 * lexer does not take, the containers' ends, and input of any other
 * shape. yajl stays the judge of what is JSON: the fast lexer accepts
 * only a subset of what yajl accepts, and gives up on anything else
 * before a record is delivered, undoing what it reported of it.
 *
 * Keeping yajl in step. yajl is handed its share of the bytes in pieces
 * that end between tokens, which it handles as it would any split of the
 * input. For the records the fast lexer delivered, yajl parses a stand-in
 * ("null", ",", ",null", "null,") that leaves it in the same state, and
 * the builder ignores the stand-in's null. The fast lexer takes over only
 * where the builder says yajl stands between records. To find such
 * places in the bytes yajl is given, a scanner follows strings and
 * brackets; it is only used until then, and for a record left to yajl.
 *
 * Positions: the builder computes every offset from the token pointers
 * and from kvst__cursor_offset(), which reports p->cursor.span_at while the fast
 * lexer has the floor; lines and columns come from the tokenizer's line
 * cursor as with yajl. A span of bytes the fast lexer took is closed like
 * a chunk (kvst__tok_span_end), so error positions after it come out the
 * same as for any split of the input.
 *
 * Pieces of a feed. The gzip stage hands one feed's inflated bytes on in
 * pieces; the start of a record a piece's end cuts is held and lexed
 * joined with the next piece. kvst__lex_flush() ends the feed: what is
 * still held goes on as above, so an error is reported by the feed that
 * brings it, whatever the fast lexer does.
 */
#include <string.h>

#include <stdlib.h>

#include "internal.h"
#include "scan.h"

enum {
    FL_OFF = 0, /* every byte to yajl */
    FL_SCAN,    /* yajl has the floor; the scanner looks for a way back */
    FL_READY,   /* in an array of records, yajl expects a value or ']' */
    FL_AFTER,   /* in an array of records, yajl expects ',' or ']' */
    FL_STREAM   /* between top-level events, yajl expects a value or the end */
};

/* What lexing a record came to. */
enum { LEX_OK, LEX_BAIL, LEX_MORE, LEX_FATAL };

/* The deepest a record may nest here (one bit per level); deeper ones
 * go to yajl. */
#define FL_MAX_DEPTH 60u

/* The longest start of a record held for the next piece of a feed; a
 * longer one goes to yajl. */
#define FL_HOLD_MAX (64u * 1024u)
/* ... and the most pieces it may span (FL_MAX_SEGS in internal.h) */

void kvst__lex_init(kvst_parser *p)
{
    p->fl_mode = (p->opts.flags & KVST_FLAG_NO_FASTLEX) ? FL_OFF : FL_SCAN;
    p->scan = kvst__scanner_choose(getenv("KVSTRAIL_SCAN"));
}

void kvst__lex_free(kvst_parser *p)
{
    kvst__buf_free(&p->fl_text, &p->alloc);
    kvst__buf_free(&p->fl_hold, &p->alloc);
}

/* The first byte of [s, end) that ends a string's plain run, or end: the
 * parser's scanning kernel (scan.c, chosen when the parser was made). */
static KVST_INLINE const unsigned char *str_run(const kvst_parser *p, const unsigned char *s,
                                                const unsigned char *end)
{
    return p->scan->str_run(s, end);
}

/* The first '"' or '\\' of [s, end), or end (the scanner, in a string). */
static KVST_INLINE const unsigned char *quote_or_escape(const kvst_parser *p,
                                                        const unsigned char *s,
                                                        const unsigned char *end)
{
    return p->scan->quote_or_escape(s, end);
}

static inline const unsigned char *skip_ws(const unsigned char *s, const unsigned char *end)
{
    while (s < end && kvst__json_space(*s))
        s++;
    return s;
}

static inline int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* The text of the string whose opening quote is at *ps: a pointer into the
 * input when it has no escape, else decoded into p->fl_text. *ps moves past
 * the closing quote, and p->cursor.span_at with it. */
static int lex_escaped(kvst_parser *p, const unsigned char **ps, const unsigned char *b,
                       const unsigned char *e, const unsigned char *end,
                       const unsigned char **text, size_t *len);

static KVST_INLINE int lex_string(kvst_parser *p, const unsigned char **ps,
                                  const unsigned char *end, const unsigned char **text,
                                  size_t *len)
{
    const unsigned char *b = *ps + 1, *e = str_run(p, b, end);

    if (KVST_UNLIKELY(e >= end))
        return LEX_MORE;
    if (KVST_LIKELY(*e == '"')) {
        if ((uint64_t)(e - b) > p->opts.max_string_bytes)
            return LEX_BAIL; /* yajl says so (it buffers no plain string either) */
        *text = b;
        *len = (size_t)(e - b);
        *ps = e + 1;
        return LEX_OK;
    }
    return lex_escaped(p, ps, b, e, end, text, len);
}

/* The rest of lex_string, for a string whose plain run stops at e before
 * its closing quote: escapes, UTF-8, or a byte yajl rejects. */
static int lex_escaped(kvst_parser *p, const unsigned char **ps, const unsigned char *b,
                       const unsigned char *e, const unsigned char *end,
                       const unsigned char **text, size_t *len)
{
    static const char decoded[] = "\"\\/\b\f\n\r\t";
    static const char escapes[] = "\"\\/bfnrt";
    const unsigned char *run = b; /* start of the bytes not yet copied */
    int escaped = 0;

    /* Simple escapes are decoded as yajl decodes them, and UTF-8 is
     * checked by the tokenizer's rule (RFC 3629, utf8.h): an ill-formed
     * sequence is left to yajl's side, which reports it where it starts;
     * so are \u escapes and control bytes. */
    p->fl_text.len = 0;
    for (;;) {
        if ((uint64_t)(e - *ps) > p->opts.max_string_bytes)
            return LEX_BAIL; /* yajl refuses it, holding less */
        if (*e == '"')
            break;
        if (*e == '\\') {
            const char *esc;
            if (e + 1 >= end)
                return LEX_MORE;
            esc = e[1] ? strchr(escapes, e[1]) : NULL;
            if (!esc)
                return LEX_BAIL;
            if (kvst__buf_append(&p->fl_text, &p->alloc, run, (size_t)(e - run)) ||
                kvst__buf_append(&p->fl_text, &p->alloc, &decoded[esc - escapes], 1))
                return LEX_BAIL; /* yajl tries again, and says out of memory */
            escaped = 1;
            e += 2;
            run = e;
        } else if (*e >= 0x80) {
            uint32_t cp;
            int why;
            size_t n = kvst__utf8_decode(e, (size_t)(end - e), &cp, &why);
            if (n == 0)
                return why == KVST_UTF8_CUT ? LEX_MORE : LEX_BAIL;
            e += n;
        } else {
            return LEX_BAIL; /* a control byte */
        }
        e = str_run(p, e, end);
        if (e >= end)
            return LEX_MORE;
    }
    if (!escaped) { /* UTF-8 only: yajl too hands over the input's bytes */
        *text = b;
        *len = (size_t)(e - b);
        *ps = e + 1;
        return LEX_OK;
    }
    if (kvst__buf_append(&p->fl_text, &p->alloc, run, (size_t)(e - run)) ||
        kvst__buf_reserve(&p->fl_text, &p->alloc, 1))
        return LEX_BAIL;
    p->fl_text.data[p->fl_text.len] = '\0';
    *text = p->fl_text.data;
    *len = p->fl_text.len;
    *ps = e + 1;
    kvst__cursor_span_to(&p->cursor, p->cursor.chunk_base + (uint64_t)(*ps - p->cursor.chunk));
    return LEX_OK;
}

/* The literal lit (n bytes) at *ps: LEX_OK and *ps past it, LEX_MORE when
 * fewer than n bytes are left, else LEX_BAIL. */
static KVST_INLINE int lex_literal(const unsigned char **ps, const unsigned char *end,
                                   const char *lit, size_t n)
{
    if ((size_t)(end - *ps) < n)
        return LEX_MORE;
    if (memcmp(*ps, lit, n) != 0)
        return LEX_BAIL;
    *ps += n;
    return LEX_OK;
}

/* A number as JSON writes it; yajl checks the same grammar. */
static int lex_number(const unsigned char **ps, const unsigned char *end)
{
    const unsigned char *s = *ps;

    if (*s == '-')
        s++;
    if (s >= end)
        return LEX_MORE;
    if (*s == '0') {
        s++;
    } else if (*s >= '1' && *s <= '9') {
        while (++s < end && is_digit(*s))
            ;
    } else {
        return LEX_BAIL;
    }
    if (s < end && *s == '.') {
        if (++s >= end)
            return LEX_MORE;
        if (!is_digit(*s))
            return LEX_BAIL;
        while (++s < end && is_digit(*s))
            ;
    }
    if (s < end && (*s == 'e' || *s == 'E')) {
        if (++s < end && (*s == '+' || *s == '-'))
            s++;
        if (s >= end)
            return LEX_MORE;
        if (!is_digit(*s))
            return LEX_BAIL;
        while (++s < end && is_digit(*s))
            ;
    }
    if (s >= end)
        return LEX_MORE; /* yajl too waits for the byte after a number */
    *ps = s;
    return LEX_OK;
}

/* Where a record began: the builder's savepoint and the line cursor's
 * mark at its '{'. */
typedef struct fl_saved {
    kvst_builder_save builder;
    kvst_cursor_mark at;
} fl_saved;

/* Undo what was reported of a record the fast lexer gives up on: yajl
 * reports it again from its start. */
static void lex_undo(kvst_parser *p, const fl_saved *sv)
{
    kvst__builder_rollback(p, &sv->builder);
    kvst__cursor_back_to(&p->cursor, &sv->at);
    if (p->cursor.status)
        kvst__cursor_clear(&p->cursor); /* a limit or a failed allocation: yajl meets it again */
}

#define FL_AT(ptr) kvst__cursor_span_to(&p->cursor, p->cursor.chunk_base + (uint64_t)((ptr) - p->cursor.chunk))

/*
 * Lex the record whose '{' is at s and report its tokens. LEX_OK: it was
 * delivered and *out is just past it. LEX_FATAL: delivering it failed
 * (p->cursor.status). Else nothing of it stays reported.
 */
static int lex_record(kvst_parser *p, const unsigned char *s, const unsigned char *end,
                      const unsigned char **out)
{
    const yajl_callbacks *cb = &kvst__builder_callbacks;
    fl_saved sv;
    uint64_t arrays = 0; /* bit d - 1: the container at record depth d is an array */
    unsigned d = 0;
    const unsigned char *text;
    size_t len;
    int r = LEX_BAIL;

    kvst__builder_save(p, &sv.builder);
    kvst__cursor_mark_at(&p->cursor, p->cursor.chunk_base + (uint64_t)(s - p->cursor.chunk), &sv.at);
    goto open_object;

value:
    if (KVST_UNLIKELY(s >= end))
        goto more;
    switch (*s) {
    case '"':
        r = lex_string(p, &s, end, &text, &len);
        if (r != LEX_OK)
            goto give_up;
        if (!cb->yajl_string(p, text, len))
            goto failed;
        goto after_value;
    case '{':
    open_object:
        if (d >= FL_MAX_DEPTH)
            goto bail;
        FL_AT(++s);
        if (!cb->yajl_start_map(p))
            goto failed;
        arrays &= ~((uint64_t)1 << d);
        d++;
        if (s < end && KVST_UNLIKELY(kvst__json_space(*s)))
            s = skip_ws(s, end);
        if (s < end && *s == '}')
            goto close;
        goto key;
    case '[':
        if (d >= FL_MAX_DEPTH)
            goto bail;
        FL_AT(++s);
        if (!cb->yajl_start_array(p) || !p->rec_active)
            goto failed; /* (no longer a record: the object is a log file) */
        arrays |= (uint64_t)1 << d;
        d++;
        if (s < end && KVST_UNLIKELY(kvst__json_space(*s)))
            s = skip_ws(s, end);
        if (s < end && *s == ']')
            goto close;
        goto value;
    case 't':
    case 'f': {
        int b = *s == 't';
        r = b ? lex_literal(&s, end, "true", 4) : lex_literal(&s, end, "false", 5);
        if (r != LEX_OK)
            goto give_up;
        FL_AT(s);
        if (!cb->yajl_boolean(p, b))
            goto failed;
        goto after_value;
    }
    case 'n':
        r = lex_literal(&s, end, "null", 4);
        if (r != LEX_OK)
            goto give_up;
        FL_AT(s);
        if (!cb->yajl_null(p))
            goto failed;
        goto after_value;
    default: {
        const unsigned char *n = s;
        r = lex_number(&s, end);
        if (r != LEX_OK)
            goto give_up;
        if ((uint64_t)(s - n) > p->opts.max_string_bytes)
            goto bail;
        if (!cb->yajl_number(p, (const char *)n, (size_t)(s - n)))
            goto failed;
        goto after_value;
    }
    }

key:
    if (KVST_UNLIKELY(s >= end))
        goto more;
    if (*s != '"')
        goto bail;
    r = lex_string(p, &s, end, &text, &len);
    if (r != LEX_OK)
        goto give_up;
    if (!cb->yajl_map_key(p, text, len))
        goto failed;
    if (s < end && KVST_UNLIKELY(kvst__json_space(*s)))
        s = skip_ws(s, end);
    if (KVST_UNLIKELY(s >= end))
        goto more;
    if (*s != ':')
        goto bail;
    s++;
    if (s < end && KVST_UNLIKELY(kvst__json_space(*s)))
        s = skip_ws(s, end);
    goto value;

after_value:
    if (s < end && KVST_UNLIKELY(kvst__json_space(*s)))
        s = skip_ws(s, end);
    if (KVST_UNLIKELY(s >= end))
        goto more;
    if (*s == ',') {
        s++;
        if (s < end && KVST_UNLIKELY(kvst__json_space(*s)))
            s = skip_ws(s, end);
        if (arrays >> (d - 1) & 1)
            goto value;
        goto key;
    }
    if (*s != ((arrays >> (d - 1) & 1) ? ']' : '}'))
        goto bail;
close:
    FL_AT(++s);
    if (--d == 0) {
        /* the record's end: the builder delivers it, for good */
        if (!cb->yajl_end_map(p))
            return LEX_FATAL;
        *out = s;
        return LEX_OK;
    }
    if (!((arrays >> d & 1) ? cb->yajl_end_array(p) : cb->yajl_end_map(p)))
        goto failed;
    goto after_value;

more:
    r = LEX_MORE;
    goto give_up;
bail:
    r = LEX_BAIL;
    goto give_up;
failed:
    r = LEX_BAIL;
give_up:
    lex_undo(p, &sv);
    return r;
}

/* Where yajl stands between records: the depth of their container (2 in
 * a Records array, 1 in a top-level array, 0 between top-level events)
 * plus one, or 0 when it does not. */
static int records_boundary(const kvst_parser *p)
{
    if (p->rec_active || p->cursor.status || p->resyncing)
        return 0;
    if (p->top == KVST_TOP_RECORDS && p->depth == 2 && p->levels[2].node == 1)
        return 3;
    if (p->top == KVST_TOP_ARRAY && p->depth == 1)
        return 2;
    /* after a top-level object (the first goes to yajl: it may open a log
     * file, and the fast lexer only takes objects that stay events) */
    if (p->depth == 0 && p->top_values > 0 && p->top_kind == KVST_JSON_OBJECT)
        return 1;
    return 0;
}

/* Could records still come? Not once the input proved not CloudTrail. */
static int fast_possible(const kvst_parser *p)
{
    return !p->cursor.status && !p->resyncing && p->top != KVST_TOP_SKIP;
}

enum { CUT_NONE, CUT_OPEN, CUT_CLOSE };

/* Follow strings and brackets over [pos, len): the place just past a '['
 * that opens the first or second level, or a '}' or ']' that closes back
 * to the second level or above, is where the fast lexer may take over.
 * Returns it (or len) in *cut. */
static int scan(kvst_parser *p, const unsigned char *buf, size_t pos, size_t len, size_t *cut)
{
    const unsigned char *s = buf + pos, *end = buf + len;
    uint64_t d = p->fl_depth;
    int in_str = p->fl_in_str, esc = p->fl_esc, kind = CUT_NONE;

    while (s < end) {
        if (in_str) {
            if (esc) {
                esc = 0;
                s++;
                continue;
            }
            s = quote_or_escape(p, s, end);
            if (s >= end)
                break;
            if (*s++ == '\\')
                esc = 1;
            else
                in_str = 0;
            continue;
        }
        switch (*s++) {
        case '"':
            in_str = 1;
            break;
        case '{':
            d++;
            break;
        case '[':
            if (++d <= 2)
                kind = CUT_OPEN;
            break;
        case '}':
        case ']':
            if (d > 0 && --d <= 2)
                kind = CUT_CLOSE;
            break;
        default:
            break;
        }
        if (kind != CUT_NONE)
            break;
    }
    p->fl_depth = d;
    p->fl_in_str = in_str;
    p->fl_esc = esc;
    *cut = (size_t)(s - buf);
    return kind;
}

/* The stand-in that moves yajl from state 'from' to state 'to' across
 * nrec records (top-level events need no separator). */
static const char *standin(int from, int to, uint64_t nrec)
{
    if (from == FL_STREAM)
        return nrec ? "null" : NULL;
    if (from == FL_READY)
        return to == FL_AFTER ? "null" : nrec ? "null," : NULL;
    return to == FL_READY ? "," : nrec ? ",null" : NULL;
}

/* The piece of a feed being lexed: may its cut record be held for the
 * next piece, and bytes_json when the piece as the gzip stage cut it
 * began (what is lexed may be the rest of it). */
typedef struct fl_piece {
    int may_hold;
    uint64_t parsed;
} fl_piece;

/* Keep [s, end), the start of a record a piece's end cuts, to lex it
 * joined with the next piece of the same feed (the gzip stage hands a
 * feed's inflated bytes on in pieces). 0 when held. */
static int hold(kvst_parser *p, const unsigned char *s, const unsigned char *end,
                const fl_piece *pc)
{
    kvst_buf *h = &p->fl_hold;

    h->len = 0;
    p->fl_nseg = 0;
    if (kvst__buf_append(h, &p->alloc, s, (size_t)(end - s)))
        return 1;
    p->fl_seg[p->fl_nseg++] = h->len;
    p->fl_hold_parsed = pc->parsed;
    return 0;
}

/* The fast lexer has the floor at buf[*pos]: lex records while they are
 * plain and whole, then close the span. */
static int fast_span(kvst_parser *p, const unsigned char *buf, size_t *pos, size_t len,
                     const fl_piece *pc)
{
    const unsigned char *a = buf + *pos, *end = buf + len, *s = a, *e;
    int from = p->fl_mode, st = from, r = LEX_OK, rc;
    uint64_t nrec = 0;

    kvst__tok_span_begin(p, a, len - *pos);
    for (;;) {
        s = skip_ws(s, end);
        if (s >= end)
            break;
        if (st == FL_AFTER) {
            if (*s != ',')
                break;
            s = skip_ws(s + 1, end);
            st = FL_READY;
            if (s >= end)
                break;
        }
        if (*s != '{')
            break;
        r = lex_record(p, s, end, &e);
        if (r != LEX_OK)
            break;
        nrec++;
        s = e;
        if (st != FL_STREAM)
            st = FL_AFTER;
        if (p->fl_backoff)
            p->fl_backoff--;
    }
    p->fl_records += nrec;
    if (r == LEX_FATAL)
        return kvst__tok_span_end(p, 0, NULL); /* p->cursor.status */
    rc = kvst__tok_span_end(p, (size_t)(s - a), standin(from, st, nrec));
    if (rc)
        return rc;
    *pos = (size_t)(s - buf);
    p->fl_mode = st; /* the next feed starts where this one stops */
    if (s >= end)
        return 0;
    if (r == LEX_MORE && pc->may_hold && (size_t)(end - s) <= FL_HOLD_MAX && !hold(p, s, end, pc)) {
        /* the next piece of this feed completes the record */
        *pos = len;
        return 0;
    }
    /* yajl takes over, at the records' level (where the scanner stopped
     * when the fast lexer took over: fl_depth is kept) */
    p->fl_mode = FL_SCAN;
    p->fl_in_str = 0;
    p->fl_esc = 0;
    if (r == LEX_BAIL) {
        /* a record the fast lexer does not take: leave the next few to
         * yajl too, more after each such record */
        p->fl_skip = p->fl_backoff;
        p->fl_backoff = p->fl_backoff ? (p->fl_backoff < 128 ? p->fl_backoff * 2 : 256) : 1;
    }
    return 0;
}

static int lex_feed(kvst_parser *p, const unsigned char *buf, size_t len, const fl_piece *pc)
{
    size_t pos = 0, cut;
    uint64_t resyncs;
    int rc, kind, level;

    while (pos < len) {
        if (p->fl_mode == FL_OFF || p->cursor.status || p->resyncing) {
            p->fl_mode = FL_OFF;
            return kvst__tok_feed(p, buf + pos, len - pos);
        }
        if (p->fl_mode != FL_SCAN) {
            rc = fast_span(p, buf, &pos, len, pc);
            if (rc)
                return rc;
            continue;
        }
        kind = scan(p, buf, pos, len, &cut);
        resyncs = p->resyncs;
        rc = kvst__tok_feed_part(p, buf + pos, cut - pos, len - pos);
        pos = cut;
        if (rc)
            return rc;
        if (p->resyncs != resyncs) { /* recovery took the rest of the feed */
            p->fl_mode = FL_OFF;
            return 0;
        }
        level = kind != CUT_NONE ? records_boundary(p) : 0;
        if (level) {
            if (p->fl_skip)
                p->fl_skip--;
            else
                p->fl_mode = level == 1 ? FL_STREAM : kind == CUT_OPEN ? FL_READY : FL_AFTER;
        } else if (!fast_possible(p)) {
            p->fl_mode = FL_OFF;
        }
    }
    return 0;
}

/* Parse a piece of a feed (nothing is held). parsed: bytes_json when the
 * piece as the gzip stage cut it began (buf may be the rest of it). */
static int piece_feed(kvst_parser *p, const unsigned char *buf, size_t len, int may_hold,
                      uint64_t parsed)
{
    fl_piece pc;
    uint64_t resyncs = p->resyncs;
    int rc;

    if (p->cursor.status)
        return p->cursor.status;
    if (p->fl_mode == FL_OFF)
        return kvst__tok_feed(p, buf, len);
    pc.may_hold = may_hold;
    pc.parsed = parsed;
    rc = lex_feed(p, buf, len, &pc);
    /* A piece that fails counts none of its bytes as parsed, as when yajl
     * has it whole (recovery counts them all, once it has them). */
    if (rc && p->resyncs == resyncs)
        kvst__tok_parsed_at(p, parsed);
    /* as kvst__tok_feed: the bytes are not ours after this */
    kvst__cursor_let_go(&p->cursor, buf, len);
    kvst__cursor_span_off(&p->cursor);
    return rc;
}

/* The held record is not lexed whole after all: the held pieces go on as
 * they came (so yajl sees the bytes it gets split as they were), then
 * buf. */
static int replay(kvst_parser *p, const unsigned char *buf, size_t len, int may_hold)
{
    kvst_buf *h = &p->fl_hold;
    size_t off = 0, i, nseg = p->fl_nseg;
    int rc = 0;

    h->len = 0;
    p->fl_nseg = 0;
    /* the fast lexer found the record cut: the scanner takes it to yajl,
     * as it would have at the first piece's end */
    if (nseg) {
        p->fl_mode = FL_SCAN;
        p->fl_in_str = 0;
        p->fl_esc = 0;
    }
    for (i = 0; i < nseg && !rc; i++) {
        /* (the first is the end of a piece: it began before the record) */
        rc = piece_feed(p, h->data + off, p->fl_seg[i], 0, i ? p->bytes_json : p->fl_hold_parsed);
        off += p->fl_seg[i];
    }
    if (!rc && len)
        rc = piece_feed(p, buf, len, may_hold, p->bytes_json);
    return rc;
}

/* A record is held and buf is the feed's next piece: lex the record
 * joined with it, hold on, or replay. */
static int held_feed(kvst_parser *p, const unsigned char *buf, size_t len, int may_hold)
{
    kvst_buf *h = &p->fl_hold;
    size_t held = h->len, used;
    uint64_t piece_parsed = p->bytes_json + held; /* where buf begins */
    const unsigned char *e;
    int from = p->fl_mode, r, rc;

    if (!len || p->fl_nseg == FL_MAX_SEGS || kvst__buf_append(h, &p->alloc, buf, len)) {
        h->len = held;
        return replay(p, buf, len, may_hold);
    }
    kvst__tok_span_begin(p, h->data, h->len);
    r = lex_record(p, h->data, h->data + h->len, &e);
    if (r == LEX_OK) {
        int to = from == FL_STREAM ? FL_STREAM : FL_AFTER;
        used = (size_t)(e - h->data); /* past the held bytes: the record
                                          was cut */
        p->fl_records++;
        if (p->fl_backoff)
            p->fl_backoff--;
        p->fl_mode = to;
        h->len = 0;
        p->fl_nseg = 0;
        rc = kvst__tok_span_end(p, used, standin(from, to, 1));
        kvst__cursor_drop_chunk(&p->cursor);
        if (rc) {
            kvst__tok_parsed_at(p, piece_parsed);
            return rc;
        }
        return piece_feed(p, buf + (used - held), len - (used - held), may_hold, piece_parsed);
    }
    rc = kvst__tok_span_end(p, 0, NULL);
    if (r == LEX_FATAL || rc) {
        h->len = 0;
        p->fl_nseg = 0;
        kvst__tok_parsed_at(p, piece_parsed);
        kvst__cursor_drop_chunk(&p->cursor);
        return rc ? rc : p->cursor.status;
    }
    if (r == LEX_MORE && may_hold && h->len <= FL_HOLD_MAX) {
        p->fl_seg[p->fl_nseg++] = len; /* still cut: hold this piece too */
        return 0;
    }
    h->len = held;
    return replay(p, buf, len, may_hold);
}

static int lex_entry(kvst_parser *p, const unsigned char *buf, size_t len, int may_hold)
{
    if (p->cursor.status)
        return p->cursor.status;
    if (p->fl_hold.len)
        return held_feed(p, buf, len, may_hold);
    return piece_feed(p, buf, len, may_hold, p->bytes_json);
}

int kvst__lex_feed(void *parser, const unsigned char *buf, size_t len)
{
    kvst_parser *p = (kvst_parser *)parser;

    if (p->fl_mode == FL_OFF && !p->fl_hold.len)
        return kvst__tok_feed(p, buf, len);
    return lex_entry(p, buf, len, 1);
}

int kvst__lex_flush(kvst_parser *p)
{
    if (!p->fl_hold.len || p->cursor.status)
        return p->cursor.status;
    return replay(p, NULL, 0, 0);
}
