/*
 * Fuzz target: the fast lexer (lib/fastlex.c) against yajl alone. The
 * header chooses the options and chunk sizes as for fuzz_parser; with bit
 * 0x40 of its first byte the body is gzip-compressed first (the gzip stage
 * then hands each feed on in pieces, and the fast lexer holds records
 * across them). The body is parsed with the fast lexer on, then off, and
 * the two runs must give the same events, status and error offset; then
 * again under KVST_FLAG_KVS_ONLY, the records it drops skipped after the
 * fast lexer's pass 1 against read token by token (KVST_FLAG_NO_SKIP) or
 * against yajl alone; then with a filter's time window, the records
 * outside it skipped after pass 1 against read. Failed
 * allocations are not injected: the two paths allocate differently, and
 * each is checked for that by the other targets.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fuzz_common.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* body as one gzip member (level 1); NULL when zlib fails */
static uint8_t *gzip_body(const uint8_t *body, size_t len, size_t *out_len)
{
    z_stream zs;
    uLong bound;
    uint8_t *out;

    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    bound = deflateBound(&zs, (uLong)len);
    out = (uint8_t *)malloc(bound);
    if (out) {
        zs.next_in = (Bytef *)body;
        zs.avail_in = (uInt)len;
        zs.next_out = out;
        zs.avail_out = (uInt)bound;
        if (deflate(&zs, Z_FINISH) == Z_STREAM_END) {
            *out_len = bound - zs.avail_out;
        } else {
            free(out);
            out = NULL;
        }
    }
    deflateEnd(&zs);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_plan plan;
    fuzz_result fast, slow;
    kvst_filter window;
    const uint8_t *body = data + FUZZ_HEADER_LEN;
    size_t len;
    uint8_t *gz = NULL;

    if (size < FUZZ_HEADER_LEN)
        return 0;
    len = size - FUZZ_HEADER_LEN;
    fuzz_plan_from_header(data, &plan);
    plan.fail_alloc = 0;
    if (data[0] & 0x40) {
        gz = gzip_body(body, len, &len);
        if (!gz)
            return 0;
        body = gz;
    }
    fuzz_run(body, len, &plan, &fast);
    plan.flags |= KVST_FLAG_NO_FASTLEX;
    fuzz_run(body, len, &plan, &slow);
    fuzz_same_result(&fast, &slow, "fast lexer against yajl alone");
    /* the records KVST_FLAG_KVS_ONLY drops, skipped after pass 1 against
     * read token by token (bit 0x20 of the first byte: skipped against
     * yajl alone) */
    plan.flags = (plan.flags & ~KVST_FLAG_NO_FASTLEX) | KVST_FLAG_KVS_ONLY;
    fuzz_run(body, len, &plan, &fast);
    plan.flags |= (data[0] & 0x20) ? KVST_FLAG_NO_FASTLEX : KVST_FLAG_NO_SKIP;
    fuzz_run(body, len, &plan, &slow);
    fuzz_same_result(&fast, &slow, "records skipped against read");
    /* the records a time window drops (since and until from the header's
     * chunk bytes: a few seconds from 2024-03-01T00:00:00Z, where the
     * seed corpus's events are), skipped after pass 1 against read */
    memset(&window, 0, sizeof window);
    window.struct_size = sizeof window;
    window.flags = KVST_FILTER_SINCE | KVST_FILTER_UNTIL;
    window.since_ms = INT64_C(1709251200000) + (int64_t)(data[1] % 16) * 1000;
    window.until_ms = window.since_ms + (int64_t)(data[2] % 16) * 1000;
    plan.filter = &window;
    plan.flags &= ~(KVST_FLAG_KVS_ONLY | KVST_FLAG_NO_FASTLEX | KVST_FLAG_NO_SKIP);
    fuzz_run(body, len, &plan, &fast);
    plan.flags |= KVST_FLAG_NO_SKIP;
    fuzz_run(body, len, &plan, &slow);
    fuzz_same_result(&fast, &slow, "records outside the time window skipped against read");
    free(gz);
    return 0;
}
