/*
 * The fast lexer holds the start of a record that the end of the caller's
 * feed cuts until the next feed completes it (lib/fastlex.c, "Pieces and
 * feeds"), white box. Every run is compared with the fast lexer off
 * (KVST_FLAG_NO_FASTLEX): events, and after every feed its status and
 * kvst_parser_stats() (bytes_in and bytes_json among them), then finish's status and
 * the error with its place. And the fast lexer must have lexed the cut
 * record itself (p->fl_records), else the hold did not last:
 *
 *   - a log file cut at every byte by a first feed, the rest in a second,
 *     in several modes (pull, recovery, --kvs-only with raw bytes, small
 *     limits, gzip, a callback that stops);
 *   - the gzip stage failing in the feed after a record was held;
 *   - records with an error (a bad literal, number, escape, UTF-8 ...) at
 *     every cut: each error is returned by the same feed either way;
 *   - feeds of a few bytes (a record held across many feeds);
 *   - the bounds: a held start of FL_HOLD_MAX bytes, one under, one over;
 *     a record the next feed completes within FL_HOLD_MAX bytes, or not;
 *     a record over FL_MAX_SEGS feeds and one more; max_record_bytes at
 *     the held length, one under, one over, and a string that the end cuts
 *     longer than max_string_bytes;
 *   - kvst_parser_finish() with a record held.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "textbuf.h"

/* lib/fastlex.c's bounds */
#define HOLD_MAX (64u * 1024u)

typedef struct mode {
    uint32_t flags;
    int pull;
    int small_limits;
    size_t stop_at; /* callback: stop at this event (1-based), 0 never */
    int gzip;       /* the input gzip-compressed (cuts are of the compressed bytes) */
} mode;

typedef struct limits {
    uint64_t depth, string, record, ratio; /* 0: the default */
} limits;

typedef struct run_ctx {
    textbuf *log;
    size_t stop_at, events;
} run_ctx;

/* What a run saw of the fast lexer. */
typedef struct fast_seen {
    uint64_t records;  /* p->fl_records at the end */
    size_t held_after; /* p->fl_hold.len after the first feed */
    size_t hold_cap;   /* the room of the copy, at the end */
} fast_seen;


/* Every cut, or (KVSTRAIL_TEST_QUICK, the builds without the slow tests:
 * valgrind) every fifth: the exhaustive runs are the default build's. */
static size_t step = 1;

static int on_event(const kvst_event *ev, void *payload)
{
    run_ctx *r = (run_ctx *)payload;
    textbuf_add_event(r->log, ev, NULL);
    r->events++;
    return r->stop_at && r->events == r->stop_at;
}

static int drain(kvst_parser *p, textbuf *log)
{
    const kvst_event *ev;
    int rc;
    while ((rc = kvst_parser_next(p, &ev)) == 1)
        textbuf_add_event(log, ev, NULL);
    return rc < 0 ? rc : 0;
}

static void logf_(textbuf *log, const char *fmt, unsigned long long a, unsigned long long b,
                  unsigned long long c, unsigned long long d, unsigned long long e)
{
    char line[256];
    snprintf(line, sizeof line, fmt, a, b, c, d, e);
    textbuf_add(log, line, strlen(line));
}

/*
 * Feed in[0, cuts[0]), [cuts[0], cuts[1]) ... [cuts[n-1], len), then
 * finish; the log says each feed's status and statistics.
 */
