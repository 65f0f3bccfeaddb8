/*
 * The two gzip paths through the whole parser (public API): the same
 * events, in the same order, and the same error with the same location,
 * whether gzip is inflated on a worker thread (the default with two CPUs)
 * or on the caller's thread (KVST_FLAG_SINGLE_THREAD). Also checks that
 * the default really takes the worker when two CPUs are usable.
 *
 * Usage: test_gzip_parser GEN_TRAIL_JSON BROKEN_JSON
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"



typedef struct text {
    char *p;
    size_t n, cap;
} text;

static void text_add(text *t, const char *p, size_t n)
{
    if (t->n + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->n + n + 1)
            cap *= 2;
        t->p = (char *)realloc(t->p, cap);
        if (!t->p)
            exit(2);
        t->cap = cap;
    }
    memcpy(t->p + t->n, p, n);
    t->n += n;
    t->p[t->n] = '\0';
}

static void load(text *t, const char *path)
{
    char buf[65536];
    size_t n;
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        text_add(t, buf, n);
    fclose(f);
}

/* gzip of plain, one member per `member` plain bytes (0: one member). */
static void gzip_members(text *gz, const text *plain, size_t member)
{
    size_t pos = 0;
    if (!member)
        member = plain->n;
    while (pos < plain->n) {
        size_t n = plain->n - pos < member ? plain->n - pos : member;
        uLong bound;
        z_stream zs;
        char *out;
        memset(&zs, 0, sizeof zs);
        if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            exit(2);
        bound = deflateBound(&zs, (uLong)n);
        out = (char *)malloc(bound);
        if (!out)
            exit(2);
        zs.next_in = (Bytef *)plain->p + pos;
        zs.avail_in = (uInt)n;
        zs.next_out = (Bytef *)out;
        zs.avail_out = (uInt)bound;
        if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
            exit(2);
        text_add(gz, out, bound - zs.avail_out);
        deflateEnd(&zs);
        free(out);
        pos += n;
    }
}

typedef struct run_ctx {
    text *log;
    size_t stop_at; /* stop at this event (1-based), 0 = never */
    size_t events;
} run_ctx;

static int on_event(const kvst_event *ev, void *payload)
{
    run_ctx *r = (run_ctx *)payload;
    char small[4096];
    size_t need = kvst_event_to_json(ev, NULL, small, sizeof small);
    if (need < sizeof small) {
        text_add(r->log, small, need);
    } else {
        char *big = (char *)malloc(need + 1);
        if (!big)
            exit(2);
        kvst_event_to_json(ev, NULL, big, need + 1);
        text_add(r->log, big, need);
        free(big);
    }
    text_add(r->log, "\n", 1);
    r->events++;
    return r->stop_at && r->events == r->stop_at;
}

