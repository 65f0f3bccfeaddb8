/*
 * The cursor (lib/cursor.c), white box and alone, with no parser: the
 * positions of offsets in, before and far behind the chunk at hand; the
 * line starts kept behind it (at the ring's reach, one past); the excerpt
 * (60 bytes of the line before the caret: at, one under, one over; control
 * bytes); the one way to fail (sticky, the where hook, clear); resuming
 * at a known place; the text helpers (a cut on a character boundary,
 * ill-formed bytes as U+FFFD, excerpts of multi-byte characters).
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cursor.h"
#include "utf8.h"

static kvst_alloc alloc;

#define CHECK_STR(got, want) CHECK(strcmp((got), (want)) == 0)

/* Parse-and-consume one chunk of s at the cursor's base. */
static void pass(kvst_cursor *c, const char *s)
{
    c->chunk = (const unsigned char *)s;
    c->chunk_len = strlen(s);
    kvst__cursor_consume(c);
}

static void at_hand(kvst_cursor *c, const char *s)
{
    c->chunk = (const unsigned char *)s;
    c->chunk_len = strlen(s);
}

static void check_pos(kvst_cursor *c, uint64_t off, uint64_t line, uint64_t col)
{
    uint64_t l = 0, k = 0;

    kvst__cursor_position(c, off, &l, &k);
    if (l != line || k != col)
        fprintf(stderr, "offset %llu: line %llu column %llu, expected %llu:%llu\n",
                (unsigned long long)off, (unsigned long long)l, (unsigned long long)k,
                (unsigned long long)line, (unsigned long long)col);
    CHECK_EQ(l, line);
    CHECK_EQ(k, col);
}

static void test_lines(void)
{
    kvst_cursor c;

    memset(&c, 0, sizeof c);
    kvst__cursor_init(&c);
    pass(&c, "ab\ncd");     /* 0..4 */
    at_hand(&c, "e\nfg");   /* 5..8 */
    check_pos(&c, 7, 3, 1); /* f */
    check_pos(&c, 9, 3, 3); /* the chunk's end */
    check_pos(&c, 4, 2, 2); /* behind the cursor: d */
    check_pos(&c, 3, 2, 1);
    check_pos(&c, 2, 1, 3); /* the first newline */
    check_pos(&c, 0, 1, 1);
    CHECK_EQ(kvst__cursor_byte(&c, 4), 'd'); /* the history */
    CHECK_EQ(kvst__cursor_byte(&c, 8), 'g'); /* the chunk */
    CHECK_EQ(kvst__cursor_byte(&c, 9), -1);  /* past it */
    kvst__cursor_free(&c, &alloc);
}

/* 30 lines of 7 bytes ("line NN\n" less one), then the chunk: the ring
 * keeps the current line's start and 15 before it; one line further up
 * comes from the history (128 bytes: 18 lines), and is right too. */
static void test_ring(void)
{
    kvst_cursor c;
    char text[30 * 7 + 1];
    int i;

    memset(&c, 0, sizeof c);
    kvst__cursor_init(&c);
    for (i = 0; i < 30; i++)
        snprintf(text + 7 * i, 8, "line%02d\n", i + 1);
    pass(&c, text);
    at_hand(&c, "xyz");
    check_pos(&c, 210 + 1, 31, 2);               /* y */
    check_pos(&c, 7 * 15 + 2, 16, 3);            /* 15 lines up: the ring's reach */
    check_pos(&c, 7 * 14 + 2, 15, 3);            /* 16 up: one past, from the history */
    check_pos(&c, 7 * 16 + 2, 17, 3);            /* 14 up: one under */
    CHECK_EQ(c.line_ring_n, 31);
    kvst__cursor_free(&c, &alloc);
}

/* A line of 100 bytes "0123456789" ten times; an error at off. */
static void check_excerpt(uint64_t off, const char *want_line, size_t want_caret)
{
    static const char ten[] = "0123456789";
    char line[101], want[256];
    kvst_cursor c;
    size_t n;
    int i;

    for (i = 0; i < 10; i++)
        memcpy(line + 10 * i, ten, 10);
    line[100] = '\0';
    memset(&c, 0, sizeof c);
    kvst__cursor_init(&c);
    at_hand(&c, line);
    CHECK_EQ(kvst__cursor_fail_at(&c, KVST_E_SYNTAX, off, "bad at %llu", (unsigned long long)off),
             KVST_E_SYNTAX);
    n = (size_t)snprintf(want, sizeof want, "%s\n", want_line);
    memset(want + n, ' ', want_caret);
    want[n + want_caret] = '^';
    want[n + want_caret + 1] = '\0';
    CHECK_VIEW(c.err.excerpt, want);
    CHECK_EQ(c.err.column, off + 1);
    kvst__cursor_free(&c, &alloc);
}

