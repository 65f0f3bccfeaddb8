/*
 * The lexing contract (issue 13, items 2 and 8): strict UTF-8 (RFC 3629),
 * lone surrogate escapes read as U+FFFD with KVST_F_LONE_SURROGATE at the
 * escape, and error positions that point at the offending byte, the same on the
 * fast path and the yajl path, for the input fed whole, split at every
 * single position, one byte at a time and gzip'd.
 *
 * Every case is an input and the offset of its offending byte; the line
 * and column expected are counted here from the input's own newlines, not
 * taken from the library. The events before the error must be delivered
 * (their number is part of the case).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kvstrail/kvstrail.h>

#include "check.h"
/* (only textbuf_gzip is used here) */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#include "textbuf.h"

/* A record the fast lexer takes (plain, short), and the start of one
 * whose eventName is the bytes under test. */
#define REC                                                                      \
    "{\"eventVersion\":\"1.05\",\"eventSource\":\"kinesisvideo.amazonaws.com\","  \
    "\"eventName\":\"ListStreams\",\"eventTime\":\"2018-05-25T00:16:31Z\","         \
    "\"awsRegion\":\"us-east-1\",\"eventID\":\"e1\"}"
#define HEAD "{\"eventVersion\":\"1.05\",\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\""
#define TAIL "\",\"eventTime\":\"2018-05-25T00:16:31Z\",\"eventID\":\"e2\"}"

typedef struct outcome {
    int status;
    uint64_t offset, line, column;
    unsigned events;
    char name[64]; /* the eventName of the second event, if any */
    size_t name_len;
    /* its KVST_F_LONE_SURROGATE findings: how many, the first's place */
    unsigned lone;
    uint64_t lone_offset, lone_line, lone_column;
    /* the events with a log file's KVST_F_DUPLICATE_KEY (bit i: event i)
     * and the last one's place */
    unsigned dup_events;
    uint64_t dup_offset, dup_line, dup_column;
} outcome;

static int on_event(const kvst_event *ev, void *payload)
{
    outcome *o = (outcome *)payload;
    size_t i;

    for (i = 0; i < ev->finding_count; i++) {
        const kvst_finding *f = ev->findings[i];
        if (f->code == KVST_F_DUPLICATE_KEY && f->pointer.len == 0) {
            o->dup_events |= 1u << (o->events & 31);
            o->dup_offset = f->offset;
            o->dup_line = f->line;
            o->dup_column = f->column;
        }
    }
    if (o->events++ != 1)
        return 0;
    if (ev->event_name.ptr && ev->event_name.len < sizeof o->name) {
        memcpy(o->name, ev->event_name.ptr, ev->event_name.len);
        o->name_len = ev->event_name.len;
    }
    for (i = 0; i < ev->finding_count; i++) {
        const kvst_finding *f = ev->findings[i];
        if (f->code != KVST_F_LONE_SURROGATE)
            continue;
        if (o->lone++ == 0) {
            o->lone_offset = f->offset;
            o->lone_line = f->line;
            o->lone_column = f->column;
        }
        check_count++;
        if (f->pointer.len != 10 || memcmp(f->pointer.ptr, "/eventName", 10) != 0) {
            check_failures++;
            fprintf(stderr, "a lone surrogate finding points at '%.*s'\n", (int)f->pointer.len,
                    f->pointer.ptr);
        }
    }
    return 0;
}

/* Feed in[0..len) cut at cut (len: whole) or in pieces of step bytes. */
static void run(const unsigned char *in, size_t len, size_t cut, size_t step, int fast,
                outcome *o)
{
    kvst_parser_options opts = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    const kvst_error *e;
    size_t pos = 0;
    int rc = 0;

    memset(o, 0, sizeof *o);
    opts.flags = KVST_FLAG_SINGLE_THREAD | (fast ? 0 : KVST_FLAG_NO_FASTLEX);
    opts.on_event = on_event;
    opts.payload = o;
    if (kvst_parser_new(&opts, &p) != 0)
        exit(2);
    if (step) {
        while (pos < len && rc == 0) {
            size_t n = len - pos < step ? len - pos : step;
            rc = kvst_parser_feed(p, in + pos, n);
            pos += n;
        }
    } else {
        rc = kvst_parser_feed(p, in, cut);
        if (rc == 0 && cut < len)
            rc = kvst_parser_feed(p, in + cut, len - cut);
    }
    if (rc == 0)
        rc = kvst_parser_finish(p);
    e = kvst_parser_error(p);
    o->status = rc;
    o->offset = e->offset;
    o->line = e->line;
    o->column = e->column;
    kvst_parser_free(p);
}

