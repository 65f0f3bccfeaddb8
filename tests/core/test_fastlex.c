/*
 * The fast lexer (lib/fastlex.c) against yajl alone, white box: every input
 * gives the same log -- events, error with its place, statistics -- with
 * the fast lexer on and off (KVST_FLAG_NO_FASTLEX), fed whole and in pieces
 * of many sizes, in callback and pull mode, with and without recovery,
 * with small limits, and when the callback stops. The inputs: the fixtures
 * named on the command line, records made to hit every branch of the fast
 * lexer, and mutants of the first fixture. Also checks that the fast
 * lexer does take the plain records (else the comparison proves nothing).
 *
 * Usage: test_fastlex GEN_TRAIL_JSON [FIXTURE...]
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "textbuf.h"

typedef struct mode {
    uint32_t flags;
    int pull;
    int small_limits;
    size_t stop_at; /* callback: stop at this event (1-based), 0 never */
    int gzip;       /* feed the input gzip-compressed (the gzip stage then
                       hands it on in pieces) */
    size_t refuse;  /* the allocator refuses blocks of this size (0: none) */
} mode;

/* An allocator that refuses blocks of one size: both paths fail at the
 * same token when the size is one only the builder asks for. */
static void *refuse_malloc(size_t n, void *ctx)
{
    return n == *(const size_t *)ctx ? NULL : malloc(n);
}
static void *refuse_realloc(void *b, size_t n, void *ctx)
{
    return n == *(const size_t *)ctx ? NULL : realloc(b, n);
}
static void refuse_free(void *b, void *ctx)
{
    (void)ctx;
    free(b);
}

typedef struct run_ctx {
    textbuf *log;
    size_t stop_at, events;
} run_ctx;

/* The event's line, and what lookups find on its tape or in its raw
 * payloads (which the line does not show for other services' records). */
static void log_event(textbuf *log, const kvst_event *ev)
{
    static const char *const ptrs[] = {
        "/requestParameters", "/requestParameters/b/6/o", "/requestParameters/c",
        "/a", "/a/7", "/a/16/o", "/additionalEventData", "/p",
    };
    char line[512];
    size_t i;

    textbuf_add_event(log, ev, NULL);
    for (i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++) {
        kvst_value v;
        int rc = kvst_event_lookup(ev, ptrs[i], &v);
        snprintf(line, sizeof line, "  %s: %d %u %zu %.300s\n", ptrs[i], rc,
                 rc ? 0u : v.json_type, rc ? (size_t)0 : v.count,
                 rc || !v.text.ptr ? "" : v.text.ptr);
        textbuf_add(log, line, strlen(line));
    }
}

static int on_event(const kvst_event *ev, void *payload)
{
    run_ctx *r = (run_ctx *)payload;
    log_event(r->log, ev);
    r->events++;
    return r->stop_at && r->events == r->stop_at;
}

static int drain(kvst_parser *p, textbuf *log)
{
    const kvst_event *ev;
    int rc;
    while ((rc = kvst_parser_next(p, &ev)) == 1)
        log_event(log, ev);
    return rc < 0 ? rc : 0;
}

/* Feed in pieces of `chunk` bytes (0: whole); returns the fast lexer's
 * record count. */
static uint64_t run(const textbuf *plain, size_t chunk, int fast, const mode *m, textbuf *log)
{
    static textbuf gz = { 0, 0, 0 };
    const textbuf *in = plain;
    kvst_parser_options o = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    run_ctx r;
    size_t pos = 0;
    int rc = 0;
    uint64_t records = 0, bytes_in = 0, bytes_json = 0, fl;
    const kvst_error *e;
    char line[2048];

    if (m->gzip) {
        gz.len = 0;
        textbuf_gzip(&gz, plain->data, plain->len, 0);
        in = &gz;
    }
    memset(&r, 0, sizeof r);
    r.log = log;
    r.stop_at = m->stop_at;
    o.flags = m->flags | KVST_FLAG_SINGLE_THREAD;
    if (!m->pull) {
        o.on_event = on_event;
        o.payload = &r;
    }
    if (m->small_limits) {
        o.max_depth = 7;
        o.max_string_bytes = 40;
        o.max_record_bytes = 700;
    }
    if (!fast)
        o.flags |= KVST_FLAG_NO_FASTLEX;
    if (m->refuse) {
        o.allocator.malloc_fn = refuse_malloc;
        o.allocator.realloc_fn = refuse_realloc;
        o.allocator.free_fn = refuse_free;
        o.allocator.ctx = (void *)&m->refuse;
    }
    if (kvst_parser_new(&o, &p) != 0)
        exit(2);
    if (!chunk)
        chunk = in->len ? in->len : 1;
    while (pos < in->len && rc == 0) {
        size_t n = in->len - pos < chunk ? in->len - pos : chunk;
        rc = kvst_parser_feed(p, in->data + pos, n);
        pos += n;
        if (m->pull && rc == 0)
            rc = drain(p, log);
    }
    if (rc == 0)
        rc = kvst_parser_finish(p);
    if (m->pull && rc == 0)
        rc = drain(p, log);
    e = kvst_parser_error(p);
    kvst_parser_stats(p, &records, &bytes_in, &bytes_json);
    snprintf(line, sizeof line,
             "rc %d code %d offset %llu line %llu column %llu record %llu: %s | %s | %s | "
             "records %llu in %llu json %llu\n",
             rc, (int)e->code, (unsigned long long)e->offset, (unsigned long long)e->line,
             (unsigned long long)e->column, (unsigned long long)e->record_index,
             e->message.ptr, e->pointer.ptr, e->excerpt.ptr, (unsigned long long)records,
             (unsigned long long)bytes_in, (unsigned long long)bytes_json);
    textbuf_add(log, line, strlen(line));
    fl = p->fl_records;
    kvst_parser_free(p);
    return fl;
}

