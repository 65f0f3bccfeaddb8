/*
 * Fuzz target: the gzip path. After the common header, two bytes choose how
 * the rest is wrapped: compressed by zlib into one to four gzip members, or
 * taken raw as a deflate stream behind a gzip header (so the inflater meets
 * arbitrary compressed bytes), then maybe truncated, corrupted or followed
 * by stray bytes. A clean wrapping must give exactly the events of the
 * plain input.
 */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
    G_MEMBERS = 0x03,  /* members - 1 */
    G_TRUNCATE = 0x04, /* drop the last 1..16 bytes */
    G_RAW = 0x08,      /* body is the deflate data itself */
    G_CORRUPT = 0x10,  /* flip one byte */
    G_TRAILER = 0x20,  /* stray plain bytes after the last member */
    G_STORED = 0x40,   /* compression level 0 */
};

#define GZIP_HEADER_LEN 2u

/* A gzip member of in[0..len) at out; returns its length. */
static size_t deflate_member(const uint8_t *in, size_t len, int level, uint8_t *out,
                             size_t cap)
{
    z_stream z;
    size_t n;
    memset(&z, 0, sizeof z);
    FUZZ_CHECK(deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    FUZZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
    n = z.total_out;
    deflateEnd(&z);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t raw_header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff };
    fuzz_plan plan;
    fuzz_result gz, plain;
    const uint8_t *body;
    uint8_t g0, g1, *buf;
    size_t len, cap, n = 0, members, i;

    if (size < FUZZ_HEADER_LEN + GZIP_HEADER_LEN)
        return 0;
    fuzz_plan_from_header(data, &plan);
    g0 = data[FUZZ_HEADER_LEN];
    g1 = data[FUZZ_HEADER_LEN + 1];
    body = data + FUZZ_HEADER_LEN + GZIP_HEADER_LEN;
    len = size - FUZZ_HEADER_LEN - GZIP_HEADER_LEN;
    members = (g0 & G_MEMBERS) + 1u;

    cap = sizeof raw_header + len + 16u + members * (compressBound((uLong)len) + 32u);
    buf = (uint8_t *)malloc(cap);
    FUZZ_CHECK(buf != NULL);
    if (g0 & G_RAW) {
        memcpy(buf, raw_header, sizeof raw_header);
        memcpy(buf + sizeof raw_header, body, len);
        n = sizeof raw_header + len;
    } else {
        size_t start = 0;
        for (i = 1; i <= members; i++) {
            size_t end = len * i / members;
            n += deflate_member(body + start, end - start, (g0 & G_STORED) ? 0 : 6,
                                buf + n, cap - n);
            start = end;
        }
    }
    if ((g0 & G_TRUNCATE) && n > 0)
        n -= n < 1u + g1 % 16u ? n : 1u + g1 % 16u;
    if ((g0 & G_CORRUPT) && n > 0)
        buf[(g1 * 131u) % n] ^= 0x5a;
    if (g0 & G_TRAILER) {
        size_t t = len < 16 ? len : 16;
        memcpy(buf + n, body, t);
        n += t;
    }

    fuzz_run_twice(buf, n, &plan, &gz);

    /* A clean wrapping of a body that is not itself gzip inflates to the
     * body: the same events, status and error position as the plain run,
     * unless the inflate ratio limit stopped the gzip run. */
    if (!(g0 & (G_TRUNCATE | G_RAW | G_CORRUPT | G_TRAILER)) && !plan.fail_alloc &&
        !plan.stop_after && gz.status != KVST_E_LIMIT && !(len > 0 && body[0] == 0x1f)) {
        plan.plain = body;
        plan.plain_len = len;
        fuzz_run(body, len, &plan, &plain);
        fuzz_same_result(&gz, &plain, "gzip and plain input give the same events");
    }
    free(buf);
    return 0;
}
