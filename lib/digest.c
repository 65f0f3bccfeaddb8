/*
 * Stage 4c: a CloudTrail digest file (KVST_FLAG_DIGESTS) as a typed
 * kvst_digest, from the record's tape, with its fields validated (findings
 * KVST_F_DIGEST_*). Table-driven like the envelope: one row per member,
 * naming where it lands and which rule its text obeys. Hashes and
 * signatures are not checked here: that needs crypto, which the core
 * library does not depend on (`kvstrail verify` does it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The rule a member's text obeys. */
enum digest_rule {
    R_TEXT,        /* any string */
    R_TIME,        /* YYYY-MM-DDTHH:MM:SSZ */
    R_ACCOUNT,     /* 12 digits */
    R_HASH,        /* 64 hex digits */
    R_HASH_ALGO,   /* "SHA-256" */
    R_SIG_ALGO,    /* "SHA256withRSA" */
    R_FINGERPRINT, /* 32 hex digits */
    R_SIGNATURE    /* hex, even length */
};

/* Member flags. */
#define M_REQUIRED 1u /* absent is a finding */
#define M_NULLABLE 2u /* JSON null is allowed (and leaves the view NULL) */
#define M_PREVIOUS 4u /* one of the previousDigest* members */

typedef struct digest_member {
    const char *name;
    uint32_t len;
    uint32_t rule;
    uint32_t flags;
    size_t str;   /* offset of the kvst_str */
    size_t ms;    /* R_TIME: offset of the int64_t; R_HASH: of the bytes */
    size_t valid; /* R_TIME, R_HASH: offset of the int32_t */
} digest_member;

#define MEMBER(name, rule, flags, type, s, ms, valid) \
    { name, sizeof(name) - 1, rule, flags, offsetof(type, s), ms, valid }
#define PLAIN(name, rule, flags, type, s) MEMBER(name, rule, flags, type, s, 0, 0)
#define TIMED(name, flags, type, s) \
    MEMBER(name, R_TIME, flags, type, s, offsetof(type, s##_ms), offsetof(type, s##_valid))

#define RQ M_REQUIRED
#define PREV (M_REQUIRED | M_NULLABLE | M_PREVIOUS)

static const digest_member digest_members[] = {
    PLAIN("awsAccountId", R_ACCOUNT, RQ, kvst_digest, aws_account_id),
    TIMED("digestStartTime", RQ, kvst_digest, digest_start_time),
    TIMED("digestEndTime", RQ, kvst_digest, digest_end_time),
    PLAIN("digestS3Bucket", R_TEXT, RQ, kvst_digest, digest_s3_bucket),
    PLAIN("digestS3Object", R_TEXT, RQ, kvst_digest, digest_s3_object),
    PLAIN("digestPublicKeyFingerprint", R_FINGERPRINT, RQ, kvst_digest,
          digest_public_key_fingerprint),
    PLAIN("digestSignatureAlgorithm", R_SIG_ALGO, RQ, kvst_digest,
          digest_signature_algorithm),
    TIMED("newestEventTime", M_NULLABLE, kvst_digest, newest_event_time),
    TIMED("oldestEventTime", M_NULLABLE, kvst_digest, oldest_event_time),
    PLAIN("previousDigestS3Bucket", R_TEXT, PREV, kvst_digest, previous_digest_s3_bucket),
    PLAIN("previousDigestS3Object", R_TEXT, PREV, kvst_digest, previous_digest_s3_object),
    MEMBER("previousDigestHashValue", R_HASH, PREV, kvst_digest, previous_digest_hash_value,
           offsetof(kvst_digest, previous_hash), offsetof(kvst_digest, previous_hash_valid)),
    PLAIN("previousDigestHashAlgorithm", R_HASH_ALGO, PREV, kvst_digest,
          previous_digest_hash_algorithm),
    PLAIN("previousDigestSignature", R_SIGNATURE, PREV, kvst_digest,
          previous_digest_signature),
};

static const digest_member log_file_members[] = {
    PLAIN("s3Bucket", R_TEXT, RQ, kvst_digest_log_file, s3_bucket),
    PLAIN("s3Object", R_TEXT, RQ, kvst_digest_log_file, s3_object),
    MEMBER("hashValue", R_HASH, RQ, kvst_digest_log_file, hash_value,
           offsetof(kvst_digest_log_file, hash), offsetof(kvst_digest_log_file, hash_valid)),
    PLAIN("hashAlgorithm", R_HASH_ALGO, RQ, kvst_digest_log_file, hash_algorithm),
    TIMED("newestEventTime", M_NULLABLE, kvst_digest_log_file, newest_event_time),
    TIMED("oldestEventTime", M_NULLABLE, kvst_digest_log_file, oldest_event_time),
};

#undef RQ
#undef PREV

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))