static void test_excerpt(void)
{
    /* 60 bytes before the caret: from the line's start up to offset 60 */
    check_excerpt(59, "012345678901234567890123456789012345678901234567890123456789", 59);
    check_excerpt(60, "0123456789012345678901234567890123456789012345678901234567890", 60);
    check_excerpt(61, "1234567890123456789012345678901234567890123456789012345678901", 60);
    check_excerpt(0, "0", 0);
}

static void test_excerpt_bytes(void)
{
    kvst_cursor c;

    memset(&c, 0, sizeof c);
    kvst__cursor_init(&c);
    pass(&c, "first\r\n");
    at_hand(&c, "a\tb\x7f" "c\r\nnext");
    kvst__cursor_fail_at(&c, KVST_E_SYNTAX, 11, "x");
    CHECK_VIEW(c.err.excerpt, "a b c\n    ^"); /* control bytes as spaces, to the \r */
    CHECK_EQ(c.err.line, 2);
    CHECK_EQ(c.err.column, 5);
    kvst__cursor_free(&c, &alloc);
}

static uint64_t where_seven(const void *ctx, char *pointer, size_t cap)
{
    snprintf(pointer, cap, "%s", (const char *)ctx);
    return 7;
}

static void test_fail(void)
{
    kvst_cursor c;

    memset(&c, 0, sizeof c);
    kvst__cursor_init(&c);
    CHECK_EQ(c.status, 0);
    CHECK_VIEW(c.err.message, "");
    CHECK_EQ(c.err.struct_size, sizeof c.err);
    at_hand(&c, "{\"a\":{\"b\":x}}");
    c.where = where_seven;
    c.where_ctx = "/a/b";
    CHECK_EQ(kvst__cursor_fail_at(&c, KVST_E_SYNTAX, 10, "lexical error at %d", 10), KVST_E_SYNTAX);
    /* sticky: the first error stays */
    CHECK_EQ(kvst__cursor_fail_at(&c, KVST_E_NOMEM, 0, "out of memory"), KVST_E_SYNTAX);
    CHECK_EQ(kvst__cursor_fail_known(&c, KVST_E_LIMIT, 0, 1, 1, "limit"), KVST_E_SYNTAX);
    CHECK_EQ(c.status, KVST_E_SYNTAX);
    CHECK_EQ(c.err.code, KVST_E_SYNTAX);
    CHECK_VIEW(c.err.message, "lexical error at 10");
    CHECK_VIEW(c.err.pointer, "/a/b");
    CHECK_EQ(c.err.record_index, 7);
    CHECK_EQ(c.err.offset, 10);
    CHECK_EQ(c.err.line, 1);
    CHECK_EQ(c.err.column, 11);
    CHECK_VIEW(c.err.excerpt, "{\"a\":{\"b\":x\n          ^");
    kvst__cursor_clear(&c);
    CHECK_EQ(c.status, 0);
    CHECK_VIEW(c.err.message, "");
    CHECK_VIEW(c.err.pointer, "");
    CHECK_VIEW(c.err.excerpt, "");
    /* a known position: line and column as given, not the cursor's */
    c.where = NULL;
    CHECK_EQ(kvst__cursor_fail_known(&c, KVST_E_LIMIT, 3, 9, 2, "record %d", 1), KVST_E_LIMIT);
    CHECK_EQ(c.err.line, 9);
    CHECK_EQ(c.err.column, 2);
    CHECK_EQ(c.err.record_index, 0);
    CHECK_VIEW(c.err.pointer, "");
    CHECK_VIEW(c.err.excerpt, "a\"\n ^"); /* from the given column's line start */
    kvst__cursor_free(&c, &alloc);
}

/* Recovery's moves: bytes skipped unseen, then a resume at a place whose
 * line it knows, with the bytes before it as history. */
