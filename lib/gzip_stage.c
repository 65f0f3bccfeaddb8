/*
 * Stage 1: sniff gzip by its magic bytes and inflate it, or pass plain
 * bytes through untouched.
 *
 * Behaviour at the edges, chosen once and tested:
 * - Detection needs two bytes; one byte is held back until the second
 *   arrives, so any split works. An input of exactly one byte is plain.
 * - After a member ends, the next bytes must start another member (1f 8b),
 *   or be zeros to the end: trailing zero padding is accepted and ignored,
 *   as gzip(1) does (tape and block devices pad archives with zeros).
 *   Anything else is KVST_E_GZIP "trailing data after gzip member".
 * - Input ending inside a member (header included, except for the case of
 *   a one-byte input above) is KVST_E_TRUNCATED.
 * - All errors are sticky: later calls return the same code.
 */
#include "gzip_stage.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

/* Inflated bytes are handed on in pieces of at most this size; allocated
 * once, when the input turns out to be gzip. */
#define KVST_INFLATE_OUT_SIZE (64u * 1024u)
/* The ratio limit only applies past this much output, so that small,
 * highly compressible inputs (a few KiB of whitespace) pass. */
#define KVST_RATIO_GRACE_BYTES (1024u * 1024u)

#define GZ_MAGIC0 0x1fu
#define GZ_MAGIC1 0x8bu

enum input_state {
    ST_MAGIC,   /* expecting 1f 8b: the first bytes, or after a member */
    ST_PLAIN,   /* not gzip: pass everything through */
    ST_MEMBER,  /* inside a gzip member */
    ST_PADDING  /* zeros after the last member */
};

struct kvst_input {
    kvst_alloc alloc;
    uint64_t max_ratio;
    enum input_state state;
    int is_gzip;
    int held;          /* 1 when the first magic byte is held back */
    int err;           /* sticky status, 0 while healthy */
    int zinit;         /* zs holds an initialised inflate stream */
    uint64_t bytes_in;   /* raw input consumed */
    uint64_t bytes_out;  /* inflated bytes produced, all members */
    unsigned char *outbuf;
    z_stream zs;
    char msg[96];
};

/* zlib's allocations go through the caller's allocator too. */
static voidpf zalloc_hook(voidpf opaque, uInt items, uInt size)
{
    const kvst_alloc *a = (const kvst_alloc *)opaque;
    if (size != 0 && items > (size_t)-1 / size)
        return Z_NULL;
    return kvst__malloc(a, (size_t)items * size);
}

static void zfree_hook(voidpf opaque, voidpf ptr)
{
    kvst__free((const kvst_alloc *)opaque, ptr);
}

static int fail(kvst_input *in, int code, const char *msg)
{
    in->err = code;
    snprintf(in->msg, sizeof in->msg, "%s", msg);
    return code;
}

/* out() failed: keep its code (sticky) but it is not our error to explain. */
static int fail_out(kvst_input *in, int code)
{
    return fail(in, code, "stopped by the next stage");
}

int kvst__input_new(const kvst_alloc *a, uint64_t max_ratio, kvst_input **out)
{
    kvst_input *in;

    *out = NULL;
    in = (kvst_input *)kvst__malloc(a, sizeof *in);
    if (!in)
        return KVST_E_NOMEM;
    memset(in, 0, sizeof *in);
    in->alloc = *a;
    in->max_ratio = max_ratio;
    in->state = ST_MAGIC;
    *out = in;
    return 0;
}

static int ratio_exceeded(const kvst_input *in)
{
    if (in->max_ratio == 0 || in->bytes_out <= KVST_RATIO_GRACE_BYTES)
        return 0;
    /* bytes_out > max_ratio * bytes_in, without overflowing the product */
    if (in->bytes_in > UINT64_MAX / in->max_ratio)
        return 0;
    return in->bytes_out > in->max_ratio * in->bytes_in;
}