static unsigned long compared;

/* Same log both ways; returns the fast lexer's record count. */
static uint64_t compare(const char *what, const textbuf *in, size_t chunk, const mode *m)
{
    textbuf slow = { 0, 0, 0 }, fast = { 0, 0, 0 };
    uint64_t fl;

    CHECK(run(in, chunk, 0, m, &slow) == 0);
    fl = run(in, chunk, 1, m, &fast);
    compared++;
    check_count++;
    if (slow.len != fast.len || memcmp(slow.data, fast.data, slow.len) != 0) {
        size_t i = 0;
        while (i < slow.len && i < fast.len && slow.data[i] == fast.data[i])
            i++;
        fprintf(stderr,
                "%s (chunk %zu, flags %u, pull %d, limits %d, stop %zu): the logs differ "
                "at byte %zu\n  yajl: %.300s\n  fast: %.300s\n",
                what, chunk, m->flags, m->pull, m->small_limits, m->stop_at, i,
                slow.data + (i > 100 ? i - 100 : 0), fast.data + (i > 100 ? i - 100 : 0));
        check_failures++;
        if (getenv("TEST_FASTLEX_KEEP")) { /* keep the input to debug it */
            char name[64];
            FILE *f;
            snprintf(name, sizeof name, "fastlex-diff-%d.json", check_failures);
            if ((f = fopen(name, "wb")) != NULL) {
                fwrite(in->data, 1, in->len, f);
                fclose(f);
            }
        }
    }
    free(slow.data);
    free(fast.data);
    return fl;
}

static const mode modes[] = {
    { 0, 0, 0, 0, 0, 0 },
    { 0, 1, 0, 0, 0, 0 },
    { KVST_FLAG_RECOVER, 0, 0, 0, 0, 0 },
    { KVST_FLAG_KVS_ONLY | KVST_FLAG_KEEP_RAW, 0, 0, 0, 0, 0 },
    { 0, 0, 1, 0, 0, 0 },
    { KVST_FLAG_RECOVER, 0, 1, 0, 0, 0 },
    { 0, 0, 0, 2, 0, 0 },
    { 0, 0, 0, 0, 1, 0 },
    { KVST_FLAG_RECOVER, 1, 1, 0, 1, 0 },
};
#define GZIP_MODE 7
#define NMODES (sizeof modes / sizeof modes[0])

/* Every mode, whole and in pieces of several sizes. */
static void compare_all(const char *what, const textbuf *in)
{
    static const size_t chunks[] = { 0, 1, 2, 3, 7, 16, 61, 256, 4096 };
    size_t c, k;

    for (k = 0; k < NMODES; k++)
        for (c = 0; c < sizeof chunks / sizeof chunks[0]; c++)
            compare(what, in, chunks[c], &modes[k]);
}

static void add(textbuf *t, const char *s)
{
    textbuf_add(t, s, strlen(s));
}

/* {"Records":[GOOD, rec, GOOD]} and the record alone as the whole array. */
static const char good[] =
    "{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-03-01T00:00:00Z\","
    "\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"DescribeStream\","
    "\"awsRegion\":\"us-west-2\",\"eventID\":\"0d0f7a6e-3c51-4f3e-9a39-7c3d2f1f4b11\","
    "\"requestParameters\":{\"streamName\":\"cam-1\"},\"responseElements\":null}";

static void compare_record(const char *rec)
{
    textbuf t = { 0, 0, 0 };

    add(&t, "{\"Records\":[");
    add(&t, good);
    add(&t, ",");
    add(&t, rec);
    add(&t, ",");
    add(&t, good);
    add(&t, "]}");
    compare_all(rec, &t);
    t.len = 0;
    add(&t, "{\"Records\":[");
    add(&t, rec);
    add(&t, "]}\n");
    compare_all(rec, &t);
    free(t.data);
}

/* Records made to reach each way the fast lexer takes or gives up on a
 * record, and the bytes around records. */