static void test_skip_resume(void)
{
    static const unsigned char before[] = "0123456789abcdef";
    kvst_cursor c;
    kvst_buf out;
    uint64_t first = 0;

    memset(&c, 0, sizeof c);
    memset(&out, 0, sizeof out);
    kvst__cursor_init(&c);
    pass(&c, "ab\n");
    kvst__cursor_skip_to(&c, 500);
    CHECK_EQ(c.chunk_base, 500);
    CHECK(c.chunk == NULL);
    kvst__cursor_resume(&c, 1000, 5, 990, before, 16);
    at_hand(&c, "xyz\nw");
    check_pos(&c, 1002, 5, 13);
    check_pos(&c, 1004, 6, 1);
    CHECK_EQ(kvst__cursor_byte(&c, 999), 'f');
    CHECK_EQ(kvst__cursor_byte(&c, 984), '0');
    CHECK_EQ(kvst__cursor_byte(&c, 983), -1);
    /* the bytes before the chunk, from where they are still at hand */
    CHECK_EQ(kvst__cursor_held(&c, &alloc, 970, &out, &first), 0);
    CHECK_EQ(first, 984);
    CHECK_EQ(out.len, 16);
    CHECK(out.len == 16 && memcmp(out.data, before, 16) == 0);
    kvst__buf_free(&out, &alloc);
    kvst__cursor_free(&c, &alloc);
}

/* The one excerpt writer: where the line stops, the caret, the bound. */
static void test_excerpt_writer(void)
{
    char out[16];
    const unsigned char *s = (const unsigned char *)"abc\tdef\nghi";
    size_t n;

    n = kvst__excerpt(out, sizeof out, s, 11, 2);
    CHECK_EQ(n, 11);
    CHECK_STR(out, "abc def\n  ^"); /* stops at the line end; tab as a space */
    n = kvst__excerpt(out, sizeof out, s, 3, 9); /* caret past the line: at its end */
    CHECK_STR(out, "abc\n   ^");
    CHECK_EQ(n, 8);
    n = kvst__excerpt(out, sizeof out, s, 0, 0);
    CHECK_STR(out, "\n^");
    CHECK_EQ(n, 2);
    /* the bound: line + "\n" + spaces + "^" + NUL within cap. With the
     * caret at 0 a 16-byte buffer holds 13 bytes of line: one under,
     * exactly, one over. */
    {
        const unsigned char *l = (const unsigned char *)"0123456789abcdef";
        n = kvst__excerpt(out, sizeof out, l, 12, 0);
        CHECK_STR(out, "0123456789ab\n^");
        CHECK_EQ(n, 14);
        n = kvst__excerpt(out, sizeof out, l, 13, 0);
        CHECK_STR(out, "0123456789abc\n^");
        CHECK_EQ(n, 15);
        n = kvst__excerpt(out, sizeof out, l, 14, 0);
        CHECK_STR(out, "0123456789abc\n^");
        /* with the caret at 5: 8 bytes + "\n" + 5 spaces + "^" + NUL = 16 */
        n = kvst__excerpt(out, sizeof out, l, 16, 5);
        CHECK_EQ(n, 15);
        CHECK_STR(out, "01234567\n     ^");
    }
}

/* The text helpers every message, finding and excerpt goes through:
 * well-formed UTF-8 whatever the input. A 2-, 3- and 4-byte character
 * after two ASCII bytes, cut at every byte about it: at its start, inside
 * it (each byte), at its end (at), one under and one over. */
static const char *const wide[] = { "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80" };

static int well_formed(const char *s, size_t len)
{
    int why;
    return kvst__utf8_check((const unsigned char *)s, len, &why) == len;
}

static void test_text_cut(void)
{
    char s[16], out[16];
    size_t w, k, max;

    for (w = 0; w < 3; w++) {
        size_t clen = strlen(wide[w]), len;
        snprintf(s, sizeof s, "ab%scd", wide[w]);
        len = strlen(s);
        for (max = 0; max <= 2 + clen + 1; max++) {
            /* up to the character: all of the bytes; inside it: before it */
            size_t want = max <= 2 ? max : max < 2 + clen ? 2 : max;
            size_t n = kvst__text_cut(s, len, max);
            if (n != want)
                fprintf(stderr, "cut %zu-byte character at %zu: %zu, expected %zu\n",
                        clen, max, n, want);
            CHECK_EQ(n, want);
            CHECK(well_formed(s, n));
            /* the same through a message buffer of max + 1 bytes (the NUL) */
            n = kvst__text_printf(out, max + 1, "%s", s);
            CHECK_EQ(n, want);
            CHECK(memcmp(out, s, n) == 0 && out[n] == '\0');
            CHECK(well_formed(out, n));
            /* and quoted by precision, as the findings quote values */
            n = kvst__text_printf(out, sizeof out, "%.*s", (int)kvst__text_cut(s, len, max), s);
            CHECK_EQ(n, want);
        }
        /* text that stops inside the character (as vsnprintf cuts it):
         * the part of it is dropped */
        for (k = 1; k < clen; k++) {
            size_t n = kvst__text_clean(out, sizeof out, s, 2 + k);
            CHECK_EQ(n, 2);
            CHECK_STR(out, "ab");
        }
    }
    CHECK_EQ(kvst__text_cut("abc", 3, 10), 3);
    CHECK_EQ(kvst__text_cut("", 0, 10), 0);
}

