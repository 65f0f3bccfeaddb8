/*
 * The cursor (cursor.h): positions and errors, a leaf every stage may
 * call. The bytes an error's line, column and excerpt need are the chunk
 * at hand, the history (the last bytes before it) and a token's start the
 * tokenizer holds; so the excerpt is the same for every split of the
 * input.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "utf8.h"

void kvst__cursor_init(kvst_cursor *c)
{
    kvst__cursor_clear(c);
    c->line = 1;
    c->line_start = 0;
    c->line_ring[0] = 0;
    c->line_ring_n = 1;
}

void kvst__cursor_free(kvst_cursor *c, const kvst_alloc *a)
{
    kvst__buf_free(&c->hold, a);
}

/* The line starts kept behind the cursor (line_ring): an error may point
 * at a token that began lines before the bytes at hand -- after white
 * space, at the end of the input -- and the history (128 bytes) may no
 * longer reach back to its line's start. */
static void line_ring_push(kvst_cursor *c, uint64_t start)
{
    c->line_ring[c->line_ring_n++ % KVST_CURSOR_LINES] = start;
}

/* Move the line cursor forward to off (never past the chunk). */
static void advance(kvst_cursor *c, uint64_t off)
{
    const unsigned char *s, *e, *nl;
    uint64_t chunk_end = c->chunk_base + c->chunk_len;

    if (off > chunk_end)
        off = chunk_end;
    if (off <= c->off)
        return;
    s = c->chunk + (c->off - c->chunk_base);
    e = c->chunk + (off - c->chunk_base);
    while (s < e && (nl = (const unsigned char *)memchr(s, '\n', (size_t)(e - s))) != NULL) {
        c->line++;
        c->line_start = c->chunk_base + (uint64_t)(nl - c->chunk) + 1;
        line_ring_push(c, c->line_start);
        s = nl + 1;
    }
    c->off = off;
}

void kvst__cursor_position(kvst_cursor *c, uint64_t off, uint64_t *line, uint64_t *col)
{
    uint64_t o, start, j, kept;
    int b;

    advance(c, off);
    *line = c->line;
    if (off >= c->line_start) {
        *col = off - c->line_start + 1;
        return;
    }
    /* Behind the cursor, on an earlier line: one of the line starts kept
     * (the newest is line_start, each older one a line up). */
    kept = c->line_ring_n < KVST_CURSOR_LINES ? c->line_ring_n : KVST_CURSOR_LINES;
    for (j = 1; j < kept; j++) {
        start = c->line_ring[(c->line_ring_n - 1 - j) % KVST_CURSOR_LINES];
        if (off >= start) {
            *line = c->line - j;
            *col = off - start + 1;
            return;
        }
    }
    /* Further back than that: walk back through the bytes still held. */
    for (o = c->line_start; o > off; o--)
        if (kvst__cursor_byte(c, o - 1) == '\n')
            (*line)--;
    start = off;
    while (start > 0 && (b = kvst__cursor_byte(c, start - 1)) >= 0 && b != '\n')
        start--;
    *col = off - start + 1;
}

int kvst__cursor_byte(const kvst_cursor *c, uint64_t off)
{
    if (off >= c->chunk_base) {
        if (off - c->chunk_base < c->chunk_len)
            return c->chunk[off - c->chunk_base];
        return -1;
    }
    if (c->chunk_base - off <= c->history_len)
        return c->history[c->history_len - (size_t)(c->chunk_base - off)];
    /* a byte is what it is at its offset: any held one will do */
    if (off >= c->hold_from && off - c->hold_from < c->hold.len)
        return c->hold.data[off - c->hold_from];
    return -1;
}

static void history_keep(kvst_cursor *c)
{
    size_t h = sizeof c->history;

    if (c->chunk_len >= h) {
        memcpy(c->history, c->chunk + c->chunk_len - h, h);
        c->history_len = h;
        return;
    }
    if (c->history_len + c->chunk_len > h) {
        size_t drop = c->history_len + c->chunk_len - h;
        memmove(c->history, c->history + drop, c->history_len - drop);
        c->history_len -= drop;
    }
    memcpy(c->history + c->history_len, c->chunk, c->chunk_len);
    c->history_len += c->chunk_len;
}

void kvst__cursor_consume(kvst_cursor *c)
{
    advance(c, c->chunk_base + c->chunk_len);
    history_keep(c);
    c->chunk_base += c->chunk_len;
    c->chunk = NULL;
    c->chunk_len = 0;
}