static unsigned long runs;

static int same(const outcome *a, const outcome *b)
{
    return a->status == b->status && a->offset == b->offset && a->line == b->line &&
           a->column == b->column && a->events == b->events && a->name_len == b->name_len &&
           memcmp(a->name, b->name, a->name_len) == 0 && a->lone == b->lone &&
           a->lone_offset == b->lone_offset && a->lone_line == b->lone_line &&
           a->lone_column == b->lone_column && a->dup_events == b->dup_events &&
           a->dup_offset == b->dup_offset && a->dup_line == b->dup_line &&
           a->dup_column == b->dup_column;
}

/* Every way of feeding gives want (gzip'd too, whole and in 7-byte
 * pieces). */
static void expect_all(const char *what, const unsigned char *in, size_t len, const outcome *want)
{
    textbuf gz = { 0, 0, 0 };
    outcome got;
    size_t cut;
    int fast, bad = 0;

    textbuf_gzip(&gz, (const char *)in, len, 0);
    for (fast = 0; fast < 2; fast++) {
        for (cut = 0; cut <= len; cut++) {
            run(in, len, cut, 0, fast, &got);
            runs++;
            bad += !same(&got, want);
        }
        run(in, len, 0, 1, fast, &got);
        bad += !same(&got, want);
        run((const unsigned char *)gz.data, gz.len, gz.len, 0, fast, &got);
        bad += !same(&got, want);
        run((const unsigned char *)gz.data, gz.len, 0, 7, fast, &got);
        bad += !same(&got, want);
        runs += 3;
    }
    check_count++;
    if (bad) {
        run(in, len, len, 0, 1, &got);
        check_failures++;
        fprintf(stderr,
                "%s: %d ways of feeding differ from status %d offset %llu line %llu column %llu "
                "events %u; whole, fast: status %d offset %llu line %llu column %llu events %u\n",
                what, bad, want->status, (unsigned long long)want->offset,
                (unsigned long long)want->line, (unsigned long long)want->column, want->events,
                got.status, (unsigned long long)got.offset, (unsigned long long)got.line,
                (unsigned long long)got.column, got.events);
    }
    free(gz.data);
}

/* The position of in[off], counted here. */
static void position_of(const unsigned char *in, uint64_t off, outcome *o)
{
    uint64_t i;

    o->offset = off;
    o->line = 1;
    o->column = 1;
    for (i = 0; i < off; i++) {
        if (in[i] == '\n') {
            o->line++;
            o->column = 1;
        } else {
            o->column++;
        }
    }
}

static size_t build(unsigned char *out, size_t cap, const char *pre, const char *mid,
                    size_t mid_len, const char *post)
{
    size_t a = strlen(pre), c = strlen(post);

    if (a + mid_len + c > cap)
        exit(2);
    memcpy(out, pre, a);
    memcpy(out + a, mid, mid_len);
    memcpy(out + a + mid_len, post, c);
    return a + mid_len + c;
}

/* ---- item 2: UTF-8 --------------------------------------------------------- */

typedef struct utf8_case {
    const char *what;
    const char *bytes; /* the eventName's bytes */
    size_t len;
    int ok;            /* well-formed */
    size_t bad_at;     /* else: the offending byte, from the start of bytes */
} utf8_case;

#define U(what, lit, ok, at) { what, lit, sizeof lit - 1, ok, at }

