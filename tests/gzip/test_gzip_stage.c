/*
 * White-box tests of the gzip stage (lib/gzip_stage.c): detection, plain
 * passthrough, single and multi-member inflate, every split, truncation,
 * corruption, trailing data, the ratio limit, allocation failure.
 *
 * Every test runs on the one-thread path and on the two-thread path
 * (forced, whatever the CPU count), with each inflater built in (zlib,
 * and ISA-L when the library has it), against the same expectations, so
 * all give the same bytes and the same errors at the same point; and
 * test_inflaters_agree() runs zlib and ISA-L side by side over truncated
 * and corrupted members.
 *
 * Inputs are made at test time with zlib's deflate, so no binary fixtures.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* sched_setaffinity: pretend to have one CPU */
#endif
#include "gzip_stage.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"

/* KVST_INPUT_THREADS_ONE or _TWO: the path every test runs on. */
static int mode = KVST_INPUT_THREADS_ONE;
static const char *mode_name(void)
{
    return mode == KVST_INPUT_THREADS_ONE ? "one thread" : "two threads";
}
/* KVST_INFLATE_ZLIB or _ISAL: the inflater every test runs with. */
static int inflater = KVST_INFLATE_ZLIB;
static const char *inflater_name(int which)
{
    return which == KVST_INFLATE_ZLIB ? "zlib" : "ISA-L";
}

/* 1 when the library has this inflater built in. */
static int have_inflater(int which)
{
    kvst_input *probe = NULL;
    kvst_alloc sys;
    int ok;

    kvst__alloc_init(&sys, NULL);
    if (kvst__input_new(&sys, 0, KVST_INPUT_THREADS_ONE, &probe) != 0)
        exit(2);
    ok = kvst__input_set_inflater(probe, which) == 0;
    kvst__input_free(probe);
    return ok;
}

/* A stage on this path with the current inflater. */
static int new_input(const kvst_alloc *a, uint64_t ratio, int threads, kvst_input **out)
{
    int rc = kvst__input_new(a, ratio, threads, out);
    if (rc == 0 && kvst__input_set_inflater(*out, inflater) != 0)
        exit(2);
    return rc;
}
/* The caller's allocator is not thread-safe: only the test's thread may
 * call it. */
static pthread_t main_thread;
static long foreign_allocs;



/* ---- a counting allocator that can fail the k-th allocation ---- */

typedef struct counting {
    long allocs, frees, fail_at; /* fail_at: 1-based, 0 = never */
    int failed;
    size_t live, peak;
} counting;

/* Each block carries its size in front so live bytes can be tracked. */
#define HDR 16

static void *c_malloc(size_t size, void *ctx)
{
    counting *c = (counting *)ctx;
    unsigned char *p;
    if (!pthread_equal(pthread_self(), main_thread))
        foreign_allocs++;
    if (c->fail_at && c->allocs + 1 == c->fail_at) {
        c->fail_at = 0;
        c->failed = 1;
        return NULL;
    }
    p = (unsigned char *)malloc(size + HDR);
    if (!p)
        return NULL;
    memcpy(p, &size, sizeof size);
    c->allocs++;
    c->live += size;
    if (c->live > c->peak)
        c->peak = c->live;
    return p + HDR;
}

static void c_free(void *ptr, void *ctx)
{
    counting *c = (counting *)ctx;
    size_t size;
    if (!ptr)
        return;
    if (!pthread_equal(pthread_self(), main_thread))
        foreign_allocs++;
    memcpy(&size, (unsigned char *)ptr - HDR, sizeof size);
    c->frees++;
    c->live -= size;
    free((unsigned char *)ptr - HDR);
}

static void *c_realloc(void *ptr, size_t size, void *ctx)
{
    void *n;
    size_t old;
    if (!ptr)
        return c_malloc(size, ctx);
    memcpy(&old, (unsigned char *)ptr - HDR, sizeof old);
    n = c_malloc(size, ctx);
    if (!n)
        return NULL;
    memcpy(n, ptr, old < size ? old : size);
    c_free(ptr, ctx);
    return n;
}

static kvst_alloc counting_alloc(counting *c)
{
    kvst_alloc a;
    memset(c, 0, sizeof *c);
    a.hooks.malloc_fn = c_malloc;
    a.hooks.realloc_fn = c_realloc;
    a.hooks.free_fn = c_free;
    a.hooks.ctx = c;
    return a;
}

/* ---- the downstream sink ---- */

#define SINK_SIZES 256

typedef struct sink {
    unsigned char *data;
    size_t len, cap;
    size_t calls;
    int keep;        /* 0: only count bytes (for the 50 MB bomb) */
    int fail_after;  /* return KVST_E_ABORTED on this call (1-based), 0 = never */
    size_t sizes[SINK_SIZES]; /* the first pieces' sizes */
    size_t biggest;  /* the largest piece (plain bytes go on as they came) */
} sink;

static int sink_out(void *ctx, const unsigned char *buf, size_t len)
{
    sink *s = (sink *)ctx;
    s->calls++;
    if (s->fail_after && (int)s->calls == s->fail_after)
        return KVST_E_ABORTED;
    if (len == 0)
        check_failures++, fprintf(stderr, "out() called with 0 bytes\n");
    if (s->calls <= SINK_SIZES)
        s->sizes[s->calls - 1] = len;
    if (len > s->biggest)
        s->biggest = len;
    if (s->keep) {
        if (s->len + len > s->cap) {
            size_t cap = s->cap ? s->cap : 4096;
            while (cap < s->len + len)
                cap *= 2;
            s->data = (unsigned char *)realloc(s->data, cap);
            if (!s->data) {
                fprintf(stderr, "test sink out of memory\n");
                exit(2);
            }
            s->cap = cap;
        }
        memcpy(s->data + s->len, buf, len);
    }
    s->len += len;
    return 0;
}

static void sink_reset(sink *s)
{
    free(s->data);
    memset(s, 0, sizeof *s);
    s->keep = 1;
}

/* ---- gzip members made with deflate ---- */

typedef struct bytes {
    unsigned char *p;
    size_t n;
} bytes;

/* The block behind b->p holds at least pow2(b->n + 1) bytes: growing by
 * doubling keeps make_text linear (quadratic is minutes under TSan). */
static size_t pow2_at_least(size_t n)
{
    size_t c = 64;
    while (c < n)
        c *= 2;
    return c;
}

