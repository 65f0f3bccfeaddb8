/*
 * Stage 2: the yajl tokenizer. Feeds plain bytes to yajl, turns yajl's
 * per-chunk offsets into absolute offsets, lines and columns, and yajl's
 * errors into kvst errors with an excerpt. Its calls into yajl go through
 * the allocator guard (yajl_guard.c).
 *
 * When a record breaks, the tokenizer tells the parser's break sink
 * (kvst_break_sink, set by kvst__tok_new): in recovery mode the parser
 * takes the tokenizer's handle away (kvst__tok_drop), and the bytes of the
 * feed after the error go to the sink's rest until the parser restarts the
 * tokenizer at the next record (kvst__tok_restart). The tokenizer knows
 * nothing of recovery.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "scan.h"

int kvst__tok_new(kvst_parser *p, kvst_break_sink brk)
{
    uint64_t cap;

    p->brk = brk;
    /* yajl doubles its buffer while a string grows: room for the longest
     * allowed string twice over, plus slack for its stacks. */
    cap = p->opts.max_string_bytes;
    cap = cap > ((uint64_t)-1 - (1u << 16)) / 2 ? (uint64_t)-1 : cap * 2 + (1u << 16);
    /* and its state stack: a byte per open container */
    cap = cap > (uint64_t)-1 - p->opts.max_depth ? (uint64_t)-1 : cap + p->opts.max_depth;
    p->yajl_cap = cap > (uint64_t)(size_t)-1 ? (size_t)-1 : (size_t)cap;

    if (kvst__yajl_guarded_alloc(p, &kvst__builder_callbacks, p, &p->yajl))
        return p->jmp_code;
    yajl_config(p->yajl, yajl_allow_multiple_values, 1);
    kvst__cursor_use_yajl(&p->cursor, p->yajl);
    return 0;
}

void kvst__tok_free(kvst_parser *p)
{
    kvst__yajl_free_all(p);
    p->yajl = NULL;
    kvst__cursor_use_yajl(&p->cursor, NULL);
}

/* First non-white byte at or after off (-1 past what we hold). Bytes no
 * longer held are known when note_next_token saw them: white space from
 * ws_ref to ws_to, but for one separator at ws_sep. */
static uint64_t skip_space(const kvst_parser *p, uint64_t off, int *c)
{
    for (;;) {
        *c = kvst__cursor_byte(&p->cursor, off);
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
        if (*c < 0 || !kvst__json_space(*c))
            return off;
        off++;
    }
}

static uint64_t token_start(const kvst_parser *p);
static int held_byte(const void *ctx, uint64_t at);

/*
 * Whether the separator c (',' or ':') may follow the last token the
 * builder accepted: ':' only a key, ',' only a value or a container's end
 * inside a container. yajl rejects one anywhere else as soon as it lexes
 * it, before the token after it: the separator is then the offending
 * token, whatever the bytes after it (which a split may not have fed yet).
 */
