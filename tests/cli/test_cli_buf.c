/*
 * tools/cli_buf.c: cli_buf_json_str against a byte-at-a-time reference
 * (the escaper as it was before it read eight bytes at a time). Every
 * length up to 40, each byte that stops a plain run (and its neighbours
 * that do not) at every position, two of them in one string, and random
 * strings: the output must be the same bytes.
 */
#include "check.h"
#include "cli_buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The reference: one byte at a time, UTF-8 checked as cli_buf does. */
static size_t ref_utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len, i;
    unsigned long cp;
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

static void ref_json_str(struct cli_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    cli_buf_addc(b, '"');
    while (i < n) {
        unsigned c = u[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            cli_buf_addc(b, (char)c);
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t len = ref_utf8_len(u + i, n - i);
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
    cli_buf_addc(b, '"');
}

static int same(const char *s, size_t n)
{
    struct cli_buf got = CLI_BUF_INIT, want = CLI_BUF_INIT;
    int ok;
    /* Something before, as in a line being written. */
    cli_buf_adds(&got, "{\"k\":");
    cli_buf_adds(&want, "{\"k\":");
    cli_buf_json_str(&got, s, n);
    ref_json_str(&want, s, n);
    ok = got.len == want.len && memcmp(got.data, want.data, got.len) == 0 &&
         got.data[got.len] == '\0';
    if (!ok)
        fprintf(stderr, "differs for %zu bytes: got %s want %s\n", n,
                got.data, want.data);
    cli_buf_free(&got);
    cli_buf_free(&want);
    return ok;
}

/* The bytes at and around each edge of the plain set. */
static const unsigned char edges[] = {
    0x00, 0x01, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x1f, 0x20, 0x21, 0x22, 0x23,
    0x5b, 0x5c, 0x5d, 0x7e, 0x7f, 0x80, 0xbf, 0xc2, 0xdf, 0xe0, 0xff,
    0xa0, 0x60, 0x42, 0x02
};

int main(void)
{
    char s[64];
    size_t n, at, at2, e, e2;
    uint64_t x = 88172645463325252ull;
    int i;
    for (n = 0; n <= 40; n++) {
        memset(s, 'a', sizeof s);
        CHECK(same(s, n));
        for (at = 0; at < n; at++)
            for (e = 0; e < sizeof edges; e++) {
                memset(s, 'a', sizeof s);
                s[at] = (char)edges[e];
                CHECK(same(s, n));
                /* One edge byte after another (a borrow from the first
                 * must not hide the second). */
                for (at2 = at + 1; at2 < n && at2 < at + 9; at2++)
                    for (e2 = 0; e2 < sizeof edges; e2 += 3) {
                        s[at2] = (char)edges[e2];
                        CHECK(same(s, n));
                        s[at2] = 'a';
                    }
            }
    }
    /* Valid UTF-8 across a word boundary, and one cut by the end. */
    memcpy(s, "abcdefg\xc3\xa9zz\xe2\x82\xac", 14);
    CHECK(same(s, 14));
    CHECK(same(s, 13));
    CHECK(same(s, 8));
    for (i = 0; i < 20000; i++) {
        size_t k;
        n = (size_t)(x % 48);
        for (k = 0; k < n; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* Mostly plain, as real values are. */
            s[k] = (x & 7) ? (char)(0x20 + (x >> 8) % 0x5f) : (char)(x >> 16);
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        CHECK(same(s, n));
    }
    return check_done("test_cli_buf");
}