static void run(const textbuf *in, const size_t *cuts, size_t ncuts, int fast, const mode *m,
                const limits *lim, textbuf *log, fast_seen *seen)
{
    kvst_parser_options o = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    run_ctx r;
    size_t pos = 0, i;
    int rc = 0;
    uint64_t records = 0, bytes_in = 0, bytes_json = 0;
    const kvst_error *e;
    char line[2048];

    memset(&r, 0, sizeof r);
    r.log = log;
    r.stop_at = m->stop_at;
    o.flags = m->flags | KVST_FLAG_SINGLE_THREAD * !m->gzip;
    if (!m->pull) {
        o.on_event = on_event;
        o.payload = &r;
    }
    if (m->small_limits) {
        o.max_depth = 7;
        o.max_string_bytes = 40;
        o.max_record_bytes = 700;
    }
    if (lim) {
        o.max_depth = lim->depth;
        o.max_string_bytes = lim->string;
        o.max_record_bytes = lim->record;
        o.max_inflate_ratio = lim->ratio;
    }
    if (!fast)
        o.flags |= KVST_FLAG_NO_FASTLEX;
    if (kvst_parser_new(&o, &p) != 0)
        exit(2);
    for (i = 0; i <= ncuts && rc == 0; i++) {
        size_t to = i < ncuts ? cuts[i] : in->len;
        rc = kvst_parser_feed(p, in->data + pos, to - pos);
        pos = to;
        if (m->pull && rc == 0)
            rc = drain(p, log);
        kvst_parser_stats(p, &records, &bytes_in, &bytes_json);
        logf_(log, "feed %llu: rc %lld, records %llu in %llu json %llu\n", i,
              (unsigned long long)rc, records, bytes_in, bytes_json);
        if (i == 0 && seen)
            seen->held_after = p->fl_hold.len;
    }
    if (rc == 0)
        rc = kvst_parser_finish(p);
    if (m->pull && rc == 0)
        rc = drain(p, log);
    e = kvst_parser_error(p);
    kvst_parser_stats(p, &records, &bytes_in, &bytes_json);
    snprintf(line, sizeof line,
             "finish: rc %d code %d offset %llu line %llu column %llu record %llu: %s | %s | %s | "
             "records %llu in %llu json %llu\n",
             rc, (int)e->code, (unsigned long long)e->offset, (unsigned long long)e->line,
             (unsigned long long)e->column, (unsigned long long)e->record_index,
             e->message.ptr, e->pointer.ptr, e->excerpt.ptr, (unsigned long long)records,
             (unsigned long long)bytes_in, (unsigned long long)bytes_json);
    textbuf_add(log, line, strlen(line));
    if (seen) {
        seen->records = p->fl_records;
        seen->hold_cap = p->fl_hold.cap;
    }
    kvst_parser_free(p);
}

static unsigned long compared;

/* The same log both ways; *seen: the fast lexer's run. */
static void compare(const char *what, const textbuf *in, const size_t *cuts, size_t ncuts,
                    const mode *m, const limits *lim, fast_seen *seen)
{
    textbuf slow = { 0, 0, 0 }, fast = { 0, 0, 0 };
    fast_seen s;

    run(in, cuts, ncuts, 0, m, lim, &slow, NULL);
    run(in, cuts, ncuts, 1, m, lim, &fast, &s);
    if (seen)
        *seen = s;
    compared++;
    check_count++;
    if (slow.len != fast.len || memcmp(slow.data, fast.data, slow.len) != 0) {
        size_t i = 0;
        while (i < slow.len && i < fast.len && slow.data[i] == fast.data[i])
            i++;
        fprintf(stderr,
                "%s (first cut %zu of %zu, flags %u, pull %d, limits %d, gzip %d): the logs "
                "differ at byte %zu\n  yajl: %.400s\n  fast: %.400s\n",
                what, ncuts ? cuts[0] : 0, ncuts, m->flags, m->pull, m->small_limits, m->gzip, i,
                slow.data + (i > 100 ? i - 100 : 0), fast.data + (i > 100 ? i - 100 : 0));
        check_failures++;
    }
    free(slow.data);
    free(fast.data);
}

static void add(textbuf *t, const char *s)
{
    textbuf_add(t, s, strlen(s));
}

/* Three records within the small limits (depth 7, 40 bytes a string, 700
 * a record), with what a cut may fall in: multi-byte UTF-8, escapes,
 * literals, numbers, nesting, white space; the second is not KVS's (skipped
 * under --kvs-only). */
static const char *const plain_records[] = {
    "{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-03-01T00:00:00Z\","
    "\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"DescribeStream\","
    "\"awsRegion\":\"us-west-2\",\"userAgent\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 a\\\"b\\n\","
    "\"requestParameters\":{\"streamName\":\"cam-\xe6\x97\xa5\",\"n\":[0,-12,3.25,-0.5e-3,1E+9]},"
    "\"responseElements\":null,\"readOnly\":true}",
    "{ \"eventVersion\" : \"1.08\" , \"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\n"
    "\"a\":[true,false,null,{\"b\":[[1]]}],\"readOnly\":false,\"k\xc3\xa9\":12345}",
    "{\"eventVersion\":\"1.09\",\"eventSource\":\"kinesisvideo.amazonaws.com\","
    "\"eventName\":\"GetDataEndpoint\",\"requestParameters\":{\"streamName\":\"s\","
    "\"aPIName\":\"GET_MEDIA\"},\"responseElements\":{\"dataEndpoint\":\"https://x\"}}",
};
#define NPLAIN (sizeof plain_records / sizeof plain_records[0])

