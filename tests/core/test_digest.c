/*
 * Digest files as typed kvst_digest values (KVST_FLAG_DIGESTS): every
 * member lands where the header says, hashes and times are decoded, a
 * starting digest has every previous_* NULL, an empty hour has no log
 * files; copies keep the digest; other events have none; without the flag
 * a digest is refused as in 1.0; KVST_FLAG_KVS_ONLY leaves them out.
 *
 * usage: test_digest FIXTURES_DIR
 */
#include <kvstrail/kvstrail.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "textbuf.h"

#define MAX_EVENTS 4

typedef struct collected {
    kvst_event *ev[MAX_EVENTS];
    size_t n;
} collected;

static int keep(const kvst_event *ev, void *payload)
{
    collected *c = (collected *)payload;
    if (c->n < MAX_EVENTS && kvst_event_copy(ev, &c->ev[c->n]) == 0)
        c->n++;
    return 0;
}

static int parse(const textbuf *in, uint32_t flags, collected *c)
{
    kvst_parser_options o = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    int rc;

    memset(c, 0, sizeof *c);
    o.flags = flags;
    o.on_event = keep;
    o.payload = c;
    rc = kvst_parser_new(&o, &p);
    if (rc == 0)
        rc = kvst_parser_feed(p, in->data, in->len);
    if (rc == 0)
        rc = kvst_parser_finish(p);
    kvst_parser_free(p);
    return rc;
}

static void release(collected *c)
{
    size_t i;
    for (i = 0; i < c->n; i++)
        kvst_event_free(c->ev[i]);
}

static const unsigned char hash0[32] = {
    0x7a, 0xab, 0x8a, 0x1f, 0x04, 0xf3, 0x2a, 0xdf, 0x11, 0x13, 0xc9, 0xac, 0xdd, 0x89, 0x4f, 0x10,
    0xa2, 0xb5, 0xfa, 0x40, 0x39, 0xfc, 0xb4, 0xdd, 0x1c, 0xbd, 0x40, 0xb1, 0x3e, 0x48, 0x2b, 0x8a,
};
/* SHA-256 of nothing, written in upper case in the fixture. */
static const unsigned char hash1[32] = {
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};

static void check_start(const kvst_digest *d)
{
    const kvst_digest_log_file *lf;

    CHECK(d != NULL);
    if (!d)
        return;
    CHECK_EQ(d->struct_size, sizeof *d);
    CHECK_VIEW(d->aws_account_id, "111122223333");
    CHECK_VIEW(d->digest_end_time, "2025-10-21T01:00:00Z");
    CHECK_EQ(d->digest_start_time_valid, 1);
    CHECK_EQ(d->digest_end_time_valid, 1);
    CHECK_EQ(d->digest_start_time_ms, INT64_C(1761004800000));
    CHECK_EQ(d->digest_end_time_ms - d->digest_start_time_ms, INT64_C(3600000));
    CHECK_VIEW(d->digest_public_key_fingerprint, "31E8B5433410DFB61A9DC45CC65B22FF");
    CHECK_VIEW(d->digest_signature_algorithm, "SHA256withRSA");
    CHECK_EQ(d->oldest_event_time_ms, INT64_C(1761004801000));
    CHECK(d->previous_digest_s3_bucket.ptr == NULL);
    CHECK(d->previous_digest_s3_object.ptr == NULL);
    CHECK(d->previous_digest_hash_value.ptr == NULL);
    CHECK(d->previous_digest_hash_algorithm.ptr == NULL);
    CHECK(d->previous_digest_signature.ptr == NULL);
    CHECK_EQ(d->previous_hash_valid, 0);
    CHECK_EQ(d->log_file_count, 2);
    if (d->log_file_count != 2)
        return;
    lf = d->log_files[0];
    CHECK_EQ(lf->struct_size, sizeof *lf);
    CHECK_VIEW(lf->s3_bucket, "amzn-s3-demo-bucket");
    CHECK(lf->s3_object.len > 0 && strstr(lf->s3_object.ptr, "_20251021T0005Z_") != NULL);
    CHECK_EQ(lf->hash_valid, 1);
    CHECK(memcmp(lf->hash, hash0, 32) == 0);
    CHECK_VIEW(lf->hash_algorithm, "SHA-256");
    CHECK_EQ(lf->newest_event_time_valid, 1);
    CHECK_EQ(lf->newest_event_time_ms, INT64_C(1761007947000));
    lf = d->log_files[1];
    CHECK_EQ(lf->hash_valid, 1);
    CHECK(memcmp(lf->hash, hash1, 32) == 0);
}

static void check_empty_hour(const kvst_digest *d)
{
    static const unsigned char prev[4] = { 0x97, 0xfb, 0x79, 0x1c };

    CHECK(d != NULL);
    if (!d)
        return;
    CHECK_EQ(d->log_file_count, 0);
    CHECK(d->log_files == NULL);
    CHECK(d->newest_event_time.ptr == NULL);
    CHECK_EQ(d->newest_event_time_valid, 0);
    CHECK_EQ(d->previous_hash_valid, 1);
    CHECK(memcmp(d->previous_hash, prev, 4) == 0);
    CHECK_VIEW(d->previous_digest_signature, "0a1b2c3d4e5f");
}

/* A value quoted in a finding's message is cut at 80 bytes on a character
 * boundary, so the message is well-formed UTF-8 (fuzz_digest's
 * crash-digest-message-cut-in-character-*): a fingerprint of ASCII with a
 * 2-, 3- or 4-byte character whose bytes fall at each place about the
 * limit (ending one under it, at it, cut after each of its bytes, starting
 * at it). */