static int separator_fits(const kvst_parser *p, int c)
{
    if (c == ':')
        return p->last_tok_kind == KVST_TOK_KEY;
    return p->last_tok_kind == KVST_TOK_VALUE && p->depth > 0;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/*
 * The offending byte of a lexical error inside a number whose middle is no
 * longer held (longer than the history and the held start of its token
 * together). The error is inside the number, so it ends in a run of digits
 * and then a '.', or an 'e' or 'E' with its optional sign, and the
 * offender is the byte after those: the place a digit is missing. Those
 * last bytes are always held (yajl stopped at most one byte past the
 * offender), so they are found from e back, the same for every split
 * (yajl's own offset is at the offender or one past it, by how the number
 * was buffered: fuzz_digest found 359 against 360).
 */
static uint64_t number_tail_offender(kvst_byte_fn byte, const void *ctx, uint64_t e)
{
    uint64_t r = e;
    int c;

    while (r > 0 && e - r < 4 && (c = byte(ctx, r - 1)) >= 0 && !is_digit(c))
        r--; /* r - 1: the run's last digit, r the byte after it */
    if (r == 0 || !is_digit(byte(ctx, r - 1)))
        return e > 0 ? e - 1 : 0;
    c = byte(ctx, r);
    if (c == '.')
        return r + 1;
    if (c == 'e' || c == 'E') {
        c = byte(ctx, r + 1);
        return c == '+' || c == '-' ? r + 2 : r + 1;
    }
    return e > 0 ? e - 1 : 0;
}

/*
 * The offending byte of a lexical error, from the bytes themselves: yajl's
 * offset is one past it for some kinds and at it for others (those where
 * its lexer backs up: a '/', a control byte, escape or hex digit in a
 * string, a number's missing digit). Inside a string (t: its quote) yajl
 * always backs up to the byte it rejects, so e is that byte. Else the
 * token is short: walk it -- a literal to its first wrong letter, a number
 * to the place a digit is missing, any other byte is the offender itself.
 * A number whose bytes are no longer all held: number_tail_offender; a
 * literal's, e - 1. The bytes are byte's (-1 for one not held): the
 * tokenizer's cursor, or recovery's probe buffer (one rule for both).
 */
uint64_t kvst__lexical_offender(kvst_byte_fn byte, const void *ctx, uint64_t t, uint64_t e)
{
    static const char *const literals[] = { "true", "false", "null" };
    uint64_t o = t;
    int c = byte(ctx, t);
    size_t i, k;

    if (c == '"')
        return e;
    for (i = 0; i < sizeof literals / sizeof literals[0]; i++)
        if (c == literals[i][0]) {
            for (k = 1; literals[i][k] && byte(ctx, t + k) == literals[i][k]; k++)
                ;
            return byte(ctx, t + k) < 0 && e > 0 ? e - 1 : t + k;
        }
    if (c != '-' && !is_digit(c))
        return t;
    if (c == '-')
        c = byte(ctx, ++o);
    if (c == '0') {
        c = byte(ctx, ++o);
    } else if (is_digit(c)) {
        while (is_digit(c = byte(ctx, ++o)))
            ;
    } else {
        return c < 0 ? number_tail_offender(byte, ctx, e) : o;
    }
    if (c == '.') {
        if (!is_digit(c = byte(ctx, ++o)))
            return c < 0 ? number_tail_offender(byte, ctx, e) : o;
        while (is_digit(c = byte(ctx, ++o)))
            ;
    }
    if (c == 'e' || c == 'E') {
        c = byte(ctx, ++o);
        if (c == '+' || c == '-')
            c = byte(ctx, ++o);
        if (!is_digit(c))
            return c < 0 ? number_tail_offender(byte, ctx, e) : o;
    }
    return c < 0 ? number_tail_offender(byte, ctx, e) : e > 0 ? e - 1 : 0;
}

/*
 * Where the offending token starts. For a lexical error, the offending
 * byte (kvst__lexical_offender). For a grammar error yajl's offset depends on
 * how the token was buffered, so take the first token after the last one
 * the builder accepted -- or, when that is a ',' or ':' which may well be
 * right, the token after it if yajl got that far.
 */
static uint64_t offending_start(const kvst_parser *p, uint64_t e, int lexical)
{
    uint64_t t1, t2;
    int c;

    if (lexical)
        return kvst__lexical_offender(held_byte, p, token_start(p), e);
    if (e == 0)
        return 0;
    t1 = skip_space(p, p->last_tok_end, &c);
    if (c < 0) /* those bytes are no longer held: what was seen of them */
        return p->next_tok_end == p->last_tok_end ? p->next_tok : p->last_tok_end;
    if ((c != ',' && c != ':') || !separator_fits(p, c))
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
    uint64_t end = p->cursor.chunk_base + p->cursor.chunk_len, upto = end;

    if (p->next_tok_end != p->last_tok_end || p->next_tok >= end) {
        kvst__cursor_hold_clear(&p->cursor);
        return 0;
    }
    if (!(p->opts.flags & KVST_FLAG_RECOVER) && upto > p->next_tok + HOLD_CONTEXT)
        upto = p->next_tok + HOLD_CONTEXT;
    if (p->cursor.hold.len > 0 && p->hold_tok == p->next_tok)
        /* the same token, held since an earlier chunk: add what is wanted
         * of this one */
        return kvst__cursor_hold_extend(&p->cursor, &p->alloc, upto);
    /* a new token: its context and start from the history (what it no
     * longer holds is left out), the rest from the chunk */
    p->hold_tok = p->next_tok;
    return kvst__cursor_hold_start(&p->cursor, &p->alloc,
                                   p->next_tok > HOLD_CONTEXT ? p->next_tok - HOLD_CONTEXT : 0, upto);
}

/* Where the token being lexed starts (the one after the last accepted
 * token and its separator): the same for every split of the input, unlike
 * yajl's offset when it runs out of room. When those bytes are no longer
 * held, the end of the last accepted token. */
static uint64_t token_start(const kvst_parser *p)
{
    int c;
    uint64_t t = skip_space(p, p->last_tok_end, &c);

    if ((c == ',' || c == ':') && separator_fits(p, c))
        t = skip_space(p, t + 1, &c);
    if (c >= 0)
        return t;
    return p->next_tok_end == p->last_tok_end ? p->next_tok : p->last_tok_end;
}

/*
 * Whether the yajl error that stopped at e (yajl's offset: at the byte it
 * rejected or one past it, or, for some grammar errors, about the start
 * of the token it rejected) is lexical -- the token that starts at t is
 * not a JSON token -- or one of the grammar: a whole token in the wrong
 * place. Told from the bytes, which byte() gives (-1 for one not held),
 * never from yajl's words:
 *  - a structural byte ({ } [ ] , :) is a whole token;
 *  - a literal is whole when its bytes are the literal's;
 *  - a number is cut when a digit is missing after its '-', '.', 'e' or
 *    sign: yajl stopped at that place or one past it (a number whose
 *    error is the grammar's ends in a digit, and yajl stopped past it or
 *    at its start);
 *  - a string is whole when yajl stopped past its closing quote or inside
 *    it where the bytes are a string's; it is not when yajl stopped at a
 *    control byte, an escape's wrong letter or a \u escape's wrong digit;
 *  - any other byte (a letter, a '/', a byte from 0x80 on) starts no token.
 * Only the bytes at t and near e are read: the same for every split.
 */
static int hex_digit(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int number_mark(int c)
{
    return c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* Backslashes just before at (at most 64 are counted) */
static unsigned backslashes(kvst_byte_fn byte, const void *ctx, uint64_t from, uint64_t at)
{
    unsigned n = 0;

    while (at > from && n < 64 && byte(ctx, at - 1) == '\\') {
        at--;
        n++;
    }
    return n;
}

/* A number's digits from *o on; 0 when one is not held. */
static int digits(kvst_byte_fn byte, const void *ctx, uint64_t *o)
{
    int c;

    while ((c = byte(ctx, *o)) >= '0' && c <= '9')
        (*o)++;
    return c >= 0;
}

/*
 * A number: walked from t over its bytes (RFC 8259's grammar); where one
 * is not held (a number longer than the bytes the cursor keeps), from its
 * last bytes before e, which are: a digit is missing after the '-', '.',
 * 'e' or sign just before e, or before the byte before e. (yajl's offset
 * of some grammar errors is the token's start, or the chunk's when the
 * token began in an earlier one: the walk does not read it.)
 */
static int number_lexical(kvst_byte_fn byte, const void *ctx, uint64_t t, uint64_t e)
{
    uint64_t o = t;
    int c, b;

    if (byte(ctx, o) == '-')
        o++;
    c = byte(ctx, o);
    if (c == '0')
        o++;
    else if (c >= '1' && c <= '9' && digits(byte, ctx, &o))
        ;
    else if (c >= 0 && !(c >= '1' && c <= '9'))
        return 1;
    else
        goto tail;
    c = byte(ctx, o);
    if (c == '.') {
        o++;
        c = byte(ctx, o);
        if (c >= 0 && !(c >= '0' && c <= '9'))
            return 1;
        if (c < 0 || !digits(byte, ctx, &o))
            goto tail;
        c = byte(ctx, o);
    }
    if (c == 'e' || c == 'E') {
        c = byte(ctx, ++o);
        if (c == '+' || c == '-')
            c = byte(ctx, ++o);
        if (c >= 0 && !(c >= '0' && c <= '9'))
            return 1;
        if (c < 0 || !digits(byte, ctx, &o))
            goto tail;
        c = byte(ctx, o);
    }
    if (c >= 0)
        return 0; /* a whole number, then the byte that ends it */
tail:
    if (e <= t)
        return 0;
    b = byte(ctx, e - 1);
    if (number_mark(b))
        return 1;
    return e >= t + 2 && !(b >= '0' && b <= '9') && number_mark(byte(ctx, e - 2));
}

int kvst__yajl_lexical(kvst_byte_fn byte, const void *ctx, uint64_t t, uint64_t e)
{
    static const char *const literals[] = { "true", "false", "null" };
    int c = byte(ctx, t), b;
    size_t i, k;

    switch (c) {
    case -1:
    case '{': case '}': case '[': case ']': case ',': case ':':
        return 0;
    case '"':
        if (e <= t + 1)
            return e == t + 1 && (b = byte(ctx, e)) >= 0 && b < 0x20;
        if (byte(ctx, e - 1) == '"' && backslashes(byte, ctx, t + 1, e - 1) % 2 == 0)
            return 0; /* past its closing quote */
        b = byte(ctx, e);
        if (b >= 0 && b < 0x20)
            return 1;
        if (backslashes(byte, ctx, t + 1, e) % 2 == 1)
            return b >= 0 && strchr("\"\\/bfnrtu", b) == NULL;
        for (k = 1; k <= 4 && e - k > t + 1; k++) {
            int u = byte(ctx, e - k);
            if (u == 'u')
                return backslashes(byte, ctx, t + 1, e - k) % 2 == 1 && b >= 0 && !hex_digit(b);
            if (!hex_digit(u))
                break;
        }
        return 0;
    default:
        break;
    }
    for (i = 0; i < sizeof literals / sizeof literals[0]; i++)
        if (c == literals[i][0]) {
            for (k = 1; literals[i][k]; k++)
                if (byte(ctx, t + k) != literals[i][k])
                    return 1;
            return 0;
        }
    if (c == '-' || (c >= '0' && c <= '9'))
        return number_lexical(byte, ctx, t, e);
    return 1;
}

/* A byte the cursor holds (kvst_byte_fn), -1 for one it does not. */
static int held_byte(const void *ctx, uint64_t at)
{
    return kvst__cursor_byte(&((const kvst_parser *)ctx)->cursor, at);
}

/* Where yajl failed (yajl_failure's how). */
#define YF_IN_INPUT 0      /* in the bytes fed */
#define YF_AT_END 1        /* the token held at the end of the input */
#define YF_PREMATURE_END 2 /* the input ended inside a value */

/* Translate a yajl error. yajl's offset is just past the offending byte. */
static int yajl_failure(kvst_parser *p, int how)
{
    unsigned char *msg = kvst__yajl_guarded_error(p, p->yajl);
    size_t consumed = yajl_get_bytes_consumed(p->yajl);
    uint64_t off = p->cursor.chunk_base + consumed;
    int code = KVST_E_SYNTAX;
    char text[200];
    size_t n;

    if (!msg)
        return kvst__cursor_fail_at(&p->cursor, KVST_E_NOMEM, off, "out of memory");
    kvst__text_printf(text, sizeof text, "%s", (const char *)msg);
    n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == ' ' || text[n - 1] == '.'))
        text[--n] = '\0';
    yajl_free_error(p->yajl, msg);

    if (how != YF_IN_INPUT) {
        off = p->bytes_json;
        if (how == YF_PREMATURE_END) {
            if (p->top_values == 0)
                return kvst__cursor_fail_at(&p->cursor, KVST_E_SYNTAX, off,
                                     "the input is empty: no JSON value");
            if (kvst__builder_in_cloudtrail(p))
                return kvst__cursor_fail_at(&p->cursor, KVST_E_TRUNCATED, off,
                                     "input ends inside record %llu",
                                     (unsigned long long)p->records);
            return kvst__cursor_fail_at(&p->cursor, KVST_E_SYNTAX, off,
                                 "input ends inside a JSON value");
        }
        return kvst__cursor_fail_at(&p->cursor, KVST_E_SYNTAX, off, "%s", text);
    }
    off = offending_start(p, off, kvst__yajl_lexical(held_byte, p, token_start(p), off));
    return kvst__cursor_fail_at(&p->cursor, code, off, "%s", text);
}

void kvst__tok_drop(kvst_parser *p)
{
    kvst__yajl_release(p, p->yajl);
    p->yajl = NULL;
    kvst__cursor_use_yajl(&p->cursor, NULL);
}

void kvst__tok_parsed_at(kvst_parser *p, uint64_t abs)
{
    p->bytes_json = abs;
}

void kvst__tok_parsed_add(kvst_parser *p, uint64_t len)
{
    p->bytes_json += len;
}

int kvst__tok_restart(kvst_parser *p, const unsigned char *prefix, size_t len, uint64_t abs)
{
    yajl_status st = yajl_status_ok;
    int rc;

    if (kvst__yajl_guarded_alloc(p, &kvst__builder_callbacks, p, &p->yajl))
        return kvst__cursor_fail_at(&p->cursor, KVST_E_NOMEM, abs, "out of memory");
    yajl_config(p->yajl, yajl_allow_multiple_values, 1);
    kvst__cursor_use_yajl(&p->cursor, p->yajl);
    p->ws_to = 0; /* what was known of bytes before the restart */
    p->u8_in_str = p->u8_esc = 0; /* the prefix holds no string */
    p->u8_pend_n = 0;
    kvst__cursor_set_chunk(&p->cursor, prefix, len, abs - len);
    rc = len ? kvst__yajl_guarded_parse(p, p->yajl, prefix, len, &st) : 0;
    kvst__cursor_set_chunk(&p->cursor, NULL, 0, abs);
    p->bytes_json = abs;
    if (rc)
        return kvst__cursor_fail_at(&p->cursor, KVST_E_NOMEM, abs, "out of memory");
    return st == yajl_status_ok ? 0 : kvst__cursor_fail_at(&p->cursor, KVST_E_SYNTAX, abs, "cannot reopen the container");
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
            *bad = p->cursor.chunk_base + i;
            return i;
        }
        p->u8_pend_n = len - i;
        p->u8_pend_at = p->cursor.chunk_base + i;
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
    kvst__cursor_let_go(&p->cursor, buf, len);
    return rc;
}