static const char *const records[] = {
    /* escapes the fast lexer decodes, and those it leaves to yajl */
    "{\"eventVersion\":\"1.08\",\"userAgent\":\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\",\"eventSource\":\"s3.amazonaws.com\"}",
    "{\"eventVersion\":\"1.08\",\"k\\n\":\"v\",\"eventName\":\"x\\u00e9\\ud83d\\ude00\"}",
    "{\"eventVersion\":\"1.08\",\"eventName\":\"\\x\"}",
    "{\"eventVersion\":\"1.08\",\"eventName\":\"\\",
    /* not ASCII, valid and not */
    "{\"eventVersion\":\"1.08\",\"eventName\":\"caf\xc3\xa9\"}",
    "{\"eventVersion\":\"1.08\",\"eventName\":\"bad \xff\xfe\"}",
    "{\"eventVersion\":\"1.08\",\"userAgent\":\"\xe2\x82\xac \xf0\x9f\x98\x80 \xc3\xa9\\n\xe6\x97\xa5\",\"k\xc3\xa9\":1}",
    "{\"eventVersion\":\"1.08\",\"a\":\"overlong \xc0\x80 surrogate \xed\xa0\x80 high \xf7\xbf\xbf\xbf\"}",
    "{\"eventVersion\":\"1.08\",\"a\":\"lone \x80 continuation\"}",
    "{\"eventVersion\":\"1.08\",\"a\":\"cut \xe2\x82\"}",
    "{\"eventVersion\":\"1.08\",\"a\":\"five \xf8\x88\x80\x80\x80\"}",
    "{\"eventVersion\":\"1.08\",\"a\":\"at end \xf0\x9f\x98",
    "{\"eventVersion\":\"1.08\",\"eventName\":\"ctl \x01\"}",
    "{\"eventVersion\":\"1.08\",\"eventName\":\"tab \t\"}",
    /* numbers */
    "{\"eventVersion\":\"1.08\",\"n\":[0,-0,1,-12,3.25,-0.5e-3,1E+9,2e9,10.0E1]}",
    "{\"eventVersion\":\"1.08\",\"n\":01}",
    "{\"eventVersion\":\"1.08\",\"n\":1.}",
    "{\"eventVersion\":\"1.08\",\"n\":-}",
    "{\"eventVersion\":\"1.08\",\"n\":1e+}",
    "{\"eventVersion\":\"1.08\",\"n\":.5}",
    "{\"eventVersion\":\"1.08\",\"n\":+1}",
    "{\"eventVersion\":\"1.08\",\"n\":1x}",
    "{\"eventVersion\":\"1.08\",\"n\":123456789012345678901234567890123456789012345678901234567890}",
    /* literals */
    "{\"eventVersion\":\"1.08\",\"a\":true,\"b\":false,\"c\":null,\"d\":[true,false,null]}",
    "{\"eventVersion\":\"1.08\",\"a\":tru}",
    "{\"eventVersion\":\"1.08\",\"a\":nul,\"b\":1}",
    "{\"eventVersion\":\"1.08\",\"a\":falsey}",
    "{\"eventVersion\":\"1.08\",\"a\":truex}",
    /* structure */
    "{}",
    "{\"eventVersion\":\"1.08\",\"a\":{},\"b\":[],\"c\":[{}],\"d\":[[]],\"e\":{\"f\":{}}}",
    "{\"eventVersion\":\"1.08\",\"a\":[1,2,]}",
    "{\"eventVersion\":\"1.08\",\"a\":1,}",
    "{\"eventVersion\":\"1.08\",\"a\" 1}",
    "{\"eventVersion\":\"1.08\",\"a\":[1}",
    "{\"eventVersion\":\"1.08\",\"a\":{\"b\":1]}",
    "{\"eventVersion\":\"1.08\",1:2}",
    "{\"eventVersion\":\"1.08\",\"a\":1 \"b\":2}",
    "{\"eventVersion\":\"1.08\",\"a\":[[[[[[[[[[1]]]]]]]]]]}",
    "{\"eventVersion\":\"1.08\",\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":1}}}}}}}",
    "{\"eventVersion\":\"1.08\",\"eventSource\":\"s3.amazonaws.com\",\"requestParameters\":{\"a\":[1,{\"b\":\"c\\n\"}],\"d\":\"\\u0041\"},\"responseElements\":{\"x\":[]}}",
    "{\"eventVersion\":\"1.08\",\"additionalEventData\":{\"a\":[1,2,{\"b\":null}]},\"eventSource\":\"kinesisvideo.amazonaws.com\",\"requestParameters\":{\"streamName\":\"s\",\"n\":[1,2]}}",
    /* white space, good and not */
    " \t\r\n{ \"eventVersion\" : \"1.08\" ,\n\"a\" :\t[ 1 , 2 ] , \"b\" : { } }\r\n ",
    "{\"eventVersion\":\"1.08\",\f\"a\":1}",
    "{\"eventVersion\":\"1.08\",\v\"a\":1}",
    "{\"eventVersion\":\"1.08\",\x01\"a\":1}",
    /* long values against the small limits (40 bytes, 700 a record, depth 7) */
    "{\"eventVersion\":\"1.08\",\"a\":\"0123456789012345678901234567890123456789\"}",
    "{\"eventVersion\":\"1.08\",\"a\":\"01234567890123456789012345678901234567890\"}",
    "{\"eventVersion\":\"1.08\",\"a\":\"0123456789012345678901234567890123456\\n\\t\"}",
    "{\"eventVersion\":\"1.08\",\"0123456789012345678901234567890123456789x\":1}",
    "{\"eventVersion\":\"1.08\",\"a\":12345678901234567890123456789012345678901}",
    "{\"eventVersion\":\"1.08\",\"a\":\"0123456789012345678901234567890123\",\"b\":\"0123456789012345678901234567890123\","
    "\"c\":\"0123456789012345678901234567890123\",\"d\":\"0123456789012345678901234567890123\","
    "\"e\":\"0123456789012345678901234567890123\",\"f\":\"0123456789012345678901234567890123\","
    "\"g\":\"0123456789012345678901234567890123\",\"h\":\"0123456789012345678901234567890123\","
    "\"i\":\"0123456789012345678901234567890123\",\"j\":\"0123456789012345678901234567890123\","
    "\"k\":\"0123456789012345678901234567890123\",\"l\":\"0123456789012345678901234567890123\","
    "\"m\":\"0123456789012345678901234567890123\",\"n\":\"0123456789012345678901234567890123\"}",
    /* elements that are not records */
    "null",
    "1",
    "[]",
    "\"x\"",
};

