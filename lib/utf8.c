/*
 * The one UTF-8 checker (utf8.h). A table gives, per lead byte, the
 * sequence length and the range its second byte must fall in (RFC 3629,
 * section 4): the second byte is where overlong forms, surrogates and
 * code points above U+10FFFF show, and each has its own reason; the third
 * and fourth bytes are plain continuation bytes.
 */
#include "utf8.h"

typedef struct lead_rule {
    unsigned char len;      /* 0: the byte cannot start a character */
    unsigned char lo, hi;   /* the range of the second byte */
    unsigned char below, above; /* why a second byte below lo / above hi is wrong */
} lead_rule;

#define CONT 0x80, 0xBF, KVST_UTF8_SHORT, KVST_UTF8_SHORT

static lead_rule rule_of(unsigned char c)
{
    static const lead_rule ascii = { 1, 0, 0, 0, 0 };
    static const lead_rule two = { 2, CONT };
    static const lead_rule three = { 3, CONT };
    static const lead_rule four = { 4, CONT };
    static const lead_rule e0 = { 3, 0xA0, 0xBF, KVST_UTF8_OVERLONG, KVST_UTF8_SHORT };
    static const lead_rule ed = { 3, 0x80, 0x9F, KVST_UTF8_SHORT, KVST_UTF8_SURROGATE };
    static const lead_rule f0 = { 4, 0x90, 0xBF, KVST_UTF8_OVERLONG, KVST_UTF8_SHORT };
    static const lead_rule f4 = { 4, 0x80, 0x8F, KVST_UTF8_SHORT, KVST_UTF8_TOO_BIG };
    static const lead_rule cont = { 0, 0, 0, KVST_UTF8_CONTINUATION, 0 };
    static const lead_rule overlong = { 0, 0, 0, KVST_UTF8_OVERLONG, 0 };
    static const lead_rule bad = { 0, 0, 0, KVST_UTF8_BAD_BYTE, 0 };

    if (c < 0x80)
        return ascii;
    if (c < 0xC0)
        return cont;
    if (c < 0xC2)
        return overlong;
    if (c < 0xE0)
        return two;
    if (c == 0xE0)
        return e0;
    if (c == 0xED)
        return ed;
    if (c < 0xF0)
        return three;
    if (c == 0xF0)
        return f0;
    if (c < 0xF4)
        return four;
    if (c == 0xF4)
        return f4;
    return bad;
}

size_t kvst__utf8_decode(const unsigned char *s, size_t left, uint32_t *cp, int *why)
{
    lead_rule r = rule_of(s[0]);
    uint32_t v;
    size_t k;

    *why = KVST_UTF8_OK;
    if (r.len == 1) {
        *cp = s[0];
        return 1;
    }
    if (r.len == 0) {
        *why = r.below;
        return 0;
    }
    if (left < 2) {
        *why = KVST_UTF8_CUT;
        return 0;
    }
    if (s[1] < r.lo || s[1] > r.hi) {
        /* a byte that is no continuation byte at all cuts the sequence short */
        *why = (s[1] & 0xC0) != 0x80 ? KVST_UTF8_SHORT : s[1] < r.lo ? r.below : r.above;
        return 0;
    }
    v = (uint32_t)(s[0] & (0x7Fu >> r.len));
    for (k = 1; k < r.len; k++) {
        if (k >= left) {
            *why = KVST_UTF8_CUT;
            return 0;
        }
        if ((s[k] & 0xC0) != 0x80) {
            *why = KVST_UTF8_SHORT;
            return 0;
        }
        v = (v << 6) | (uint32_t)(s[k] & 0x3F);
    }
    *cp = v;
    return r.len;
}

size_t kvst__utf8_check(const unsigned char *s, size_t len, int *why)
{
    size_t i = 0, n;
    uint32_t cp;

    *why = KVST_UTF8_OK;
    while (i < len) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        n = kvst__utf8_decode(s + i, len - i, &cp, why);
        if (n == 0) {
            if (*why == KVST_UTF8_CUT)
                *why = KVST_UTF8_SHORT;
            return i;
        }
        i += n;
    }
    return len;
}