static const mode modes[] = {
    { 0, 0, 0, 0, 0 },
    { 0, 1, 0, 0, 0 },
    { KVST_FLAG_RECOVER, 0, 0, 0, 0 },
    { KVST_FLAG_KVS_ONLY | KVST_FLAG_KEEP_RAW, 0, 0, 0, 0 },
    { 0, 0, 1, 0, 0 },
    { KVST_FLAG_RECOVER, 1, 1, 0, 0 },
    { KVST_FLAG_DIGESTS, 0, 0, 0, 1 },
    { 0, 0, 0, 2, 0 },
};
#define NMODES (sizeof modes / sizeof modes[0])

static void log_file(textbuf *t, const char *const *recs, size_t n)
{
    size_t i;

    t->len = 0;
    add(t, "{\"Records\":[");
    for (i = 0; i < n; i++) {
        if (i)
            add(t, ",");
        add(t, recs[i]);
    }
    add(t, "]}\n");
}

/* A log file cut at every byte by the first feed: the same log both ways,
 * and every record lexed fast (but where the callback stops). */
static void test_every_cut(void)
{
    textbuf t = { 0, 0, 0 }, gz = { 0, 0, 0 };
    size_t k, cut;
    unsigned long slow_ones = 0;

    log_file(&t, plain_records, NPLAIN);
    textbuf_gzip(&gz, t.data, t.len, 0);
    for (k = 0; k < NMODES; k++) {
        const textbuf *in = modes[k].gzip ? &gz : &t;
        for (cut = 0; cut <= in->len; cut += step) {
            fast_seen s;
            compare("every cut", in, &cut, 1, &modes[k], NULL, &s);
            if (!modes[k].stop_at && s.records != NPLAIN) {
                if (slow_ones++ < 5)
                    fprintf(stderr, "every cut: at %zu (mode %zu) the fast lexer took %llu of %zu records\n",
                            cut, k, (unsigned long long)s.records, NPLAIN);
                check_failures++;
            }
            check_count++;
        }
    }
    /* the first record yajl's (a \u escape), cut inside a character:
     * the piece after it fails (the callback stops) where yajl's count
     * stands past the character */
    {
        const char *recs[NPLAIN];
        char first[1024];
        snprintf(first, sizeof first, "{\"x\":\"\\u0041\",%s", plain_records[0] + 1);
        recs[0] = first;
        for (k = 1; k < NPLAIN; k++)
            recs[k] = plain_records[k];
        log_file(&t, recs, NPLAIN);
        for (cut = 0; cut <= t.len; cut += step) {
            compare("first record yajl's", &t, &cut, 1, &modes[0], NULL, NULL);
            compare("first record yajl's", &t, &cut, 1, &modes[7], NULL, NULL);
        }
    }
    free(t.data);
    free(gz.data);
}

/* The gzip stage fails (max_inflate_ratio, which applies past 1 MiB of
 * output: here white space, then records) in a feed after one whose end
 * left a record held: its error stands past the held bytes, as yajl
 * counts them. */
static void test_gzip_failure(void)
{
    static const mode gz_modes[] = { { 0, 0, 0, 0, 1 }, { KVST_FLAG_SINGLE_THREAD, 0, 0, 0, 1 } };
    textbuf t = { 0, 0, 0 }, gz = { 0, 0, 0 };
    limits lim = { 0, 0, 0, 20 };
    size_t i, k, cut;

    add(&t, "{\"Records\":[");
    for (i = 0; i < 1000000; i++)
        textbuf_add(&t, " ", 1);
    for (i = 0; i < 300; i++) {
        if (i)
            add(&t, ",");
        add(&t, plain_records[i % NPLAIN]);
    }
    add(&t, "]}\n");
    CHECK(t.len > 1024 * 1024);
    textbuf_gzip(&gz, t.data, t.len, 0);
    for (k = 0; k < 2; k++)
        for (cut = k; cut <= gz.len; cut += 3 * step) /* (each run inflates 1 MiB) */
            compare("gzip failure", &gz, &cut, 1, &gz_modes[k], &lim, NULL);
    free(t.data);
    free(gz.data);
}

