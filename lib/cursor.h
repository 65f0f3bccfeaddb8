/*
 * Internal: the cursor, where the input is and the one way to fail.
 *
 * A leaf below every stage (lib/layers.txt): each stage may call it, it
 * calls none of them. It holds the position state -- the bytes at hand
 * (the chunk being parsed, the last bytes before it, the start of a token
 * the tokenizer keeps), the line cursor and the line starts behind it --
 * and the parser's one error (status, message, JSON pointer, excerpt).
 * The tokenizer (and the fast lexer, and recovery, which feed the same
 * input) move it forward; every stage reads positions from it and fails
 * through it.
 */
#ifndef KVST_CURSOR_H
#define KVST_CURSOR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_parse.h>

#include "alloc.h"
#include "findings.h" /* KVST_PRINTF */

/* The line starts kept behind the line cursor. */
#define KVST_CURSOR_LINES 16u

typedef struct kvst_cursor {
    /* the one error: status is sticky (0 while healthy) */
    int status;
    kvst_error err;
    char message[512];
    char excerpt[256];
    char pointer[256];
    /* where in the data an error is: writes the JSON pointer of the
     * current position into pointer and returns the index of the record
     * (set by the record builder; NULL: none, record 0) */
    uint64_t (*where)(const void *ctx, char *pointer, size_t cap);
    const void *where_ctx;

    /* the bytes at hand: the chunk [chunk_base, chunk_base + chunk_len),
     * the last bytes before it, and the start of a token being lexed when
     * a chunk ended (from absolute offset hold_from; the tokenizer's) */
    const unsigned char *chunk;
    size_t chunk_len;
    uint64_t chunk_base;
    unsigned char history[128];
    size_t history_len;
    kvst_buf hold;
    uint64_t hold_from;

    /* the offset of the token being reported: the fast lexer's (span_at,
     * while span), else yajl's count of bytes of the chunk */
    yajl_handle yajl;
    int span;
    uint64_t span_at;

    /* the line cursor: byte off is on line, which starts at line_start;
     * the line starts it passed last are a ring of KVST_CURSOR_LINES */
    uint64_t off, line, line_start;
    uint64_t line_ring[KVST_CURSOR_LINES];
    uint64_t line_ring_n;
} kvst_cursor;

/* A cursor at the input's first byte, healthy. */
void kvst__cursor_init(kvst_cursor *c);
void kvst__cursor_free(kvst_cursor *c, const kvst_alloc *a);

/* Absolute offset just past the token being reported. */
static inline uint64_t kvst__cursor_offset(const kvst_cursor *c)
{
    if (c->span) /* the fast lexer is reporting (fastlex.c) */
        return c->span_at;
    return c->chunk_base + yajl_get_bytes_consumed(c->yajl);
}

/* The bytes at hand. Only the cursor writes its fields: the stages that
 * move it over the input (tokenizer, fast lexer, recovery) call these. */
/* [buf, buf + len) is the chunk, its first byte at absolute offset base. */
static inline void kvst__cursor_set_chunk(kvst_cursor *c, const unsigned char *buf, size_t len,
                                          uint64_t base)
{
    c->chunk = buf;
    c->chunk_len = len;
    c->chunk_base = base;
}
/* Only the chunk's first n bytes count (n at most its length). */
static inline void kvst__cursor_trim_chunk(kvst_cursor *c, size_t n)
{
    c->chunk_len = n;
}
/* No chunk at hand any more (chunk_base stays). */
static inline void kvst__cursor_drop_chunk(kvst_cursor *c)
{
    c->chunk = NULL;
    c->chunk_len = 0;
}
/* The caller's bytes [buf, buf + len) are not ours after this: a chunk
 * that lies in them is dropped, so that a later error does not read them. */
