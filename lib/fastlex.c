/*
 * Stage 2a: the fast lexer. Between the gzip stage and yajl, it lexes the
 * records of a {"Records":[...]} array, of a top-level array of events
 * and of a stream of events itself when they are plain, and reports their
 * tokens to the record builder through the same callbacks yajl calls,
 * with the same positions. Everything else goes to yajl (tokenizer.c):
 * the bytes before the first record, a record cut by the end of the
 * caller's feed or that the fast lexer does not take, the containers'
 * ends, and input of any other shape. yajl stays the judge of what is
 * JSON: the fast lexer takes only a subset of what yajl accepts.
 *
 * The contract (as zlib's inflate_fast), per record:
 *
 * Entry conditions. lex_record() is called at a record's '{' only when
 * the builder stands between records (records_boundary: no record open,
 * no error, not resynchronising) at the level of their container, and
 * the fast lexer has the floor (fl_mode FL_READY, FL_AFTER or FL_STREAM).
 *
 * Pass 1, check_record(), reports nothing. It takes the record only when
 *   - it is whole in the bytes at hand (else LEX_MORE: the start of a
 *     record cut by a piece's end is held, see below);
 *   - it is JSON by yajl's grammar, with no \u escape (yajl decodes some
 *     wrongly, and the builder reads them again from the bytes; and event
 *     building looks for lone surrogate escapes only in records the fast
 *     lexer did not take: kvst_tape.no_u_escapes), no control byte in a
 *     string, and well-formed UTF-8 (RFC 3629, utf8.h);
 *   - it nests at most FL_MAX_DEPTH deep, and no deeper than the
 *     builder's max_depth allows from the depth of its container;
 *   - it is at most max_record_bytes long (and under 2^30), and each
 *     string, key and number within max_string_bytes (raw, for a string
 *     with escapes: decoded it is no longer);
 *   - in a stream of events, its top-level "Records" key is not followed
 *     by an array (the builder would make the object a log file);
 *   - the room its tokens and the decoding of its escapes take could be
 *     had (a failed allocation here leaves the record to yajl).
 * Else LEX_BAIL: yajl gets the record from its '{', untouched, as if the
 * fast lexer were off. Pass 1 writes the record's tokens to p->fl_tok.
 *
 * Pass 2, emit_record(), reports those tokens -- the common ones straight
 * onto the builder's tape (kvst__builder_take, which takes them as the
 * callbacks would), the rest through the callbacks yajl calls; it checks
 * no bytes and has no way to give up. Exit conditions: LEX_OK, the record was
 * delivered whole and the builder stands between records again; or
 * LEX_FATAL, a callback refused -- only for a failed allocation in the
 * builder or a failure of the record's delivery (the sink: the caller's
 * callback, pull mode's queue) -- and p->cursor.status holds the error at
 * the offset yajl's count of bytes would have given it (the end of the
 * token), which stands: the parser stops there, as with yajl. Nothing is
 * ever undone: the builder keeps no savepoint and the line cursor never
 * goes back.
 *
 * Skipping. When delivery would drop a record for its eventSource alone
 * (KVST_FLAG_KVS_ONLY, or a filter with actions: a record whose
 * eventSource is not KVS's has no action; FL_DROP_FOREIGN), or for its
 * eventTime alone (a filter's since or until: kvst__filter_event drops an
 * event whose eventTime is not a valid timestamp inside the window;
 * FL_DROP_TIME), unless KVST_FLAG_NO_SKIP, a record pass 1 took whose
 * top-level eventSource is not KVS's (kvst__is_kvs_source), or whose
 * top-level eventTime is outside the window (kvst__filter_time) -- the
 * last one of each, as kvst__tape_get and the envelope read it, decoded,
 * a value that is no string included -- gets no pass 2:
 * kvst__builder_skip_record() leaves the builder as reading it would have
 * (its index counted, its container's item count), the cursor stands past
 * its '}', and nothing is delivered, as delivery would have dropped it
 * (no finding, tape or raw bytes of it ever show). A record without the
 * top-level member is reported as ever: without any of eventSource,
 * eventTime and the other event keys it may be an EventBridge envelope or
 * not CloudTrail, and with one of them it is an event itself
 * (classify_candidate), whose envelope is the record's top level. Exit:
 * LEX_OK. Under p->fl_drop pass 1 first runs without writing the tokens
 * (check_only: same checks, same verdict but for a failed allocation of
 * the token buffer, which it does not need); a record it does not skip is
 * checked again by check_tokens, the pass 1 above.
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
 * Pieces and feeds. The caller feeds the input in pieces, and the gzip
 * stage hands each feed's inflated bytes on in pieces of its own; the
 * start of a record a piece's end cuts (pass 1 says LEX_MORE) is held --
 * copied: the caller's buffer is not ours once a feed returns -- and
 * checked again joined with the next piece, of the same feed or of the
 * next one. The hold is bounded: at most FL_HOLD_MAX bytes held, over at
 * most FL_MAX_SEGS pieces, and at most FL_HOLD_MAX bytes of a piece
 * copied to try. What is held has no error yajl or the builder would
 * report in this feed (pass 1 found every byte before the cut as they
 * would take it, and kvst__lex_feed_end() checks the one thing pass 1
 * cannot, the room yajl would take for the token the cut leaves open), so
 * the feed that brings an error's byte still returns it. At a feed's end
 * (kvst__lex_feed_end) the hold waits for the next feed, unless that room
 * could be refused or the gzip stage failed (its error stands past the
 * held bytes): then, as when the record is not lexed whole after all,
 * grows past the bounds, or the input ends (kvst__lex_flush, from
 * kvst_parser_finish), the held pieces go to yajl as they came, and yajl
 * reads the record, or reports its truncation. (A failed allocation of
 * the builder's while it takes a held record is the one error a later
 * feed returns: the feed that completes the record, at the offset, line
 * and pointer yajl's would have.) p->bytes_json counts what
 * yajl and the fast lexer took (error offsets are from it);
 * kvst_parser_stats() adds the held bytes yajl would have counted
 * (kvst__lex_held), so that its figure after every feed is the one with
 * the fast lexer off.
 */