void kvst__cursor_skip_to(kvst_cursor *c, uint64_t off)
{
    c->chunk = NULL;
    c->chunk_len = 0;
    c->chunk_base = off;
    c->off = off;
}

void kvst__cursor_resume(kvst_cursor *c, uint64_t off, uint64_t line, uint64_t line_start,
                         const unsigned char *hist, size_t hist_len)
{
    if (hist_len > sizeof c->history) {
        hist += hist_len - sizeof c->history;
        hist_len = sizeof c->history;
    }
    memcpy(c->history, hist, hist_len);
    c->history_len = hist_len;
    c->hold.len = 0;
    c->chunk = NULL;
    c->chunk_len = 0;
    c->chunk_base = off;
    c->off = off;
    c->line = line;
    c->line_start = line_start;
    c->line_ring[0] = line_start;
    c->line_ring_n = 1;
}

int kvst__cursor_held(const kvst_cursor *c, const kvst_alloc *a, uint64_t from, kvst_buf *out,
                      uint64_t *first)
{
    uint64_t hist = c->chunk_base - c->history_len, lo = hist;

    /* the token hold reaches further back when it joins the history */
    if (c->hold.len > 0 && c->hold_from < hist && c->hold_from + c->hold.len >= hist)
        lo = c->hold_from;
    if (from < lo)
        from = lo;
    *first = from;
    if (from < hist &&
        kvst__buf_append(out, a, c->hold.data + (size_t)(from - c->hold_from),
                         (size_t)(hist - from)))
        return KVST_E_NOMEM;
    if (from < hist)
        from = hist;
    if (from < c->chunk_base &&
        kvst__buf_append(out, a, c->history + c->history_len - (size_t)(c->chunk_base - from),
                         (size_t)(c->chunk_base - from)))
        return KVST_E_NOMEM;
    return 0;
}

size_t kvst__text_cut(const char *s, size_t len, size_t max)
{
    size_t n = 0;

    while (n < len) {
        uint32_t cp;
        int why;
        size_t k = kvst__utf8_decode((const unsigned char *)s + n, len - n, &cp, &why);
        if (k == 0)
            k = 1; /* an ill-formed byte: a character of its own */
        if (k > max - n)
            break;
        n += k;
    }
    return n;
}

/* U+FFFD, what an ill-formed byte is written as */
static const char replacement[] = "\xEF\xBF\xBD";

size_t kvst__text_clean(char *out, size_t cap, const char *s, size_t len)
{
    size_t n = 0, i = 0;

    while (i < len) {
        uint32_t cp;
        int why;
        size_t k = kvst__utf8_decode((const unsigned char *)s + i, len - i, &cp, &why);
        const char *from = s + i;
        size_t w = k;
        if (k == 0 && why == KVST_UTF8_CUT)
            break; /* the text was cut inside a character */
        if (k == 0) {
            from = replacement;
            w = 3;
            k = 1;
        }
        if (w >= cap - n)
            break;
        memcpy(out + n, from, w);
        n += w;
        i += k;
    }
    out[n] = '\0';
    return n;
}

size_t kvst__text_vprintf(char *out, size_t cap, const char *fmt, va_list ap)
{
    char text[KVST_TEXT_MAX];
    int r = vsnprintf(text, sizeof text, fmt, ap);
    size_t len = r < 0 ? 0 : (size_t)r < sizeof text ? (size_t)r : sizeof text - 1;

    return kvst__text_clean(out, cap, text, len);
}

size_t kvst__text_printf(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    va_start(ap, fmt);
    n = kvst__text_vprintf(out, cap, fmt, ap);
    va_end(ap);
    return n;
}

size_t kvst__excerpt(char *out, size_t cap, const unsigned char *bytes, size_t len, size_t caret)
{
    size_t n = 0, i = 0, col = 0, caret_col = (size_t)-1;

    /* a character is kept when it, the line end, the spaces up to the
     * caret (one a character), the caret and the NUL fit */
    while (i < len && bytes[i] != '\n' && bytes[i] != '\r') {
        uint32_t cp;
        int why;
        size_t k = kvst__utf8_decode(bytes + i, len - i, &cp, &why);
        size_t w = k ? k : 3, spaces;
        if (k == 0)
            k = 1;
        if (caret_col == (size_t)-1 && caret < i + k)
            caret_col = col;
        spaces = caret_col != (size_t)-1 ? caret_col : col + 1;
        if (n + w + 3 + spaces > cap)
            break;
        if (w == 3 && k == 1)
            memcpy(out + n, replacement, 3);
        else if (k == 1)
            out[n] = (cp < 0x20 || cp == 0x7f) ? ' ' : (char)bytes[i];
        else
            memcpy(out + n, bytes + i, k);
        n += w;
        i += k;
        col++;
    }
    if (caret_col > col)
        caret_col = col;
    out[n++] = '\n';
    while (caret_col-- > 0 && n + 2 < cap)
        out[n++] = ' ';
    out[n++] = '^';
    out[n] = '\0';
    return n;
}

