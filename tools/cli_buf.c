/* kvstrail CLI: growable byte buffers and text escapes. */
#include "cli_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *cli_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        fputs("kvstrail: error: out of memory [KVST_E_NOMEM]\n", stderr);
        exit(2);
    }
    return q;
}

void cli_buf_reserve(struct cli_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    size_t cap;
    if (need <= b->cap)
        return;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->data = cli_xrealloc(b->data, cap);
    b->cap = cap;
}

void cli_buf_add(struct cli_buf *b, const char *s, size_t n)
{
    cli_buf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void cli_buf_adds(struct cli_buf *b, const char *s)
{
    cli_buf_add(b, s, strlen(s));
}

void cli_buf_addc(struct cli_buf *b, char c)
{
    cli_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void cli_buf_add_u64(struct cli_buf *b, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    cli_buf_add(b, tmp + i, sizeof tmp - i);
}

void cli_buf_printf(struct cli_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    /* Format straight into the buffer; a second pass only when it was too
     * short. */
    cli_buf_reserve(b, 128);
    va_start(ap, fmt);
    n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    if ((size_t)n >= b->cap - b->len) {
        cli_buf_reserve(b, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

void cli_buf_free(struct cli_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one
 * (overlong forms, surrogates and code points above U+10FFFF rejected). */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len, i;
    unsigned long cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

/* Nonzero when one of the eight bytes of w is below 0x20, a quote, a
 * backslash or above 0x7f (and, past the first such byte, maybe a false
 * alarm: callers settle those a byte at a time). */
static inline uint64_t word_needs_escape(uint64_t w)
{
    uint64_t q = w ^ 0x2222222222222222ull;   /* '"' -> 0 */
    uint64_t e = w ^ 0x5c5c5c5c5c5c5c5cull;   /* '\\' -> 0 */
    return (w | (w - 0x2020202020202020ull) |
            ((q - 0x0101010101010101ull) & ~q) |
            ((e - 0x0101010101010101ull) & ~e)) & 0x8080808080808080ull;
}

void cli_buf_json_str(struct cli_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, run;
    /* Bytes copied as they are: printable ASCII but the quote and the
     * backslash (a table: one load per byte in the common case). */
    static const unsigned char plain[256] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        /* 0x80-0xff: UTF-8, checked below */
    };
    if (b->len + n + 3 > b->cap)
        cli_buf_reserve(b, n + 2);
    b->data[b->len++] = '"';
    /* Most strings are plain all through: their bytes go straight into
     * the room made above (eight at a time, as below), then the quote. */
    {
        char *out = b->data + b->len;
        uint64_t w;
        while (i + 8 <= n) {
            memcpy(&w, u + i, 8);
            if (word_needs_escape(w))
                break;
            memcpy(out + i, &w, 8);
            i += 8;
        }
        /* The last bytes of a string of eight or more, plain so far: one
         * more word, overlapping what was copied (no byte loop). */
        if (n >= 8 && i + 8 > n && i < n) {
            memcpy(&w, u + n - 8, 8);
            if (!word_needs_escape(w)) {
                memcpy(out + n - 8, &w, 8);
                i = n;
            }
        }
        while (i < n && plain[u[i]]) {
            out[i] = (char)u[i];
            i++;
        }
        b->len += i;
        if (i == n) {
            b->data[b->len++] = '"';
            b->data[b->len] = '\0';
            return;
        }
    }
    while (i < n) {
        unsigned c = u[i];
        /* Copy runs of plain bytes in one go: eight bytes at a time while
         * none of them is below 0x20, a quote, a backslash or above 0x7f
         * (a word with one such byte has a high bit set in hit; a hit may
         * also be a false alarm past the first real one, which the byte
         * loop then settles), the rest a byte at a time. */
        run = i;
        while (run + 8 <= n) {
            uint64_t w;
            memcpy(&w, u + run, 8);
            if (word_needs_escape(w))
                break;
            run += 8;
        }
        while (run < n && plain[u[run]])
            run++;
        if (run > i) {
            cli_buf_put(b, s + i, run - i);
            i = run;
            continue;
        }
        if (c >= 0x80) {
            size_t len = utf8_seq_len(u + i, n - i);
            if (len == 0) {
                cli_buf_adds(b, "\\ufffd");
                i++;
            } else {
                cli_buf_add(b, s + i, len);
                i += len;
            }
            continue;
        }
        switch (c) {
        case '"': cli_buf_adds(b, "\\\""); break;
        case '\\': cli_buf_adds(b, "\\\\"); break;
        case '\n': cli_buf_adds(b, "\\n"); break;
        case '\r': cli_buf_adds(b, "\\r"); break;
        case '\t': cli_buf_adds(b, "\\t"); break;
        case '\b': cli_buf_adds(b, "\\b"); break;
        case '\f': cli_buf_adds(b, "\\f"); break;
        default: {
            char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            cli_buf_add(b, esc, sizeof esc);
        }
        }
        i++;
    }
    cli_buf_put(b, "\"", 1);
}

void cli_buf_json_strz(struct cli_buf *b, const char *s)
{
    if (s == NULL)
        cli_buf_adds(b, "null");
    else
        cli_buf_json_str(b, s, strlen(s));
}

void cli_buf_safe_text(struct cli_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F) {
            char esc[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
            cli_buf_add(b, esc, sizeof esc);
        } else {
            cli_buf_addc(b, (char)c);
        }
    }
}

size_t cli_text_cells(const char *s, size_t n)
{
    size_t i, cells = 0;
    for (i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            cells++;
    return cells;
}
