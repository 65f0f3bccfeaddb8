/*
 * Skipping records at the speed of the scan (lib/fastlex.c): a record the
 * fast lexer's pass 1 found whole whose top-level eventSource (the last
 * one) is not KVS's is not reported to the builder when delivery would
 * drop it (KVST_FLAG_KVS_ONLY, or a filter with actions), nor one whose
 * top-level eventTime is outside a filter's time window. White box: every
 * input gives the same log -- events, error with its place, statistics --
 * with the skip on and off (KVST_FLAG_NO_SKIP), fed whole and in pieces of
 * several sizes, in callback and pull mode, with recovery, raw bytes,
 * small limits, gzip, an action filter and a time window. The inputs: the files named on
 * the command line (a directory: each file in it, as it is and without
 * the fuzz targets' 4-byte header, under a fuzz/ directory), and records made for the boundaries
 * of the eventSource and eventTime tests, each checked to be skipped or
 * not as it should.
 *
 * Usage: test_skip GEN_TRAIL_JSON [FILE_OR_DIR...]
 */
#include "internal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "textbuf.h"

typedef struct mode {
    uint32_t flags;
    int pull;
    int small_limits;
    int filter; /* an action filter (DescribeStream) instead of KVS_ONLY */
    int gzip;
    int window; /* a filter's time window: since and until (window_since, _until) */
} mode;

/* The time window of the modes that have one (a record's eventTime must
 * be in it): for the corpora, 00:00:05 to 00:00:10 on the day the
 * generated trail starts, which it cuts through; the eventTime boundaries
 * set their own. WINDOW_NONE leaves that end open. */
#define WINDOW_NONE INT64_MIN
#define T0 INT64_C(1709251200000) /* 2024-03-01T00:00:00Z */
static int64_t window_since = T0 + 5000, window_until = T0 + 10000;

static const mode modes[] = {
    { KVST_FLAG_KVS_ONLY, 0, 0, 0, 0, 0 },
    { KVST_FLAG_KVS_ONLY, 1, 0, 0, 0, 0 },
    { KVST_FLAG_KVS_ONLY | KVST_FLAG_RECOVER | KVST_FLAG_KEEP_RAW, 0, 0, 0, 0, 0 },
    { KVST_FLAG_KVS_ONLY | KVST_FLAG_DIGESTS, 0, 1, 0, 0, 0 },
    { 0, 0, 0, 1, 0, 0 },
    { KVST_FLAG_RECOVER, 1, 0, 1, 0, 0 },
    { KVST_FLAG_KVS_ONLY, 0, 0, 0, 1, 0 },
    /* the time window, alone and with the rest */
    { 0, 0, 0, 0, 0, 1 },
    { KVST_FLAG_RECOVER, 1, 0, 0, 0, 1 },
    { KVST_FLAG_KVS_ONLY | KVST_FLAG_KEEP_RAW, 0, 1, 0, 0, 1 },
    { 0, 0, 0, 1, 1, 1 },
};
#define MODE_WINDOW 7 /* the window alone */
#define NMODES (sizeof modes / sizeof modes[0])

static int on_event(const kvst_event *ev, void *payload)
{
    textbuf_add_event((textbuf *)payload, ev, NULL);
    return 0;
}

static int drain(kvst_parser *p, textbuf *log)
{
    const kvst_event *ev;
    int rc;
    while ((rc = kvst_parser_next(p, &ev)) == 1)
        textbuf_add_event(log, ev, NULL);
    return rc < 0 ? rc : 0;
}

/* Parse in pieces of `chunk` bytes (0: whole), the log into log; returns
 * the records the fast lexer skipped. */