/* records[UTF8_RECORD]: valid UTF-8 in keys and values */
#define UTF8_RECORD 6

/* Arrays and files whose shape is not one record after another. */
static const char *const files[] = {
    "{\"Records\":[]}",
    "{\"Records\":[ ]}",
    "{\"Records\":[\n]}\n",
    "{\"a\":1,\"Records\":[{\"eventVersion\":\"1.08\"}],\"b\":[{\"c\":1}]}",
    "{\"Records\":[{\"eventVersion\":\"1.08\"}]}{\"Records\":[{\"eventVersion\":\"1.08\"}]}",
    "{\"Records\":[{\"eventVersion\":\"1.08\"} {\"eventVersion\":\"1.08\"}]}",
    "{\"Records\":[{\"eventVersion\":\"1.08\"},]}",
    "{\"Records\":[,{\"eventVersion\":\"1.08\"}]}",
    "{\"Records\":[{\"eventVersion\":\"1.08\"}}",
    "{\"Records\":[{\"eventVersion\":\"1.08\"}",
    "{\"Records\":[{\"eventVersion\":\"1.08\"},",
    "{\"Records\":[{\"eventVersion\":\"1.08\"},{\"eventVer",
    "{\"Records\":{\"eventVersion\":\"1.08\"}}",
    "[{\"eventVersion\":\"1.08\"},{\"eventVersion\":\"1.08\"}]",
    "{\"eventVersion\":\"1.08\",\"x\":[{\"Records\":[1]}]}\n{\"eventVersion\":\"1.08\"}",
    "{\"x\":[[{\"a\":1}],{\"b\":[2]}],\"Records\":[{\"eventVersion\":\"1.08\"},{\"eventVersion\":\"1.09\"}]}",
    "{\"Records\":[{\"eventVersion\":\"1.08\",\"s\":\"}],[{\\\"\"},{\"eventVersion\":\"1.08\"}]}",
};

/* Deterministic mutants of base: a byte changed, dropped or doubled. */
static void compare_mutants(const textbuf *base, int count)
{
    static const char bytes[] = "{}[]\",:\\ \n0a-.eE\x80\xc3\f";
    uint32_t seed = 12345;
    textbuf t = { 0, 0, 0 };
    int i;

    for (i = 0; i < count; i++) {
        size_t at;
        seed = seed * 1103515245u + 12345u;
        at = (size_t)(seed >> 8) % base->len;
        t.len = 0;
        textbuf_add(&t, base->data, at);
        switch ((seed >> 4) % 3) {
        case 0:
            textbuf_add(&t, &bytes[(seed >> 16) % (sizeof bytes - 1)], 1);
            textbuf_add(&t, base->data + at + 1, base->len - at - 1);
            break;
        case 1:
            textbuf_add(&t, base->data + at + 1, base->len - at - 1);
            break;
        default:
            textbuf_add(&t, base->data + at, base->len - at);
            break;
        }
        compare("mutant", &t, 0, &modes[i % NMODES]);
        compare("mutant", &t, 1000 + (size_t)(seed % 5000), &modes[(i + 3) % NMODES]);
    }
    free(t.data);
}

/* The records of a log file as a top-level array, and as JSON Lines (one
 * record a line, CRLF every third line). */
static void reshape(const textbuf *trail, textbuf *array, textbuf *lines)
{
    const char *b = strchr(trail->data, '['), *e = strrchr(trail->data, ']'), *c;
    int depth = 0, in_str = 0, esc = 0, n = 0;

    if (!b || !e || e < b)
        exit(2);
    textbuf_add(array, b, (size_t)(e - b + 1));
    textbuf_add(array, "\n", 1);
    for (c = b + 1; c < e; c++) {
        if (in_str) {
            in_str = esc ? 1 : *c != '"';
            esc = !esc && *c == '\\';
        } else if (*c == '"') {
            in_str = 1;
        } else if (*c == '{' || *c == '[') {
            depth++;
        } else if (*c == '}' || *c == ']') {
            depth--;
        } else if (*c == ',' && depth == 0) {
            n++;
            textbuf_add(lines, n % 3 ? "\n" : "\r\n", n % 3 ? 1 : 2);
            continue;
        }
        textbuf_add(lines, c, 1);
    }
    textbuf_add(lines, "\n", 1);
}

/* {"Records":[rec]} under the small limits (mode 4): both ways give the
 * same log, and the fast lexer takes the record or not as taken says. */
static void limit_case(const char *what, const char *rec, uint64_t taken)
{
    textbuf t = { 0, 0, 0 };
    uint64_t fl;

    add(&t, "{\"Records\":[");
    add(&t, rec);
    add(&t, "]}");
    fl = compare(what, &t, 0, &modes[4]);
    if (fl != taken)
        fprintf(stderr, "%s: the fast lexer took %llu records, not %llu\n", what,
                (unsigned long long)fl, (unsigned long long)taken);
    CHECK_EQ(fl, taken);
    free(t.data);
}