/* Begin a member: the first time, set zlib up (allocates); later, reuse. */
static int member_begin(kvst_input *in)
{
    int zr;

    if (!in->outbuf) {
        in->outbuf = (unsigned char *)kvst__malloc(&in->alloc,
                                                   KVST_INFLATE_OUT_SIZE);
        if (!in->outbuf)
            return fail(in, KVST_E_NOMEM, "out of memory for the gzip buffer");
    }
    if (in->zinit) {
        zr = inflateReset(&in->zs);
    } else {
        memset(&in->zs, 0, sizeof in->zs);
        in->zs.zalloc = zalloc_hook;
        in->zs.zfree = zfree_hook;
        in->zs.opaque = (voidpf)&in->alloc;
        /* 16 + window bits: gzip wrapper only, no zlib or raw deflate */
        zr = inflateInit2(&in->zs, 16 + MAX_WBITS);
        if (zr == Z_OK)
            in->zinit = 1;
    }
    if (zr == Z_MEM_ERROR)
        return fail(in, KVST_E_NOMEM, "out of memory in zlib");
    if (zr != Z_OK)
        return fail(in, KVST_E_GZIP, "zlib could not start a gzip member");
    in->is_gzip = 1;
    in->state = ST_MEMBER;
    return 0;
}

/*
 * Inflate from buf until it is used up or the member ends; *used gets the
 * bytes consumed. Output is handed to out() each time inflate returns, so
 * everything this input completes has been delivered when we return.
 */
static int inflate_some(kvst_input *in, const unsigned char *buf, size_t len,
                        size_t *used, kvst_bytes_fn out, void *ctx)
{
    z_stream *zs = &in->zs;
    size_t left = len;

    *used = 0;
    for (;;) {
        uInt chunk = left > (uInt)-1 ? (uInt)-1 : (uInt)left;
        uInt given = chunk;
        size_t produced;
        int zr, rc;

        zs->next_in = (Bytef *)buf;
        zs->avail_in = chunk;
        zs->next_out = in->outbuf;
        zs->avail_out = KVST_INFLATE_OUT_SIZE;
        zr = inflate(zs, Z_NO_FLUSH);

        given -= zs->avail_in;
        buf += given;
        left -= given;
        in->bytes_in += given;
        produced = KVST_INFLATE_OUT_SIZE - zs->avail_out;
        in->bytes_out += produced;

        /* What inflated before a corrupt spot is handed on before the
         * error, so the records before it come out whatever the chunking. */
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR && produced > 0) {
            rc = out(ctx, in->outbuf, produced);
            if (rc != 0)
                return fail_out(in, rc);
        }
        switch (zr) {
        case Z_OK:
        case Z_STREAM_END:
            break;
        case Z_BUF_ERROR: /* no progress possible: needs more input */
            if (produced == 0 && given == 0) {
                *used = len - left;
                return 0;
            }
            break;
        case Z_MEM_ERROR:
            return fail(in, KVST_E_NOMEM, "out of memory in zlib");
        case Z_NEED_DICT:
            return fail(in, KVST_E_GZIP, "gzip member needs a preset dictionary");
        case Z_DATA_ERROR: {
            char m[sizeof in->msg];
            snprintf(m, sizeof m, "corrupt gzip data: %s",
                     zs->msg ? zs->msg : "invalid deflate stream");
            return fail(in, KVST_E_GZIP, m);
        }
        default:
            return fail(in, KVST_E_GZIP, "zlib stream error");
        }

        if (ratio_exceeded(in)) {
            char m[sizeof in->msg];
            snprintf(m, sizeof m,
                     "inflated/compressed ratio exceeds %llu (gzip bomb?)",
                     (unsigned long long)in->max_ratio);
            return fail(in, KVST_E_LIMIT, m);
        }
        if (produced > 0) {
            rc = out(ctx, in->outbuf, produced);
            if (rc != 0)
                return fail_out(in, rc);
        }
        if (zr == Z_STREAM_END) {
            in->state = ST_MAGIC;
            *used = len - left;
            return 0;
        }
        /* A full output buffer may hide more output even with no input
         * left; otherwise stop once the input is used up. */
        if (left == 0 && zs->avail_out != 0) {
            *used = len;
            return 0;
        }
    }
}