/* 1 when s is len hex digits (any len when want is 0, then even). */
static int is_hex(const char *s, size_t len, size_t want)
{
    size_t i;

    if (want ? len != want : len == 0 || len % 2 != 0)
        return 0;
    for (i = 0; i < len; i++)
        if (kvst__hex_digit((unsigned char)s[i]) < 0)
            return 0;
    return 1;
}

typedef struct digest_ctx {
    const kvst_tape *t;
    kvst_finding_sink *sink;
    char path[64]; /* the pointer of the object being read */
    size_t path_len;
} digest_ctx;

/* Report code at the pointer of the object being read + "/" + name. */
static int member_finding(digest_ctx *c, uint32_t code, const char *name, const char *fmt, ...)
    KVST_PRINTF(4, 5);

static int member_finding(digest_ctx *c, uint32_t code, const char *name, const char *fmt, ...)
{
    char ptr[128];
    size_t n;
    va_list ap;
    int rc;

    memcpy(ptr, c->path, c->path_len);
    n = kvst__ptr_push(ptr, sizeof ptr, c->path_len, name, strlen(name));
    va_start(ap, fmt);
    rc = c->sink->add(c->sink, code, kvst_finding_severity(code), ptr, n, fmt, ap);
    va_end(ap);
    return rc;
}

static void set_valid(unsigned char *base, size_t off)
{
    int32_t one = 1;
    memcpy(base + off, &one, sizeof one);
}

/* Values longer than this many bytes are cut in messages, on a character
 * boundary (kvst__text_cut). */
#define SHOWN_MAX 80u

/* A rule's finding and what the message says is expected. */
static const struct {
    uint32_t code;
    const char *expect;
} rule_findings[] = {
    [R_TEXT] = { 0, "" },
    [R_TIME] = { KVST_F_DIGEST_TIME, "YYYY-MM-DDTHH:MM:SSZ" },
    [R_ACCOUNT] = { KVST_F_DIGEST_ACCOUNT, "12 digits" },
    [R_HASH] = { KVST_F_DIGEST_HASH, "64 hex digits" },
    [R_HASH_ALGO] = { KVST_F_DIGEST_ALGORITHM, "SHA-256" },
    [R_SIG_ALGO] = { KVST_F_DIGEST_ALGORITHM, "SHA256withRSA" },
    [R_FINGERPRINT] = { KVST_F_DIGEST_FINGERPRINT, "32 hex digits" },
    [R_SIGNATURE] = { KVST_F_DIGEST_SIGNATURE, "an even number of hex digits" },
};

/* Check one string member's text by its rule; fill what it decodes to. */
static int check_rule(digest_ctx *c, const digest_member *m, const char *s, size_t len,
                      unsigned char *base)
{
    int64_t ms = 0;
    size_t i;
    int ok;

    switch (m->rule) {
    case R_TIME:
        ok = kvst_validate_timestamp(s, len, &ms) == 0;
        if (ok) {
            memcpy(base + m->ms, &ms, sizeof ms);
            set_valid(base, m->valid);
        }
        break;
    case R_ACCOUNT: ok = kvst_validate_account_id(s, len) == 0; break;
    case R_HASH:
        ok = is_hex(s, len, 64);
        for (i = 0; ok && i < 32; i++)
            base[m->ms + i] = (unsigned char)(kvst__hex_digit((unsigned char)s[2 * i]) * 16 + kvst__hex_digit((unsigned char)s[2 * i + 1]));
        if (ok)
            set_valid(base, m->valid);
        break;
    case R_HASH_ALGO: ok = len == 7 && memcmp(s, "SHA-256", 7) == 0; break;
    case R_SIG_ALGO: ok = len == 13 && memcmp(s, "SHA256withRSA", 13) == 0; break;
    case R_FINGERPRINT: ok = is_hex(s, len, 32); break;
    case R_SIGNATURE: ok = is_hex(s, len, 0); break;
    default: ok = 1; break;
    }
    if (ok)
        return 0;
    return member_finding(c, rule_findings[m->rule].code, m->name, "%s is '%.*s', expected %s",
                          m->name, (int)kvst__text_cut(s, len, SHOWN_MAX), s,
                          rule_findings[m->rule].expect);
}