/* A record of exactly n bytes (50 <= n < 1000): eventVersion, then
 * members "kN":"vvv" of at most 30 bytes a value, the last one sized to
 * make the length. */
static void record_of(textbuf *t, size_t n)
{
    size_t k = 0, left, fixed, v;
    char key[16];

    t->len = 0;
    add(t, "{\"eventVersion\":\"1.08\"");
    while ((left = n - 1 - t->len) > 0) {
        fixed = (size_t)snprintf(key, sizeof key, "k%zu", k++) + 6; /* ,"":"" */
        v = left - fixed; /* (the last member takes the rest) */
        if (v > 30)
            v = left - fixed - 30 >= fixed + 3 ? 30 : 20;
        add(t, ",\"");
        add(t, key);
        add(t, "\":\"");
        while (v--)
            textbuf_add(t, "v", 1);
        add(t, "\"");
    }
    add(t, "}");
}

/*
 * White space in each place JSON allows it in a record, of each of the
 * four kinds, one place at a time and in all of them at once: the fast
 * lexer takes the record (pass 1 looks for white space only where the
 * byte it expects is not), and the log is yajl's, with --kvs-only too
 * (where the top-level eventSource's and eventTime's values are found
 * past the white space after their ':'). A form feed is not white space
 * to JSON: the record is yajl's, which rejects it.
 */
static void test_white_space_taken(void)
{
    /* '_': a place for white space */
    static const char *const tmpl[] = {
        "{_\"eventVersion\"_:_\"1.08\"_,_\"eventSource\"_:_\"kinesisvideo.amazonaws.com\"_,"
        "_\"eventTime\"_:_\"2024-01-01T00:00:00Z\"_,_\"a\"_:_[_1_,_{_\"b\"_:_null_}_,_[_]_,_true_]_,"
        "_\"c\"_:_{_}_,_\"d\"_:_-1.5e3_}",
        "{_\"eventVersion\"_:_\"1.08\"_,_\"eventSource\"_:_\"s3.amazonaws.com\"_,"
        "_\"eventTime\"_:_\"2024-01-01T00:00:00Z\"_,_\"requestParameters\"_:_{_\"k\"_:_[_false_]_}_}",
    };
    static const char *const ws[] = { " ", "\t", "\n", "\r", "\r\n \t" };
    textbuf rec = { 0, 0, 0 }, t = { 0, 0, 0 };
    size_t k, w, place, places, i;

    for (k = 0; k < sizeof tmpl / sizeof tmpl[0]; k++) {
        for (places = 0, i = 0; tmpl[k][i]; i++)
            places += tmpl[k][i] == '_';
        for (w = 0; w < sizeof ws / sizeof ws[0]; w++) {
            for (place = 0; place <= places; place++) { /* places: all at once */
                size_t at = 0;
                uint64_t fl;
                rec.len = 0;
                for (i = 0; tmpl[k][i]; i++) {
                    if (tmpl[k][i] != '_')
                        textbuf_add(&rec, &tmpl[k][i], 1);
                    else if (at++ == place || place == places)
                        add(&rec, ws[w]);
                }
                t.len = 0;
                add(&t, "{\"Records\":[");
                textbuf_add(&t, rec.data, rec.len);
                add(&t, "]}");
                fl = compare("white space", &t, 0, &modes[0]);
                if (fl != 1)
                    fprintf(stderr, "white space %zu at place %zu of record %zu: taken %llu\n", w,
                            place, k, (unsigned long long)fl);
                CHECK_EQ(fl, 1);
                CHECK_EQ(compare("white space, kvs-only", &t, 0, &modes[3]), 1);
            }
        }
    }
    /* a form feed is no white space: each place, the record is yajl's */
    for (place = 0; place < 6; place++) {
        static const char *const ff[] = {
            "{\f\"eventVersion\":\"1.08\"}", "{\"eventVersion\"\f:\"1.08\"}",
            "{\"eventVersion\":\f\"1.08\"}", "{\"eventVersion\":\"1.08\"\f}",
            "{\"eventVersion\":\"1.08\",\"a\":[1\f]}", "{\"eventVersion\":\"1.08\",\"a\":[1,\f2]}",
        };
        t.len = 0;
        add(&t, "{\"Records\":[");
        add(&t, ff[place]);
        add(&t, "]}");
        CHECK_EQ(compare("form feed", &t, 0, &modes[0]), 0);
    }
    /* in a stream of events, a "Records" array after white space makes a
     * log file (yajl's), a "Records" string does not (the first event
     * is yajl's either way: it might have opened a log file) */
    for (w = 0; w < sizeof ws / sizeof ws[0]; w++) {
        static const struct {
            const char *value, *what;
            unsigned taken;
        } records[] = { { "[]", "Records array after white space", 0 },
                        { "\"[\"", "Records string after white space", 1 } };
        size_t v;
        for (v = 0; v < sizeof records / sizeof records[0]; v++) {
            t.len = 0;
            add(&t, "{\"eventVersion\":\"1.08\"}\n{\"eventVersion\":\"1.08\",\"Records\"");
            add(&t, ws[w]);
            add(&t, ":");
            add(&t, ws[w]);
            add(&t, records[v].value);
            add(&t, "}\n");
            CHECK_EQ(compare(records[v].what, &t, 0, &modes[0]), records[v].taken);
        }
    }
    free(rec.data);
    free(t.data);
}