static const utf8_case utf8_cases[] = {
    /* each boundary in its shortest form, and overlong */
    U("U+007F", "\x7f", 1, 0),
    U("U+007F overlong", "\xc1\xbf", 0, 0),
    U("U+0080", "\xc2\x80", 1, 0),
    U("U+0080 overlong", "\xe0\x82\x80", 0, 0),
    U("U+07FF", "\xdf\xbf", 1, 0),
    U("U+07FF overlong", "\xe0\x9f\xbf", 0, 0),
    U("U+0800", "\xe0\xa0\x80", 1, 0),
    U("U+0800 overlong", "\xf0\x80\xa0\x80", 0, 0),
    U("U+D7FF", "\xed\x9f\xbf", 1, 0),
    U("U+D7FF overlong", "\xf0\x8d\x9f\xbf", 0, 0),
    U("U+D800", "\xed\xa0\x80", 0, 0),
    U("U+DFFF", "\xed\xbf\xbf", 0, 0),
    U("U+E000", "\xee\x80\x80", 1, 0),
    U("U+E000 overlong", "\xf0\x8e\x80\x80", 0, 0),
    U("U+FFFF", "\xef\xbf\xbf", 1, 0),
    U("U+FFFF overlong", "\xf0\x8f\xbf\xbf", 0, 0),
    U("U+10000", "\xf0\x90\x80\x80", 1, 0),
    U("U+10FFFF", "\xf4\x8f\xbf\xbf", 1, 0),
    U("U+110000", "\xf4\x90\x80\x80", 0, 0),
    /* the forms the issue names */
    U("C0 AF", "\xc0\xaf", 0, 0),
    U("E0 80 AF", "\xe0\x80\xaf", 0, 0),
    U("F0 80 80 AF", "\xf0\x80\x80\xaf", 0, 0),
    U("ED A0 80 after text", "ab\xed\xa0\x80", 0, 2),
    U("F5", "\xf5\x80\x80\x80", 0, 0),
    U("FF", "\xff", 0, 0),
    U("FE after U+00E9", "\xc3\xa9\xfe", 0, 2),
    U("C1 alone", "x\xc1", 0, 1),
    U("continuation alone", "\x80", 0, 0),
    U("continuation after a character", "\xc3\xa9\xbf", 0, 2),
    U("cut by the closing quote", "\xe2\x82", 0, 0),
    U("cut by an ASCII byte", "\xf0\x9f\x98" "a", 0, 0),
    U("four well-formed", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x7f", 1, 0),
};

static void test_utf8(void)
{
    unsigned char in[1024];
    size_t i, n;
    outcome want;

    for (i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++) {
        const utf8_case *c = &utf8_cases[i];
        /* in a Records array (the fast lexer takes the second record when
         * it is well-formed) and as JSON Lines */
        static const char *const pre[] = { "{\"Records\":[" REC ",\n" HEAD, REC "\n" HEAD };
        static const char *const post[] = { TAIL "]}", TAIL "\n" };
        size_t k;
        for (k = 0; k < 2; k++) {
            char what[128];
            n = build(in, sizeof in, pre[k], c->bytes, c->len, post[k]);
            memset(&want, 0, sizeof want);
            if (c->ok) {
                want.events = 2;
                memcpy(want.name, c->bytes, c->len);
                want.name_len = c->len;
                /* a successful parse reports no position */
            } else {
                position_of(in, strlen(pre[k]) + c->bad_at, &want);
                want.status = KVST_E_ENCODING;
                want.events = 1;
            }
            snprintf(what, sizeof what, "%s (%s)", c->what, k ? "lines" : "records");
            expect_all(what, in, n, &want);
        }
    }
    /* a sequence cut by the end of the input is ill-formed, not a
     * truncated record */
    for (i = 1; i <= 3; i++) {
        n = build(in, sizeof in, REC "\n" HEAD, "\xf0\x9f\x98\x80", i, "");
        memset(&want, 0, sizeof want);
        position_of(in, strlen(REC "\n" HEAD), &want);
        want.status = KVST_E_ENCODING;
        want.events = 1;
        expect_all("cut by the end of the input", in, n, &want);
    }
    /* ill-formed bytes in a key, and outside any string (a syntax error
     * there: no JSON token starts with them) */
    n = build(in, sizeof in, REC "\n{\"event", "\xed\xa0\x80", 3, "Name\":\"x\"}");
    memset(&want, 0, sizeof want);
    position_of(in, strlen(REC "\n{\"event"), &want);
    want.status = KVST_E_ENCODING;
    want.events = 1;
    expect_all("in a key", in, n, &want);
    n = build(in, sizeof in, REC "\n{\"eventName\":", "\xc3\xa9", 2, "}");
    position_of(in, strlen(REC "\n{\"eventName\":"), &want);
    want.status = KVST_E_SYNTAX;
    expect_all("outside a string", in, n, &want);
}

/* ---- item 2: lone surrogate escapes ------------------------------------------ */

typedef struct surrogate_case {
    const char *escaped; /* the eventName as written */
    const char *decoded; /* as read */
    size_t decoded_len;
    unsigned lone;       /* KVST_F_LONE_SURROGATE findings */
    size_t first_at;     /* the first one's backslash, from the name's start */
} surrogate_case;

#define FFFD "\xef\xbf\xbd"
#define S(esc, dec, lone, at) { esc, dec, sizeof dec - 1, lone, at }

static const surrogate_case surrogate_cases[] = {
    S("\\ud800", FFFD, 1, 0),
    S("\\udc00", FFFD, 1, 0),
    S("\\udbff", FFFD, 1, 0),
    S("\\udfff", FFFD, 1, 0),
    S("a\\ud800", "a" FFFD, 1, 1),
    S("\\ud800\\u0041", FFFD "A", 1, 0),
    S("\\ud800x", FFFD "x", 1, 0),
    S("\\ud800\\n", FFFD "\n", 1, 0),
    S("\\ud800\\ud800\\udc00", FFFD "\xf0\x90\x80\x80", 1, 0),
    S("\\udc00\\ud800", FFFD FFFD, 2, 0),
    S("\\ud83d\\ude00", "\xf0\x9f\x98\x80", 0, 0),
    S("\\uD83D\\uDE00", "\xf0\x9f\x98\x80", 0, 0),
    S("\\udbff\\udfff", "\xf4\x8f\xbf\xbf", 0, 0),
    S("\\ud7ff\\ue000", "\xed\x9f\xbf\xee\x80\x80", 0, 0),
    /* each third and fourth digit a surrogate may have, either case (the
     * tape's prefilter looks for them) */
    S("\\uD800", FFFD, 1, 0),
    S("\\uDFFF", FFFD, 1, 0),
    S("\\ud900", FFFD, 1, 0),
    S("\\uD9ff", FFFD, 1, 0),
    S("\\udA00", FFFD, 1, 0),
    S("\\uDBFF", FFFD, 1, 0),
    S("\\uDc00", FFFD, 1, 0),
    S("\\uDE00", FFFD, 1, 0),
    S("abc\\uDF00", "abc" FFFD, 1, 3),
    /* an escaped backslash before "ud800" is text, not an escape */
    S("\\\\ud800", "\\ud800", 0, 0),
    S("\\\\\\ud800", "\\" FFFD, 1, 2),
    S("\\u00e9\\u0000z", "\xc3\xa9\0z", 0, 0),
};

static void test_surrogates(void)
{
    unsigned char in[1024];
    size_t i, k, n;
    outcome want, at;

    for (i = 0; i < sizeof surrogate_cases / sizeof surrogate_cases[0]; i++) {
        const surrogate_case *c = &surrogate_cases[i];
        static const char *const pre[] = { "{\"Records\":[" REC ",\n" HEAD, REC "\n" HEAD };
        static const char *const post[] = { TAIL "]}", TAIL "\n" };
        for (k = 0; k < 2; k++) {
            n = build(in, sizeof in, pre[k], c->escaped, strlen(c->escaped), post[k]);
            memset(&want, 0, sizeof want);
            want.events = 2;
            memcpy(want.name, c->decoded, c->decoded_len);
            want.name_len = c->decoded_len;
            want.lone = c->lone;
            if (c->lone) {
                position_of(in, strlen(pre[k]) + c->first_at, &at);
                want.lone_offset = at.offset;
                want.lone_line = at.line;
                want.lone_column = at.column;
            }
            expect_all(c->escaped, in, n, &want);
        }
    }
}

/* A member kept only as raw bytes (additionalEventData) is decoded when
 * looked up: the same U+FFFD there. */
static int on_lookup(const kvst_event *ev, void *payload)
{
    kvst_value v;
    int *ok = (int *)payload;

    *ok = kvst_event_lookup(ev, "/additionalEventData/k", &v) == 0 &&
          v.json_type == KVST_JSON_STRING && v.text.len == 5 &&
          memcmp(v.text.ptr, FFFD "x\n", 5) == 0 &&
          kvst_event_lookup(ev, "/additionalEventData/p", &v) == 0 && v.text.len == 4 &&
          memcmp(v.text.ptr, "\xf0\x9f\x98\x80", 4) == 0;
    return 0;
}

static void test_lazy_lookup(void)
{
    static const char in[] = REC "\n{\"eventName\":\"x\",\"additionalEventData\":"
                             "{\"p\":\"\\ud83d\\ude00\",\"k\":\"\\ud800x\\n\"}}\n";
    kvst_parser_options opts = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    int ok = 0;

    opts.on_event = on_lookup;
    opts.payload = &ok;
    CHECK(kvst_parser_new(&opts, &p) == 0);
    CHECK(kvst_parser_feed(p, in, sizeof in - 1) == 0);
    CHECK(kvst_parser_finish(p) == 0);
    CHECK(ok);
    kvst_parser_free(p);
}

/* ---- a repeated "Records" key --------------------------------------------- */

/* The last occurrence wins as for every key: the later array's events are
 * read too, and the first of them carries the duplicate at the later key;
 * the earlier array's events were delivered before the key came. */
static void test_records_twice(void)
{
    static const struct {
        const char *pre, *post; /* around the later key */
        unsigned events, dup_events;
    } cases[] = {
        { "{\"Records\":[" REC "," REC "],\n  ", "\"Records\":[" REC "]}", 3, 1u << 2 },
        { "{\"Records\":[" REC "],", "\"Records\":[" REC ",\n" REC "]}", 3, 1u << 1 },
        { "{\"Records\":[],\"x\":1,", "\"Records\":[" REC "]}", 1, 1u << 0 },
        { "{\"Records\":[" REC "],\"Records\":[" REC "],", "\"Records\":[" REC "]}", 3,
          1u << 1 | 1u << 2 },
        /* an empty later array: no event to carry it */
        { "{\"Records\":[" REC "],", "\"Records\":[]}", 1, 0 },
    };
    unsigned char in[2048];
    size_t i, n;
    outcome want;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        n = build(in, sizeof in, cases[i].pre, cases[i].post, strlen(cases[i].post), "");
        memset(&want, 0, sizeof want);
        want.events = cases[i].events;
        if (want.events > 1) {
            want.name_len = strlen("ListStreams");
            memcpy(want.name, "ListStreams", want.name_len);
        }
        want.dup_events = cases[i].dup_events;
        if (want.dup_events) {
            outcome at;
            position_of(in, strlen(cases[i].pre), &at);
            want.dup_offset = at.offset;
            want.dup_line = at.line;
            want.dup_column = at.column;
        }
        expect_all("Records twice", in, n, &want);
    }
}

