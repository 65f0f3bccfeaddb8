/*
 * Recovery's probe (lib/recovery.c probe_error), issue 13: in recovery
 * mode a broken record found while resynchronising is read again by the
 * probe, which places its error. That error must be the one strict mode
 * reports for the same record: the same code, and the offset, line and
 * column of the same offending byte, for each lexical error (a bad
 * literal, escape, number start, fraction, exponent, ill-formed UTF-8, a
 * control byte in a string) and each grammar error (a missing ',' or
 * ':', a ':' where a ',' belongs, an extra ',', a '}' or ']' that closes
 * nothing open, ...). And the good record after it is delivered.
 *
 * The expected place is what strict mode reports for the broken record
 * alone, moved by what stands before it; the recovery inputs are fed
 * whole and cut at every place, with the fast lexer and without it.
 * Recovery reaches the case's record in two ways: as the first record
 * (the tokenizer's error), and after an earlier broken record (the
 * probe's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kvstrail/kvstrail.h>

#include "check.h"

/* A good record, and a broken one that makes recovery resynchronise. */
#define GOOD                                                                     \
    "{\"eventVersion\":\"1.08\",\"eventSource\":\"kinesisvideo.amazonaws.com\","  \
    "\"eventName\":\"DescribeStream\",\"eventID\":\"good\"}"
#define FIRST "{\"eventVersion\":\"1.08\",\"eventName\":@}"

typedef struct place {
    int code;
    uint64_t offset, line, column;
} place;

typedef struct seen {
    unsigned broken, good;
    place err[4]; /* the broken records' errors, in order */
} seen;

static int on_event(const kvst_event *ev, void *payload)
{
    seen *s = (seen *)payload;

    if (ev->status != 0) {
        if (ev->error && s->broken < 4) {
            s->err[s->broken].code = ev->error->code;
            s->err[s->broken].offset = ev->error->offset;
            s->err[s->broken].line = ev->error->line;
            s->err[s->broken].column = ev->error->column;
        }
        s->broken++;
        return 0;
    }
    if (ev->event_id.len == 4 && memcmp(ev->event_id.ptr, "good", 4) == 0)
        s->good++;
    return 0;
}

/* Strict mode, in fed whole: the parser's error. */
static place strict_error(const char *in, size_t len, uint32_t flags)
{
    kvst_parser_options opts = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    const kvst_error *e;
    place out;
    int rc;

    opts.flags = KVST_FLAG_SINGLE_THREAD | flags;
    if (kvst_parser_new(&opts, &p) != 0)
        exit(2);
    rc = kvst_parser_feed(p, in, len);
    if (rc == 0)
        rc = kvst_parser_finish(p);
    e = kvst_parser_error(p);
    out.code = rc ? e->code : 0;
    out.offset = e->offset;
    out.line = e->line;
    out.column = e->column;
    kvst_parser_free(p);
    return out;
}

/* Recovery mode, in cut in two at cut (len: whole). 0, or the status. */
static int recover(const char *in, size_t len, size_t cut, uint32_t flags, seen *s)
{
    kvst_parser_options opts = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    int rc;

    memset(s, 0, sizeof *s);
    opts.flags = KVST_FLAG_SINGLE_THREAD | KVST_FLAG_RECOVER | flags;
    opts.on_event = on_event;
    opts.payload = s;
    if (kvst_parser_new(&opts, &p) != 0)
        exit(2);
    rc = kvst_parser_feed(p, in, cut);
    if (rc == 0 && cut < len)
        rc = kvst_parser_feed(p, in + cut, len - cut);
    if (rc == 0)
        rc = kvst_parser_finish(p);
    kvst_parser_free(p);
    return rc;
}

/* The broken records under test: each is an object with an event key
 * (so that recovery takes it for a record) and one error. */