/*
 * The entry conditions of pass 1 at their bounds (lib/fastlex.c's header):
 * a record the builder would refuse is left to yajl whole, one it would
 * take is taken. Small limits: depth 7, 40 bytes a string, 700 a record.
 */
static void test_entry_limits(void)
{
    textbuf t = { 0, 0, 0 };
    char rec[256];

    /* depth: in a Records array the record's '{' is at depth 3, so it may
     * nest 5 deep (one under, at, one over) */
    limit_case("depth 4", "{\"eventVersion\":\"1.08\",\"a\":[[[1]]]}", 1);
    limit_case("depth 5", "{\"eventVersion\":\"1.08\",\"a\":[[[[1]]]]}", 1);
    limit_case("depth 6", "{\"eventVersion\":\"1.08\",\"a\":[[[[[1]]]]]}", 0);
    /* a string's bytes, plain and with escapes (raw bytes; decoded,
     * 39 then 40: yajl takes the one the fast lexer leaves it) */
    snprintf(rec, sizeof rec, "{\"eventVersion\":\"1.08\",\"a\":\"%.39s\"}", "0123456789012345678901234567890123456789");
    limit_case("string 39", rec, 1);
    snprintf(rec, sizeof rec, "{\"eventVersion\":\"1.08\",\"a\":\"%.40s\"}", "0123456789012345678901234567890123456789");
    limit_case("string 40", rec, 1);
    snprintf(rec, sizeof rec, "{\"eventVersion\":\"1.08\",\"a\":\"%.41s\"}", "01234567890123456789012345678901234567890");
    limit_case("string 41", rec, 0);
    limit_case("escaped 39", "{\"eventVersion\":\"1.08\",\"a\":\"0123456789012345678901234567890123456\\n\"}", 1);
    limit_case("escaped 40", "{\"eventVersion\":\"1.08\",\"a\":\"01234567890123456789012345678901234567\\n\"}", 1);
    limit_case("escaped 41", "{\"eventVersion\":\"1.08\",\"a\":\"012345678901234567890123456789012345678\\n\"}", 0);
    limit_case("key 40", "{\"eventVersion\":\"1.08\",\"0123456789012345678901234567890123456789\":1}", 1);
    limit_case("key 41", "{\"eventVersion\":\"1.08\",\"01234567890123456789012345678901234567890\":1}", 0);
    limit_case("number 40", "{\"eventVersion\":\"1.08\",\"a\":1234567890123456789012345678901234567890}", 1);
    limit_case("number 41", "{\"eventVersion\":\"1.08\",\"a\":12345678901234567890123456789012345678901}", 0);
    /* the record's length */
    record_of(&t, 699);
    CHECK_EQ(t.len, 699);
    limit_case("record 699", t.data, 1);
    record_of(&t, 700);
    CHECK_EQ(t.len, 700);
    limit_case("record 700", t.data, 1);
    record_of(&t, 701);
    CHECK_EQ(t.len, 701);
    limit_case("record 701", t.data, 0);

    /* more tokens than the first room for them (256), default limits */
    {
        textbuf f = { 0, 0, 0 };
        int i;
        add(&f, "{\"Records\":[{\"eventVersion\":\"1.08\",\"n\":[");
        for (i = 0; i < 600; i++)
            add(&f, i ? ",1" : "1");
        add(&f, "]}]}");
        CHECK_EQ(compare("600 numbers", &f, 0, &modes[0]), 1);
        free(f.data);
    }
    /* between top-level events, a "Records" array makes the object a log
     * file: yajl's; a "Records" that is not an array does not */
    {
        textbuf f = { 0, 0, 0 };
        add(&f, "{\"eventVersion\":\"1.08\"}\n{\"eventVersion\":\"1.08\",\"Records\":[]}\n");
        CHECK_EQ(compare("Records array in a stream", &f, 0, &modes[0]), 0);
        compare_all("Records array in a stream", &f);
        f.len = 0; /* (the log file's own records are the fast lexer's again) */
        add(&f, "{\"eventVersion\":\"1.08\"}\n{\"eventVersion\":\"1.08\",\"Records\":[{\"eventVersion\":\"1.08\"}]}\n");
        CHECK_EQ(compare("Records array in a stream", &f, 0, &modes[0]), 1);
        compare_all("Records array in a stream", &f);
        f.len = 0;
        add(&f, "{\"eventVersion\":\"1.08\"}\n{\"eventVersion\":\"1.08\",\"Records\":{\"a\":[1]}}\n");
        CHECK_EQ(compare("Records object in a stream", &f, 0, &modes[0]), 1);
        compare_all("Records object in a stream", &f);
        free(f.data);
    }
    free(t.data);
}

/*
 * Pass 2's common tokens go straight into the builder's record
 * (kvst__builder_take); a token for which the record's nodes, its strings
 * or the builder's levels would have to grow goes through the callbacks,
 * which grow them. The room's bounds (256 nodes, 256 bytes of strings and
 * 16 levels at first, doubled) fall on each kind of token in turn: the
 * lead shifts the nodes' bound over the elements, the pad the strings'
 * bound over the bytes, the nesting the levels' bound, in the taped part
 * and in a payload kept as raw bytes (an S3 record's requestParameters,
 * with a repeated key); every record is taken by the fast lexer.
 */