static void check_fingerprint_cut(const textbuf *start)
{
    static const char *const wide[] = { "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80" };
    static const char fp[] = "31E8B5433410DFB61A9DC45CC65B22FF";
    const char *nl = strchr(start->data, '\n');
    const char *at = strstr(start->data, fp);
    size_t w, p;

    CHECK(nl != NULL && at != NULL && at < nl);
    if (!nl || !at)
        return;
    for (w = 0; w < 3; w++) {
        size_t clen = strlen(wide[w]);
        for (p = 80 - clen - 1; p <= 80; p++) {
            char value[100], want[200];
            textbuf in = { 0, 0, 0 };
            collected c;
            size_t i, cut, found = 0;

            memset(value, 'A', p);
            memcpy(value + p, wide[w], clen);
            memcpy(value + p + clen, "BBBBBBBB", 9);
            cut = p + clen <= 80 ? 80 : p;
            snprintf(want, sizeof want, "digestPublicKeyFingerprint is '%.*s', expected 32 hex digits",
                     (int)cut, value);
            textbuf_add(&in, start->data, (size_t)(at - start->data));
            textbuf_add(&in, value, strlen(value));
            textbuf_add(&in, at + strlen(fp), (size_t)(nl - at - strlen(fp)));
            CHECK_EQ(parse(&in, KVST_FLAG_DIGESTS, &c), 0);
            for (i = 0; c.n == 1 && i < c.ev[0]->finding_count; i++) {
                const kvst_finding *f = c.ev[0]->findings[i];
                if (f->code != KVST_F_DIGEST_FINGERPRINT)
                    continue;
                found++;
                if (f->message.len != strlen(want) || memcmp(f->message.ptr, want, f->message.len) != 0) {
                    fprintf(stderr, "%zu-byte character at %zu: message '%.*s'\n", clen, p,
                            (int)f->message.len, f->message.ptr);
                    check_failures++;
                }
            }
            CHECK_EQ(found, 1);
            release(&c);
            free(in.data);
        }
    }
}

int main(int argc, char **argv)
{
    char path[4096];
    textbuf start = { 0, 0, 0 }, single = { 0, 0, 0 }, arr = { 0, 0, 0 }, zipped = { 0, 0, 0 };
    collected c;
    size_t i;

    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURES_DIR\n", argv[0]);
        return 2;
    }
    snprintf(path, sizeof path, "%s/digest-start.json", argv[1]);
    textbuf_load(&start, path);
    snprintf(path, sizeof path, "%s/single-event.json", argv[1]);
    textbuf_load(&single, path);

    /* two digests: a starting one and an empty hour */
    CHECK_EQ(parse(&start, KVST_FLAG_DIGESTS, &c), 0);
    CHECK_EQ(c.n, 2);
    if (c.n == 2) {
        CHECK_EQ(c.ev[0]->container, KVST_CONTAINER_DIGEST);
        CHECK_EQ(c.ev[0]->finding_count, 0);
        CHECK(c.ev[0]->identity != NULL);
        CHECK(c.ev[0]->event_name.ptr == NULL);
        check_start(kvst_event_digest(c.ev[0])); /* through a copy */
        check_empty_hour(kvst_event_digest(c.ev[1]));
    }
    release(&c);

    /* gzip, one member per digest: the same digests, in the JSON contract */
    textbuf_gzip(&zipped, start.data, start.len, 1395);
    CHECK_EQ(parse(&zipped, KVST_FLAG_DIGESTS, &c), 0);
    CHECK_EQ(c.n, 2);
    for (i = 0; i < c.n; i++) {
        textbuf json = { 0, 0, 0 };
        textbuf_add_event(&json, c.ev[i], "d.json.gz");
        CHECK(strstr(json.data, "\"container\":\"digest\",\"action\":null,\"digest\":{\"awsAccountId\":"
                                "\"111122223333\"") != NULL);
        free(json.data);
    }
    if (c.n == 2)
        check_start(kvst_event_digest(c.ev[0]));
    release(&c);

    /* a digest is no KVS record */
    CHECK_EQ(parse(&start, KVST_FLAG_DIGESTS | KVST_FLAG_KVS_ONLY, &c), 0);
    CHECK_EQ(c.n, 0);
    release(&c);

    /* without the flag: refused, as in 1.0 */
    CHECK_EQ(parse(&start, 0, &c), KVST_E_NOT_CLOUDTRAIL);
    CHECK_EQ(c.n, 0);
    release(&c);

    /* a digest is a file, not an element of an array of events */
    textbuf_add(&arr, "[", 1);
    textbuf_add(&arr, start.data, (size_t)(strchr(start.data, '\n') - start.data));
    textbuf_add(&arr, "]", 1);
    CHECK_EQ(parse(&arr, KVST_FLAG_DIGESTS, &c), KVST_E_NOT_CLOUDTRAIL);
    release(&c);

    /* an event is no digest */
    CHECK_EQ(parse(&single, KVST_FLAG_DIGESTS, &c), 0);
    CHECK(c.n >= 1);
    for (i = 0; i < c.n; i++)
        CHECK(kvst_event_digest(c.ev[i]) == NULL);
    release(&c);
    CHECK(kvst_event_digest(NULL) == NULL);

    check_fingerprint_cut(&start);

    free(start.data);
    free(single.data);
    free(arr.data);
    free(zipped.data);
    return check_done("digest");
}