/* The excerpt of an error at off: the bytes before it come from the
 * history, so the excerpt is the same for every split of the input. */
static void make_excerpt(kvst_cursor *c, uint64_t off, uint64_t line_start)
{
    unsigned char line[61];
    uint64_t from = off > 60 ? off - 60 : 0, o;
    size_t n = 0;
    int b;

    if (from < line_start)
        from = line_start;
    while (from < off && kvst__cursor_byte(c, from) < 0)
        from++;
    /* nor inside a character: its continuation bytes are not shown */
    while (from < off && (kvst__cursor_byte(c, from) & 0xC0) == 0x80)
        from++;
    for (o = from; o <= off && n < sizeof line; o++) {
        if ((b = kvst__cursor_byte(c, o)) < 0)
            break;
        line[n++] = (unsigned char)b;
    }
    c->err.excerpt.len = kvst__excerpt(c->excerpt, sizeof c->excerpt, line, n, (size_t)(off - from));
    c->err.excerpt.ptr = c->excerpt;
}

size_t kvst__ptr_push(char *buf, size_t cap, size_t n, const char *seg, size_t len)
{
    size_t m = n + 1, i;

    if (m + len >= cap)
        return n;
    if (!memchr(seg, '~', len) && !memchr(seg, '/', len)) {
        /* nothing to escape, the usual case */
        buf[n] = '/';
        memcpy(buf + m, seg, len);
        buf[m + len] = '\0';
        return m + len;
    }
    for (i = 0; i < len; i++)
        if (seg[i] == '~' || seg[i] == '/')
            m++;
    if (m + len >= cap)
        return n;
    m = n;
    buf[m++] = '/';
    for (i = 0; i < len; i++) {
        if (seg[i] == '~' || seg[i] == '/') {
            buf[m++] = '~';
            buf[m++] = seg[i] == '~' ? '0' : '1';
        } else {
            buf[m++] = seg[i];
        }
    }
    buf[m] = '\0';
    return m;
}

size_t kvst__ptr_push_index(char *buf, size_t cap, size_t n, uint64_t idx)
{
    char digits[20];
    size_t k = sizeof digits;

    do
        digits[--k] = (char)('0' + idx % 10);
    while ((idx /= 10) != 0);
    return kvst__ptr_push(buf, cap, n, digits + k, sizeof digits - k);
}

size_t kvst__ptr_next(const char *ptr, size_t len, size_t *at, char *tok, size_t cap)
{
    size_t i = *at, n = 0;

    if (i >= len || ptr[i] != '/')
        return KVST_PTR_BAD;
    for (i++; i < len && ptr[i] != '/'; n++) {
        char ch = ptr[i++];
        if (ch == '~') {
            if (i >= len || (ptr[i] != '0' && ptr[i] != '1'))
                return KVST_PTR_BAD;
            ch = ptr[i++] == '0' ? '~' : '/';
        }
        if (n >= cap)
            return KVST_PTR_LONG;
        tok[n] = ch;
    }
    *at = i;
    return n;
}

/* The error at off, line, col: message, pointer, excerpt (from the bytes
 * still held: an offset far behind gives an empty line and the caret). */
static int fail_set(kvst_cursor *c, int code, uint64_t off, uint64_t line, uint64_t col,
                    const char *fmt, va_list ap) KVST_PRINTF(6, 0);

static int fail_set(kvst_cursor *c, int code, uint64_t off, uint64_t line, uint64_t col,
                    const char *fmt, va_list ap)
{
    c->status = code;
    c->err.code = code;
    c->err.offset = off;
    c->err.line = line;
    c->err.column = col;
    c->pointer[0] = '\0';
    c->err.record_index = c->where ? c->where(c->where_ctx, c->pointer, sizeof c->pointer) : 0;
    c->err.message.len = kvst__text_vprintf(c->message, sizeof c->message, fmt, ap);
    c->err.message.ptr = c->message;
    c->err.pointer.ptr = c->pointer;
    c->err.pointer.len = strlen(c->pointer);
    make_excerpt(c, off, off - (col - 1));
    return code;
}

