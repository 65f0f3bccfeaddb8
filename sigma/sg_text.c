/* libkvstrail-sigma: growable buffers, hashing and case folding (leaf). */
#include "sigma_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int buf_reserve(sg_buf *b, size_t extra)
{
    size_t want, cap;
    char *p;
    if (b->failed)
        return 0;
    if (extra > SIZE_MAX / 2 - b->len) {
        b->failed = 1;
        return 0;
    }
    want = b->len + extra + 1;
    if (want <= b->cap)
        return 1;
    cap = b->cap ? b->cap : 256;
    while (cap < want)
        cap *= 2;
    p = sg_realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return 0;
    }
    b->data = p;
    b->cap = cap;
    return 1;
}

int sg_buf_reserve(sg_buf *b, size_t n)
{
    return buf_reserve(b, n);
}

void sg_buf_add(sg_buf *b, const void *p, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sg_buf_addc(sg_buf *b, char c)
{
    sg_buf_add(b, &c, 1);
}

void sg_buf_addz(sg_buf *b, const char *s)
{
    sg_buf_add(b, s, strlen(s));
}

void sg_buf_printf(sg_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sg_buf_free(sg_buf *b)
{
    sg_free(b->data);
    memset(b, 0, sizeof *b);
}

char *sg_strndup(const char *s, size_t n)
{
    char *d = sg_malloc(n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* FNV-1a, 64 bits: paths are short, and a collision only costs a compare. */
uint64_t sg_hash(const char *s, size_t n)
{
    return sg_hash_more(SG_HASH_INIT, s, n);
}

uint64_t sg_hash_more(uint64_t h, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

int sg_fold_eq(const char *a, const char *b, size_t n)
{
    size_t i = 0;
    uint64_t x, y;
    for (; i + 8 <= n; i += 8) {
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y && sg_fold8(x) != sg_fold8(y))
            return 0;
    }
    /* The last bytes of eight or more: one word overlapping the last one
     * compared (no byte loop). */
    if (i < n && n >= 8) {
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y || sg_fold8(x) == sg_fold8(y);
    }
    for (; i < n; i++)
        if (sg_fold[(unsigned char)a[i]] != sg_fold[(unsigned char)b[i]])
            return 0;
    return 1;
}

#define R(a) (a), (a) + 1, (a) + 2, (a) + 3, (a) + 4, (a) + 5, (a) + 6, (a) + 7
#define R16(a) R(a), R((a) + 8)
const unsigned char sg_fold[256] = {
    R16(0), R16(16), R16(32), R16(48),
    /* '@', then 'A'..'Z' folded to 'a'..'z', then "[\\]^_" */
    64, R16(97), R(113), 121, 122,
    91, 92, 93, 94, 95,
    R16(96), R16(112),
    R16(128), R16(144), R16(160), R16(176),
    R16(192), R16(208), R16(224), R16(240)
};