const char *kvst__utf8_why(int why)
{
    static const char *const names[] = {
        "well-formed",
        "a continuation byte without its lead byte",
        "a byte that is never in UTF-8 (F5..FF)",
        "an overlong form",
        "an encoded surrogate (U+D800..U+DFFF)",
        "a code point above U+10FFFF",
        "a lead byte without all of its continuation bytes",
        "a sequence cut by the end of the input",
    };

    return why >= 0 && why < (int)(sizeof names / sizeof names[0]) ? names[why] : "invalid";
}

/* ---- \u escapes ---------------------------------------------------------- */

int kvst__hex_digit(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The code unit of the \uXXXX escape at s[i] (s[i] is the backslash), or
 * -1 when there is none there. */
static long unit_at(const unsigned char *s, size_t len, size_t i)
{
    long v = 0;
    size_t k;

    if (i + 6 > len || s[i] != '\\' || s[i + 1] != 'u')
        return -1;
    for (k = 2; k < 6; k++) {
        int d = kvst__hex_digit(s[i + k]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static int is_high(long u)
{
    return u >= 0xD800 && u <= 0xDBFF;
}

static int is_low(long u)
{
    return u >= 0xDC00 && u <= 0xDFFF;
}

int kvst__json_needs_decode(const unsigned char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        long u;
        if (s[i] != '\\')
            continue;
        u = unit_at(s, len, i);
        if (u == 0 || is_high(u) || is_low(u))
            return 1;
        i++; /* the escaped byte is no backslash of its own */
    }
    return 0;
}

size_t kvst__json_string_start(const char *raw, size_t end)
{
    size_t q = end ? end - 1 : 0;

    while (q > 0) {
        size_t b = 0;
        q--;
        if (raw[q] != '"')
            continue;
        while (b < q && raw[q - 1 - b] == '\\')
            b++;
        if (b % 2 == 0)
            return q;
    }
    return 0;
}

static size_t put_utf8(unsigned char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t kvst__json_decode(const unsigned char *s, size_t len, unsigned char *out)
{
    static const char escapes[] = "\"\\/bfnrt", decoded[] = "\"\\/\b\f\n\r\t";
    size_t i = 0, n = 0;

    while (i < len) {
        long u, lo;
        size_t k;
        if (s[i] != '\\' || i + 1 >= len) {
            out[n++] = s[i++];
            continue;
        }
        u = unit_at(s, len, i);
        if (u < 0) { /* a simple escape (yajl accepted the string) */
            for (k = 0; escapes[k] && escapes[k] != (char)s[i + 1]; k++)
                ;
            out[n++] = escapes[k] ? (unsigned char)decoded[k] : s[i + 1];
            i += 2;
            continue;
        }
        i += 6;
        if (is_high(u) && is_low(lo = unit_at(s, len, i))) {
            n += put_utf8(out + n, 0x10000 + (((uint32_t)u - 0xD800) << 10) +
                                       ((uint32_t)lo - 0xDC00));
            i += 6;
        } else {
            n += put_utf8(out + n, is_high(u) || is_low(u) ? 0xFFFD : (uint32_t)u);
        }
    }
    return n;
}

size_t kvst__json_lone_surrogate(const unsigned char *s, size_t len, size_t from)
{
    size_t i;

    for (i = from; i < len; i++) {
        long u;
        if (s[i] != '\\')
            continue;
        u = unit_at(s, len, i);
        if (u < 0) {
            i++;
            continue;
        }
        if (is_high(u) && is_low(unit_at(s, len, i + 6))) {
            i += 11;
            continue;
        }
        if (is_high(u) || is_low(u))
            return i;
        i += 5;
    }
    return len;
}
