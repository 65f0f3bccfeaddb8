/*
 * Internal, a leaf of lib/ (see lib/layers.txt): the one UTF-8 checker
 * (RFC 3629) every stage uses -- the tokenizer's check of the bytes yajl
 * is given, the fast lexer's strings, the validators' character counts --
 * and the one decoder of JSON's \u escapes where yajl's goes wrong.
 * Pure functions of their arguments; calls nothing of lib/.
 *
 * Well-formed means RFC 3629's table and nothing else: no overlong form
 * (C0, C1, E0 80..9F, F0 80..8F), no encoded surrogate (ED A0..BF), nothing
 * above U+10FFFF (F4 90..BF, F5..FF), no continuation byte without its
 * lead, no lead without all of its continuation bytes.
 */
#ifndef KVST_UTF8_H
#define KVST_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Why a sequence is not well-formed (kvst__utf8_why names each). */
enum kvst_utf8_why {
    KVST_UTF8_OK = 0,
    KVST_UTF8_CONTINUATION, /* 80..BF where a character must start */
    KVST_UTF8_BAD_BYTE,     /* F5..FF: never in UTF-8 */
    KVST_UTF8_OVERLONG,     /* C0, C1, E0 80..9F, F0 80..8F */
    KVST_UTF8_SURROGATE,    /* ED A0..BF: U+D800..U+DFFF encoded */
    KVST_UTF8_TOO_BIG,      /* F4 90..BF: above U+10FFFF */
    KVST_UTF8_SHORT,        /* a lead byte without all its continuation bytes */
    KVST_UTF8_CUT           /* not an error yet: s ends inside a sequence
                               well-formed so far (more bytes decide) */
};

/* The sequence at s[0..left) (left > 0): its length (1..4) with *cp its
 * code point, or 0 with *why saying what is wrong with it (KVST_UTF8_CUT:
 * left ends it too soon to tell). The ill-formed sequence always starts
 * at s[0]: that is the byte an error points at. */
size_t kvst__utf8_decode(const unsigned char *s, size_t left, uint32_t *cp, int *why);

/* Offset of the first byte of the first sequence of s[0..len) that is not
 * well-formed (a sequence cut by len is not), or len; *why says why
 * (KVST_UTF8_OK when the offset is len). */
size_t kvst__utf8_check(const unsigned char *s, size_t len, int *why);

/* JSON's white space (RFC 8259: space, tab, line feed, carriage return;
 * not form feed nor vertical tab), the one test of it. */
static inline int kvst__json_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The value of one hexadecimal digit (0-9, a-f, A-F), or -1: for the \u
 * escapes below and the digests' hex digests, one reading of both. */
int kvst__hex_digit(unsigned char c);

/* A short English phrase for a kvst_utf8_why ("an overlong form"). */
const char *kvst__utf8_why(int why);

/*
 * JSON's \u escapes, which yajl decodes wrongly at the edges (a lone high
 * surrogate becomes '?', a lone low one an encoded surrogate, a high one
 * before any other \u escape a made-up code point, \u0000 nothing).
 *
 * kvst__json_needs_decode: 1 when the body of a JSON string (the bytes
 * between its quotes, as written) holds such an escape -- a surrogate or
 * \u0000 -- so that it must be decoded by kvst__json_decode instead.
 *
 * kvst__json_decode: decode the body s[0..len) of a string yajl accepted
 * into out (room for len bytes: decoding never grows), a valid pair to its
 * code point, a lone surrogate to U+FFFD. Returns the decoded length.
 *
 * kvst__json_lone_surrogate: the offset in s of the backslash of the first
 * lone surrogate escape at or after from (a high one not followed by a
 * low one, or a low one alone), or len.
 */
int kvst__json_needs_decode(const unsigned char *s, size_t len);
/* Offset of the opening quote of the string token that ends (one past its
 * closing quote) at raw[end]: the last quote before it not preceded by an
 * odd number of backslashes (a quote inside a string always is); 0 when
 * there is none. */
size_t kvst__json_string_start(const char *raw, size_t end);
size_t kvst__json_decode(const unsigned char *s, size_t len, unsigned char *out);
size_t kvst__json_lone_surrogate(const unsigned char *s, size_t len, size_t from);

#endif /* KVST_UTF8_H */