static int cpus_usable(void)
{
    return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

/* Parse in in chunk-byte pieces; log every event, then the outcome. */
static void run(const text *in, size_t chunk, uint32_t flags, uint64_t ratio,
                size_t stop_at, text *log)
{
    kvst_parser_options o = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    run_ctx r;
    size_t pos = 0;
    int rc = 0, fed = 0;
    uint64_t records = 0, bytes_in = 0, bytes_json = 0;
    const kvst_error *e;
    char line[1024];

    memset(&r, 0, sizeof r);
    r.log = log;
    r.stop_at = stop_at;
    o.flags = flags;
    o.on_event = on_event;
    o.payload = &r;
    o.max_inflate_ratio = ratio;
    if (kvst_parser_new(&o, &p) != 0)
        exit(2);
    while (pos < in->n && rc == 0) {
        size_t n = in->n - pos < chunk ? in->n - pos : chunk;
        rc = kvst_parser_feed(p, in->p + pos, n);
        pos += n;
        if (!fed++ && rc == 0 && in->n >= 2) {
            /* The path taken: the worker exactly when allowed and useful. */
            int want = !(flags & KVST_FLAG_SINGLE_THREAD) && cpus_usable() > 1;
            CHECK(kvst__input_threaded(p->input) == want);
        }
    }
    if (rc == 0)
        rc = kvst_parser_finish(p);
    e = kvst_parser_error(p);
    kvst_parser_stats(p, &records, &bytes_in, &bytes_json);
    snprintf(line, sizeof line,
             "rc %d code %d offset %llu line %llu column %llu record %llu: %s | "
             "records %llu in %llu json %llu\n",
             rc, (int)e->code, (unsigned long long)e->offset,
             (unsigned long long)e->line, (unsigned long long)e->column,
             (unsigned long long)e->record_index, e->message.ptr,
             (unsigned long long)records, (unsigned long long)bytes_in,
             (unsigned long long)bytes_json);
    text_add(log, line, strlen(line));
    kvst_parser_free(p);
}

/* Both paths give the same log; returns its last line (the outcome). */
static void compare(const char *what, const text *in, size_t chunk, uint64_t ratio,
                    uint32_t flags, size_t stop_at, const char *want_rc)
{
    text one = { 0, 0, 0 }, two = { 0, 0, 0 };
    const char *last;

    run(in, chunk, flags | KVST_FLAG_SINGLE_THREAD, ratio, stop_at, &one);
    run(in, chunk, flags, ratio, stop_at, &two);
    last = strrchr(one.p, '\n');
    while (last > one.p && last[-1] != '\n')
        last--;
    fprintf(stderr, "%s, chunk %zu: %s", what, chunk, last);
    if (one.n != two.n || memcmp(one.p, two.p, one.n) != 0) {
        fprintf(stderr, "  paths differ: one thread %zu bytes of log, two threads %zu\n",
                one.n, two.n);
        check_failures++;
    }
    if (strncmp(last, want_rc, strlen(want_rc)) != 0) {
        fprintf(stderr, "  expected \"%s...\"\n", want_rc);
        check_failures++;
    }
    free(one.p);
    free(two.p);
}

int main(int argc, char **argv)
{
    static const size_t chunks[] = { 4096, 65536, (size_t)1 << 30 };
    text trail = { 0, 0, 0 }, big = { 0, 0, 0 }, gz = { 0, 0, 0 };
    text broken = { 0, 0, 0 }, broken_gz = { 0, 0, 0 }, cut = { 0, 0, 0 };
    const char *body, *end;
    size_t k;
    int i;

    if (argc != 3) {
        fprintf(stderr, "usage: test_gzip_parser GEN_TRAIL_JSON BROKEN_JSON\n");
        return 2;
    }
    /* A log of 40 records, its records repeated 60 times: 3.4 MB. */
    load(&trail, argv[1]);
    body = strchr(trail.p, '[');
    end = strrchr(trail.p, ']');
    if (!body || !end || end < body)
        return 2;
    body++;
    text_add(&big, "{\"Records\":[", 12);
    for (i = 0; i < 60; i++) {
        if (i)
            text_add(&big, ",", 1);
        text_add(&big, body, (size_t)(end - body));
    }
    text_add(&big, "]}\n", 3);
    gzip_members(&gz, &big, 700000);
    fprintf(stderr, "%d CPU(s) online; input %zu bytes, %zu gzip\n", cpus_usable(),
            big.n, gz.n);

    for (k = 0; k < sizeof chunks / sizeof chunks[0]; k++)
        compare("whole", &gz, chunks[k], 0, 0, 0, "rc 0 ");
    compare("kvs only, raw", &gz, 65536, 0, KVST_FLAG_KVS_ONLY | KVST_FLAG_KEEP_RAW, 0, "rc 0 ");
    compare("callback stops", &gz, 65536, 0, 0, 1234, "rc -");
    compare("ratio limit 3", &gz, 65536, 3, 0, 0, "rc -");

    text_add(&cut, gz.p, gz.n / 2);
    compare("truncated", &cut, 65536, 0, 0, 0, "rc -");
    cut.n = 0;
    text_add(&cut, gz.p, gz.n);
    cut.p[gz.n * 2 / 3] ^= 0x40;
    compare("corrupt", &cut, 65536, 0, 0, 0, "rc -");
    cut.n = 0;
    text_add(&cut, gz.p, gz.n);
    text_add(&cut, "\x1f\x8b\x08\xe0", 4); /* a member with reserved flags */
    compare("bad member", &cut, 65536, 0, 0, 0, "rc -6 ");

    /* A syntax error, strict and in recovery mode. */
    load(&broken, argv[2]);
    gzip_members(&broken_gz, &broken, 1000);
    compare("broken, strict", &broken_gz, 512, 0, 0, 0, "rc -");
    compare("broken, recover", &broken_gz, 512, 0, KVST_FLAG_RECOVER, 0, "rc");

    free(trail.p);
    free(big.p);
    free(gz.p);
    free(broken.p);
    free(broken_gz.p);
    free(cut.p);
    if (!check_failures)
        printf("gzip paths through the parser: identical\n");
    return check_done("gzip_parser");
}