/* ---- item 8: every error at its offending byte ---------------------------- */

typedef struct lex_case {
    const char *what;
    const char *before; /* the line's text before the offending byte */
    const char *from;   /* the offending byte and what follows */
} lex_case;

static const lex_case lex_cases[] = {
    { "a comment", "", "/" },
    { "a comment in a record", "{\"eventName\":", "/x}" },
    { "a byte no token starts with", "", "@" },
    { "a literal's wrong letter", "{\"eventName\":tr", "xe}" },
    { "a literal cut by a comma", "{\"eventName\":nul", ",\"a\":1}" },
    { "a control byte in a string", "{\"eventName\":\"ab", "\x01\"}" },
    { "a new line in a string", "{\"eventName\":\"ab", "\n\"}" },
    { "an unknown escape", "{\"eventName\":\"ab\\", "q\"}" },
    { "a \\u escape's bad hex digit", "{\"eventName\":\"ab\\u12", "G4\"}" },
    { "no digit after a minus", "{\"eventName\":-", "x}" },
    { "no digit after a point", "{\"eventName\":1.", "x}" },
    { "no digit in an exponent", "{\"eventName\":1e+", "x}" },
    { "a value where a colon belongs", "{\"eventName\" ", "5}" },
    { "a second value", "{\"eventName\":5 ", "6}" },
    { "a leading zero", "{\"eventName\":0", "1}" },
    { "a bracket that does not close", "{\"eventName\":1", "]" },
    { "a trailing comma", "{\"eventName\":1,", "}" },
    { "an array after an event", "", "[1]" },
    /* The kind of each error is told from the bytes (tokenizer.c), not
     * from yajl's words: a whole token in the wrong place is at its start
     * (yajl's offset is past it, or near its start, or the chunk's), a
     * token that is not one at the byte where it goes wrong. */
    { "a string where a comma belongs", "{\"eventName\":5 ", "\"abcdef\":1}" },
    { "an escaped quote where a comma belongs", "{\"eventName\":5 ", "\"a\\\"b\\\\\":1}" },
    { "a \\u escape where a comma belongs", "{\"eventName\":5 ", "\"\\u0041bc\":1}" },
    { "a long string where a comma belongs", "{\"eventName\":5 ",
      "\"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
      "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz\":1}" },
    { "a string after an array element", "{\"eventName\":[5 ", "\"abc\"]}" },
    { "a string where a colon belongs", "{\"eventName\" ", "\"abc\"}" },
    { "a literal where a comma belongs", "{\"eventName\":5 ", "true}" },
    { "a literal after an array element", "{\"eventName\":[5 ", "null]}" },
    { "a number after a literal", "{\"eventName\":true", "-2}" },
    { "a number after a number", "{\"eventName\":0", "-0.0e-400}" },
    { "a long number where a comma belongs", "{\"eventName\":5 ",
      "123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890"
      "1234567890.5e+10}" },
    { "a number as a key", "{\"eventName\":1,", "25:1}" },
    { "a colon where a value belongs", "{\"eventName\":", ":1}" },
    { "a control byte after an escaped quote", "{\"eventName\":\"a\\\"", "\x02\"}" },
    { "an escape's wrong letter after a backslash", "{\"eventName\":\"a\\\\\\", "x\"}" },
    { "a \\u escape cut by a quote", "{\"eventName\":\"a\\u0", "\"}" },
    { "a literal's wrong letter at its end", "{\"eventName\":fals", "E}" },
    /* A separator where none may stand is the offender, whatever follows
     * it: yajl rejects it before it lexes the next byte, which a split may
     * not have fed yet (fuzz_parser, fuzz_recover, fuzz_gzip, fuzz_digest:
     * the byte after it was blamed when the input came whole). */
    { "a colon after a value, a bad byte after it", "{\"eventName\":5", ":@}" },
    { "a colon after a value, white space and a bad byte", "{\"eventName\":5 ", ":\r@}" },
    { "a colon in an array, a bad byte after it", "{\"eventName\":[1", ":@]}" },
    { "a comma after a key, a bad byte after it", "{\"eventName\"", ",@}" },
    { "a comma after a bracket, a bad byte after it", "{\"eventName\":[", ",@]}" },
    { "a comma after a brace, a bad byte after it", "{\"eventName\":{", ",@}}" },
    { "a comma between events, a bad byte after it", "", ",@" },
    { "a colon between events, a bad byte after it", "", ":\t@" },
    { "a colon after a comma, a bad byte after it", "{\"eventName\":1,", ":@}" },
    { "a second colon, a bad byte after it", "{\"eventName\":", ":@}" },
    { "a second comma, a bad byte after it", "{\"eventName\":[1,", ",@]}" },
};