static const struct {
    const char *what;
    const char *text;
} cases[] = {
    /* lexical */
    {"a bad literal", "{\"eventVersion\":tru@,\"eventName\":\"X\"}"},
    {"a bad literal, at its first letter", "{\"eventVersion\":nul}"},
    {"a bad literal of one letter", "{\"eventVersion\":f }"},
    {"a bad escape", "{\"eventVersion\":\"b\\q\"}"},
    {"a bad \\u escape", "{\"eventVersion\":\"b\\u12g4\"}"},
    {"a bad number start", "{\"eventVersion\":-x}"},
    {"a bad number start, a minus alone", "{\"eventVersion\":- 1}"},
    {"a bad fraction", "{\"eventVersion\":1.}"},
    {"a bad fraction, a letter", "{\"eventVersion\":12.e5}"},
    {"a bad exponent", "{\"eventVersion\":1e+}"},
    {"a bad exponent, a letter", "{\"eventVersion\":1Ex}"},
    {"a bad exponent, a sign alone", "{\"eventVersion\":25e-,\"a\":1}"},
    {"a byte no value starts with", "{\"eventVersion\":@}"},
    {"a control byte in a string", "{\"eventVersion\":\"a\tb\"}"},
    {"a control byte in a key", "{\"eventVersion\":\"1.08\",\"event\001Name\":\"X\"}"},
    {"ill-formed UTF-8 (a lone continuation byte)", "{\"eventVersion\":\"a\x80z\"}"},
    {"ill-formed UTF-8 (an overlong form)", "{\"eventVersion\":\"a\xc0\xafz\"}"},
    {"ill-formed UTF-8 (a surrogate)", "{\"eventVersion\":\"\xed\xa0\x80\"}"},
    {"ill-formed UTF-8 (F5)", "{\"eventVersion\":\"1.08\",\"eventName\":\"\xf5\x80\x80\x80\"}"},
    /* grammar */
    {"a missing ','", "{\"eventVersion\":\"1.08\" \"eventName\":\"X\"}"},
    {"a missing ':'", "{\"eventVersion\" \"1.08\"}"},
    {"a ':' where a ',' belongs", "{\"eventVersion\":\"1.08\":\"eventName\"}"},
    {"an extra ','", "{\"eventVersion\":\"1.08\",,\"eventName\":\"X\"}"},
    {"an extra ',' then a bad byte", "{\"eventVersion\":1,,@}"},
    {"a ',' before '}'", "{\"eventVersion\":\"1.08\",}"},
    {"a ',' before '}', with white space", "{\"eventVersion\":\"1.08\" ,\n  }"},
    {"a ']' that closes nothing", "{\"eventVersion\":\"1.08\"]"},
    {"a '}' after a key", "{\"eventVersion\"}"},
    {"a '}' after a ':'", "{\"eventVersion\":}"},
    {"a ']' in an array of a ',' too many", "{\"eventVersion\":\"1.08\",\"a\":[1,]}"},
    {"a key that is not a string", "{\"eventVersion\":\"1.08\",eventName:\"X\"}"},
    {"a key that is a number", "{\"eventVersion\":\"1.08\",\n 5:\"X\"}"},
    {"a ':' in an array", "{\"eventVersion\":\"1.08\",\"a\":[1:2]}"},
};

/* Check the broken record's error against want and that the good record
 * came; what names the case and the run in a failure. */
static void expect(const char *what, const char *how, size_t cut, uint32_t flags, int rc,
                   const seen *s, unsigned nth, const place *want)
{
    const place *got = &s->err[nth];

    check_count++;
    if (rc != 0 || s->broken != nth + 1 || s->good != 1 || got->code != want->code ||
        got->offset != want->offset || got->line != want->line || got->column != want->column) {
        check_failures++;
        fprintf(stderr,
                "%s (%s, cut %zu, %s): status %d, %u broken, %u good; error %d at %llu:%llu:%llu, "
                "want %d at %llu:%llu:%llu\n",
                what, how, cut, flags ? "yajl" : "fast lexer", rc, s->broken, s->good, got->code,
                (unsigned long long)got->offset, (unsigned long long)got->line,
                (unsigned long long)got->column, want->code, (unsigned long long)want->offset,
                (unsigned long long)want->line, (unsigned long long)want->column);
    }
}

static void test_case(const char *what, const char *text)
{
    static const uint32_t lexers[2] = {0, KVST_FLAG_NO_FASTLEX};
    char in[1024];
    size_t tlen = strlen(text), len, cut, pre;
    unsigned f;
    seen s;

    for (f = 0; f < 2; f++) {
        place alone = strict_error(text, tlen, lexers[f]), want;

        /* a broken record is one strict mode rejects with a syntax or an
         * encoding error */
        check_count++;
        if (alone.code != KVST_E_SYNTAX && alone.code != KVST_E_ENCODING) {
            check_failures++;
            fprintf(stderr, "%s: strict mode says %d\n", what, alone.code);
            continue;
        }
        /* the first record: the tokenizer's place */
        len = (size_t)snprintf(in, sizeof in, "%s\n%s\n", text, GOOD);
        for (cut = 0; cut <= len; cut++) {
            int rc = recover(in, len, cut, lexers[f], &s);
            expect(what, "first", cut, lexers[f], rc, &s, 0, &alone);
        }
        /* after a broken record: the probe's; the case's record starts a
         * line, so its column is the same */
        pre = strlen(FIRST) + 1;
        len = (size_t)snprintf(in, sizeof in, "%s\n%s\n%s\n", FIRST, text, GOOD);
        want = alone;
        want.offset += pre;
        want.line += 1;
        for (cut = 0; cut <= len; cut++) {
            int rc = recover(in, len, cut, lexers[f], &s);
            expect(what, "after a broken record", cut, lexers[f], rc, &s, 1, &want);
        }
    }
}

int main(void)
{
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        test_case(cases[i].what, cases[i].text);
    return check_done("test_probe");
}