static const char *kind_name(uint32_t kind)
{
    switch (kind) {
    case KVST_JSON_NULL: return "null";
    case KVST_JSON_BOOLEAN: return "a boolean";
    case KVST_JSON_INTEGER: return "an integer";
    case KVST_JSON_DOUBLE: return "a number";
    case KVST_JSON_STRING: return "a string";
    case KVST_JSON_OBJECT: return "an object";
    case KVST_JSON_ARRAY: return "an array";
    default: return "a value";
    }
}

/*
 * Fill the struct at base from the object node obj by the table; *nulls
 * counts the M_PREVIOUS members that are null or absent, *set those that
 * are strings.
 */
static int fill_members(digest_ctx *c, uint32_t obj, const digest_member *m, size_t n,
                        unsigned char *base, unsigned *nulls, unsigned *set)
{
    size_t i;

    for (i = 0; i < n; i++, m++) {
        uint32_t v = kvst__tape_get(c->t, obj, m->name, m->len);
        const kvst_node *node;
        kvst_str s;
        int rc;

        if (v == KVST_NO_NODE || c->t->nodes[v].kind == KVST_JSON_NULL) {
            if (m->flags & M_PREVIOUS)
                (*nulls)++;
            if (v == KVST_NO_NODE && (m->flags & M_REQUIRED))
                rc = member_finding(c, KVST_F_DIGEST_MEMBER_MISSING, m->name, "%s is missing",
                                    m->name);
            else if (v != KVST_NO_NODE && !(m->flags & M_NULLABLE))
                rc = member_finding(c, KVST_F_DIGEST_MEMBER_TYPE, m->name,
                                    "%s is null, expected a string", m->name);
            else
                rc = 0;
            if (rc)
                return rc;
            continue;
        }
        node = &c->t->nodes[v];
        if (node->kind != KVST_JSON_STRING) {
            const char *what = kind_name(node->kind);
            rc = member_finding(c, KVST_F_DIGEST_MEMBER_TYPE, m->name,
                                "%s is %s, expected a string", m->name, what);
            if (rc)
                return rc;
            continue;
        }
        if (m->flags & M_PREVIOUS)
            (*set)++;
        s.ptr = c->t->strings + node->soff;
        s.len = node->len;
        memcpy(base + m->str, &s, sizeof s);
        rc = check_rule(c, m, s.ptr, s.len, base);
        if (rc)
            return rc;
    }
    return 0;
}

static void set_path(digest_ctx *c, const char *path, size_t len)
{
    memcpy(c->path, path, len);
    c->path_len = len;
}

/* oldest after newest, start after end: a warning (the clocks are AWS's). */
static int time_order(digest_ctx *c, int ok, int64_t lo, int64_t hi, const char *lo_name,
                      const char *hi_name)
{
    if (!ok || lo <= hi)
        return 0;
    return member_finding(c, KVST_F_DIGEST_TIME_ORDER, lo_name, "%s is after %s", lo_name,
                          hi_name);
}