static inline void kvst__cursor_let_go(kvst_cursor *c, const unsigned char *buf, size_t len)
{
    if (c->chunk && c->chunk >= buf && c->chunk <= buf + len)
        kvst__cursor_drop_chunk(c);
}
/* The yajl handle whose byte count gives offsets outside a span. */
static inline void kvst__cursor_use_yajl(kvst_cursor *c, yajl_handle h)
{
    c->yajl = h;
}
/* A span: the fast lexer reports tokens itself, each ending at the offset
 * last given to kvst__cursor_span_to (a span ends with kvst__cursor_span_off). */
static inline void kvst__cursor_span_on(kvst_cursor *c)
{
    c->span = 1;
}
static inline void kvst__cursor_span_off(kvst_cursor *c)
{
    c->span = 0;
}
static inline void kvst__cursor_span_to(kvst_cursor *c, uint64_t off)
{
    c->span_at = off;
}
/* Where errors find the JSON pointer and the record index (see where). */
static inline void kvst__cursor_set_where(kvst_cursor *c,
                                          uint64_t (*where)(const void *, char *, size_t),
                                          const void *ctx)
{
    c->where = where;
    c->where_ctx = ctx;
}

/* The token held across chunks (hold, from hold_from): the tokenizer
 * decides what to keep, the cursor keeps it. */
static inline void kvst__cursor_hold_clear(kvst_cursor *c)
{
    c->hold.len = 0;
}
/* Start holding a new token's bytes from absolute offset want (moved
 * later when the history no longer reaches back so far) up to upto, from
 * the history and the chunk. 0, or 1 when an allocation failed. */
int kvst__cursor_hold_start(kvst_cursor *c, const kvst_alloc *a, uint64_t want, uint64_t upto);
/* Hold the token's bytes of this chunk up to upto, after those held. */
int kvst__cursor_hold_extend(kvst_cursor *c, const kvst_alloc *a, uint64_t upto);

/* Line and column of an absolute offset at or before the chunk's end
 * (the cursor moves forward to it). */
void kvst__cursor_position(kvst_cursor *c, uint64_t off, uint64_t *line, uint64_t *col);
/* The byte at absolute offset off (-1: not at hand). */
int kvst__cursor_byte(const kvst_cursor *c, uint64_t off);
/* The chunk is parsed: move the line cursor past it, keep its last bytes
 * and let it go. */
void kvst__cursor_consume(kvst_cursor *c);
/* Bytes up to off go by unseen (recovery holds them): no chunk, the line
 * cursor at off (the positions come from the region then). */
void kvst__cursor_skip_to(kvst_cursor *c, uint64_t off);
/* Start again at absolute offset off, on line line that begins at
 * line_start, with the bytes before [off - hist_len, off) as history. */
void kvst__cursor_resume(kvst_cursor *c, uint64_t off, uint64_t line, uint64_t line_start,
                         const unsigned char *hist, size_t hist_len);
/* Append to out the bytes of [from, chunk_base) still at hand (the
 * history, a held token); *first: where they start (from, or later when
 * the oldest are lost). 0 or KVST_E_NOMEM. */
int kvst__cursor_held(const kvst_cursor *c, const kvst_alloc *a, uint64_t from, kvst_buf *out,
                      uint64_t *first);

/* Set the error at absolute offset off (at hand, or at the chunk's end);
 * message is printf-formatted. Returns code, or the error already set. */
int kvst__cursor_fail_at(kvst_cursor *c, int code, uint64_t off, const char *fmt, ...)
    KVST_PRINTF(4, 5);
/* The same at a position known already (a record's start, which may lie
 * far behind the bytes at hand). */
int kvst__cursor_fail_known(kvst_cursor *c, int code, uint64_t off, uint64_t line, uint64_t col,
                            const char *fmt, ...) KVST_PRINTF(6, 7);
/* The same at a position of region [bytes, bytes + len), whose first
 * byte is at absolute offset base, as though the region were the chunk
 * and nothing were held before it (recovery's broken record: the
 * excerpt is then the same for every split of the input). */