int kvst__cursor_fail_at(kvst_cursor *c, int code, uint64_t off, const char *fmt, ...)
{
    va_list ap;
    uint64_t line, col;
    int rc;

    if (c->status)
        return c->status;
    kvst__cursor_position(c, off, &line, &col);
    va_start(ap, fmt);
    rc = fail_set(c, code, off, line, col, fmt, ap);
    va_end(ap);
    return rc;
}

int kvst__cursor_fail_known(kvst_cursor *c, int code, uint64_t off, uint64_t line, uint64_t col,
                            const char *fmt, ...)
{
    va_list ap;
    int rc;

    if (c->status)
        return c->status;
    va_start(ap, fmt);
    rc = fail_set(c, code, off, line, col, fmt, ap);
    va_end(ap);
    return rc;
}

int kvst__cursor_fail_region(kvst_cursor *c, int code, const unsigned char *bytes, size_t len,
                             uint64_t base, uint64_t off, uint64_t line, uint64_t col,
                             const char *msg)
{
    const unsigned char *chunk = c->chunk;
    size_t chunk_len = c->chunk_len, hist = c->history_len;
    uint64_t chunk_base = c->chunk_base;
    int rc;

    kvst__cursor_set_chunk(c, bytes, len, base);
    c->history_len = 0;
    rc = kvst__cursor_fail_known(c, code, off, line, col, "%s", msg);
    kvst__cursor_set_chunk(c, chunk, chunk_len, chunk_base);
    c->history_len = hist;
    return rc;
}

int kvst__cursor_fail_for(kvst_cursor *c, int code, uint64_t off, uint64_t line, uint64_t col,
                          uint64_t record_index, const char *excerpt, const char *msg)
{
    if (c->status)
        return c->status;
    kvst__cursor_fail_known(c, code, off, line, col, "%s", msg);
    c->err.record_index = record_index;
    c->err.excerpt.len = kvst__text_printf(c->excerpt, sizeof c->excerpt, "%s", excerpt);
    c->err.excerpt.ptr = c->excerpt;
    return code;
}

int kvst__cursor_fail_bare(kvst_cursor *c, int code, uint64_t off, uint64_t line, uint64_t col,
                           uint64_t record_index, const char *msg)
{
    if (c->status)
        return c->status;
    kvst__cursor_clear(c);
    c->status = c->err.code = code;
    c->err.offset = off;
    c->err.line = line;
    c->err.column = col;
    c->err.record_index = record_index;
    c->err.message.len = kvst__text_printf(c->message, sizeof c->message, "%s", msg);
    c->err.message.ptr = c->message;
    return code;
}

int kvst__cursor_hold_start(kvst_cursor *c, const kvst_alloc *a, uint64_t want, uint64_t upto)
{
    c->hold.len = 0;
    if (want < c->chunk_base && c->chunk_base - want > c->history_len)
        want = c->chunk_base - c->history_len;
    c->hold_from = want;
    if (want < c->chunk_base &&
        kvst__buf_append(&c->hold, a, c->history + c->history_len - (size_t)(c->chunk_base - want),
                         (size_t)(c->chunk_base - want)))
        return 1;
    if (want < c->chunk_base)
        want = c->chunk_base;
    if (upto <= want)
        return 0;
    return kvst__buf_append(&c->hold, a, c->chunk + (want - c->chunk_base), (size_t)(upto - want)) ? 1
                                                                                                    : 0;
}

int kvst__cursor_hold_extend(kvst_cursor *c, const kvst_alloc *a, uint64_t upto)
{
    uint64_t have = c->hold_from + c->hold.len;

    if (have < c->chunk_base || have >= upto)
        return 0;
    return kvst__buf_append(&c->hold, a, c->chunk + (have - c->chunk_base), (size_t)(upto - have)) ? 1
                                                                                                  : 0;
}

void kvst__cursor_clear(kvst_cursor *c)
{
    c->status = 0;
    memset(&c->err, 0, sizeof c->err);
    c->err.struct_size = sizeof c->err;
    c->err.message.ptr = c->err.excerpt.ptr = c->err.pointer.ptr = "";
}
