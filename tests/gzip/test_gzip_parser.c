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

#include "check.h"
#include "textbuf.h"

typedef struct run_ctx {
    textbuf *log;
    size_t stop_at; /* stop at this event (1-based), 0 = never */
    size_t events;
} run_ctx;

static int on_event(const kvst_event *ev, void *payload)
{
    run_ctx *r = (run_ctx *)payload;
    textbuf_add_event(r->log, ev, NULL);
    r->events++;
    return r->stop_at && r->events == r->stop_at;
}

static int cpus_usable(void)
{
    return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

/* Parse in in chunk-byte pieces; log every event, then the outcome. */
static void run(const textbuf *in, size_t chunk, uint32_t flags, uint64_t ratio,
                size_t stop_at, textbuf *log)
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
    while (pos < in->len && rc == 0) {
        size_t n = in->len - pos < chunk ? in->len - pos : chunk;
        rc = kvst_parser_feed(p, in->data + pos, n);
        pos += n;
        if (!fed++ && rc == 0 && in->len >= 2) {
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
    textbuf_add(log, line, strlen(line));
    kvst_parser_free(p);
}

/* Both paths give the same log; returns its last line (the outcome). */
static void compare(const char *what, const textbuf *in, size_t chunk, uint64_t ratio,
                    uint32_t flags, size_t stop_at, const char *want_rc)
{
    textbuf one = { 0, 0, 0 }, two = { 0, 0, 0 };
    const char *last;

    run(in, chunk, flags | KVST_FLAG_SINGLE_THREAD, ratio, stop_at, &one);
    run(in, chunk, flags, ratio, stop_at, &two);
    last = strrchr(one.data, '\n');
    while (last > one.data && last[-1] != '\n')
        last--;
    fprintf(stderr, "%s, chunk %zu: %s", what, chunk, last);
    if (one.len != two.len || memcmp(one.data, two.data, one.len) != 0) {
        fprintf(stderr, "  paths differ: one thread %zu bytes of log, two threads %zu\n",
                one.len, two.len);
        check_failures++;
    }
    if (strncmp(last, want_rc, strlen(want_rc)) != 0) {
        fprintf(stderr, "  expected \"%s...\"\n", want_rc);
        check_failures++;
    }
    free(one.data);
    free(two.data);
}

int main(int argc, char **argv)
{
    static const size_t chunks[] = { 4096, 65536, (size_t)1 << 30 };
    textbuf trail = { 0, 0, 0 }, big = { 0, 0, 0 }, gz = { 0, 0, 0 };
    textbuf broken = { 0, 0, 0 }, broken_gz = { 0, 0, 0 }, cut = { 0, 0, 0 };
    const char *body, *end;
    size_t k;
    int i;

    if (argc != 3) {
        fprintf(stderr, "usage: test_gzip_parser GEN_TRAIL_JSON BROKEN_JSON\n");
        return 2;
    }
    /* A log of 40 records, its records repeated 60 times: 3.4 MB. */
    textbuf_load(&trail, argv[1]);
    body = strchr(trail.data, '[');
    end = strrchr(trail.data, ']');
    if (!body || !end || end < body)
        return 2;
    body++;
    textbuf_add(&big, "{\"Records\":[", 12);
    for (i = 0; i < 60; i++) {
        if (i)
            textbuf_add(&big, ",", 1);
        textbuf_add(&big, body, (size_t)(end - body));
    }
    textbuf_add(&big, "]}\n", 3);
    textbuf_gzip(&gz, big.data, big.len, 700000);
    fprintf(stderr, "%d CPU(s) online; input %zu bytes, %zu gzip\n", cpus_usable(),
            big.len, gz.len);

    for (k = 0; k < sizeof chunks / sizeof chunks[0]; k++)
        compare("whole", &gz, chunks[k], 0, 0, 0, "rc 0 ");
    compare("kvs only, raw", &gz, 65536, 0, KVST_FLAG_KVS_ONLY | KVST_FLAG_KEEP_RAW, 0, "rc 0 ");
    compare("callback stops", &gz, 65536, 0, 0, 1234, "rc -");
    compare("ratio limit 3", &gz, 65536, 3, 0, 0, "rc -");

    textbuf_add(&cut, gz.data, gz.len / 2);
    compare("truncated", &cut, 65536, 0, 0, 0, "rc -");
    cut.len = 0;
    textbuf_add(&cut, gz.data, gz.len);
    cut.data[gz.len * 2 / 3] ^= 0x40;
    compare("corrupt", &cut, 65536, 0, 0, 0, "rc -");
    cut.len = 0;
    textbuf_add(&cut, gz.data, gz.len);
    textbuf_add(&cut, "\x1f\x8b\x08\xe0", 4); /* a member with reserved flags */
    compare("bad member", &cut, 65536, 0, 0, 0, "rc -6 ");

    /* A syntax error, strict and in recovery mode. */
    textbuf_load(&broken, argv[2]);
    textbuf_gzip(&broken_gz, broken.data, broken.len, 1000);
    compare("broken, strict", &broken_gz, 512, 0, 0, 0, "rc -");
    compare("broken, recover", &broken_gz, 512, 0, KVST_FLAG_RECOVER, 0, "rc");

    free(trail.data);
    free(big.data);
    free(gz.data);
    free(broken.data);
    free(broken_gz.data);
    free(cut.data);
    if (!check_failures)
        printf("gzip paths through the parser: identical\n");
    return check_done("gzip_parser");
}