static void bytes_append(bytes *b, const void *p, size_t n)
{
    if (!b->p || b->n + n + 1 > pow2_at_least(b->n + 1)) {
        b->p = (unsigned char *)realloc(b->p, pow2_at_least(b->n + n + 1));
        if (!b->p)
            exit(2);
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

/* Append one gzip member of data; name != NULL sets FNAME and a comment
 * too, so header parsing is exercised across splits. */
static void gzip_member(bytes *b, const void *data, size_t len, int level,
                        const char *name)
{
    z_stream zs;
    gz_header h;
    unsigned char out[16384];
    int zr;

    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        exit(2);
    if (name) {
        memset(&h, 0, sizeof h);
        h.name = (Bytef *)name;
        h.comment = (Bytef *)"made by test_gzip_stage";
        h.hcrc = 1;
        deflateSetHeader(&zs, &h);
    }
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)len;
    do {
        zs.next_out = out;
        zs.avail_out = sizeof out;
        zr = deflate(&zs, Z_FINISH);
        bytes_append(b, out, sizeof out - zs.avail_out);
    } while (zr == Z_OK);
    if (zr != Z_STREAM_END)
        exit(2);
    deflateEnd(&zs);
}

/* Deterministic text that compresses, but not to nothing. */
static void make_text(bytes *b, size_t len, unsigned seed)
{
    static const char *words[] = {
        "{\"eventName\":", "\"DescribeStream\"", ",\"awsRegion\":",
        "\"us-east-1\"", "kinesisvideo", ",", "streamARN", " ", "\n",
        "arn:aws:kinesisvideo:", "123456789012", "}"
    };
    unsigned x = seed * 2654435761u + 1u;
    while (b->n < len) {
        const char *w;
        size_t wl;
        x = x * 1103515245u + 12345u;
        w = words[(x >> 16) % (sizeof words / sizeof words[0])];
        wl = strlen(w);
        if (wl > len - b->n)
            wl = len - b->n;
        bytes_append(b, w, wl);
        if ((x >> 8) % 7 == 0) {
            char num[16];
            snprintf(num, sizeof num, "%u", x % 100000u);
            bytes_append(b, num, strlen(num) > len - b->n ? len - b->n : strlen(num));
        }
    }
}

/* ---- running the stage ---- */

/* Feed input in pieces cut at cuts[0..ncuts) (increasing positions), then
 * finish. Returns the first non-zero status. */
static int run_cuts(const kvst_alloc *a, uint64_t ratio, const unsigned char *in,
                    size_t len, const size_t *cuts, size_t ncuts, sink *s,
                    int *is_gzip, uint64_t *bytes_in)
{
    kvst_input *st;
    size_t pos = 0, i;
    int rc = new_input(a, ratio, mode, &st);
    if (rc != 0)
        return rc;
    for (i = 0; i <= ncuts && rc == 0; i++) {
        size_t end = i < ncuts ? cuts[i] : len;
        rc = kvst__input_feed(st, in + pos, end - pos, sink_out, s);
        pos = end;
    }
    if (rc == 0)
        rc = kvst__input_finish(st, sink_out, s);
    if (is_gzip)
        *is_gzip = kvst__input_is_gzip(st);
    if (bytes_in)
        *bytes_in = kvst__input_bytes_in(st);
    kvst__input_free(st);
    return rc;
}

/* Feed in chunks of a fixed size. */
static int run_chunked(const kvst_alloc *a, uint64_t ratio, const unsigned char *in,
                       size_t len, size_t chunk, sink *s, kvst_input **keep)
{
    kvst_input *st;
    size_t pos = 0;
    int rc = new_input(a, ratio, mode, &st);
    if (rc != 0)
        return rc;
    while (pos < len && rc == 0) {
        size_t n = len - pos < chunk ? len - pos : chunk;
        rc = kvst__input_feed(st, in + pos, n, sink_out, s);
        pos += n;
    }
    if (rc == 0)
        rc = kvst__input_finish(st, sink_out, s);
    if (keep)
        *keep = st;
    else
        kvst__input_free(st);
    return rc;
}

static int same(const sink *s, const bytes *want)
{
    return s->len == want->n && (want->n == 0 || memcmp(s->data, want->p, want->n) == 0);
}

/* ---- tests ---- */

static void test_plain(void)
{
    static const char *inputs[] = { "{\"Records\":[]}", "x", "\x1f", "\x1f\x78" /* 0x1f then x */,
                                    "\x8b\x1f", "\x1f\x1f\x8b" };
    counting c;
    kvst_alloc a = counting_alloc(&c);
    size_t i, cut;
    sink s;

    for (i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        const unsigned char *in = (const unsigned char *)inputs[i];
        size_t len = strlen(inputs[i]);
        bytes want = { (unsigned char *)inputs[i], len };
        for (cut = 0; cut <= len; cut++) {
            int gz = -1;
            uint64_t bin = 0;
            memset(&s, 0, sizeof s);
            sink_reset(&s);
            CHECK_EQ(run_cuts(&a, 1000, in, len, &cut, 1, &s, &gz, &bin), 0);
            CHECK(same(&s, &want));
            CHECK_EQ(gz, 0);
            CHECK_EQ(bin, len);
            sink_reset(&s);
        }
    }
    /* Empty input: nothing out, no error. */
    memset(&s, 0, sizeof s);
    sink_reset(&s);
    CHECK_EQ(run_cuts(&a, 1000, (const unsigned char *)"", 0, NULL, 0, &s, NULL, NULL), 0);
    CHECK_EQ(s.len, 0);
    CHECK_EQ(s.calls, 0);
    sink_reset(&s);
    /* Plain input allocates nothing beyond the stage itself. */
    CHECK_EQ(c.allocs, c.frees);
    free(s.data);
}

static void test_single_and_multi(void)
{
    counting c;
    kvst_alloc a = counting_alloc(&c);
    bytes text = { 0, 0 }, gz = { 0, 0 }, all = { 0, 0 }, multi = { 0, 0 };
    sink s;
    int is_gz = 0, m;
    uint64_t bin = 0;

    /* Larger than the 64 KiB output buffer, so out() runs several times. */
    make_text(&text, 300000, 1);
    gzip_member(&gz, text.p, text.n, 6, NULL);
    memset(&s, 0, sizeof s);
    sink_reset(&s);
    CHECK_EQ(run_cuts(&a, 1000, gz.p, gz.n, NULL, 0, &s, &is_gz, &bin), 0);
    CHECK(same(&s, &text));
    CHECK_EQ(is_gz, 1);
    CHECK_EQ(bin, gz.n);
    CHECK(s.calls >= 300000 / (64 * 1024));

    for (m = 0; m < 3; m++) {
        bytes part = { 0, 0 };
        make_text(&part, 50000 + 1000 * (size_t)m, 10u + (unsigned)m);
        bytes_append(&all, part.p, part.n);
        gzip_member(&multi, part.p, part.n, m * 4 + 1, m == 1 ? "member2.json" : NULL);
        free(part.p);
    }
    sink_reset(&s);
    CHECK_EQ(run_cuts(&a, 1000, multi.p, multi.n, NULL, 0, &s, &is_gz, &bin), 0);
    CHECK(same(&s, &all));
    CHECK_EQ(bin, multi.n);
    sink_reset(&s);
    /* Large chunks and small ones give the same bytes. */
    CHECK_EQ(run_chunked(&a, 1000, multi.p, multi.n, 7, &s, NULL), 0);
    CHECK(same(&s, &all));
    sink_reset(&s);
    CHECK_EQ(c.allocs, c.frees);
    free(s.data);
    free(text.p);
    free(gz.p);
    free(all.p);
    free(multi.p);
}

/* Three small members (one with a name and header CRC), every split. */
static void small_multi(bytes *plain, bytes *gz, size_t *bounds)
{
    static const char *parts[] = {
        "{\"Records\":[{\"eventName\":\"CreateStream\"}]}\n",
        "{\"eventName\":\"ListStreams\",\"awsRegion\":\"eu-west-1\"}\n",
        "{\"eventName\":\"TagStream\"}"
    };
    int i;
    memset(plain, 0, sizeof *plain);
    memset(gz, 0, sizeof *gz);
    for (i = 0; i < 3; i++) {
        bytes_append(plain, parts[i], strlen(parts[i]));
        gzip_member(gz, parts[i], strlen(parts[i]), 6, i == 1 ? "x.json" : NULL);
        bounds[i] = gz->n;
    }
}

static void test_every_split(void)
{
    counting c;
    kvst_alloc a = counting_alloc(&c);
    bytes plain, gz;
    size_t bounds[3], cut, cut2, chunk;
    sink s;

    small_multi(&plain, &gz, bounds);
    memset(&s, 0, sizeof s);
    sink_reset(&s);
    for (cut = 0; cut <= gz.n; cut++) {
        CHECK_EQ(run_cuts(&a, 1000, gz.p, gz.n, &cut, 1, &s, NULL, NULL), 0);
        CHECK(same(&s, &plain));
        sink_reset(&s);
    }
    /* Three pieces, cut around the second member's magic and header. */
    for (cut = bounds[0] - 4; cut <= bounds[0] + 12; cut++)
        for (cut2 = cut; cut2 <= bounds[0] + 14; cut2++) {
            size_t cuts[2];
            cuts[0] = cut;
            cuts[1] = cut2;
            CHECK_EQ(run_cuts(&a, 1000, gz.p, gz.n, cuts, 2, &s, NULL, NULL), 0);
            CHECK(same(&s, &plain));
            sink_reset(&s);
        }
    for (chunk = 1; chunk <= gz.n; chunk++) {
        CHECK_EQ(run_chunked(&a, 1000, gz.p, gz.n, chunk, &s, NULL), 0);
        CHECK(same(&s, &plain));
        sink_reset(&s);
    }
    /* Plain text too, every chunk size. */
    for (chunk = 1; chunk <= plain.n; chunk++) {
        CHECK_EQ(run_chunked(&a, 1000, plain.p, plain.n, chunk, &s, NULL), 0);
        CHECK(same(&s, &plain));
        sink_reset(&s);
    }
    CHECK_EQ(c.allocs, c.frees);
    free(s.data);
    free(plain.p);
    free(gz.p);
}

/*
 * Truncation at every position. Decided: a cut anywhere inside a member,
 * its header included, is KVST_E_TRUNCATED; the only exceptions are the
 * empty input and a one-byte input (plain by definition), and cuts that
 * fall exactly on a member boundary (a complete shorter stream).
 * What was delivered before the cut is always a prefix of the text.
 */
static void test_truncated(void)
{
    counting c;
    kvst_alloc a = counting_alloc(&c);
    bytes plain, gz;
    size_t bounds[3], cut, plain_at_bound[3];
    sink s;
    int i;

    small_multi(&plain, &gz, bounds);
    plain_at_bound[0] = strlen("{\"Records\":[{\"eventName\":\"CreateStream\"}]}\n");
    plain_at_bound[1] = plain_at_bound[0] +
        strlen("{\"eventName\":\"ListStreams\",\"awsRegion\":\"eu-west-1\"}\n");
    plain_at_bound[2] = plain.n;
    memset(&s, 0, sizeof s);
    sink_reset(&s);
    for (cut = 0; cut < gz.n; cut++) {
        int rc = run_chunked(&a, 1000, gz.p, cut, 5, &s, NULL);
        int at_bound = -1;
        for (i = 0; i < 3; i++)
            if (cut == bounds[i])
                at_bound = i;
        if (cut == 0) {
            CHECK_EQ(rc, 0);
            CHECK_EQ(s.len, 0);
        } else if (cut == 1) {
            CHECK_EQ(rc, 0);
            CHECK(s.len == 1 && s.data[0] == 0x1f);
        } else if (at_bound >= 0) {
            CHECK_EQ(rc, 0);
            CHECK_EQ(s.len, plain_at_bound[at_bound]);
        } else {
            CHECK_EQ(rc, KVST_E_TRUNCATED);
            CHECK(s.len <= plain.n && memcmp(s.data ? (void *)s.data : (void *)"", plain.p, s.len) == 0);
        }
        sink_reset(&s);
    }
    /* The message names the problem, and the error is sticky. */
    {
        kvst_input *st = NULL;
        CHECK_EQ(run_chunked(&a, 1000, gz.p, gz.n - 3, 4096, &s, &st), KVST_E_TRUNCATED);
        CHECK(strcmp(kvst__input_message(st), "gzip stream ends inside a member") == 0);
        CHECK_EQ(kvst__input_feed(st, gz.p + gz.n - 3, 3, sink_out, &s), KVST_E_TRUNCATED);
        CHECK_EQ(kvst__input_finish(st, sink_out, &s), KVST_E_TRUNCATED);
        kvst__input_free(st);
        sink_reset(&s);
    }
    CHECK_EQ(c.allocs, c.frees);
    free(s.data);
    free(plain.p);
    free(gz.p);
}

/* What zlib itself inflates from the first len bytes of a gzip member. */
static void zlib_prefix(const unsigned char *gz, size_t len, bytes *out)
{
    z_stream zs;
    unsigned char buf[16384];
    int zr;

    out->n = 0;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        exit(2);
    zs.next_in = (Bytef *)gz;
    zs.avail_in = (uInt)len;
    do {
        zs.next_out = buf;
        zs.avail_out = sizeof buf;
        zr = inflate(&zs, Z_NO_FLUSH);
        bytes_append(out, buf, sizeof buf - zs.avail_out);
    } while (zr == Z_OK && zs.avail_out == 0);
    inflateEnd(&zs);
}

/*
 * Decided: input that stops inside a member's last deflate block hands on
 * every byte whose symbol is whole, the bytes zlib inflates from it, then
 * KVST_E_TRUNCATED, whatever the split and the inflater. ISA-L packs two
 * or three literals in one table entry when the call that reads the last
 * block's header has more than 2 KiB of input, and does not decode an
 * entry whose bits run past the input: fed whole, a truncated member gave
 * a byte or two less than fed in pieces (fuzz_parser's
 * crash-isal-truncated-last-block-by-split-*). The member is one block
 * of over 8 KiB (ISA-L's two thresholds, 2 and 4 KiB, both passed); cuts
 * every 17 bytes in its last 4 KiB, fed whole, in pieces about the 2 KiB
 * a call is given (at, one under, one over) and about 4 KiB, and in
 * 7-byte pieces (ISA-L's careful loop only).
 */
static void test_truncated_last_block(void)
{
    static const size_t chunks[] = { 7, 2047, 2048, 2049, 4096, 4097, 1u << 30 };
    counting c;
    kvst_alloc a = counting_alloc(&c);
    bytes text = { 0, 0 }, gz = { 0, 0 }, want = { 0, 0 };
    z_stream zs;
    unsigned char out[1 << 16];
    size_t cut, k, from;
    sink s;

    make_text(&text, 64000, 5);
    /* one block: memLevel 9 holds 64 Ki symbols before a block ends */
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        exit(2);
    zs.next_in = text.p;
    zs.avail_in = (uInt)text.n;
    zs.next_out = out;
    zs.avail_out = sizeof out;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
        exit(2);
    bytes_append(&gz, out, sizeof out - zs.avail_out);
    deflateEnd(&zs);
    CHECK(gz.n > 4097 + 4096);
    memset(&s, 0, sizeof s);
    sink_reset(&s);
    from = gz.n - 4096;
    for (cut = from; cut < gz.n - 8; cut += 17) { /* (the last 8: the trailer) */
        zlib_prefix(gz.p, cut, &want);
        for (k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
            int rc = run_chunked(&a, 1000, gz.p, cut, chunks[k], &s, NULL);
            if (rc != KVST_E_TRUNCATED || !same(&s, &want)) {
                fprintf(stderr, "truncated last block (%s, %s, cut %zu of %zu, chunk %zu): "
                        "status %d, %zu bytes handed on, zlib inflates %zu\n",
                        inflater_name(inflater), mode_name(), cut, gz.n, chunks[k], rc,
                        s.len, want.n);
                check_failures++;
            }
            sink_reset(&s);
        }
    }
    CHECK_EQ(c.allocs, c.frees);
    free(s.data);
    free(text.p);
    free(gz.p);
    free(want.p);
}

static void expect_error(const kvst_alloc *a, const bytes *in, int code,
                         const char *msg_part, size_t chunk)
{
    kvst_input *st = NULL;
    sink s;
    int rc;

    memset(&s, 0, sizeof s);
    sink_reset(&s);
    rc = run_chunked(a, 1000, in->p, in->n, chunk, &s, &st);
    CHECK_EQ(rc, code);
    if (rc == code && !strstr(kvst__input_message(st), msg_part)) {
        fprintf(stderr, "message \"%s\" lacks \"%s\"\n", kvst__input_message(st), msg_part);
        check_failures++;
    }
    /* Sticky. */
    CHECK_EQ(kvst__input_feed(st, (const unsigned char *)"{}", 2, sink_out, &s), code);
    CHECK_EQ(kvst__input_finish(st, sink_out, &s), code);
    kvst__input_free(st);
    free(s.data);
}

static void test_corrupt_and_trailing(void)
{
    counting c;
    kvst_alloc a = counting_alloc(&c);
    bytes text = { 0, 0 }, gz = { 0, 0 }, bad = { 0, 0 };
    size_t chunks[] = { 1, 3, 100000 };
    size_t k;

    make_text(&text, 5000, 3);
    gzip_member(&gz, text.p, text.n, 6, NULL);

    for (k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
        size_t chunk = chunks[k];

        /* CRC32 is the first four bytes of the trailer. */
        bad.n = 0;
        bytes_append(&bad, gz.p, gz.n);
        bad.p[bad.n - 8] ^= 0x01;
        expect_error(&a, &bad, KVST_E_GZIP, "incorrect check value", chunk);

        /* ISIZE, the last four bytes. */
        bad.p[bad.n - 8] ^= 0x01;
        bad.p[bad.n - 1] ^= 0x40;
        expect_error(&a, &bad, KVST_E_GZIP, "incorrect check value", chunk);

        /* Compression method other than deflate in the header. */
        bad.p[bad.n - 1] ^= 0x40;
        bad.p[2] = 7;
        expect_error(&a, &bad, KVST_E_GZIP, "invalid gzip header", chunk);

        /* Reserved header flag bits, each. */
        bad.p[2] = 8;
        bad.p[3] = 0x20;
        expect_error(&a, &bad, KVST_E_GZIP, "invalid gzip header", chunk);
        bad.p[3] = 0x80;
        expect_error(&a, &bad, KVST_E_GZIP, "invalid gzip header", chunk);

        /* An invalid deflate block type (BTYPE 11) right after the header. */
        bad.p[3] = 0;
        bad.p[10] = 0x07;
        expect_error(&a, &bad, KVST_E_GZIP, "invalid deflate data", chunk);

        /* Text after a complete member. */
        bad.n = 0;
        bytes_append(&bad, gz.p, gz.n);
        bytes_append(&bad, "{\"x\":1}", 7);
        expect_error(&a, &bad, KVST_E_GZIP, "trailing data after gzip member", chunk);

        /* 1f then not 8b after a member. */
        bad.n = 0;
        bytes_append(&bad, gz.p, gz.n);
        bytes_append(&bad, "\x1f\x1f", 2);
        expect_error(&a, &bad, KVST_E_GZIP, "trailing data after gzip member", chunk);

        /* Zero padding is accepted... */
        bad.n = 0;
        bytes_append(&bad, gz.p, gz.n);
        bytes_append(&bad, "\0\0\0\0\0\0\0\0", 8);
        {
            sink s;
            memset(&s, 0, sizeof s);
            sink_reset(&s);
            CHECK_EQ(run_chunked(&a, 1000, bad.p, bad.n, chunk, &s, NULL), 0);
            CHECK(same(&s, &text));
            free(s.data);
        }
        /* ...but not a member or text after it. */
        bytes_append(&bad, gz.p, gz.n);
        expect_error(&a, &bad, KVST_E_GZIP, "trailing data after gzip member", chunk);
    }
    CHECK_EQ(c.allocs, c.frees);
    free(text.p);
    free(gz.p);
    free(bad.p);
}

/*
 * A member whose deflate data, after good bytes of output, copies from
 * before the member's start (compressed against a preset dictionary that
 * is not there): zlib's "invalid distance too far back". The good bytes
 * are letters a..p and the dictionary's A..Z, so the first reference to
 * it is at good; the pair there is about pair bytes long (258 is the
 * longest, on which ISA-L's fast loop used to count 258 bytes it never
 * wrote as inflated). want gets what zlib inflates cleanly. 32 KiB back is as far as
 * a distance reaches, so good stays below 32768 - 300.
 */
static void member_too_far_back(bytes *gz, bytes *want, size_t good, size_t pair,
                                unsigned seed)
{
    unsigned char dict[300], out[1024];
    unsigned char *data = (unsigned char *)malloc(good + pair + 64);
    unsigned x = seed * 2654435761u + 7u;
    z_stream zs;
    size_t i, n = 0;
    uLong crc;
    int zr;

    if (!data)
        exit(2);
    for (i = 0; i < sizeof dict; i++) {
        x = x * 1103515245u + 12345u;
        dict[i] = (unsigned char)('A' + (x >> 16) % 26u);
    }
    for (i = 0; i < good; i++) {
        x = x * 1103515245u + 12345u;
        data[n++] = (unsigned char)('a' + (x >> 16) % 16u);
    }
    memcpy(data + n, dict, pair);
    n += pair;
    /* ends the match at pair bytes; then compressed data goes on past
     * the bad pair, as in a real file, so ISA-L meets it in its fast loop */
    for (i = 0; i < 64; i++) {
        x = x * 1103515245u + 12345u;
        data[n++] = (unsigned char)('a' + (x >> 16) % 16u);
    }
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK ||
        deflateSetDictionary(&zs, dict, sizeof dict) != Z_OK)
        exit(2);
    gz->n = 0;
    bytes_append(gz, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
    zs.next_in = data;
    zs.avail_in = (uInt)n;
    do {
        zs.next_out = out;
        zs.avail_out = sizeof out;
        zr = deflate(&zs, Z_FINISH);
        bytes_append(gz, out, sizeof out - zs.avail_out);
    } while (zr == Z_OK);
    if (zr != Z_STREAM_END)
        exit(2);
    deflateEnd(&zs);
    crc = crc32(0L, data, (uInt)n);
    for (i = 0; i < 4; i++)
        out[i] = (unsigned char)(crc >> (8 * i));
    for (i = 0; i < 4; i++)
        out[4 + i] = (unsigned char)(n >> (8 * i));
    bytes_append(gz, out, 8);
    free(data);

    /* The rule's reference: what zlib's own inflate, given the member at
     * once, writes before it stops (deflate may spend a literal or two of
     * the dictionary's bytes before the pair). */
    memset(&zs, 0, sizeof zs);
    want->n = 0;
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        exit(2);
    zs.next_in = gz->p;
    zs.avail_in = (uInt)gz->n;
    do {
        zs.next_out = out;
        zs.avail_out = sizeof out;
        zr = inflate(&zs, Z_NO_FLUSH);
        bytes_append(want, out, sizeof out - zs.avail_out);
    } while (zr == Z_OK);
    inflateEnd(&zs);
    CHECK_EQ(zr, Z_DATA_ERROR);
    CHECK(want->n >= good && want->n <= good + 2);
}

/* One run over a corrupt member: KVST_E_GZIP for corrupt deflate data,
 * and exactly want handed on before it. */
static void expect_corrupt_at(const kvst_alloc *a, const bytes *gz, const bytes *want,
                              const size_t *cuts, size_t ncuts, size_t chunk)
{
    kvst_input *st = NULL;
    sink s;
    int rc;

    memset(&s, 0, sizeof s);
    sink_reset(&s);
    if (chunk)
        rc = run_chunked(a, 1000, gz->p, gz->n, chunk, &s, &st);
    else
        rc = run_cuts(a, 1000, gz->p, gz->n, cuts, ncuts, &s, NULL, NULL);
    if (rc != KVST_E_GZIP || !same(&s, want) ||
        (st && !strstr(kvst__input_message(st), "invalid deflate data"))) {
        fprintf(stderr, "corrupt member, good %zu (%s, %s, chunk %zu, cut %zu): status %d, %zu bytes handed on\n",
                want->n, inflater_name(inflater), mode_name(), chunk,
                ncuts ? cuts[0] : 0, rc, s.len);
        check_failures++;
    }
    kvst__input_free(st);
    free(s.data);
}

/*
 * Decided: on corrupt deflate data the error is KVST_E_GZIP, and what
 * was handed on before it is every byte that inflated cleanly, up to the
 * bad symbol and nothing after it, whatever the split, the path and the
 * inflater (the parser then reports it at the byte after them). Small
 * members: every cut; large ones (the error past one, two and four
 * output buffers of 16 KiB, at, one under and one over): every cut near
 * the end, where the bad pair is, and chunk sizes about ISA-L's
 * 8-byte fast-loop threshold.
 */
static void test_corrupt_every_split(void)
{
    static const size_t goods[] = { 0, 1, 13, 48, 200, 16383, 16384, 16385,
                                    32000 };
    static const size_t pairs[] = { 258, 10 };
    static const size_t chunks[] = { 1, 6, 7, 8, 9, 41, 4096, 1u << 30 };
    counting c;
    kvst_alloc a = counting_alloc(&c);
    bytes gz = { 0, 0 }, want = { 0, 0 };
    size_t g, k, cut;

    for (g = 0; g < sizeof goods / sizeof goods[0]; g++)
        for (k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
            size_t step;
            member_too_far_back(&gz, &want, goods[g], pairs[k], (unsigned)(g + 1));
            step = gz.n > 400 ? 997 : 1;
            for (cut = 0; cut <= gz.n; cut += (gz.n - cut <= 80 || step == 1) ? 1 : step)
                expect_corrupt_at(&a, &gz, &want, &cut, 1, 0);
            /* (1- and 6-byte feeds of the large ones: minutes under TSan) */
            for (cut = step == 1 ? 0 : 2; cut < sizeof chunks / sizeof chunks[0]; cut++)
                expect_corrupt_at(&a, &gz, &want, NULL, 0, chunks[cut]);
        }
    CHECK_EQ(c.allocs, c.frees);
    free(gz.p);
    free(want.p);
}

/* A non-zero return of out() comes back at once, and sticks. */
static void test_out_error(void)
{
    counting c;
    kvst_alloc a = counting_alloc(&c);
    bytes text = { 0, 0 }, gz = { 0, 0 };
    kvst_input *st;
    sink s;

    make_text(&text, 200000, 4);
    gzip_member(&gz, text.p, text.n, 6, NULL);
    memset(&s, 0, sizeof s);
    sink_reset(&s);
    s.fail_after = 2;
    CHECK_EQ(new_input(&a, 1000, mode, &st), 0);
    CHECK_EQ(kvst__input_feed(st, gz.p, gz.n, sink_out, &s), KVST_E_ABORTED);
    CHECK_EQ(s.calls, 2); /* no call after the failing one */
    CHECK_EQ(kvst__input_finish(st, sink_out, &s), KVST_E_ABORTED);
    CHECK_EQ(s.calls, 2);
    kvst__input_free(st);

    /* Plain, and the held first byte of a plain input. */
    sink_reset(&s);
    s.fail_after = 1;
    CHECK_EQ(new_input(&a, 1000, mode, &st), 0);
    CHECK_EQ(kvst__input_feed(st, (const unsigned char *)"\x1f", 1, sink_out, &s), 0);
    CHECK_EQ(kvst__input_feed(st, (const unsigned char *)"ab", 2, sink_out, &s), KVST_E_ABORTED);
    CHECK_EQ(kvst__input_feed(st, (const unsigned char *)"ab", 2, sink_out, &s), KVST_E_ABORTED);
    CHECK_EQ(s.calls, 1);
    kvst__input_free(st);
    CHECK_EQ(c.allocs, c.frees);
    free(s.data);
    free(text.p);
    free(gz.p);
}

/* One thread: the stage, its buffer and the inflater's memory (zlib's
 * state and window, or ISA-L's state). Two: the stage and one block, the
 * queue and the reserve. */
static size_t max_peak(void)
{
    return mode == KVST_INPUT_THREADS_ONE ? 208u * 1024u
                                          : KVST_INFLATE_POOL_SIZE + 4u * 64u * 1024u + 28u * 1024u;
}

static void test_ratio_limit(void)
{
    const size_t zeros_len = 50u * 1024u * 1024u;
    unsigned char *zeros = (unsigned char *)calloc(zeros_len, 1);
    counting c;
    kvst_alloc a = counting_alloc(&c);
    bytes bomb = { 0, 0 }, small = { 0, 0 };
    kvst_input *st = NULL;
    sink s;
    char want[96];

    if (!zeros)
        exit(2);
    gzip_member(&bomb, zeros, zeros_len, 9, NULL);
    memset(&s, 0, sizeof s);
    s.keep = 0;
    CHECK_EQ(run_chunked(&a, 1000, bomb.p, bomb.n, 65536, &s, &st), KVST_E_LIMIT);
    snprintf(want, sizeof want, "inflated/compressed ratio exceeds %d (gzip bomb?)", 1000);
    CHECK(strcmp(kvst__input_message(st), want) == 0);
    kvst__input_free(st);
    /* Stopped soon after the 1 MiB grace, not after 50 MB. */
    CHECK(s.len <= 1024u * 1024u + 64u * 1024u);
    /* Memory: the stage, 64 KiB out buffer, zlib's state and 32 KiB window;
     * on two threads, the stage and one block (queue and zlib's reserve). */
    CHECK(c.peak < max_peak());
    fprintf(stderr, "bomb (%s): %zu compressed bytes, stopped after %zu inflated, peak %zu bytes allocated\n",
            mode_name(), bomb.n, s.len, c.peak);

    /* With the limit off, all 50 MB come out, memory still flat. */
    memset(&s, 0, sizeof s);
    c.peak = 0;
    CHECK_EQ(run_chunked(&a, 0, bomb.p, bomb.n, 65536, &s, NULL), 0);
    CHECK_EQ(s.len, zeros_len);
    CHECK(c.peak < max_peak());

    /* Under 1 MiB inflated, no ratio is too high. */
    gzip_member(&small, zeros, 1024u * 1024u, 9, NULL);
    memset(&s, 0, sizeof s);
    CHECK_EQ(run_chunked(&a, 2, small.p, small.n, 65536, &s, NULL), 0);
    CHECK_EQ(s.len, 1024u * 1024u);
    CHECK_EQ(c.allocs, c.frees);
    free(zeros);
    free(bomb.p);
    free(small.p);
}

/*
 * Fail the k-th allocation for every k until a run needs no more than
 * k-1: each failing run returns KVST_E_NOMEM, and frees all it took.
 */
static void test_alloc_failure(void)
{
    bytes plain, gz;
    size_t bounds[3];
    long k;
    int nomem_seen = 0;

    small_multi(&plain, &gz, bounds);
    for (k = 1; k < 1000; k++) {
        counting c;
        kvst_alloc a = counting_alloc(&c);
        sink s;
        int rc;
        c.fail_at = k;
        memset(&s, 0, sizeof s);
        sink_reset(&s);
        rc = run_chunked(&a, 1000, gz.p, gz.n, 9, &s, NULL);
        CHECK_EQ(c.allocs, c.frees);
        free(s.data);
        if (!c.failed) {
            CHECK_EQ(rc, 0);
            break;
        }
        CHECK_EQ(rc, KVST_E_NOMEM);
        nomem_seen++;
    }
    /* One thread: the stage, its buffer, zlib's state and window, at
     * least 4 (ISA-L's state is one block: 3). Two threads: the stage and
     * the block, then nothing. */
    if (mode == KVST_INPUT_THREADS_ONE)
        CHECK(nomem_seen >= (inflater == KVST_INFLATE_ZLIB ? 4 : 3));
    else
        CHECK_EQ(nomem_seen, 2);
    free(plain.p);
    free(gz.p);
}


/* ---- the two-thread path itself ---- */

typedef struct zcount {
    size_t bytes, blocks;
} zcount;

static voidpf zc_alloc(voidpf opaque, uInt items, uInt size)
{
    zcount *z = (zcount *)opaque;
    /* rounded as the stage's reserve rounds each block */
    z->bytes += ((size_t)items * size + 15u) & ~(size_t)15u;
    z->blocks++;
    return calloc(items, size);
}

static void zc_free(voidpf opaque, voidpf ptr)
{
    (void)opaque;
    free(ptr);
}

/* What inflate really takes, by counting its allocations over a whole
 * multi-member input, fits the reserve the worker's zlib carves from. */
static void test_pool_size(void)
{
    bytes text = { 0, 0 }, gz = { 0, 0 };
    unsigned char out[4096];
    z_stream zs;
    zcount z = { 0, 0 };
    size_t pos = 0;
    int zr = Z_OK;

    make_text(&text, 400000, 7);
    gzip_member(&gz, text.p, 200000, 6, "a.json");
    gzip_member(&gz, text.p + 200000, 200000, 9, NULL);
    memset(&zs, 0, sizeof zs);
    zs.zalloc = zc_alloc;
    zs.zfree = zc_free;
    zs.opaque = &z;
    CHECK_EQ(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
    while (pos < gz.n) {
        zs.next_in = gz.p + pos;
        zs.avail_in = (uInt)(gz.n - pos < 1000 ? gz.n - pos : 1000);
        do {
            zs.next_out = out;
            zs.avail_out = sizeof out;
            zr = inflate(&zs, Z_NO_FLUSH);
        } while (zr == Z_OK && zs.avail_out == 0);
        pos = (size_t)(zs.next_in - gz.p);
        if (zr == Z_STREAM_END)
            zr = inflateReset(&zs);
        if (zr != Z_OK && zr != Z_BUF_ERROR)
            break;
    }
    CHECK_EQ(pos, gz.n);
    inflateEnd(&zs);
    fprintf(stderr, "zlib %s: inflate took %zu bytes in %zu blocks; reserve %u\n",
            zlibVersion(), z.bytes, z.blocks, KVST_INFLATE_POOL_SIZE);
    CHECK_EQ(z.blocks, 2); /* the state and the window, nothing more */
    CHECK(z.bytes <= KVST_INFLATE_POOL_SIZE);
    CHECK(z.bytes >= 32768);
    free(text.p);
    free(gz.p);
}

static int cpus_usable(void)
{
#if defined(__linux__) && defined(CPU_COUNT)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) < 2)
        return 1;
#endif
    return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

/* Is the worker there after feeding in[0..len) with this choice? */
static int threaded_after(int threads, const unsigned char *in, size_t len)
{
    counting c;
    kvst_alloc a = counting_alloc(&c);
    kvst_input *st;
    sink s;
    int t;

    memset(&s, 0, sizeof s);
    CHECK_EQ(new_input(&a, 1000, threads, &st), 0);
    CHECK_EQ(kvst__input_feed(st, in, len, sink_out, &s), 0);
    t = kvst__input_threaded(st);
    kvst__input_free(st);
    CHECK_EQ(c.allocs, c.frees);
    return t;
}

/* Which path is taken, and when the worker starts. */
static void test_path_choice(void)
{
    bytes text = { 0, 0 }, gz = { 0, 0 };

    make_text(&text, 100000, 5);
    gzip_member(&gz, text.p, text.n, 6, NULL);
    CHECK_EQ(threaded_after(KVST_INPUT_THREADS_TWO, gz.p, gz.n), 1);
    CHECK_EQ(threaded_after(KVST_INPUT_THREADS_ONE, gz.p, gz.n), 0);
    /* Lazily: not for plain input, not before a member begins. */
    CHECK_EQ(threaded_after(KVST_INPUT_THREADS_TWO, text.p, text.n), 0);
    CHECK_EQ(threaded_after(KVST_INPUT_THREADS_TWO, gz.p, 1), 0);
    CHECK_EQ(threaded_after(KVST_INPUT_THREADS_TWO, gz.p, 2), 1);
    /* The default: two threads exactly when two CPUs are usable. */
    CHECK_EQ(threaded_after(KVST_INPUT_THREADS_AUTO, gz.p, gz.n), cpus_usable() > 1);
    fprintf(stderr, "%d CPU(s) usable: the default path is %s\n", cpus_usable(),
            cpus_usable() > 1 ? "two threads" : "one thread");
#if defined(__linux__) && defined(CPU_COUNT)
    {
        /* Pinned to one CPU (as taskset -c 0 would), the default is one
         * thread. */
        cpu_set_t old, one;
        int cpu;
        if (sched_getaffinity(0, sizeof old, &old) == 0) {
            for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &old); cpu++)
                ;
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            if (sched_setaffinity(0, sizeof one, &one) == 0) {
                CHECK_EQ(threaded_after(KVST_INPUT_THREADS_AUTO, gz.p, gz.n), 0);
                CHECK_EQ(sched_setaffinity(0, sizeof old, &old), 0);
            }
        }
    }
#endif
    free(text.p);
    free(gz.p);
}

/* Run the stage on one path; the status, message and bytes out. */
typedef struct outcome {
    int rc;
    uint64_t bytes_in;
    char msg[96];
    sink s;
} outcome;

static void run_path(int threads, const bytes *in, size_t chunk, uint64_t ratio,
                     outcome *o)
{
    counting c;
    kvst_alloc a = counting_alloc(&c);
    kvst_input *st = NULL;
    int saved = mode;

    memset(o, 0, sizeof *o);
    sink_reset(&o->s);
    mode = threads;
    o->rc = run_chunked(&a, ratio, in->p, in->n, chunk, &o->s, &st);
    mode = saved;
    o->bytes_in = kvst__input_bytes_in(st);
    snprintf(o->msg, sizeof o->msg, "%s", kvst__input_message(st));
    kvst__input_free(st);
    CHECK_EQ(c.allocs, c.frees);
}

/* Both paths agree: status, message, input consumed, every byte handed
 * on, and how they were cut into pieces (the first SINK_SIZES). */
static int paths_agree(const bytes *in, size_t chunk, uint64_t ratio)
{
    outcome one, two;
    int ok;

    run_path(KVST_INPUT_THREADS_ONE, in, chunk, ratio, &one);
    run_path(KVST_INPUT_THREADS_TWO, in, chunk, ratio, &two);
    ok = one.rc == two.rc && strcmp(one.msg, two.msg) == 0 &&
         one.bytes_in == two.bytes_in &&
         one.s.len == two.s.len &&
         (one.s.len == 0 || memcmp(one.s.data, two.s.data, one.s.len) == 0) &&
         one.s.calls == two.s.calls && memcmp(one.s.sizes, two.s.sizes, sizeof one.s.sizes) == 0;
    if (!ok)
        fprintf(stderr, "paths differ (chunk %zu): one thread %d \"%s\" %zu bytes in %zu "
                "pieces, two threads %d \"%s\" %zu bytes in %zu\n", chunk, one.rc, one.msg,
                one.s.len, one.s.calls, two.rc, two.msg, two.s.len, two.s.calls);
    free(one.s.data);
    free(two.s.data);
    return ok;
}

static void test_paths_identical(void)
{
    /* Byte by byte is covered on small inputs above. */
    static const size_t chunks[] = { 13, 1000, 65536, 1u << 30 };
    bytes text = { 0, 0 }, gz = { 0, 0 }, bad = { 0, 0 }, small = { 0, 0 };
    size_t k, pos, off = 0;
    int m;

    /* Members of several sizes and levels, the first larger than the
     * whole queue, so the worker waits for free slots. */
    make_text(&text, 1500000, 9);
    for (m = 0; m < 5; m++) {
        size_t n = m == 0 ? 700000 : m == 4 ? text.n - off : 200000;
        gzip_member(&gz, text.p + off, n, m % 2 ? 1 : 9, m == 2 ? "m.json" : NULL);
        off += n;
    }
    for (k = 0; k < sizeof chunks / sizeof chunks[0]; k++)
        CHECK(paths_agree(&gz, chunks[k], 1000));
    {
        outcome o;
        run_path(KVST_INPUT_THREADS_TWO, &gz, 65536, 1000, &o);
        CHECK_EQ(o.rc, 0);
        CHECK(same(&o.s, &text));
        free(o.s.data);
    }
    /* Truncated and corrupt, at spots across the input. */
    for (pos = 1; pos < gz.n; pos += gz.n / 37) {
        bytes cut = { gz.p, pos };
        CHECK(paths_agree(&cut, 4096, 1000));
        bad.n = 0;
        bytes_append(&bad, gz.p, gz.n);
        bad.p[pos] ^= 0x5a;
        CHECK(paths_agree(&bad, 4096, 1000));
        CHECK(paths_agree(&bad, 1u << 30, 1000));
    }
    /* Every byte of a small member corrupted in turn, and a low ratio. */
    gzip_member(&small, text.p, 3000, 6, "x");
    for (pos = 0; pos < small.n; pos++) {
        bad.n = 0;
        bytes_append(&bad, small.p, small.n);
        bad.p[pos] ^= 0x21;
        CHECK(paths_agree(&bad, 97, 1000));
    }
    CHECK(paths_agree(&gz, 65536, 2));
    free(text.p);
    free(gz.p);
    free(bad.p);
    free(small.p);
}

/* A sink whose out() refuses one call, after letting the worker fill the
 * whole queue. */
typedef struct slow_sink {
    sink s;
    int refuse_at;
} slow_sink;

static int slow_out(void *ctx, const unsigned char *buf, size_t len)
{
    slow_sink *ss = (slow_sink *)ctx;
    if ((int)ss->s.calls + 1 == ss->refuse_at) {
        struct timespec ts = { 0, 20 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    return sink_out(&ss->s, buf, len) == 0 && (int)ss->s.calls == ss->refuse_at
        ? KVST_E_ABORTED : 0;
}

/* Feed all of gz in one piece to an out() that refuses call refuse_at
 * (0: the last one); check what a refusal must do, return where the
 * stage stopped in the input. */
static uint64_t refused_feed(int threads, const bytes *gz, const bytes *text,
                             int refuse_at)
{
    counting c;
    kvst_alloc a = counting_alloc(&c);
    kvst_input *st;
    slow_sink ss;
    size_t before;
    uint64_t at;

    memset(&ss, 0, sizeof ss);
    sink_reset(&ss.s);
    if (refuse_at == 0) {
        CHECK_EQ(new_input(&a, 1000, threads, &st), 0);
        CHECK_EQ(kvst__input_feed(st, gz->p, gz->n, sink_out, &ss.s), 0);
        kvst__input_free(st);
        refuse_at = (int)ss.s.calls;
        sink_reset(&ss.s);
    }
    ss.refuse_at = refuse_at;
    CHECK_EQ(new_input(&a, 1000, threads, &st), 0);
    CHECK_EQ(kvst__input_feed(st, gz->p, gz->n, slow_out, &ss), KVST_E_ABORTED);
    CHECK_EQ(ss.s.calls, refuse_at);
    CHECK(ss.s.len <= text->n && memcmp(ss.s.data, text->p, ss.s.len) == 0);
    CHECK(strcmp(kvst__input_message(st), "stopped by the next stage") == 0);
    at = kvst__input_bytes_in(st);
    before = ss.s.calls;
    CHECK_EQ(kvst__input_feed(st, gz->p, 10, slow_out, &ss), KVST_E_ABORTED);
    CHECK_EQ(kvst__input_finish(st, slow_out, &ss), KVST_E_ABORTED);
    CHECK_EQ(ss.s.calls, before);
    kvst__input_free(st);
    CHECK_EQ(c.allocs, c.frees);
    free(ss.s.data);
    return at;
}

/* out() failing stops the worker where it is (waiting for a free slot,
 * inflating, or already done): feed returns out()'s code, nothing more is
 * handed on, and the stage stopped at the same input byte as on one
 * thread. A worker that kept going would hang this test. */
static void test_out_error_stops_worker(void)
{
    static const int refuse[] = { 1, 2, 5, 0 };
    bytes text = { 0, 0 }, gz = { 0, 0 };
    size_t k;

    make_text(&text, 4000000, 11);
    gzip_member(&gz, text.p, text.n, 6, NULL);
    for (k = 0; k < sizeof refuse / sizeof refuse[0]; k++) {
        uint64_t one = refused_feed(KVST_INPUT_THREADS_ONE, &gz, &text, refuse[k]);
        uint64_t two = refused_feed(KVST_INPUT_THREADS_TWO, &gz, &text, refuse[k]);
        CHECK_EQ(two, one);
        CHECK(refuse[k] == 0 ? one == gz.n : one < gz.n);
    }
    free(text.p);
    free(gz.p);
}

/* On two threads the caller's thread inflates whenever it would
 * otherwise wait: at the start of every feed the queue is empty and no
 * step is under way, so the first buffer of each feed is the caller's
 * (deterministic: the caller holds the lock from handing the job over to
 * taking the step). A stage that left all inflating to the worker made
 * the caller wait for the worker to be scheduled at every feed, and
 * again whenever it had been woken but not yet run: on a loaded machine
 * two threads ran slower than one. Checked at one feed, one under the
 * chunk that holds the member's first output, and many; the bytes are
 * the same as on one thread (the other tests). */
static void test_caller_takes_steps(void)
{
    static const size_t chunks[] = { 65536, 4096, 1000 };
    bytes text = { 0, 0 }, gz = { 0, 0 };
    size_t k;

    make_text(&text, 1000000, 13);
    gzip_member(&gz, text.p, text.n, 6, NULL);
    for (k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
        counting c;
        kvst_alloc a = counting_alloc(&c);
        kvst_input *st = NULL;
        sink s;
        size_t pos = 0, feeds = 0, outputs = 0;
        uint64_t caller = 0, worker = 0, last = 0;
        int rc;

        memset(&s, 0, sizeof s);
        s.keep = 1;
        CHECK_EQ(new_input(&a, 0, KVST_INPUT_THREADS_TWO, &st), 0);
        while (pos < gz.n) {
            size_t n = gz.n - pos < chunks[k] ? gz.n - pos : chunks[k];
            size_t before = s.len;
            rc = kvst__input_feed(st, gz.p + pos, n, sink_out, &s);
            CHECK_EQ(rc, 0);
            pos += n;
            feeds++;
            kvst__input_steps(st, &caller, &worker);
            if (s.len > before) {
                /* a feed that handed bytes on took a step of its own */
                outputs++;
                CHECK(caller > last);
            }
            last = caller;
        }
        CHECK_EQ(kvst__input_finish(st, sink_out, &s), 0);
        CHECK_EQ(s.len, text.n);
        CHECK(s.len == text.n && memcmp(s.data, text.p, text.n) == 0);
        CHECK(outputs > 0);
        CHECK(caller >= outputs);
        fprintf(stderr, "%s, chunk %zu: %zu feeds, steps: caller %llu, worker %llu\n",
                inflater_name(inflater), chunks[k], feeds, (unsigned long long)caller,
                (unsigned long long)worker);
        kvst__input_free(st);
        CHECK_EQ(c.allocs, c.frees);
        free(s.data);
    }
    /* One thread: no steps to count. */
    {
        counting c;
        kvst_alloc a = counting_alloc(&c);
        kvst_input *st = NULL;
        sink s;
        uint64_t caller = 1, worker = 1;

        memset(&s, 0, sizeof s);
        CHECK_EQ(new_input(&a, 0, KVST_INPUT_THREADS_ONE, &st), 0);
        CHECK_EQ(kvst__input_feed(st, gz.p, gz.n, sink_out, &s), 0);
        kvst__input_steps(st, &caller, &worker);
        CHECK_EQ(caller, 0);
        CHECK_EQ(worker, 0);
        kvst__input_free(st);
        free(s.data);
    }
    free(text.p);
    free(gz.p);
}

/* How a feed's output is cut (gzip_stage.c): the first two pieces of
 * each feed one call's output (at most KVST_INFLATE_CALL_OUT), the third
 * two calls', then full buffers -- each more than a call's room short of
 * KVST_INFLATE_OUT_SIZE only when it is the feed's last -- on both paths
 * alike (paths_agree) and with both inflaters. A stage that handed on
 * each call's output failed the full buffers; one without the ramp, the
 * first pieces. */
static void test_buffer_ramp(void)
{
    static const size_t chunks[] = { 65536, 262144, 1u << 30 };
    bytes text = { 0, 0 }, gz = { 0, 0 };
    size_t k, i;
    int m, saved = mode;

    make_text(&text, 3000000, 17);
    gzip_member(&gz, text.p, text.n, 6, NULL);
    for (m = 0; m < 2; m++)
    for (k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
        counting c;
        kvst_alloc a = counting_alloc(&c);
        kvst_input *st = NULL;
        sink s;
        size_t pos = 0, full = 0;

        mode = m ? KVST_INPUT_THREADS_TWO : KVST_INPUT_THREADS_ONE;
        memset(&s, 0, sizeof s);
        s.keep = 1;
        CHECK(paths_agree(&gz, chunks[k], 1000));
        CHECK_EQ(new_input(&a, 1000, mode, &st), 0);
        while (pos < gz.n) {
            size_t n = gz.n - pos < chunks[k] ? gz.n - pos : chunks[k];
            size_t first = s.calls;
            CHECK_EQ(kvst__input_feed(st, gz.p + pos, n, sink_out, &s), 0);
            pos += n;
            CHECK(s.calls < SINK_SIZES);
            for (i = first; i < s.calls && i < SINK_SIZES; i++) {
                size_t at = i - first, len = s.sizes[i];
                if (at < 2)
                    CHECK(len <= KVST_INFLATE_CALL_OUT);
                else if (at == 2)
                    CHECK(len <= 2 * KVST_INFLATE_CALL_OUT);
                else if (i + 1 < s.calls) {
                    CHECK(len > KVST_INFLATE_OUT_SIZE - KVST_INFLATE_CALL_OUT);
                    full++;
                }
            }
        }
        CHECK_EQ(kvst__input_finish(st, sink_out, &s), 0);
        CHECK(same(&s, &text));
        CHECK(s.biggest <= KVST_INFLATE_OUT_SIZE);
        CHECK(full > 0);
        fprintf(stderr, "%s, %s, chunk %zu: %zu pieces, %zu full, biggest %zu\n",
                inflater_name(inflater), mode_name(), chunks[k], s.calls, full, s.biggest);
        kvst__input_free(st);
        CHECK_EQ(c.allocs, c.frees);
        free(s.data);
    }
    mode = saved;
    free(text.p);
    free(gz.p);
}

/* The one inflater against the other, one thread: the same status,
 * message and bytes handed on for every kind of error but two. Where the
 * input stops inside a member, ISA-L may keep the last byte or so of what
 * zlib hands on (its decoder wants more bits than the last symbol has):
 * at most FLUSH_LAG bytes. On corrupt deflate data the status and
 * message agree, and so do the bytes where the data goes bad at a symbol
 * (test_corrupt_every_split); on a corrupt Huffman table each inflater
 * finds the corruption at its own point (zlib checks the tables more
 * strictly; ISA-L goes on longer), so the bytes handed on before the
 * error differ, one a prefix of the other. The
 * compressed bytes consumed may also differ on an error: ISA-L reads
 * ahead. */
#define FLUSH_LAG 8u
static void test_inflaters_agree(void)
{
    bytes text = { 0, 0 }, gz = { 0, 0 }, bad = { 0, 0 };
    const size_t chunks[] = { 97, 1u << 30 };
    size_t pos, k;
    int saved = inflater;

    if (!have_inflater(KVST_INFLATE_ISAL)) {
        fprintf(stderr, "ISA-L not built in: only zlib\n");
        return;
    }
    make_text(&text, 20000, 12);
    gzip_member(&gz, text.p, 3000, 6, "x");
    gzip_member(&gz, text.p + 3000, 17000, 1, NULL);
    for (pos = 0; pos <= gz.n; pos++) {
        for (k = 0; k < 2 * (sizeof chunks / sizeof chunks[0]); k++) {
            outcome z, i;
            bad.n = 0;
            bytes_append(&bad, gz.p, k < 2 ? gz.n : pos);
            if (k < 2 && pos < gz.n)
                bad.p[pos] ^= (unsigned char)(0x21 + pos % 7);
            inflater = KVST_INFLATE_ZLIB;
            run_path(KVST_INPUT_THREADS_ONE, &bad, chunks[k % 2], 1000, &z);
            inflater = KVST_INFLATE_ISAL;
            run_path(KVST_INPUT_THREADS_ONE, &bad, chunks[k % 2], 1000, &i);
            size_t common = z.s.len < i.s.len ? z.s.len : i.s.len;
            int deflate_error = z.rc == KVST_E_GZIP && strstr(z.msg, "invalid deflate data");
            int lag_ok = z.rc == KVST_E_TRUNCATED && i.s.len <= z.s.len &&
                         z.s.len - i.s.len <= FLUSH_LAG;
            if (z.rc != i.rc || strcmp(z.msg, i.msg) != 0 ||
                (z.s.len != i.s.len && !deflate_error && !lag_ok) ||
                (common && memcmp(z.s.data, i.s.data, common) != 0) ||
                (z.rc == 0 && z.bytes_in != i.bytes_in)) {
                fprintf(stderr, "inflaters differ (%s at %zu, chunk %zu): zlib %d \"%s\" %zu bytes, ISA-L %d \"%s\" %zu bytes\n",
                        k < 2 ? "corrupt" : "cut", pos, chunks[k % 2], z.rc, z.msg, z.s.len, i.rc, i.msg, i.s.len);
                check_failures++;
            }
            free(z.s.data);
            free(i.s.data);
        }
    }
    inflater = saved;
    free(text.p);
    free(gz.p);
    free(bad.p);
}

int main(void)
{
    static const int modes[] = { KVST_INPUT_THREADS_ONE, KVST_INPUT_THREADS_TWO };
    static const int inflaters[] = { KVST_INFLATE_ZLIB, KVST_INFLATE_ISAL };
    size_t i, j;

    main_thread = pthread_self();
    for (j = 0; j < sizeof inflaters / sizeof inflaters[0]; j++)
    for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        inflater = inflaters[j];
        if (!have_inflater(inflater)) {
            fprintf(stderr, "== %s: not built in\n", inflater_name(inflater));
            continue;
        }
        mode = modes[i];
        fprintf(stderr, "== %s, %s\n", inflater_name(inflater), mode_name());
        test_plain();
        test_single_and_multi();
        test_every_split();
        test_truncated();
        test_truncated_last_block();
        test_corrupt_and_trailing();
        test_corrupt_every_split();
        test_out_error();
        test_ratio_limit();
        test_alloc_failure();
    }
    test_inflaters_agree();
    inflater = KVST_INFLATE_ZLIB;
    test_pool_size();
    test_path_choice();
    test_paths_identical();
    test_out_error_stops_worker();
    for (j = 0; j < sizeof inflaters / sizeof inflaters[0]; j++) {
        inflater = inflaters[j];
        if (have_inflater(inflater)) {
            test_caller_takes_steps();
            test_buffer_ramp();
        }
    }
    CHECK_EQ(foreign_allocs, 0);
    if (!check_failures)
        printf("gzip stage: all checks passed on both paths\n");
    return check_done("gzip_stage");
}