#include <string.h>

#include <stdint.h>
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

/* What delivery would drop a record for, told from its top-level values
 * (p->fl_drop), and which of those values pass 1 finds (top[]). */
enum { FL_DROP_FOREIGN = 1, FL_DROP_TIME = 2 };
enum { FL_TOP_SOURCE, FL_TOP_TIME, FL_TOP_N };

/* The deepest a record may nest here (one bit per level); deeper ones
 * go to yajl. */
#define FL_MAX_DEPTH 60u

/* The longest start of a record held for the next piece (of the feed,
 * or the next feed); a longer one goes to yajl. */
#define FL_HOLD_MAX (64u * 1024u)
/* ... and the most pieces it may span (FL_MAX_SEGS in internal.h) */
/* How much of the next piece is copied to the held start first to
 * complete the record (twice as much each time it is still cut, up to
 * FL_HOLD_MAX): most records are shorter. */
#define FL_TRY_BYTES 4096u

void kvst__lex_init(kvst_parser *p)
{
    p->fl_mode = (p->opts.flags & KVST_FLAG_NO_FASTLEX) ? FL_OFF : FL_SCAN;
    /* delivery's wanted(): a record whose eventSource is not KVS's has no
     * action, which KVST_FLAG_KVS_ONLY drops and no action filter lets
     * through */
    p->fl_drop = 0;
    if (!(p->opts.flags & KVST_FLAG_NO_SKIP)) {
        if ((p->opts.flags & KVST_FLAG_KVS_ONLY) || kvst__filter_has_actions(p->filter))
            p->fl_drop |= FL_DROP_FOREIGN;
        /* kvst__filter_event: a record outside the time window is dropped */
        if (kvst__filter_has_time(p->filter))
            p->fl_drop |= FL_DROP_TIME;
    }
    p->scan = kvst__scanner_choose(getenv("KVSTRAIL_SCAN"));
}