static void test_positions(void)
{
    /* the offending byte on a later line, after a short line, after more
     * white space than the history holds, and 127, 128 and 129 bytes into
     * its line (some split puts the line's start exactly at the history's
     * edge) */
    static const size_t indents[] = { 0, 3, 126, 127, 128, 200 };
    unsigned char in[2048];
    char pre[1024];
    size_t i, j, n;
    outcome want;

    for (i = 0; i < sizeof lex_cases / sizeof lex_cases[0]; i++) {
        const lex_case *c = &lex_cases[i];
        for (j = 0; j < sizeof indents / sizeof indents[0]; j++) {
            char what[160];
            int len = snprintf(pre, sizeof pre, "%s\n%s%*s%s", REC, j == 5 ? "\n\n" : "",
                               (int)indents[j], "", c->before);
            n = build(in, sizeof in, pre, c->from, strlen(c->from), "");
            memset(&want, 0, sizeof want);
            position_of(in, (uint64_t)len, &want);
            want.status = KVST_E_SYNTAX;
            want.events = 1;
            snprintf(what, sizeof what, "%s, indent %zu", c->what, indents[j]);
            expect_all(what, in, n, &want);
        }
    }
}

/*
 * A number's missing digit when the number is longer than the cursor's
 * 128-byte history (fuzz_digest: 222 digits and an 'e' with a letter after
 * it was placed at the 'e' or at the letter by split): of 127, 128, 129 and
 * 222 digits, before a point, an exponent and a signed exponent with no
 * digit after it, and in a fraction, each at its offending byte for every
 * split, on the fast path and yajl's; a second point after a fraction's
 * digits ends the number, so there the point itself is the offender.
 */