static int feed_bytes(kvst_parser *p, const unsigned char *buf, size_t len, size_t avail);

/* A record broke (the error is set): the parser's break sink decides.
 * It returns the status when the parse cannot go on; else 0, and then
 * the handle is gone (kvst__tok_drop) while the bytes go on elsewhere:
 * every byte of the feed after the error goes to brk.rest, until the
 * parser restarts the tokenizer (kvst__tok_restart). */
static int record_broke(kvst_parser *p)
{
    return p->brk.broke(p->brk.ctx);
}

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
        kvst__cursor_set_chunk(&p->cursor, p->u8_pend, n, p->cursor.chunk_base);
        kvst__cursor_fail_at(&p->cursor, KVST_E_ENCODING, p->u8_pend_at, "invalid UTF-8 in a string: %s",
                      kvst__utf8_why(why));
        rc = record_broke(p);
        return rc || p->yajl ? rc : p->brk.rest(p->brk.ctx, buf, avail);
    }
    memcpy(p->u8_pend + n, buf, k - n);
    rc = feed_bytes(p, p->u8_pend, k, k);
    buf += k - n;
    len -= k - n;
    avail -= k - n;
    if (rc)
        return rc;
    if (!p->yajl) /* yajl rejected the sequence's string: the rest goes on elsewhere */
        return p->brk.rest(p->brk.ctx, buf, avail);
    return len ? feed_bytes(p, buf, len, avail) : 0;
}