void kvst__lex_free(kvst_parser *p)
{
    kvst__buf_free(&p->fl_text, &p->alloc);
    kvst__buf_free(&p->fl_hold, &p->alloc);
    kvst__free(&p->alloc, p->fl_tok);
    p->fl_tok = NULL;
    p->fl_tok_cap = 0;
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

/* White space, with one comparison for the bytes that are not (most
 * that follow a token in the records as CloudTrail writes them). */
static KVST_INLINE int space(unsigned char c)
{
    return c <= ' ' && kvst__json_space(c);
}

static inline int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/*
 * The first pass: check_record() reads a record and reports nothing. It
 * writes the record's tokens to p->fl_tok, in the form internal.h gives
 * (KVST_FT_*), which the builder reads too (kvst__builder_take).
 */
#define FT_KEY KVST_FT_KEY
#define FT_ESC KVST_FT_ESC
#define FT_LEN KVST_FT_LEN

/* Room for more tokens: 0, or 1 when an allocation failed. */
static KVST_NOINLINE int tok_grow(kvst_parser *p)
{
    size_t cap = p->fl_tok_cap ? p->fl_tok_cap * 2 : 256;
    uint32_t *t;

    if (cap > SIZE_MAX / (2 * sizeof *t))
        return 1;
    t = (uint32_t *)kvst__realloc(&p->alloc, p->fl_tok, cap * 2 * sizeof *t);
    if (!t)
        return 1;
    p->fl_tok = t;
    p->fl_tok_cap = cap;
    return 0;
}

/* The string whose opening quote is at *ps, to the first byte its plain
 * run stops at, e (not its closing quote): escapes, UTF-8, or a byte yajl
 * rejects. Simple escapes are taken (pass 2 decodes them as yajl does);
 * UTF-8 is checked by the tokenizer's rule (RFC 3629, utf8.h). A \u
 * escape, an ill-formed sequence or a control byte is left to yajl, which
 * reports it where it starts. LEX_OK: *ps past the closing quote, *raw
 * the bytes between the quotes. */
static int check_escaped(const kvst_parser *p, const unsigned char **ps, const unsigned char *e,
                         const unsigned char *end, size_t smax, uint32_t *raw)
{
    uint32_t escaped = 0;

    for (;;) {
        if ((size_t)(e - *ps) - 1 > smax)
            return LEX_BAIL; /* raw, past the limit (decoded it may not be: yajl's) */
        if (*e == '"')
            break;
        if (*e == '\\') {
            if (e + 1 >= end)
                return LEX_MORE;
            switch (e[1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                break;
            default:
                return LEX_BAIL; /* \u, or not an escape */
            }
            escaped = FT_ESC;
            e += 2;
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
    *raw = (uint32_t)(e - *ps - 1) | escaped;
    *ps = e + 1;
    return LEX_OK;
}

static KVST_INLINE int check_string(const kvst_parser *p, const unsigned char **ps,
                                    const unsigned char *end, size_t smax, uint32_t *raw)
{
    const unsigned char *b = *ps + 1, *e = str_run(p, b, end);

    if (KVST_UNLIKELY(e >= end))
        return LEX_MORE;
    if (KVST_LIKELY(*e == '"')) {
        if ((size_t)(e - b) > smax)
            return LEX_BAIL; /* yajl says so (it buffers no plain string either) */
        *raw = (uint32_t)(e - b);
        *ps = e + 1;
        return LEX_OK;
    }
    return check_escaped(p, ps, e, end, smax, raw);
}

/* The literal lit (n bytes) at *ps: LEX_OK and *ps past it, LEX_MORE when
 * fewer than n bytes are left and they begin it, else LEX_BAIL. */
static KVST_INLINE int check_literal(const unsigned char **ps, const unsigned char *end,
                                     const char *lit, size_t n)
{
    size_t left = (size_t)(end - *ps);

    if (left < n) /* (yajl fails at the first wrong byte, cut or not) */
        return memcmp(*ps, lit, left) != 0 ? LEX_BAIL : LEX_MORE;
    if (memcmp(*ps, lit, n) != 0)
        return LEX_BAIL;
    *ps += n;
    return LEX_OK;
}

/* A number as JSON writes it; yajl checks the same grammar. */
static int check_number(const unsigned char **ps, const unsigned char *end)
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

/*
 * Pass 1: may the fast lexer take the record whose '{' is at s0? LEX_OK:
 * it is whole in [s0, end), *out is just past it and p->fl_tok holds its
 * *ntok tokens; no callback of the builder can refuse them but for a
 * failed allocation or the delivery of the record (see the header).
 * LEX_MORE: it may be, once the bytes after end come. LEX_BAIL: yajl
 * takes it. Nothing is reported to the builder either way.
 */
static KVST_INLINE int check_record(kvst_parser *p, const unsigned char *s0,
                                    const unsigned char *end, int stream, int put,
                                    const unsigned char **out, size_t *ntok,
                                    const unsigned char **top)
{
    const unsigned char *s = s0, *lim = end, *key = NULL;
    uint64_t arrays = 0; /* bit d - 1: the container at record depth d is an array */
    uint64_t maxd = FL_MAX_DEPTH, room = p->opts.max_record_bytes;
    unsigned d = 0;
    uint32_t *t = p->fl_tok, *tend = t ? t + 2 * p->fl_tok_cap : NULL, raw = 0;
    size_t longest = 0, smax = FT_LEN;
    int r = LEX_BAIL, top_next = 0;

    top[FL_TOP_SOURCE] = top[FL_TOP_TIME] = NULL;
    /* the builder's limits that the bytes tell: its depth, and the
     * record's length (the record must end within lim) */
    if (p->opts.max_depth < (uint64_t)p->depth + maxd)
        maxd = p->opts.max_depth > p->depth ? p->opts.max_depth - p->depth : 0;
    if (room > FT_LEN)
        room = FT_LEN;
    if (p->opts.max_string_bytes < smax)
        smax = (size_t)p->opts.max_string_bytes;
    if ((uint64_t)(end - s0) > room)
        lim = s0 + room;

#define FT_PUT(ptr, len)                                                                   \
    do {                                                                                   \
        if (!put)                                                                          \
            break;                                                                         \
        if (KVST_UNLIKELY(t == tend)) {                                                    \
            size_t used_ = p->fl_tok ? (size_t)(t - p->fl_tok) : 0;                        \
            if (tok_grow(p))                                                               \
                goto bail; /* yajl takes it, and meets the failure if it is one */        \
            t = p->fl_tok + used_;                                                         \
            tend = p->fl_tok + 2 * p->fl_tok_cap;                                          \
        }                                                                                  \
        t[0] = (uint32_t)((ptr) - s0);                                                     \
        t[1] = (uint32_t)(len);                                                            \
        t += 2;                                                                            \
    } while (0)

    goto open_object;

value:
    if (KVST_UNLIKELY(s >= lim))
        goto more;
    switch (*s) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
        s = skip_ws(s, lim);
        goto value;
    case '"': {
        const unsigned char *b = s;
        r = check_string(p, &s, lim, smax, &raw);
        if (r != LEX_OK)
            goto give_up;
        if (KVST_UNLIKELY(raw & FT_ESC) && (raw & FT_LEN) > longest)
            longest = raw & FT_LEN;
        FT_PUT(b, raw);
        goto after_value;
    }
    case '{':
    open_object:
        if (d >= maxd)
            goto bail;
        FT_PUT(s, 0);
        s++;
        arrays &= ~((uint64_t)1 << d);
        d++;
        if (s < lim && KVST_UNLIKELY(space(*s)))
            s = skip_ws(s, lim);
        if (s < lim && *s == '}')
            goto close;
        goto key;
    case '[':
        if (d >= maxd)
            goto bail;
        FT_PUT(s, 0);
        s++;
        arrays |= (uint64_t)1 << d;
        d++;
        if (s < lim && KVST_UNLIKELY(space(*s)))
            s = skip_ws(s, lim);
        if (s < lim && *s == ']')
            goto close;
        goto value;
    case 't':
    case 'f': {
        const unsigned char *b = s;
        r = *s == 't' ? check_literal(&s, lim, "true", 4) : check_literal(&s, lim, "false", 5);
        if (r != LEX_OK)
            goto give_up;
        FT_PUT(b, 0);
        goto after_value;
    }
    case 'n': {
        const unsigned char *b = s;
        r = check_literal(&s, lim, "null", 4);
        if (r != LEX_OK)
            goto give_up;
        FT_PUT(b, 0);
        goto after_value;
    }
    default: {
        const unsigned char *b = s;
        r = check_number(&s, lim);
        if (r != LEX_OK)
            goto give_up;
        if ((size_t)(s - b) > smax)
            goto bail;
        FT_PUT(b, s - b);
        goto after_value;
    }
    }

key:
    if (KVST_UNLIKELY(s >= lim))
        goto more;
    if (KVST_UNLIKELY(*s != '"')) {
        if (!space(*s))
            goto bail;
        s = skip_ws(s, lim);
        goto key;
    }
    {
        const unsigned char *b = s;
        r = check_string(p, &s, lim, smax, &raw);
        if (r != LEX_OK)
            goto give_up;
        if (KVST_UNLIKELY(raw & FT_ESC) && (raw & FT_LEN) > longest)
            longest = raw & FT_LEN;
        FT_PUT(b, raw | FT_KEY);
        if (d == 1) {
            /* the top-level eventSource and eventTime (the last one
             * counts, as for kvst__tape_get and the envelope; escapes
             * cannot spell them): the value is the next token */
            if (raw == 11 && memcmp(b + 1, "eventSource", 11) == 0)
                top_next = FL_TOP_SOURCE + 1;
            else if (raw == 9 && memcmp(b + 1, "eventTime", 9) == 0)
                top_next = FL_TOP_TIME + 1;
            /* a top-level event's "Records" key (nor can they spell it) */
            else if (KVST_UNLIKELY(stream) && raw == 7 && memcmp(b + 1, "Records", 7) == 0)
                key = b;
            else
                goto colon;
            goto top_colon;
        }
    }
    /* the ':' (white space is looked for only where it is not) */
#define COLON()                          \
    do {                                 \
        if (KVST_UNLIKELY(s >= lim))     \
            goto more;                   \
        if (KVST_UNLIKELY(*s != ':')) {  \
            if (!space(*s))              \
                goto bail;               \
            s = skip_ws(s, lim);         \
            if (KVST_UNLIKELY(s >= lim)) \
                goto more;               \
            if (*s != ':')               \
                goto bail;               \
        }                                \
        s++;                             \
    } while (0)
colon:
    COLON();
    goto value;
top_colon:
    /* the value of a top-level key named above: where it starts */
    COLON();
    if (s < lim && space(*s))
        s = skip_ws(s, lim);
    if (KVST_UNLIKELY(s >= lim))
        goto more;
    if (key) { /* {"Records":[: a log file, not an event (the builder
                * would give the record up): yajl's */
        if (*s == '[')
            goto bail;
        key = NULL;
    } else {
        top[top_next - 1] = s;
        top_next = 0;
    }
    goto value;
#undef COLON

after_value:
    if (KVST_UNLIKELY(s >= lim))
        goto more;
    if (*s == ',') {
        s++;
        if (arrays >> (d - 1) & 1)
            goto value;
        goto key;
    }
    if (*s == ((arrays >> (d - 1) & 1) ? ']' : '}'))
        goto close;
    if (!space(*s))
        goto bail;
    s = skip_ws(s, lim);
    goto after_value;
close:
    FT_PUT(s, 0);
    s++;
    if (--d == 0) {
        /* whole: the longest escaped string's room is made now, so that
         * pass 2 needs none */
        p->fl_text.len = 0;
        if (longest && kvst__buf_reserve(&p->fl_text, &p->alloc, longest + 1))
            goto bail;
        *out = s;
        *ntok = put ? (size_t)(t - p->fl_tok) / 2 : 0;
        return LEX_OK;
    }
    goto after_value;
#undef FT_PUT

more:
    /* cut by the bytes at hand, or by the record limit (yajl's) */
    return lim < end ? LEX_BAIL : LEX_MORE;
bail:
    return LEX_BAIL;
give_up:
    if (r == LEX_MORE)
        goto more;
    return r;
}

/* Pass 1, writing the tokens (pass 2 reports them). */
static int check_tokens(kvst_parser *p, const unsigned char *s0, const unsigned char *end,
                        int stream, const unsigned char **out, size_t *ntok)
{
    const unsigned char *top[FL_TOP_N];

    return check_record(p, s0, end, stream, 1, out, ntok, top);
}

/* Pass 1 that writes no tokens (the record may be skipped): top[] are
 * the values of its top-level eventSource and eventTime (the last of
 * each), NULL when it has none. */
static int check_only(kvst_parser *p, const unsigned char *s0, const unsigned char *end,
                      int stream, const unsigned char **out, const unsigned char **top)
{
    size_t n;

    return check_record(p, s0, end, stream, 0, out, &n, top);
}

/* The text of a string with escapes, decoded into p->fl_text (pass 1 made
 * it room): the escapes are simple ones, checked. */
static size_t decode_simple(kvst_parser *p, const unsigned char *b, size_t raw)
{
    unsigned char *o = p->fl_text.data;
    size_t i, k = 0;

    for (i = 0; i < raw; i++) {
        unsigned char c = b[i];
        if (c == '\\') {
            switch (b[++i]) {
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            default: c = b[i]; break; /* '"', '\\', '/' */
            }
        }
        o[k++] = c;
    }
    o[k] = '\0';
    return k;
}

/*
 * Pass 2: report the n tokens pass 1 found in the record at s0 to the
 * builder. Each token but a plain string is reported at the offset just
 * past it, as yajl's count of bytes says in its callbacks (the builder
 * takes a plain string's end from its pointer, and would read its text
 * again were the offset to say the same). LEX_OK: the record was
 * delivered. LEX_FATAL: a callback refused (p->cursor.status says why: a
 * failed allocation, or the delivery of the record failed); the error
 * stands, at the offset yajl's would have.
 */
static int emit_record(kvst_parser *p, const unsigned char *s0, size_t n)
{
    const yajl_callbacks *cb = &kvst__builder_callbacks;
    const uint32_t *t = p->fl_tok, *te = p->fl_tok + 2 * n;
    uint64_t base = p->cursor.chunk_base + (uint64_t)(s0 - p->cursor.chunk); /* the record's '{' */
    int ok = 1;

    for (; t < te; t += 2) {
        const unsigned char *s;
        uint32_t w;

        /* the common tokens, straight into the builder's record */
        t = kvst__builder_take(p, s0, base, t, te);
        if (t == te)
            break;
        /* the rest through the callbacks yajl calls */
        s = s0 + t[0];
        w = t[1];
        switch (*s) {
        case '{':
            kvst__cursor_span_to(&p->cursor, base + t[0] + 1);
            ok = cb->yajl_start_map(p);
            break;
        case '[':
            kvst__cursor_span_to(&p->cursor, base + t[0] + 1);
            ok = cb->yajl_start_array(p);
            break;
        case '}':
            kvst__cursor_span_to(&p->cursor, base + t[0] + 1);
            ok = cb->yajl_end_map(p);
            break;
        case ']':
            kvst__cursor_span_to(&p->cursor, base + t[0] + 1);
            ok = cb->yajl_end_array(p);
            break;
        case 't':
            kvst__cursor_span_to(&p->cursor, base + t[0] + 4);
            ok = cb->yajl_boolean(p, 1);
            break;
        case 'f':
            kvst__cursor_span_to(&p->cursor, base + t[0] + 5);
            ok = cb->yajl_boolean(p, 0);
            break;
        case 'n':
            kvst__cursor_span_to(&p->cursor, base + t[0] + 4);
            ok = cb->yajl_null(p);
            break;
        case '"': {
            size_t len = w & FT_LEN;
            const unsigned char *text = s + 1;
            if (KVST_UNLIKELY(w & FT_ESC)) {
                kvst__cursor_span_to(&p->cursor, base + t[0] + len + 2);
                len = decode_simple(p, s + 1, len);
                text = p->fl_text.data;
            }
            ok = (w & FT_KEY) ? cb->yajl_map_key(p, text, len) : cb->yajl_string(p, text, len);
            break;
        }
        default:
            kvst__cursor_span_to(&p->cursor, base + t[0] + w);
            ok = cb->yajl_number(p, (const char *)s, w);
            break;
        }
        if (KVST_UNLIKELY(!ok))
            break;
    }
    if (ok)
        return LEX_OK;
    if (s0[t[0]] == '"' && !(t[1] & FT_ESC) && p->cursor.status == KVST_E_NOMEM) {
        /* a plain string's: at its end, where yajl's count stands */
        kvst__cursor_clear(&p->cursor);
        kvst__cursor_fail_at(&p->cursor, KVST_E_NOMEM, base + t[0] + (t[1] & FT_LEN) + 2,
                             "out of memory");
    }
    if (!p->cursor.status) /* every refusal sets the error; were one not to */
        kvst__cursor_fail_at(&p->cursor, KVST_E_SYNTAX, kvst__cursor_offset(&p->cursor),
                             "internal error: the fast lexer's record was refused");
    return LEX_FATAL;
}

/* The text of the value at v (the record's top-level eventSource or
 * eventTime, which pass 1 checked; the record ends before e) when it is a
 * string, decoded (pass 1 made the room for it), else NULL. Is it a
 * string that names KVS? As kvst__action_of reads the tape: a value that
 * is no string is not. */
static const char *top_string(kvst_parser *p, const unsigned char *v, const unsigned char *e,
                              size_t *len)
{
    const unsigned char *b = v + 1, *q = b;
    int esc = 0;

    if (*v != '"')
        return NULL;
    for (;;) {
        q = quote_or_escape(p, q, e);
        if (q >= e || *q == '"')
            break;
        esc = 1; /* a backslash: the escape is a simple one (pass 1) */
        q += 2;
    }
    if (esc) {
        *len = decode_simple(p, b, (size_t)(q - b));
        return (const char *)p->fl_text.data;
    }
    *len = (size_t)(q - b);
    return (const char *)b;
}

static int kvs_source(kvst_parser *p, const unsigned char *v, const unsigned char *e)
{
    size_t len;
    const char *s = top_string(p, v, e, &len);

    return s != NULL && kvst__is_kvs_source(s, len);
}

/* Does the filter's time window (since, until) let through a record whose
 * top-level eventTime value is at v? As the envelope fills eventTime (a
 * string, else nothing; valid when kvst_validate_timestamp takes it) and
 * kvst__filter_event reads it. */
static int time_wanted(kvst_parser *p, const unsigned char *v, const unsigned char *e)
{
    size_t len = 0;
    const char *s = top_string(p, v, e, &len);
    int64_t ms = 0;
    int valid = s != NULL && kvst_validate_timestamp(s, len, &ms) == 0;

    return kvst__filter_time(p->filter, valid, ms);
}

/* Skip the record ending at e that pass 1 took, which delivery would drop
 * unread: nothing is reported, the builder counts it (its state as after
 * reading it) and the cursor stands past its '}', as after pass 2. */
static void skip_record(kvst_parser *p, const unsigned char *e)
{
    uint64_t end = p->cursor.chunk_base + (uint64_t)(e - p->cursor.chunk);

    kvst__cursor_span_to(&p->cursor, end);
    kvst__builder_skip_record(p, end);
    p->fl_skipped++;
}

/*
 * The record whose '{' is at s, in [s, end). LEX_OK: it was delivered
 * and *out is just past it. LEX_FATAL: delivering it failed
 * (p->cursor.status). LEX_MORE or LEX_BAIL: nothing of it was reported.
 * stream: between top-level events (where a "Records" array makes the
 * object a log file).
 */
static int lex_record(kvst_parser *p, const unsigned char *s, const unsigned char *end,
                      int stream, const unsigned char **out)
{
    size_t n;
    const unsigned char *top[FL_TOP_N];
    int r;

    if (p->fl_drop) {
        /* pass 1 without the tokens first: most such records are
         * skipped, and the others checked again, with them */
        r = check_only(p, s, end, stream, out, top);
        if (r != LEX_OK)
            return r;
        if (((p->fl_drop & FL_DROP_FOREIGN) && top[FL_TOP_SOURCE] &&
             !kvs_source(p, top[FL_TOP_SOURCE], *out)) ||
            ((p->fl_drop & FL_DROP_TIME) && top[FL_TOP_TIME] &&
             !time_wanted(p, top[FL_TOP_TIME], *out))) {
            skip_record(p, *out);
            return LEX_OK;
        }
    }
    r = check_tokens(p, s, end, stream, out, &n);
    if (r != LEX_OK)
        return r;
    return emit_record(p, s, n);
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
 * joined with the next piece, of this feed or the next (a copy: the
 * caller's bytes are not ours once the feed returns). 0 when held. */
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
        r = lex_record(p, s, end, from == FL_STREAM, &e);
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
        /* the next piece (or feed) completes the record */
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

/* The UTF-8 sequence a chunk's end cut (its n bytes at seq, the first at
 * absolute offset at) and the next piece buf completes: the tokenizer
 * gives yajl the sequence as a chunk of its own (u8_pend), which counts
 * as parsed even when the rest of the piece fails. Returns where yajl's
 * count then stands, or parsed when buf does not complete it so. */
static uint64_t past_cut_sequence(const unsigned char *seq, size_t n, uint64_t at,
                                  const unsigned char *buf, size_t len, uint64_t parsed)
{
    unsigned char b[4];
    size_t take = len < 4 - n ? len : 4 - n, k;
    uint32_t cp;
    int why;

    memcpy(b, seq, n);
    if (take)
        memcpy(b + n, buf, take);
    k = kvst__utf8_decode(b, n + take, &cp, &why);
    return k && at + k > parsed ? at + k : parsed;
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
    if (KVST_UNLIKELY(p->u8_pend_n) && p->u8_pend_n < 4)
        parsed = past_cut_sequence(p->u8_pend, p->u8_pend_n, p->u8_pend_at, buf, len, parsed);
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

/* A record is held and buf is the next piece, of this feed or the next
 * one: lex the record joined with it (with its first FL_HOLD_MAX bytes
 * at most: the copy stays bounded however much the caller feeds at once),
 * hold on, or replay. */
static int held_feed(kvst_parser *p, const unsigned char *buf, size_t len, int may_hold)
{
    kvst_buf *h = &p->fl_hold;
    size_t held = h->len, used, cut, take = 0, want;
    uint64_t piece_parsed = p->bytes_json + held; /* where buf begins */
    const unsigned char *e;
    int from = p->fl_mode, r, rc;

    if (!len) /* nothing new: the record stays held */
        return 0;
    cut = held - (size_t)kvst__lex_held(p);
    if (cut) /* (as yajl would count it, were this piece to fail) */
        piece_parsed = past_cut_sequence(h->data + held - cut, cut, p->bytes_json + held - cut,
                                         buf, len, piece_parsed);
    if (p->fl_nseg == FL_MAX_SEGS)
        return replay(p, buf, len, may_hold);
    /* the piece's first FL_TRY_BYTES are copied, then twice as many while
     * the record is still cut (a piece, a feed, may be large) */
    want = len < FL_TRY_BYTES ? len : FL_TRY_BYTES;
    for (;;) {
        if (kvst__buf_append(h, &p->alloc, buf + take, want - take)) {
            h->len = held;
            return replay(p, buf, len, may_hold);
        }
        take = want;
        kvst__tok_span_begin(p, h->data, h->len);
        r = lex_record(p, h->data, h->data + h->len, from == FL_STREAM, &e);
        if (r != LEX_MORE || take == len || take >= FL_HOLD_MAX)
            break;
        if (kvst__tok_span_end(p, 0, NULL)) /* (nothing was reported) */
            break;
        want = take <= len / 2 ? take * 2 : len;
        if (want > FL_HOLD_MAX)
            want = FL_HOLD_MAX;
    }
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
    if (r == LEX_MORE && may_hold && take == len && h->len <= FL_HOLD_MAX) {
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

/*
 * May the held start of a record wait for the caller's next feed? Only
 * when yajl, given it in this feed, would report no error in it (the
 * feed that brings an error's byte returns it). Pass 1 said LEX_MORE, so
 * its grammar, UTF-8, escapes, depth (max_depth), record length
 * (max_record_bytes) and every whole token's length (max_string_bytes)
 * are what yajl and the builder take; a literal cut short begins as it
 * should (check_literal). What is left is the token the end cuts, which
 * yajl copies into its lexer's buffer: that buffer doubles from 2 KiB, so
 * a token of fewer than n bytes makes it at most 2n (or 2 KiB), and the
 * guard refuses an allocation past yajl_cap (tokenizer.c: twice
 * max_string_bytes plus 64 KiB and max_depth) as a string too long. A
 * held start of n bytes with 2n within yajl_cap is safe (with the default
 * limits, any that FL_HOLD_MAX allows).
 */
static int hold_may_last(const kvst_parser *p)
{
    return 2 * (uint64_t)p->fl_hold.len <= p->yajl_cap;
}

int kvst__lex_feed_end(kvst_parser *p)
{
    if (!p->fl_hold.len || p->cursor.status || hold_may_last(p))
        return p->cursor.status;
    return replay(p, NULL, 0, 0);
}

uint64_t kvst__lex_held(const kvst_parser *p)
{
    const unsigned char *d = p->fl_hold.data;
    size_t n = p->fl_hold.len, k;
    uint32_t cp;
    int why;

    /* a UTF-8 sequence the end cuts (in a string: pass 1 took no other
     * byte from 0x80 on) the tokenizer keeps back from yajl (u8_pend) */
    for (k = 1; k <= 3 && k <= n; k++) {
        if ((d[n - k] & 0xC0) == 0x80)
            continue;
        if (d[n - k] >= 0xC0 && kvst__utf8_decode(d + n - k, k, &cp, &why) == 0 &&
            why == KVST_UTF8_CUT)
            return n - k;
        break;
    }
    return n;
}