static uint64_t run(const textbuf *plain, size_t chunk, int skip, const mode *m, textbuf *log)
{
    static const uint32_t actions[] = { KVST_ACTION_DESCRIBE_STREAM };
    textbuf gz = { 0, 0, 0 };
    const textbuf *in = plain;
    kvst_parser_options o = KVST_PARSER_OPTIONS_INIT;
    kvst_filter f;
    kvst_parser *p = NULL;
    size_t pos = 0;
    int rc = 0;
    uint64_t records = 0, bytes_in = 0, bytes_json = 0, skipped;
    const kvst_error *e;
    char line[2048];

    if (m->gzip) {
        textbuf_gzip(&gz, plain->data, plain->len, 0);
        in = &gz;
    }
    o.flags = m->flags | KVST_FLAG_SINGLE_THREAD | (skip ? 0 : KVST_FLAG_NO_SKIP);
    if (!m->pull) {
        o.on_event = on_event;
        o.payload = log;
    }
    if (m->small_limits) {
        o.max_depth = 7;
        o.max_string_bytes = 40;
        o.max_record_bytes = 700;
    }
    memset(&f, 0, sizeof f);
    f.struct_size = sizeof f;
    if (m->filter) {
        f.actions = actions;
        f.action_count = 1;
        o.filter = &f;
    }
    if (m->window) {
        if (window_since != WINDOW_NONE) {
            f.flags |= KVST_FILTER_SINCE;
            f.since_ms = window_since;
        }
        if (window_until != WINDOW_NONE) {
            f.flags |= KVST_FILTER_UNTIL;
            f.until_ms = window_until;
        }
        o.filter = &f;
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
    skipped = p->fl_skipped;
    kvst_parser_free(p);
    free(gz.data);
    return skipped;
}

static unsigned long compared;
static uint64_t total_skipped;

/* The same log with the skip on and off; returns the records skipped. */
static uint64_t compare(const char *what, const textbuf *in, size_t chunk, const mode *m)
{
    textbuf off = { 0, 0, 0 }, on = { 0, 0, 0 };
    uint64_t n;

    CHECK(run(in, chunk, 0, m, &off) == 0);
    n = run(in, chunk, 1, m, &on);
    total_skipped += n;
    compared++;
    check_count++;
    if (off.len != on.len || memcmp(off.data, on.data, off.len) != 0) {
        size_t i = 0;
        while (i < off.len && i < on.len && off.data[i] == on.data[i])
            i++;
        fprintf(stderr,
                "%s (chunk %zu, flags %u, pull %d, limits %d, filter %d, gzip %d, window %d): "
                "the logs differ at byte %zu\n  read: %.300s\n  skip: %.300s\n",
                what, chunk, m->flags, m->pull, m->small_limits, m->filter, m->gzip, m->window, i,
                off.data + (i > 100 ? i - 100 : 0), on.data + (i > 100 ? i - 100 : 0));
        check_failures++;
    }
    free(off.data);
    free(on.data);
    return n;
}

/* Each mode, whole and in pieces of several sizes (KVSTRAIL_TEST_QUICK,
 * the builds without the slow tests -- valgrind --: not in the smallest
 * pieces, which the default build feeds). */
static int quick;

static void compare_all(const char *what, const textbuf *in)
{
    static const size_t chunks[] = { 0, 61, 509, 4096, 1, 7 };
    size_t c, k, nchunks = quick ? 4 : sizeof chunks / sizeof chunks[0];

    for (k = 0; k < NMODES; k++)
        for (c = 0; c < nchunks; c++)
            compare(what, in, chunks[c], &modes[k]);
}

static void add(textbuf *t, const char *s)
{
    textbuf_add(t, s, strlen(s));
}

static void compare_path(const char *path, int depth)
{
    struct stat st;
    textbuf t = { 0, 0, 0 };

    if (stat(path, &st) != 0) {
        perror(path);
        exit(2);
    }
    if (S_ISDIR(st.st_mode) && depth == 0) {
        DIR *d = opendir(path);
        struct dirent *de;
        char sub[4096];
        if (!d) {
            perror(path);
            exit(2);
        }
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
            compare_path(sub, 1);
        }
        closedir(d);
        return;
    }
    if (!S_ISREG(st.st_mode))
        return;
    textbuf_load(&t, path);
    compare_all(path, &t);
    if (strstr(path, "/fuzz/") && t.len > 4) { /* a fuzz input's body, without its header */
        textbuf body = { 0, 0, 0 };
        textbuf_add(&body, t.data + 4, t.len - 4);
        compare_all(path, &body);
        free(body.data);
    }
    free(t.data);
}

#define KVS "kinesisvideo.amazonaws.com"

/* The keys record() and record_time() write their members under: the
 * real ones, or for the boundaries of the key tests, a key one byte off
 * (which names no top-level eventSource or eventTime). */
static const char *source_key = "eventSource", *time_key = "eventTime";

/* Variant k of name one byte off (out has room for it and one more):
 * its last byte, its first byte, one shorter, one longer, capitalised.
 * 0 once k is past them. */