static int feed_chunk(kvst_parser *p, const unsigned char *buf, size_t len, size_t avail)
{
    if (p->cursor.status)
        return p->cursor.status;
    if (!p->yajl) /* a record broke: the bytes go on elsewhere */
        return p->brk.rest(p->brk.ctx, buf, avail);
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
    kvst__cursor_set_chunk(&p->cursor, buf, avail, p->cursor.chunk_base);
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

    if (kvst__yajl_guarded_parse(p, p->yajl, buf, n, &st)) {
        if (p->jmp_code == KVST_E_LIMIT)
            return kvst__cursor_fail_at(&p->cursor, KVST_E_LIMIT, token_start(p),
                                 "a string is longer than the %s of %llu bytes",
                                 KVST_STRING_LIMIT_NAME(p),
                                 (unsigned long long)p->opts.max_string_bytes);
        return kvst__cursor_fail_at(&p->cursor, KVST_E_NOMEM, kvst__cursor_offset(&p->cursor), "out of memory");
    }

    if (st == yajl_status_client_canceled)
        return p->cursor.status ? record_broke(p) : KVST_E_ABORTED;
    if (st == yajl_status_error) {
        yajl_failure(p, YF_IN_INPUT);
        return record_broke(p);
    }
    if (n < n8) {
        kvst__cursor_fail_at(&p->cursor, KVST_E_SYNTAX, p->cursor.chunk_base + n,
                      "%s is not JSON white space (nor allowed in a string)",
                      buf[n] == '\f' ? "a form feed" : "a vertical tab");
        return record_broke(p);
    }
    if (bad != UINT64_MAX) {
        kvst__cursor_fail_at(&p->cursor, KVST_E_ENCODING, bad, "invalid UTF-8 in a string: %s",
                      kvst__utf8_why(why));
        return record_broke(p);
    }

    kvst__cursor_trim_chunk(&p->cursor, n8); /* a cut UTF-8 sequence waits in u8_pend */
    return chunk_done(p);
}