static void test_long_numbers(void)
{
    static const size_t digits[] = { 127, 128, 129, 222 };
    static const struct {
        const char *lead, *tail; /* around the digits; the offender follows */
        int back;                /* 1: the tail's last byte is the offender */
    } kinds[] = {
        { "", ".", 0 }, { "", "e", 0 }, { "", "E-", 0 }, { "", "e+", 0 }, { "-", ".", 0 },
        { "0.", "e", 0 }, { "1.", "E+", 0 }, { "-0.", ".", 1 },
    };
    unsigned char in[2048];
    char pre[1024], num[300];
    size_t i, j;
    outcome want;

    for (i = 0; i < sizeof digits / sizeof digits[0]; i++) {
        memset(num, '9', digits[i]);
        num[digits[i]] = '\0';
        for (j = 0; j < sizeof kinds / sizeof kinds[0]; j++) {
            char what[160];
            int len = snprintf(pre, sizeof pre, "%s\n{\"eventName\":%s%s%s", REC, kinds[j].lead,
                               num, kinds[j].tail);
            size_t n = build(in, sizeof in, pre, "vent}", 5, "");
            memset(&want, 0, sizeof want);
            position_of(in, (uint64_t)len - (uint64_t)kinds[j].back, &want);
            want.status = KVST_E_SYNTAX;
            want.events = 1;
            snprintf(what, sizeof what, "%s%zu digits%s then a letter", kinds[j].lead, digits[i],
                     kinds[j].tail);
            expect_all(what, in, n, &want);
        }
    }
}