static int key_off_by_one(const char *name, int k, char *out, size_t cap)
{
    size_t n = strlen(name);

    if (k > 4 || n + 2 > cap)
        return 0;
    memcpy(out, name, n + 1);
    switch (k) {
    case 0: out[n - 1]++; break;
    case 1: out[0]++; break;
    case 2: out[n - 1] = '\0'; break;
    case 3: out[n] = 's'; out[n + 1] = '\0'; break;
    default: out[0] = (char)(out[0] - 'a' + 'A'); break;
    }
    return 1;
}

/* A record with eventSource members src (the JSON of their values, in
 * order), an eventName KVS knows and a payload. */
static void record(textbuf *t, const char *const *src, size_t n)
{
    size_t i;

    add(t, "{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-03-01T00:00:00Z\"");
    for (i = 0; i < n; i++) {
        add(t, ",\"");
        add(t, source_key);
        add(t, "\":");
        add(t, src[i]);
    }
    add(t, ",\"eventName\":\"DescribeStream\",\"awsRegion\":\"us-west-2\","
           "\"requestParameters\":{\"streamName\":\"cam-1\",\"eventSource\":\"x\"},"
           "\"responseElements\":null,\"eventID\":\"0d0f7a6e\"}");
}

/* A KVS record with eventTime members times (the JSON of their values,
 * in order; none when n is 0). */
static void record_time(textbuf *t, const char *const *times, size_t n)
{
    size_t i;

    add(t, "{\"eventVersion\":\"1.08\"");
    for (i = 0; i < n; i++) {
        add(t, ",\"");
        add(t, time_key);
        add(t, "\":");
        add(t, times[i]);
    }
    add(t, ",\"eventSource\":\"" KVS "\",\"eventName\":\"DescribeStream\","
           "\"awsRegion\":\"us-west-2\",\"requestParameters\":{\"streamName\":\"cam-1\","
           "\"eventTime\":\"x\"},\"responseElements\":null,\"eventID\":\"0d0f7a6e\"}");
}

/* One eventTime boundary: the record (eventTime members times), between
 * two records inside the window [since, until], in a log file, a
 * top-level array and a stream; skipped under the window or not. */
static void boundary_time(const char *what, int64_t since, int64_t until,
                          const char *const *times, size_t n, int skipped)
{
    static const char *const inside[] = { "\"2024-03-01T00:00:07Z\"" };
    static const char *const opens[] = { "{\"Records\":[", "[", "" };
    static const char *const seps[] = { ",", ",", "\n" };
    static const char *const closes[] = { "]}", "]", "\n" };
    int64_t keep_since = window_since, keep_until = window_until;
    textbuf t = { 0, 0, 0 };
    size_t shape;

    window_since = since;
    window_until = until;
    for (shape = 0; shape < 3; shape++) {
        uint64_t got;
        t.len = 0;
        add(&t, opens[shape]);
        record_time(&t, inside, 1);
        add(&t, seps[shape]);
        record_time(&t, times, n);
        add(&t, seps[shape]);
        record_time(&t, inside, 1);
        add(&t, closes[shape]);
        got = compare(what, &t, 0, &modes[MODE_WINDOW]);
        if (got != (uint64_t)skipped)
            fprintf(stderr, "%s (shape %zu): %llu records skipped, not %d\n", what, shape,
                    (unsigned long long)got, skipped);
        CHECK_EQ(got, (uint64_t)skipped);
        {
            mode plain = { 0, 0, 0, 0, 0, 0 };
            CHECK_EQ(compare(what, &t, 0, &plain), 0);
        }
        compare_all(what, &t);
    }
    window_since = keep_since;
    window_until = keep_until;
    free(t.data);
}

/* One boundary: the record, between two plain KVS records, in a log file,
 * a top-level array and a stream of events (the first event of a stream
 * goes to yajl: the record is the second); skipped (under KVS_ONLY) or
 * not as want says. */
static void boundary(const char *what, const char *const *src, size_t n, int skipped)
{
    static const char *const kvs[] = { "\"" KVS "\"" };
    static const char *const opens[] = { "{\"Records\":[", "[", "" };
    static const char *const seps[] = { ",", ",", "\n" };
    static const char *const closes[] = { "]}", "]", "\n" };
    textbuf t = { 0, 0, 0 };
    size_t shape;

    for (shape = 0; shape < 3; shape++) {
        uint64_t got;
        t.len = 0;
        add(&t, opens[shape]);
        record(&t, kvs, 1);
        add(&t, seps[shape]);
        record(&t, src, n);
        add(&t, seps[shape]);
        record(&t, kvs, 1);
        add(&t, closes[shape]);
        got = compare(what, &t, 0, &modes[0]);
        if (got != (uint64_t)skipped)
            fprintf(stderr, "%s (shape %zu): %llu records skipped, not %d\n", what, shape,
                    (unsigned long long)got, skipped);
        CHECK_EQ(got, (uint64_t)skipped);
        /* with the action filter too, and neither without either */
        CHECK_EQ(compare(what, &t, 0, &modes[4]), (uint64_t)skipped);
        {
            mode plain = { 0, 0, 0, 0, 0, 0 };
            CHECK_EQ(compare(what, &t, 0, &plain), 0);
        }
        compare_all(what, &t);
    }
    free(t.data);
}