/* Feeds of a few bytes: a record is held across many feeds (and given to
 * yajl after FL_MAX_SEGS of them). */
static void test_small_feeds(void)
{
    static const size_t sizes[] = { 1, 2, 3, 7, 16, 61, 256 };
    textbuf t = { 0, 0, 0 };
    size_t *cuts, n, k, i;

    log_file(&t, plain_records, NPLAIN);
    cuts = (size_t *)malloc(t.len * sizeof *cuts);
    if (!cuts)
        exit(2);
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (n = 0; (n + 1) * sizes[i] < t.len; n++)
            cuts[n] = (n + 1) * sizes[i];
        for (k = 0; k < NMODES; k++)
            if (!modes[k].gzip)
                compare("small feeds", &t, cuts, n, &modes[k], NULL, NULL);
    }
    /* 61-byte feeds hold no record over FL_MAX_SEGS of them: all fast */
    {
        fast_seen s;
        for (n = 0; (n + 1) * 61 < t.len; n++)
            cuts[n] = (n + 1) * 61;
        compare("61-byte feeds", &t, cuts, n, &modes[0], NULL, &s);
        CHECK_EQ(s.records, NPLAIN);
    }
    free(cuts);
    free(t.data);
}

/* Records with an error that a cut may come just before or after: yajl,
 * given the bytes in the first feed, would stop at it there. */
static const char *const bad_records[] = {
    "{\"eventVersion\":\"1.08\",\"a\":tx}",
    "{\"eventVersion\":\"1.08\",\"a\":trux}",
    "{\"eventVersion\":\"1.08\",\"a\":fa1se}",
    "{\"eventVersion\":\"1.08\",\"a\":nUll}",
    "{\"eventVersion\":\"1.08\",\"a\":truex}",
    "{\"eventVersion\":\"1.08\",\"a\":-x}",
    "{\"eventVersion\":\"1.08\",\"a\":1.x}",
    "{\"eventVersion\":\"1.08\",\"a\":1e+x}",
    "{\"eventVersion\":\"1.08\",\"a\":01}",
    "{\"eventVersion\":\"1.08\",\"a\":\"\\x\"}",
    "{\"eventVersion\":\"1.08\",\"a\":\"\\u00e9\"}",
    "{\"eventVersion\":\"1.08\",\"a\":\"\xe2\x82x\"}",
    "{\"eventVersion\":\"1.08\",\"a\":\"\xf0\x9f\x98\"}",
    "{\"eventVersion\":\"1.08\",\"a\":\"\xed\xa0\x80\"}",
    "{\"eventVersion\":\"1.08\",\"a\":\"\x01\"}",
    "{\"eventVersion\":\"1.08\",\f\"a\":1}",
    "{\"eventVersion\":\"1.08\",\"a\" 1}",
    "{\"eventVersion\":\"1.08\",\"a\":[1,]}",
    "{\"eventVersion\":\"1.08\",\"a\":{\"b\":1]}",
    "{\"eventVersion\":\"1.08\",1:2}",
    "{\"eventVersion\":\"1.08\",\"a\":[[[[[[[[1]]]]]]]]}",
    "{\"eventVersion\":\"1.08\",\"a\":\"0123456789012345678901234567890123456789x\"}",
    "{\"eventVersion\":\"1.08\",\"0123456789012345678901234567890123456789x\":1}",
};

static void test_errors_at_every_cut(void)
{
    static const mode some[] = {
        { 0, 0, 0, 0, 0 },
        { KVST_FLAG_RECOVER, 1, 0, 0, 0 },
        { 0, 0, 1, 0, 0 },
        { KVST_FLAG_RECOVER | KVST_FLAG_KVS_ONLY, 0, 1, 0, 0 },
    };
    textbuf t = { 0, 0, 0 };
    size_t i, k, cut;

    for (i = 0; i < sizeof bad_records / sizeof bad_records[0]; i++) {
        const char *recs[3];
        recs[0] = plain_records[2];
        recs[1] = bad_records[i];
        recs[2] = plain_records[2];
        log_file(&t, recs, 3);
        for (k = 0; k < sizeof some / sizeof some[0]; k++)
            for (cut = 0; cut <= t.len; cut += step)
                compare(bad_records[i], &t, &cut, 1, &some[k], NULL, NULL);
    }
    free(t.data);
}