/*
 * A key that ends past the record limit. The record's bytes are kept only
 * up to the limit (and one), so such a key cannot be decoded again from
 * them (yajl's own decoding writes a lone low surrogate escape as the
 * ill-formed ED B8 80): the key fails as a value there does, at its end,
 * and the error's pointer names its object, not the key and not the key
 * before it. A key that ends at the limit or under it is kept, and the
 * value after it fails, its pointer naming the key as decoded (U+FFFD).
 * Fuzz finding fuzz_gzip-error-pointer-utf8-5aa402c4.
 */
typedef struct limit_outcome {
    int status;
    uint64_t offset, line, column;
    char pointer[128];
} limit_outcome;

static void limit_run(const char *in, size_t len, size_t cut, uint64_t limit, int fast,
                      limit_outcome *o)
{
    kvst_parser_options opts = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    const kvst_error *e;
    int rc;

    memset(o, 0, sizeof *o);
    opts.flags = KVST_FLAG_SINGLE_THREAD | (fast ? 0 : KVST_FLAG_NO_FASTLEX);
    opts.max_record_bytes = limit;
    if (kvst_parser_new(&opts, &p) != 0)
        exit(2);
    rc = kvst_parser_feed(p, in, cut);
    if (rc == 0 && cut < len)
        rc = kvst_parser_feed(p, in + cut, len - cut);
    if (rc == 0)
        rc = kvst_parser_finish(p);
    e = kvst_parser_error(p);
    o->status = rc;
    o->offset = e->offset;
    o->line = e->line;
    o->column = e->column;
    snprintf(o->pointer, sizeof o->pointer, "%.*s", (int)e->pointer.len, e->pointer.ptr);
    kvst_parser_free(p);
}