/* Ill-formed bytes (a lone continuation, F5..FF, an overlong form, an
 * encoded surrogate, a lead without its continuation) become U+FFFD, one
 * each, and what does not fit is cut before the replacement, never
 * inside it. */
static void test_text_clean(void)
{
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
        { "a\x80z", "a\xEF\xBF\xBDz" },
        { "a\xF5z", "a\xEF\xBF\xBDz" },
        { "a\xC0\xAFz", "a\xEF\xBF\xBD\xEF\xBF\xBDz" },
        { "a\xED\xA0\x80z", "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDz" },
        { "a\xE2\x82z", "a\xEF\xBF\xBD\xEF\xBF\xBDz" },
        { "a\xC3\xA9z", "a\xC3\xA9z" },
    };
    char out[32];
    size_t i, cap;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = kvst__text_clean(out, sizeof out, cases[i].in, strlen(cases[i].in));
        CHECK_STR(out, cases[i].want);
        CHECK_EQ(n, strlen(cases[i].want));
    }
    /* "a" U+FFFD "z" in 1..6 bytes with the NUL: 'a' from 2, the
     * replacement from 5 (one under: 4), 'z' from 6 */
    for (cap = 1; cap <= 6; cap++) {
        size_t n = kvst__text_clean(out, cap, "a\x80z", 3);
        size_t want = cap < 2 ? 0 : cap < 5 ? 1 : cap < 6 ? 4 : 5;
        CHECK_EQ(n, want);
        CHECK(well_formed(out, n));
    }
    /* a formatted message quoting such bytes */
    CHECK_EQ(kvst__text_printf(out, sizeof out, "value '%s'", "\xFF"), 11);
    CHECK_STR(out, "value '\xEF\xBF\xBD'");
}

/* The excerpt: multi-byte characters kept whole, the caret under the
 * character (a space for each one before it), ill-formed bytes as U+FFFD,
 * the bound by whole characters. */
static void test_excerpt_utf8(void)
{
    char out[16];
    size_t n, w, cap;

    n = kvst__excerpt(out, sizeof out, (const unsigned char *)"\xC3\xA9" "ab", 4, 3);
    CHECK_STR(out, "\xC3\xA9" "ab\n  ^"); /* under 'b': two characters before it */
    CHECK_EQ(n, 8);
    n = kvst__excerpt(out, sizeof out, (const unsigned char *)"a\xE0z", 3, 1);
    CHECK_STR(out, "a\xEF\xBF\xBDz\n ^");
    CHECK_EQ(n, 8);
    /* the bound falls at each byte of a 2-, 3- and 4-byte character after
     * "abcdefgh" (caret at 0: line + "\n^" + NUL): the character is in
     * whole or not at all */
    for (w = 0; w < 3; w++) {
        char line[16];
        size_t clen = strlen(wide[w]);
        snprintf(line, sizeof line, "abcdefgh%s", wide[w]);
        for (cap = 11; cap <= 8 + clen + 4; cap++) {
            size_t keep = cap >= 8 + clen + 3 ? 8 + clen : 8;
            n = kvst__excerpt(out, cap, (const unsigned char *)line, strlen(line), 0);
            CHECK_EQ(n, keep + 2);
            CHECK(memcmp(out, line, keep) == 0 && out[keep] == '\n');
            CHECK(well_formed(out, n));
        }
    }
}