/* {"Records":[{"eventVersion":"1.08","a":"vvv...v"}]} whose record is n
 * bytes long; *rec: where its '{' is. */
static void long_record(textbuf *t, size_t n, size_t *rec)
{
    static const char head[] = "{\"Records\":[", open[] = "{\"eventVersion\":\"1.08\",\"a\":\"";
    size_t v = n - (sizeof open - 1) - 2;

    t->len = 0;
    add(t, head);
    *rec = t->len;
    add(t, open);
    while (v--)
        textbuf_add(t, "v", 1);
    add(t, "\"}]}\n");
}

/* A held start of FL_HOLD_MAX bytes, one under (both lexed fast) and one
 * over (yajl's). */
static void test_hold_max(void)
{
    static const long d[] = { -1, 0, 1 };
    textbuf t = { 0, 0, 0 };
    size_t rec, cut, i;

    long_record(&t, HOLD_MAX + 100, &rec);
    for (i = 0; i < 3; i++) {
        fast_seen s;
        cut = rec + HOLD_MAX + (size_t)d[i];
        compare("held start at FL_HOLD_MAX", &t, &cut, 1, &modes[0], NULL, &s);
        CHECK_EQ(s.held_after, d[i] <= 0 ? HOLD_MAX + d[i] : 0);
        CHECK_EQ(s.records, d[i] <= 0 ? 1 : 0);
        compare("held start at FL_HOLD_MAX", &t, &cut, 1, &modes[3], NULL, NULL);
    }
    /* a short held start that the next feed completes only after many
     * bytes: lexed fast while they are at most FL_HOLD_MAX (the copy of
     * the feed is bounded), yajl's past that */
    for (i = 0; i < 4; i++) {
        static const size_t rest[] = { 4000, 20000, HOLD_MAX, HOLD_MAX + 1 };
        fast_seen s;
        long_record(&t, 100 + rest[i], &rec);
        cut = rec + 100;
        compare("a long rest in the next feed", &t, &cut, 1, &modes[0], NULL, &s);
        CHECK_EQ(s.held_after, 100);
        CHECK_EQ(s.records, rest[i] <= HOLD_MAX ? 1 : 0);
        CHECK(s.hold_cap < 4 * HOLD_MAX);
    }
    /* a next feed of 1 MiB and more is not copied whole */
    {
        fast_seen s;
        long_record(&t, 1024 * 1024, &rec);
        cut = rec + 100;
        compare("a long rest in the next feed", &t, &cut, 1, &modes[0], NULL, &s);
        CHECK_EQ(s.held_after, 100);
        CHECK_EQ(s.records, 0);
        CHECK(s.hold_cap < 4 * HOLD_MAX);
    }
    free(t.data);
}

/* A record over FL_MAX_SEGS feeds (lexed fast) and over one more (yajl's). */
static void test_max_segs(void)
{
    textbuf t = { 0, 0, 0 };
    size_t rec, cuts[FL_MAX_SEGS + 1], pieces, i;

    long_record(&t, 40 * (FL_MAX_SEGS + 1), &rec);
    for (pieces = FL_MAX_SEGS - 1; pieces <= FL_MAX_SEGS + 1; pieces++) {
        fast_seen s;
        /* the record starts in the first feed and ends in the last */
        for (i = 0; i + 1 < pieces; i++)
            cuts[i] = rec + 10 + 40 * i;
        compare("a record over FL_MAX_SEGS feeds", &t, cuts, pieces - 1, &modes[0], NULL, &s);
        CHECK_EQ(s.records, pieces <= FL_MAX_SEGS ? 1 : 0);
        compare("a record over FL_MAX_SEGS feeds", &t, cuts, pieces - 1, &modes[2], NULL, NULL);
    }
    free(t.data);
}

/*
 * max_record_bytes at the held length (the first feed ends just past a
 * string that ends there), one under (the string is past the limit: the
 * first feed's error, yajl's) and one over (the record's next token is:
 * the second feed's). And a string that the first feed's end cuts,
 * longer than max_string_bytes already: the second feed's error.
 */