int kvst__cursor_fail_region(kvst_cursor *c, int code, const unsigned char *bytes, size_t len,
                             uint64_t base, uint64_t off, uint64_t line, uint64_t col,
                             const char *msg);
/* The error, at a known position, with neither pointer nor excerpt (a
 * verdict on the input as a whole, given at its end). */
int kvst__cursor_fail_bare(kvst_cursor *c, int code, uint64_t off, uint64_t line, uint64_t col,
                           uint64_t record_index, const char *msg);
/* The same as kvst__cursor_fail_known with the record index and the
 * excerpt given (an error met elsewhere, made the parser's). */
int kvst__cursor_fail_for(kvst_cursor *c, int code, uint64_t off, uint64_t line, uint64_t col,
                          uint64_t record_index, const char *excerpt, const char *msg);
/* Forget the error (healthy again). */
void kvst__cursor_clear(kvst_cursor *c);

/*
 * Text that quotes the input, or is cut to a size, well-formed UTF-8
 * whatever the input (issue 13): every message, finding and excerpt
 * kvstrail writes goes through these, so none ends inside a character or
 * carries the input's ill-formed bytes.
 *
 * kvst__text_cut: the length of the longest prefix of s[0, len) of at
 * most max bytes that does not end inside a well-formed character (an
 * ill-formed byte counts as a character of its own).
 *
 * kvst__text_clean: s[0, len) written to out (cap >= 1 bytes with the
 * NUL; out is not s), each byte that starts no well-formed sequence as
 * U+FFFD, a sequence that len cuts dropped, cut before the first
 * character that does not fit. Returns the length written.
 *
 * kvst__text_printf, kvst__text_vprintf: printf into out (cap bytes with
 * the NUL), cleaned as above; the text formatted is cut at
 * KVST_TEXT_MAX - 1 bytes first. Return the length written.
 */
#define KVST_TEXT_MAX 1024u
size_t kvst__text_cut(const char *s, size_t len, size_t max);
size_t kvst__text_clean(char *out, size_t cap, const char *s, size_t len);
size_t kvst__text_vprintf(char *out, size_t cap, const char *fmt, va_list ap)
    KVST_PRINTF(3, 0);
size_t kvst__text_printf(char *out, size_t cap, const char *fmt, ...) KVST_PRINTF(3, 4);

/* An excerpt, "the line up to the error\n      ^", the one way every
 * stage writes one: bytes[0, len) is the line (it stops at a line end),
 * the caret goes under the character at bytes[caret] (at most len: one
 * space for each character before it), control bytes print as spaces,
 * ill-formed bytes as U+FFFD (kvst__text_clean). Writes at most cap bytes
 * (cap >= 4) with the NUL, whole characters only; returns the length. */
size_t kvst__excerpt(char *out, size_t cap, const unsigned char *bytes, size_t len, size_t caret);

/* JSON pointers (RFC 6901), the one builder and the one reader. */
/* Append "/" and seg (escaped: '~' as "~0", '/' as "~1") to the pointer
 * buf[0, n), NUL-terminated, when all of it fits in cap bytes with the
 * NUL; returns the new length, or n (buf unchanged) when it does not fit. */
size_t kvst__ptr_push(char *buf, size_t cap, size_t n, const char *seg, size_t len);
/* The same with an array index as the segment. */
size_t kvst__ptr_push_index(char *buf, size_t cap, size_t n, uint64_t idx);
/* Read the segment of ptr[0, len) at *at, which must be a '/': decoded
 * into tok (cap bytes), *at moved past it. Returns its length, or
 * KVST_PTR_BAD (malformed: no '/', a '~' not followed by 0 or 1) or
 * KVST_PTR_LONG (longer than cap). */
#define KVST_PTR_BAD ((size_t)-1)
#define KVST_PTR_LONG ((size_t)-2)
size_t kvst__ptr_next(const char *ptr, size_t len, size_t *at, char *tok, size_t cap);

#endif /* KVST_CURSOR_H */