/* The chunk [chunk_base, chunk_base + chunk_len) is parsed: keep what
 * error positions and the open record need of it, and move on. */
static int chunk_done(kvst_parser *p)
{
    size_t len = p->cursor.chunk_len;
    int rc = kvst__builder_chunk_done(p);

    if (rc)
        return rc;
    note_next_token(p);
    if (hold_pending(p))
        return kvst__cursor_fail_at(&p->cursor, KVST_E_NOMEM, p->cursor.chunk_base + len, "out of memory");
    kvst__cursor_consume(&p->cursor);
    p->bytes_json += len;
    return 0;
}

void kvst__tok_span_begin(kvst_parser *p, const unsigned char *buf, size_t len)
{
    kvst__cursor_set_chunk(&p->cursor, buf, len, p->cursor.chunk_base);
    kvst__cursor_span_on(&p->cursor);
}

int kvst__tok_span_end(kvst_parser *p, size_t n, const char *standin)
{
    yajl_status st = yajl_status_ok;
    size_t sl = standin ? strlen(standin) : 0;

    kvst__cursor_span_off(&p->cursor);
    if (p->cursor.status) /* a delivery failed: the error is set, nothing to keep */
        return p->cursor.status;
    if (n == 0) { /* nothing taken (no stand-in either) */
        kvst__cursor_drop_chunk(&p->cursor);
        return 0;
    }
    kvst__cursor_trim_chunk(&p->cursor, n);
    if (sl) {
        int refused;
        p->fl_standin = 1;
        refused = kvst__yajl_guarded_parse(p, p->yajl, (const unsigned char *)standin, sl, &st);
        p->fl_standin = 0;
        if (refused)
            return kvst__cursor_fail_at(&p->cursor, KVST_E_NOMEM, p->cursor.chunk_base + n, "out of memory");
        if (st != yajl_status_ok) /* cannot happen: yajl is between records */
            return kvst__cursor_fail_at(&p->cursor, KVST_E_SYNTAX, p->cursor.chunk_base + n,
                                 "internal error: the tokenizer lost its place");
    }
    return chunk_done(p);
}