static void test_builder_room(void)
{
    static const char *const kinds[] = {
        "\"s\"", "12", "1.5e3", "true", "false", "null", "{\"o\":\"p\"}", "[2]", "{}", "[]",
    };
    static const mode *const ms[] = { &modes[0], &modes[1], &modes[3], &modes[7] };
    /* ... and when the room cannot be had: the failure is reported at
     * the same token, with the same pointer, either way (the sizes of
     * the second node array and the second levels array, which nothing
     * else asks for). Fed whole: in pieces, a record the fast lexer holds
     * meets the failure in the feed that completes it (fastlex.c) */
    static const mode refuse_nodes = { 0, 0, 0, 0, 0, 512 * sizeof(kvst_node) };
    static const mode refuse_levels = { 0, 0, 0, 0, 0, 32 * sizeof(kvst_level) };
    textbuf t = { 0, 0, 0 };
    char num[32];
    size_t lead, pad, i, k, m, nest;

    for (lead = 0; lead < 12; lead++)
        for (pad = 0; pad < 24; pad += 1 + (lead & 1)) {
            t.len = 0;
            add(&t, "{\"Records\":[{\"eventVersion\":\"1.08\",\"eventSource\":\"s3.amazonaws.com\",\"p\":\"");
            for (i = 0; i < pad; i++)
                add(&t, "x");
            add(&t, "\",\"a\":[");
            for (i = 0; i < lead; i++)
                add(&t, i ? ",0" : "0");
            for (i = 0; i < 30; i++)
                for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
                    if (lead || i || k)
                        add(&t, ",");
                    add(&t, kinds[k]);
                }
            add(&t, "],\"requestParameters\":{\"b\":[");
            for (i = 0; i < 40; i++) {
                if (i)
                    add(&t, ",");
                add(&t, kinds[i % (sizeof kinds / sizeof kinds[0])]);
            }
            add(&t, "],\"c\":1,\"c\":2},\"eventName\":\"GetObject\"}]}");
            for (m = 0; m < sizeof ms / sizeof ms[0]; m++) {
                CHECK_EQ(compare("builder room", &t, 0, ms[m]), 1);
                compare("builder room", &t, 61, ms[m]);
            }
            compare("builder room refused", &t, 0, &refuse_nodes);
        }
    /* the levels: 16 at first; the record's '{' is at depth 3 */
    for (nest = 9; nest <= 16; nest++)
        for (k = 0; k < 2; k++) {
            t.len = 0;
            add(&t, "{\"Records\":[{\"eventVersion\":\"1.08\",\"eventSource\":\"s3.amazonaws.com\",");
            add(&t, k ? "\"requestParameters\":" : "\"a\":");
            for (i = 0; i < nest; i++)
                add(&t, i & 1 ? "{\"d\":" : "[");
            snprintf(num, sizeof num, "%zu", nest);
            add(&t, num);
            for (i = nest; i-- > 0;)
                add(&t, i & 1 ? "}" : "]");
            add(&t, ",\"eventName\":\"GetObject\"}]}");
            for (m = 0; m < sizeof ms / sizeof ms[0]; m++) {
                CHECK_EQ(compare("builder levels", &t, 0, ms[m]), 1);
                compare("builder levels", &t, 7, ms[m]);
            }
            compare("builder levels refused", &t, 0, &refuse_levels);
        }
    free(t.data);
}

/* How many of the builder's takes of in's tokens had the room for all
 * of them (kvst_parser.takes_roomy), fed whole. */
static uint64_t roomy_takes(const textbuf *in)
{
    kvst_parser_options o = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p;
    uint64_t n;

    o.flags = KVST_FLAG_SINGLE_THREAD;
    CHECK(kvst_parser_new(&o, &p) == 0);
    CHECK(kvst_parser_feed(p, in->data, in->len) == 0);
    CHECK(kvst_parser_finish(p) == 0);
    n = p->takes_roomy;
    kvst_parser_free(p);
    return n;
}

/*
 * A record after one that grew the room: the builder takes its tokens
 * without testing the room for each when all of them fit in what is
 * left (a bound from their bytes), and with the tests when they may not.
 * The second record's size walks across that bound one element at a
 * time -- each kind of token, the nodes' bound and the strings' -- and
 * each time the log is yajl's; both sides of the bound are met.
 */
static void test_builder_room_left(void)
{
    static const char *const kinds[] = { "true", "1", "\"s\"", "null", "{}", "false" };
    textbuf first = { 0, 0, 0 }, t = { 0, 0, 0 };
    size_t k, n, i, roomy_sizes, tight_sizes;
    uint64_t alone;

    /* the first record grows the nodes to 512 and the strings to 1 KiB */
    add(&first, "{\"eventVersion\":\"1.08\",\"a\":[");
    for (i = 0; i < 300; i++)
        add(&first, i ? ",1" : "1");
    add(&first, "],\"b\":\"");
    for (i = 0; i < 200; i++)
        add(&first, "y");
    add(&first, "\"}");
    t.len = 0;
    add(&t, "{\"Records\":[");
    textbuf_add(&t, first.data, first.len);
    add(&t, "]}");
    alone = roomy_takes(&t);
    for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        roomy_sizes = tight_sizes = 0;
        for (n = 0; n < 400; n += 3) {
            uint64_t both;
            t.len = 0;
            add(&t, "{\"Records\":[");
            textbuf_add(&t, first.data, first.len);
            add(&t, ",{\"eventVersion\":\"1.08\",\"a\":[");
            for (i = 0; i < n; i++) {
                if (i)
                    add(&t, ",");
                add(&t, kinds[k]);
            }
            add(&t, "]}]}");
            CHECK_EQ(compare("room left", &t, 0, &modes[0]), 2);
            compare("room left", &t, 0, &modes[3]);
            /* which way the second record's tokens went */
            both = roomy_takes(&t);
            CHECK(both == alone || both == alone + 1);
            if (both > alone)
                roomy_sizes++;
            else
                tight_sizes++;
        }
        fprintf(stderr, "room left, %s: %zu sizes taken without the tests, %zu with\n", kinds[k],
                roomy_sizes, tight_sizes);
        CHECK(roomy_sizes > 0);
        CHECK(tight_sizes > 0);
    }
    free(first.data);
    free(t.data);
}