static int fill_log_files(digest_ctx *c, uint32_t arr, kvst_arena *ar, kvst_digest *d)
{
    const kvst_tape *t = c->t;
    const kvst_digest_log_file **list;
    uint32_t i;
    size_t n = 0, k = 0;
    char path[64];
    int rc;

    for (i = arr + 1; i < t->nodes[arr].next; i = t->nodes[i].next)
        n++;
    if (n == 0)
        return 0; /* an hour without log files is normal */
    list = (const kvst_digest_log_file **)kvst__arena_alloc(
        ar, n * sizeof(const kvst_digest_log_file *));
    if (!list)
        return KVST_E_NOMEM;
    for (i = arr + 1; i < t->nodes[arr].next; i = t->nodes[i].next, k++) {
        kvst_digest_log_file *lf;
        unsigned nulls = 0, set = 0;
        size_t len = kvst__ptr_push(path, sizeof path, 0, "logFiles", 8);

        len = kvst__ptr_push_index(path, sizeof path, len, k);
        set_path(c, path, len);
        if (t->nodes[i].kind != KVST_JSON_OBJECT) {
            c->path_len = 9; /* "/logFiles" */
            rc = member_finding(c, KVST_F_DIGEST_LOG_FILE, path + 10,
                                "logFiles element %lu is %s, expected an object",
                                (unsigned long)k, kind_name(t->nodes[i].kind));
            if (rc)
                return rc;
            list[k] = NULL;
            continue;
        }
        lf = (kvst_digest_log_file *)kvst__arena_zalloc(ar, sizeof *lf);
        if (!lf)
            return KVST_E_NOMEM;
        lf->struct_size = sizeof *lf;
        rc = fill_members(c, i, log_file_members, COUNT(log_file_members), (unsigned char *)lf,
                          &nulls, &set);
        if (!rc)
            rc = time_order(c, lf->oldest_event_time_valid && lf->newest_event_time_valid,
                            lf->oldest_event_time_ms, lf->newest_event_time_ms,
                            "oldestEventTime", "newestEventTime");
        if (rc)
            return rc;
        list[k] = lf;
    }
    d->log_files = list;
    d->log_file_count = n;
    return 0;
}

int kvst__digest_build(const kvst_tape *t, kvst_arena *ar, const kvst_digest **out,
                       kvst_finding_sink *sink)
{
    kvst_digest *d = (kvst_digest *)kvst__arena_zalloc(ar, sizeof *d);
    digest_ctx c;
    unsigned nulls = 0, set = 0;
    uint32_t files;
    int rc;

    if (!d)
        return KVST_E_NOMEM;
    d->struct_size = sizeof *d;
    c.t = t;
    c.sink = sink;
    set_path(&c, "", 0);
    rc = fill_members(&c, t->root, digest_members, COUNT(digest_members), (unsigned char *)d,
                      &nulls, &set);
    if (!rc && nulls && set)
        rc = member_finding(&c, KVST_F_DIGEST_PREVIOUS_PARTIAL, "previousDigestSignature",
                            "%u previousDigest* members are null or absent and %u are set",
                            nulls, set);
    if (!rc)
        rc = time_order(&c, d->digest_start_time_valid && d->digest_end_time_valid,
                        d->digest_start_time_ms, d->digest_end_time_ms, "digestStartTime",
                        "digestEndTime");
    if (!rc)
        rc = time_order(&c, d->oldest_event_time_valid && d->newest_event_time_valid,
                        d->oldest_event_time_ms, d->newest_event_time_ms, "oldestEventTime",
                        "newestEventTime");
    if (rc)
        return rc;
    files = kvst__tape_get(t, t->root, "logFiles", 8);
    if (files == KVST_NO_NODE)
        rc = member_finding(&c, KVST_F_DIGEST_MEMBER_MISSING, "logFiles", "logFiles is missing");
    else if (t->nodes[files].kind != KVST_JSON_ARRAY)
        rc = member_finding(&c, KVST_F_DIGEST_MEMBER_TYPE, "logFiles",
                            "logFiles is %s, expected an array", kind_name(t->nodes[files].kind));
    else
        rc = fill_log_files(&c, files, ar, d);
    if (rc)
        return rc;
    *out = d;
    return 0;
}

const kvst_digest *kvst_event_digest(const kvst_event *ev)
{
    if (!ev || ev->status != 0 || ev->container != KVST_CONTAINER_DIGEST)
        return NULL;
    return ((const kvst_event_impl *)(const void *)ev)->digest;
}