int kvst__tok_finish(kvst_parser *p)
{
    static const unsigned char nothing[1] = { ' ' };
    yajl_status st;
    int how;

    if (p->cursor.status)
        return p->cursor.status;
    if (!p->yajl) /* a record broke: the parser finishes elsewhere */
        return 0;
    if (p->u8_pend_n) /* the input ends inside a string's UTF-8 sequence */
        return kvst__cursor_fail_at(&p->cursor, KVST_E_ENCODING, p->u8_pend_at, "invalid UTF-8 in a string: %s",
                             kvst__utf8_why(KVST_UTF8_SHORT));
    /* yajl_complete_parse feeds one space; positions refer to the end.
     * It lexes the token yajl still holds with that space, then fails
     * with "premature EOF" when the value is not complete. The space is
     * fed here first, so that an error of the held token (a number or
     * literal the input cuts) is told from the input ending inside a
     * value by yajl's status, not by its words: after it, an error of
     * yajl_complete_parse can only be the premature end. */
    kvst__cursor_set_chunk(&p->cursor, nothing, 0, p->cursor.chunk_base);
    how = YF_AT_END;
    if (kvst__yajl_guarded_parse(p, p->yajl, nothing, sizeof nothing, &st))
        return kvst__cursor_fail_at(&p->cursor, p->jmp_code, p->bytes_json, "out of memory");
    if (st == yajl_status_ok) {
        how = YF_PREMATURE_END;
        if (kvst__yajl_guarded_complete(p, p->yajl, &st))
            return kvst__cursor_fail_at(&p->cursor, p->jmp_code, p->bytes_json, "out of memory");
    }
    if (st == yajl_status_client_canceled)
        return p->cursor.status ? p->cursor.status : KVST_E_ABORTED;
    if (st == yajl_status_error)
        return yajl_failure(p, how);
    return 0;
}