/* JSON pointers: escapes, all-or-nothing at the bound, indexes, reading. */
static void test_pointers(void)
{
    char buf[8], tok[4];
    size_t n, at;

    n = kvst__ptr_push(buf, sizeof buf, 0, "a~b", 3);
    CHECK_STR(buf, "/a~0b");
    CHECK_EQ(n, 5);
    n = kvst__ptr_push(buf, sizeof buf, 0, "a/", 2);
    CHECK_STR(buf, "/a~1");
    /* "/" + 6 bytes + NUL = 8: fits exactly; 7 bytes do not */
    CHECK_EQ(kvst__ptr_push(buf, sizeof buf, 0, "abcdef", 6), 7);
    CHECK_STR(buf, "/abcdef");
    CHECK_EQ(kvst__ptr_push(buf, sizeof buf, 0, "abcdefg", 7), 0);
    CHECK_STR(buf, "/abcdef"); /* unchanged */
    CHECK_EQ(kvst__ptr_push(buf, sizeof buf, 0, "abcde", 5), 6);
    /* an escape counts twice: "/ab~0cd" is 7 + NUL, "/ab~0cde" is not */
    CHECK_EQ(kvst__ptr_push(buf, sizeof buf, 0, "ab~cd", 5), 7);
    CHECK_STR(buf, "/ab~0cd");
    CHECK_EQ(kvst__ptr_push(buf, sizeof buf, 0, "ab~cde", 6), 0);
    CHECK_STR(buf, "/ab~0cd");
    /* appended to a parent; an empty segment is a "/" */
    n = kvst__ptr_push(buf, sizeof buf, 0, "x", 1);
    n = kvst__ptr_push(buf, sizeof buf, n, "", 0);
    CHECK_STR(buf, "/x/");
    CHECK_EQ(n, 3);
    CHECK_EQ(kvst__ptr_push_index(buf, sizeof buf, n, 1234), 3); /* 8 + NUL: no */
    CHECK_STR(buf, "/x/");
    CHECK_EQ(kvst__ptr_push_index(buf, sizeof buf, n, 123), 7); /* 7 + NUL: yes */
    CHECK_STR(buf, "/x//123");
    CHECK_EQ(kvst__ptr_push_index(buf, sizeof buf, 0, 0), 2);
    CHECK_STR(buf, "/0");
    {
        char big[32];
        CHECK_EQ(kvst__ptr_push_index(big, sizeof big, 0, UINT64_MAX), 21);
        CHECK_STR(big, "/18446744073709551615");
    }

    /* reading: each segment decoded, *at past it */
    {
        const char *p = "/a~1b/~0/";
        size_t len = strlen(p);
        at = 0;
        CHECK_EQ(kvst__ptr_next(p, len, &at, tok, sizeof tok), 3);
        CHECK(memcmp(tok, "a/b", 3) == 0);
        CHECK_EQ(at, 5);
        CHECK_EQ(kvst__ptr_next(p, len, &at, tok, sizeof tok), 1);
        CHECK(tok[0] == '~');
        CHECK_EQ(kvst__ptr_next(p, len, &at, tok, sizeof tok), 0); /* the empty last one */
        CHECK_EQ(at, len);
        CHECK_EQ(kvst__ptr_next(p, len, &at, tok, sizeof tok), KVST_PTR_BAD); /* past the end */
    }
    at = 0;
    CHECK_EQ(kvst__ptr_next("a", 1, &at, tok, sizeof tok), KVST_PTR_BAD); /* no '/' */
    at = 0;
    CHECK_EQ(kvst__ptr_next("/a~2", 4, &at, tok, sizeof tok), KVST_PTR_BAD);
    at = 0;
    CHECK_EQ(kvst__ptr_next("/a~", 3, &at, tok, sizeof tok), KVST_PTR_BAD); /* '~' last */
    at = 0;
    CHECK_EQ(kvst__ptr_next("/abcd", 5, &at, tok, sizeof tok), 4); /* exactly cap */
    at = 0;
    CHECK_EQ(kvst__ptr_next("/abcde", 6, &at, tok, sizeof tok), KVST_PTR_LONG);
    CHECK_EQ(at, 0); /* not moved */
    at = 0;
    CHECK_EQ(kvst__ptr_next("/ab~1d", 6, &at, tok, sizeof tok), 4); /* decoded length counts */
}

int main(void)
{
    kvst__alloc_init(&alloc, NULL);
    test_lines();
    test_ring();
    test_excerpt();
    test_excerpt_bytes();
    test_fail();
    test_skip_resume();
    test_excerpt_writer();
    test_text_cut();
    test_text_clean();
    test_excerpt_utf8();
    test_pointers();
    return check_done("cursor");
}