static void test_limits_in_held_start(void)
{
    static const long d[] = { -1, 0, 1 };
    textbuf t = { 0, 0, 0 };
    size_t rec, cut, held, i;

    t.len = 0;
    add(&t, "{\"Records\":[");
    rec = t.len;
    add(&t, "{\"eventVersion\":\"1.08\",\"a\":\"0123456789012345678901234567890123456789\",");
    held = t.len - rec - 1; /* through the string's closing quote */
    add(&t, "\"b\":\"0123456789\",\"c\":1}]}\n");
    cut = rec + held;
    for (i = 0; i < 3; i++) {
        limits lim;
        fast_seen s;
        mode m0 = { 0, 0, 0, 0, 0 }, m1 = { KVST_FLAG_RECOVER, 1, 0, 0, 0 };
        textbuf log = { 0, 0, 0 };
        memset(&lim, 0, sizeof lim);
        lim.record = held + (size_t)d[i];
        compare("max_record_bytes at the held start", &t, &cut, 1, &m0, &lim, &s);
        compare("max_record_bytes at the held start", &t, &cut, 1, &m1, &lim, NULL);
        /* where the limit lets pass 1 wait, the start is held across */
        CHECK_EQ(s.held_after, d[i] >= 0 ? held : 0);
        CHECK_EQ(s.records, 0);
        /* the error is the first feed's only when the limit is under */
        run(&t, &cut, 1, 1, &m0, &lim, &log, NULL);
        textbuf_add(&log, "", 1);
        CHECK(strstr(log.data, d[i] < 0 ? "feed 0: rc -" : "feed 1: rc -") != NULL);
        free(log.data);
    }
    /* a string cut by the feed's end, already past max_string_bytes (40) */
    {
        limits lim = { 0, 40, 0, 0 };
        fast_seen s;
        t.len = 0;
        add(&t, "{\"Records\":[");
        rec = t.len;
        add(&t, "{\"eventVersion\":\"1.08\",\"a\":\"");
        for (i = 0; i < 300; i++)
            add(&t, "x");
        cut = t.len;
        add(&t, "\"}]}\n");
        compare("a cut string past max_string_bytes", &t, &cut, 1, &modes[0], &lim, &s);
        CHECK_EQ(s.held_after, cut - rec);
        lim.depth = 4; /* (the record's '{' is at depth 3) */
        compare("a cut string past max_string_bytes", &t, &cut, 1, &modes[2], &lim, NULL);
    }
    free(t.data);
}

/* kvst_parser_finish() with a record held: yajl reports the truncation
 * (or the cut UTF-8 sequence) as with the fast lexer off. */
static void test_finish_held(void)
{
    static const char *const inputs[] = {
        "{\"Records\":[{\"eventVersion\":\"1.08\",\"a\":[1,2",
        "{\"Records\":[{\"eventVersion\":\"1.08\",\"a\":\"caf\xc3",
        "{\"Records\":[{\"eventVersion\":\"1.08\"},{\"eventVersion\":\"1.08\",\"a\":tr",
        "{\"Records\":[{\"eventVersion\":\"1.08\"},{\"eventVersion\":\"1.08\",\"a\":12",
    };
    textbuf t = { 0, 0, 0 };
    size_t i, k, cut;

    for (i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        t.len = 0;
        add(&t, inputs[i]);
        for (k = 0; k < NMODES; k++)
            for (cut = 0; cut <= t.len; cut += step)
                compare(inputs[i], &t, &cut, 1, &modes[k], NULL, NULL);
        {
            fast_seen s;
            cut = t.len; /* one feed: the record is held when finish comes */
            compare(inputs[i], &t, &cut, 1, &modes[0], NULL, &s);
            CHECK(s.held_after > 0);
        }
    }
    free(t.data);
}

int main(void)
{
    if (getenv("KVSTRAIL_TEST_QUICK"))
        step = 5;
    test_every_cut();
    test_gzip_failure();
    test_small_feeds();
    test_errors_at_every_cut();
    test_hold_max();
    test_max_segs();
    test_limits_in_held_start();
    test_finish_held();
    fprintf(stderr, "%lu comparisons\n", compared);
    return check_done("test_hold");
}