static void test_key_past_record_limit(void)
{
    static const char in[] = "{\"Records\":[\n"
                             "{\"eventVersion\":\"1.05\",\"userIdentity\":{\"type\":\"IAMUser\",\n"
                             " \"k\\ude00xx\":\"v\"},\"eventName\":\"A\"}]}";
    const char *rec = strchr(in, '\n') + 1, *key = strstr(in, "\"k\\ude00"),
               *val = strstr(in, ":\"v\"") + 1;
    const uint64_t key_len = sizeof "\"k\\ude00xx\"" - 1;
    const uint64_t key_end = (uint64_t)(key - rec) + key_len, key_at = (uint64_t)(key - in) + key_len,
                   val_at = (uint64_t)(val + 3 - in);
    const char *line3 = strchr(rec, '\n') + 1;
    static const char obj_ptr[] = "/userIdentity", key_ptr[] = "/userIdentity/k\xEF\xBF\xBDxx";
    int d, fast;

    for (d = -3; d <= 2; d++) {
        const uint64_t limit = key_end + (uint64_t)(int64_t)d;
        const int key_fails = d < 0;
        limit_outcome want, got;
        size_t cut;
        int bad = 0;

        memset(&want, 0, sizeof want);
        want.status = KVST_E_LIMIT;
        want.offset = key_fails ? key_at : val_at;
        want.line = 3;
        want.column = want.offset - (uint64_t)(line3 - in) + 1;
        strcpy(want.pointer, key_fails ? obj_ptr : key_ptr);
        for (fast = 0; fast < 2; fast++)
            for (cut = 0; cut <= sizeof in - 1; cut++) {
                limit_run(in, sizeof in - 1, cut, limit, fast, &got);
                runs++;
                if (got.status != want.status || got.offset != want.offset ||
                    got.line != want.line || got.column != want.column ||
                    strcmp(got.pointer, want.pointer) != 0) {
                    if (!bad++)
                        fprintf(stderr,
                                "key past the limit (limit = key's end %+d), cut %zu, fast %d: "
                                "status %d at %llu %llu:%llu '%s', want %d at %llu %llu:%llu "
                                "'%s'\n",
                                d, cut, fast, got.status, (unsigned long long)got.offset,
                                (unsigned long long)got.line, (unsigned long long)got.column,
                                got.pointer, want.status, (unsigned long long)want.offset,
                                (unsigned long long)want.line, (unsigned long long)want.column,
                                want.pointer);
                }
            }
        check_count++;
        check_failures += bad != 0;
    }
}

int main(void)
{
    test_utf8();
    test_surrogates();
    test_lazy_lookup();
    test_records_twice();
    test_positions();
    test_long_numbers();
    test_key_past_record_limit();
    printf("%lu runs\n", runs);
    return check_done("lexing");
}