int main(int argc, char **argv)
{
    static const char *const kvs[] = { "\"" KVS "\"" };
    static const char *const shorter[] = { "\"kinesisvideo.amazonaws.co\"" };
    static const char *const longer[] = { "\"kinesisvideo.amazonaws.comm\"" };
    static const char *const first[] = { "\"" KVS "\"", "\"s3.amazonaws.com\"" };
    static const char *const last[] = { "\"s3.amazonaws.com\"", "\"" KVS "\"" };
    static const char *const spaced[] = { "\" " KVS "\"" };
    static const char *const esc_kvs[] = { "\"\\t" KVS "\\n\"" };
    static const char *const esc_other[] = { "\"" KVS "\\/\"" };
    static const char *const u_esc[] = { "\"kinesisvideo\\u002eamazonaws.com\"" };
    static const char *const num[] = { "1" };
    static const char *const nul[] = { "null" };
    static const char *const obj[] = { "{\"a\":\"" KVS "\"}" };
    static const char *const arr[] = { "[\"" KVS "\"]" };
    static const char *const kvs_num[] = { "\"" KVS "\"", "2" };
    textbuf trail = { 0, 0, 0 }, t = { 0, 0, 0 };
    uint64_t n;
    int i;

    if (argc < 2) {
        fprintf(stderr, "usage: test_skip GEN_TRAIL_JSON [FILE_OR_DIR...]\n");
        return 2;
    }
    quick = getenv("KVSTRAIL_TEST_QUICK") != NULL;

    /* at, one under, one over; repeated (the last counts); escaped;
     * not a string */
    boundary("eventSource exactly KVS", kvs, 1, 0);
    boundary("eventSource one byte shorter", shorter, 1, 1);
    boundary("eventSource one byte longer", longer, 1, 1);
    boundary("eventSource KVS first, s3 last", first, 2, 1);
    boundary("eventSource s3 first, KVS last", last, 2, 0);
    boundary("eventSource KVS with a space", spaced, 1, 0);
    boundary("eventSource KVS with escaped white space", esc_kvs, 1, 0);
    boundary("eventSource KVS with an escaped '/'", esc_other, 1, 1);
    boundary("eventSource with a \\u escape (yajl's)", u_esc, 1, 0);
    boundary("eventSource a number", num, 1, 1);
    boundary("eventSource null", nul, 1, 1);
    boundary("eventSource an object", obj, 1, 1);
    boundary("eventSource an array", arr, 1, 1);
    boundary("eventSource KVS, then a number", kvs_num, 2, 1);
    boundary("no top-level eventSource", NULL, 0, 0);
    /* the key one byte off, first or last, shorter or longer: no
     * eventSource, so the s3 record is read */
    {
        static const char *const s3[] = { "\"s3.amazonaws.com\"" };
        char key[32], what[64];
        int k;
        for (k = 0; key_off_by_one("eventSource", k, key, sizeof key); k++) {
            snprintf(what, sizeof what, "an s3 record's source under \"%s\"", key);
            source_key = key;
            boundary(what, s3, 1, 0);
        }
        source_key = "eventSource";
    }

    /* the time window: at since and until (kept), a second before since
     * and after until, since one ms past the time and until one ms before
     * it (skipped); one end open; repeated (the last counts); not a valid
     * timestamp (format, calendar, escaped, a \u escape: yajl's); not a
     * string; none at the top level (read, then dropped) */
    {
        static const char *const at0[] = { "\"2024-03-01T00:00:00Z\"" };
        static const char *const at10[] = { "\"2024-03-01T00:00:10Z\"" };
        static const char *const before[] = { "\"2024-02-29T23:59:59Z\"" };
        static const char *const after[] = { "\"2024-03-01T00:00:11Z\"" };
        static const char *const in_out[] = { "\"2024-03-01T00:00:07Z\"",
                                              "\"2024-03-01T00:00:11Z\"" };
        static const char *const out_in[] = { "\"2024-03-01T00:00:11Z\"",
                                              "\"2024-03-01T00:00:07Z\"" };
        static const char *const no_z[] = { "\"2024-03-01T00:00:07\"" };
        static const char *const feb30[] = { "\"2024-02-30T00:00:07Z\"" };
        static const char *const escaped[] = { "\"2024-03-01T00:00:07Z\\/\"" };
        static const char *const u_esc[] = { "\"2024-03-01T00:00:07\\u005a\"" };
        static const char *const num[] = { "1709251207000" };
        static const char *const nul[] = { "null" };
        static const char *const arr[] = { "[\"2024-03-01T00:00:07Z\"]" };
        static const char *const in_num[] = { "\"2024-03-01T00:00:07Z\"", "7" };
        const int64_t S = T0, U = T0 + 10000;

        boundary_time("eventTime exactly since", S, U, at0, 1, 0);
        boundary_time("eventTime exactly until", S, U, at10, 1, 0);
        boundary_time("eventTime a second before since", S, U, before, 1, 1);
        boundary_time("eventTime a second after until", S, U, after, 1, 1);
        boundary_time("since one ms after eventTime", S + 1, U, at0, 1, 1);
        boundary_time("until one ms before eventTime", S, U - 1, at10, 1, 1);
        boundary_time("since only, eventTime before", S, WINDOW_NONE, before, 1, 1);
        boundary_time("since only, eventTime long after", S, WINDOW_NONE, after, 1, 0);
        boundary_time("until only, eventTime after", WINDOW_NONE, U, after, 1, 1);
        boundary_time("until only, eventTime long before", WINDOW_NONE, U, before, 1, 0);
        boundary_time("eventTime inside, then outside", S, U, in_out, 2, 1);
        boundary_time("eventTime outside, then inside", S, U, out_in, 2, 0);
        boundary_time("eventTime without its Z", S, U, no_z, 1, 1);
        boundary_time("eventTime on February 30", S, U, feb30, 1, 1);
        boundary_time("eventTime with an escape", S, U, escaped, 1, 1);
        boundary_time("eventTime with a \\u escape (yajl's)", S, U, u_esc, 1, 0);
        boundary_time("eventTime a number", S, U, num, 1, 1);
        boundary_time("eventTime null", S, U, nul, 1, 1);
        boundary_time("eventTime an array", S, U, arr, 1, 1);
        boundary_time("eventTime inside, then a number", S, U, in_num, 2, 1);
        boundary_time("no top-level eventTime", S, U, NULL, 0, 0);
        /* the key one byte off: no eventTime, so the record is read */
        {
            char key[32], what[64];
            int k;
            for (k = 0; key_off_by_one("eventTime", k, key, sizeof key); k++) {
                snprintf(what, sizeof what, "a time outside under \"%s\"", key);
                time_key = key;
                boundary_time(what, S, U, after, 1, 0);
            }
            time_key = "eventTime";
        }
    }

    /* the generated trail: its other services' records are skipped, all
     * of them when fed whole */
    textbuf_load(&trail, argv[1]);
    n = compare("trail", &trail, 0, &modes[0]);
    fprintf(stderr, "%s whole: %llu records skipped\n", argv[1], (unsigned long long)n);
    CHECK(n >= 10);
    compare_all(argv[1], &trail);

    /* a record that repeats the Records key's array first: skipped or
     * not, the repeat's place goes with a dropped record */
    t.len = 0;
    add(&t, "{\"Records\":[");
    record(&t, kvs, 1);
    add(&t, "],\"Records\":[");
    record(&t, longer, 1);
    add(&t, ",");
    record(&t, kvs, 1);
    add(&t, "]}");
    compare_all("repeated Records", &t);
    t.len = 0;
    add(&t, "{\"Records\":[");
    record(&t, kvs, 1);
    add(&t, "],\"Records\":[");
    record(&t, kvs, 1);
    add(&t, ",");
    record(&t, longer, 1);
    add(&t, "]}");
    compare_all("repeated Records", &t);

    for (i = 2; i < argc; i++)
        compare_path(argv[i], 0);
    fprintf(stderr, "%lu comparisons, %llu records skipped\n", compared,
            (unsigned long long)total_skipped);
    free(trail.data);
    free(t.data);
    return check_done("test_skip");
}