int main(int argc, char **argv)
{
    textbuf trail = { 0, 0, 0 }, t = { 0, 0, 0 };
    size_t k;
    uint64_t fl;
    int i;

    if (argc < 2) {
        fprintf(stderr, "usage: test_fastlex GEN_TRAIL_JSON [FIXTURE...]\n");
        return 2;
    }
    textbuf_load(&trail, argv[1]);

    /* The fast lexer takes the plain records: all 40 when fed whole, and
     * most of them in 4 KiB pieces (a record cut by a piece's end goes to
     * yajl); none when it is off. */
    fl = compare("trail", &trail, 0, &modes[0]);
    fprintf(stderr, "gen-trail-40 whole: %llu of 40 records by the fast lexer\n",
            (unsigned long long)fl);
    CHECK(fl == 40);
    fl = compare("trail", &trail, 4096, &modes[0]);
    fprintf(stderr, "gen-trail-40 in 4 KiB pieces: %llu of 40\n", (unsigned long long)fl);
    CHECK(fl >= 20);

    /* gzip: the gzip stage hands a feed on in 16 KiB pieces; the record a
     * piece's end cuts is held and joined with the next piece, so the
     * fast lexer takes every record of a feed (here, 20 copies of the
     * trail, fed whole and in 64 KiB pieces) */
    {
        static const size_t pieces[] = { 0, 65536 };
        t.len = 0;
        textbuf_add(&t, "{\"Records\":[", 12);
        for (i = 0; i < 20; i++) {
            const char *b = strchr(trail.data, '[') + 1, *e = strrchr(trail.data, ']');
            if (i)
                textbuf_add(&t, ",", 1);
            textbuf_add(&t, b, (size_t)(e - b));
        }
        textbuf_add(&t, "]}\n", 3);
        for (k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
            fl = compare("trail x 20, gzip", &t, pieces[k], &modes[GZIP_MODE]);
            fprintf(stderr, "20 trails gzip in pieces of %zu: %llu of 800 records by the fast lexer\n",
                    pieces[k], (unsigned long long)fl);
            if (pieces[k] == 0)
                CHECK_EQ(fl, 800);
            else
                CHECK(fl >= 780); /* (a record cut by a feed's end goes to yajl) */
        }
    }

    /* log files one after another: the fast lexer takes up each */
    t.len = 0;
    textbuf_add(&t, trail.data, trail.len);
    textbuf_add(&t, trail.data, trail.len);
    fl = compare("two trails", &t, 0, &modes[0]);
    CHECK_EQ(fl, 80);

    /* ... and records with simple escapes and UTF-8 (records[0] and the
     * first UTF-8 one) */
    t.len = 0;
    add(&t, "{\"Records\":[");
    add(&t, records[0]);
    add(&t, ",");
    add(&t, records[UTF8_RECORD]);
    add(&t, "]}");
    fl = compare("escapes and UTF-8", &t, 0, &modes[0]);
    CHECK_EQ(fl, 2);

    /* The same records as a top-level array (all taken) and as JSON Lines
     * (all but the first: it might have opened a log file) */
    {
        textbuf array = { 0, 0, 0 }, lines = { 0, 0, 0 };
        reshape(&trail, &array, &lines);
        fl = compare("array", &array, 0, &modes[0]);
        CHECK_EQ(fl, 40);
        fl = compare("array", &array, 4096, &modes[0]);
        CHECK(fl >= 20);
        fl = compare("lines", &lines, 0, &modes[0]);
        CHECK_EQ(fl, 39);
        fl = compare("lines", &lines, 4096, &modes[0]);
        CHECK(fl >= 20);
        compare_all("array", &array);
        compare_all("lines", &lines);
        compare_mutants(&array, 150);
        compare_mutants(&lines, 150);
        free(array.data);
        free(lines.data);
    }

    for (i = 1; i < argc; i++) {
        t.len = 0;
        textbuf_load(&t, argv[i]);
        compare_all(argv[i], &t);
    }
    for (k = 0; k < sizeof records / sizeof records[0]; k++)
        compare_record(records[k]);
    for (k = 0; k < sizeof files / sizeof files[0]; k++) {
        t.len = 0;
        add(&t, files[k]);
        compare_all(files[k], &t);
    }
    test_entry_limits();
    test_white_space_taken();
    test_builder_room_left();
    test_builder_room();
    compare_mutants(&trail, 400);
    fprintf(stderr, "%lu comparisons\n", compared);
    free(trail.data);
    free(t.data);
    return check_done("test_fastlex");
}