static const unsigned char gz_magic0 = GZ_MAGIC0;

/* The input is plain after all: the held 1f byte, if any, is text. */
static int become_plain(kvst_input *in, kvst_bytes_fn out, void *ctx)
{
    int rc;

    in->state = ST_PLAIN;
    if (!in->held)
        return 0;
    in->held = 0;
    in->bytes_in++;
    rc = out(ctx, &gz_magic0, 1);
    return rc != 0 ? fail_out(in, rc) : 0;
}

/* The bytes at the start of the input, or after a member, are not gzip. */
static int magic_mismatch(kvst_input *in, unsigned char next, kvst_bytes_fn out,
                          void *ctx)
{
    if (!in->is_gzip)
        return become_plain(in, out, ctx);
    if (!in->held && next == 0) {
        in->state = ST_PADDING;
        return 0;
    }
    return fail(in, KVST_E_GZIP, "trailing data after gzip member");
}

int kvst__input_feed(kvst_input *in, const unsigned char *buf, size_t len,
                     kvst_bytes_fn out, void *ctx)
{
    size_t used, i;
    int rc;

    if (in->err)
        return in->err;
    while (len > 0) {
        switch (in->state) {
        case ST_PLAIN:
            in->bytes_in += len;
            rc = out(ctx, buf, len);
            return rc != 0 ? fail_out(in, rc) : 0;
        case ST_PADDING:
            for (i = 0; i < len; i++)
                if (buf[i] != 0) {
                    in->bytes_in += i;
                    return fail(in, KVST_E_GZIP,
                                "trailing data after gzip member");
                }
            in->bytes_in += len;
            return 0;
        case ST_MAGIC:
            if (buf[0] != (in->held ? GZ_MAGIC1 : GZ_MAGIC0)) {
                rc = magic_mismatch(in, buf[0], out, ctx);
                if (rc != 0)
                    return rc;
                break;
            }
            if (!in->held) {
                in->held = 1;
                buf++;
                len--;
                break;
            }
            /* 1f 8b: a member starts with the held byte; the 8b is still
             * in buf and goes to inflate with the rest. */
            in->held = 0;
            rc = member_begin(in);
            if (rc == 0)
                rc = inflate_some(in, &gz_magic0, 1, &used, out, ctx);
            if (rc != 0)
                return rc;
            break;
        case ST_MEMBER:
            rc = inflate_some(in, buf, len, &used, out, ctx);
            if (rc != 0)
                return rc;
            buf += used;
            len -= used;
            break;
        }
    }
    return 0;
}

int kvst__input_finish(kvst_input *in, kvst_bytes_fn out, void *ctx)
{
    if (in->err)
        return in->err;
    if (in->state == ST_MEMBER || (in->state == ST_MAGIC && in->held && in->is_gzip))
        return fail(in, KVST_E_TRUNCATED, "gzip stream ends inside a member");
    /* A single 1f byte is the whole input: plain. */
    if (in->state == ST_MAGIC && in->held)
        return become_plain(in, out, ctx);
    return 0;
}

const char *kvst__input_message(const kvst_input *in)
{
    return in->msg;
}

int kvst__input_is_gzip(const kvst_input *in)
{
    return in->is_gzip;
}

uint64_t kvst__input_bytes_in(const kvst_input *in)
{
    return in->bytes_in;
}

void kvst__input_free(kvst_input *in)
{
    if (!in)
        return;
    if (in->zinit)
        inflateEnd(&in->zs);
    kvst__free(&in->alloc, in->outbuf);
    kvst__free(&in->alloc, in);
}
