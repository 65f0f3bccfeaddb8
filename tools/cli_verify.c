/*
 * kvstrail verify: an archive in CloudTrail's S3 layout, checked offline.
 *
 *   1. walk the PATHs (cli_walk); each file is a digest, a log file, or
 *      outside the layout (kept only to find moved files by name);
 *   2. read every digest: SHA-256 of its inflated bytes, then its members
 *      through libkvstrail (KVST_FLAG_DIGESTS);
 *   3. chain: each digest's previous digest is looked up by S3 key; its
 *      hash must be previousDigestHashValue, and previousDigestSignature is
 *      its signature (the S3 metadata a sync drops); the newest digest's
 *      signature comes from --signatures or it is an unsigned tip;
 *   4. signatures: RSA over the user guide's four-line string with the key
 *      the fingerprint names (cli_verify_crypto.c);
 *   5. every log file a digest lists is hashed (first gzip member,
 *      inflated); log files on disk that no digest lists are not-listed.
 *
 * The verdicts and what each proves are in docs/verify.md.
 */
#include "cli_verify.h"

#include "cli_buf.h"
#include "cli_verify_crypto.h"
#include "cli_walk.h"

#include <kvstrail/kvstrail.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#define EXIT_OK 0
#define EXIT_PROBLEM 1
#define EXIT_INPUT 2
#define EXIT_USAGE 64

/* A digest is small (CloudTrail lists an hour); refuse a huge one. */
#define DIGEST_MAX_BYTES (64u * 1024u * 1024u)
#define MAX_FILTERS 16

/* Verdicts, worst last within each kind (a file keeps its worst). */
enum verdict {
    V_VALID,
    V_UNSIGNED,     /* digest: no signature to check it with */
    V_MOVED,        /* not where its S3 key says */
    V_NOT_LISTED,   /* log file: on disk, in no digest */
    V_MISSING,      /* listed (or chained to), not on disk */
    V_CHAIN_BROKEN, /* digest: previous digest's hash or signature differs */
    V_MODIFIED,     /* log file: hash differs, or data after the gzip member */
    V_BAD_SIGNATURE,
    V_UNREADABLE,
    V__COUNT
};

static const char *const verdict_names[V__COUNT] = {
    "valid", "unsigned", "moved", "not-listed", "missing", "chain-broken", "modified",
    "bad-signature", "unreadable",
};

enum format { FMT_TEXT, FMT_JSONL, FMT_SARIF };

/* The crypto module's table (cli_verify_crypto.h), loaded by need_crypto
 * when verify first needs it: not for --help or a usage error. */
static const struct cli_crypto *cx;

struct options {
    enum format format;
    int verbose;
    long long since, until; /* epoch seconds, -1 none */
    const char *accounts[MAX_FILTERS], *regions[MAX_FILTERS];
    size_t n_accounts, n_regions;
    char **paths;
    size_t n_paths;
};

struct vfile {
    char *path;
    const char *tail; /* from the last "AWSLogs/" on, or the path */
    const char *base; /* the file name */
    struct cli_s3_key key;
    int listed;       /* log file: a digest lists it (or it was found moved) */
};

struct vlog {          /* one logFiles element of a digest */
    char *object, *hash;
};

struct vdigest {
    size_t file;                 /* in files[] */
    int readable;
    char sha_hex[65];
    char *end, *bucket, *object, *fingerprint;
    char *prev_object, *prev_hash, *prev_sig; /* NULL: a starting digest */
    long long start_s, end_s;
    struct vlog *logs;
    size_t n_logs;
    char group[256];             /* the chain: org, account, region, trail */
    enum verdict verdict;
    struct cli_buf why;
};

struct entry {        /* one output line */
    const char *kind; /* "log", "digest", "gap" */
    char *path;
    enum verdict verdict;
    char *why;
    char *digest;     /* log files: the digest that lists them */
};

struct verify {
    struct options o;
    struct vfile *files;
    size_t n_files, cap_files;
    struct vdigest *digests;
    size_t n_digests;
    struct cli_keys *keys;
    struct { char *key, *sig; } *sigs;
    size_t n_sigs;
    struct entry *out;
    size_t n_out;
    size_t counts[3][V__COUNT]; /* log, digest, gap */
    size_t ignored;
    int input_error;
};

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = cli_xrealloc(NULL, n);
    memcpy(d, s, n);
    return d;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = cli_xrealloc(NULL, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* The part of an S3 key or path from the last "AWSLogs/" component on
 * (bucket prefixes and local roots differ; the layout under it does not). */
static const char *tail_of(const char *s)
{
    const char *best = s, *p = s;
    while ((p = strstr(p, "AWSLogs/")) != NULL) {
        if (p == s || p[-1] == '/')
            best = p;
        p++;
    }
    return best;
}

static const char *base_of(const char *s)
{
    const char *slash = strrchr(s, '/');
    return slash ? slash + 1 : s;
}

/* ---- output --------------------------------------------------------------- */

static void emit(struct verify *v, const char *kind, const char *path, enum verdict verdict,
                 const char *why, const char *digest)
{
    struct entry *e;
    int k = kind[0] == 'l' ? 0 : kind[0] == 'd' ? 1 : 2;

    v->out = cli_xrealloc(v->out, (v->n_out + 1) * sizeof *v->out);
    e = &v->out[v->n_out++];
    e->kind = kind;
    e->path = xstrdup(path);
    e->verdict = verdict;
    e->why = why != NULL && why[0] != '\0' ? xstrdup(why) : NULL;
    e->digest = digest != NULL ? xstrdup(digest) : NULL;
    v->counts[k][verdict]++;
}

static void print_jsonl(const struct verify *v, struct cli_buf *b)
{
    size_t i;
    for (i = 0; i < v->n_out; i++) {
        const struct entry *e = &v->out[i];
        cli_buf_adds(b, "{\"type\":");
        cli_buf_json_strz(b, e->kind);
        cli_buf_adds(b, ",\"path\":");
        cli_buf_json_strz(b, e->path);
        cli_buf_adds(b, ",\"verdict\":");
        cli_buf_json_strz(b, verdict_names[e->verdict]);
        cli_buf_adds(b, ",\"reason\":");
        if (e->why)
            cli_buf_json_strz(b, e->why);
        else
            cli_buf_adds(b, "null");
        if (e->kind[0] == 'l') {
            cli_buf_adds(b, ",\"digest\":");
            if (e->digest)
                cli_buf_json_strz(b, e->digest);
            else
                cli_buf_adds(b, "null");
        }
        cli_buf_adds(b, "}\n");
    }
}

static void print_sarif(const struct verify *v, struct cli_buf *b)
{
    size_t i, n = 0;
    cli_buf_adds(b, "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\","
                    "\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":"
                    "\"kvstrail verify\",\"version\":");
    cli_buf_json_strz(b, kvst_version_string());
    cli_buf_adds(b, ",\"informationUri\":\"https://example.invalid/kvstrail/docs/verify.md\","
                    "\"rules\":[");
    for (i = 1; i < V__COUNT; i++) {
        cli_buf_adds(b, i > 1 ? ",{\"id\":" : "{\"id\":");
        cli_buf_json_strz(b, verdict_names[i]);
        cli_buf_adds(b, "}");
    }
    cli_buf_adds(b, "]}},\"results\":[");
    for (i = 0; i < v->n_out; i++) {
        const struct entry *e = &v->out[i];
        if (e->verdict == V_VALID)
            continue;
        cli_buf_adds(b, n++ ? ",{\"ruleId\":" : "{\"ruleId\":");
        cli_buf_json_strz(b, verdict_names[e->verdict]);
        cli_buf_printf(b, ",\"ruleIndex\":%d,\"level\":\"%s\",\"message\":{\"text\":",
                       (int)e->verdict - 1, e->verdict == V_UNSIGNED ? "warning" : "error");
        {
            struct cli_buf msg = CLI_BUF_INIT;
            cli_buf_printf(&msg, "%s %s%s%s", e->kind, verdict_names[e->verdict],
                           e->why ? ": " : "", e->why ? e->why : "");
            cli_buf_json_str(b, msg.data, msg.len);
            cli_buf_free(&msg);
        }
        cli_buf_adds(b, "},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":");
        cli_buf_json_strz(b, e->path);
        cli_buf_adds(b, "}}}]}");
    }
    cli_buf_adds(b, "]}]}\n");
}

static void summary_line(struct cli_buf *b, const struct verify *v, int k, const char *what)
{
    size_t total = 0, i;
    int first = 1;
    for (i = 0; i < V__COUNT; i++)
        total += v->counts[k][i];
    cli_buf_printf(b, "%lu/%lu %s valid", (unsigned long)v->counts[k][V_VALID],
                   (unsigned long)total, what);
    for (i = 1; i < V__COUNT; i++) {
        if (!v->counts[k][i])
            continue;
        cli_buf_printf(b, "%s%lu %s", first ? " (" : ", ", (unsigned long)v->counts[k][i],
                       verdict_names[i]);
        first = 0;
    }
    cli_buf_adds(b, first ? "\n" : ")\n");
}

static void print_text(const struct verify *v, struct cli_buf *b)
{
    size_t i, gaps = 0;
    for (i = 0; i < v->n_out; i++) {
        const struct entry *e = &v->out[i];
        if (e->kind[0] == 'g') {
            gaps++;
            cli_buf_printf(b, "gap\t%s\t%s\n", e->path, e->why ? e->why : "");
            continue;
        }
        if (e->verdict == V_VALID && !v->o.verbose)
            continue;
        cli_buf_printf(b, "%s file\t", e->kind[0] == 'l' ? "Log" : "Digest");
        cli_buf_safe_text(b, e->path, strlen(e->path));
        cli_buf_printf(b, "\t%s", verdict_names[e->verdict]);
        if (e->why) {
            cli_buf_adds(b, ": ");
            cli_buf_safe_text(b, e->why, strlen(e->why));
        }
        cli_buf_addc(b, '\n');
    }
    summary_line(b, v, 1, "digest files");
    summary_line(b, v, 0, "log files");
    if (gaps)
        cli_buf_printf(b, "%lu gaps in the chain of digests\n", (unsigned long)gaps);
    if (v->ignored)
        cli_buf_printf(b, "%lu files outside CloudTrail's layout were not checked\n",
                       (unsigned long)v->ignored);
}

/* ---- collecting files ----------------------------------------------------- */

static int wanted(const struct options *o, const struct cli_s3_key *k, long long slack)
{
    size_t i;
    int ok = o->n_accounts == 0;
    for (i = 0; i < o->n_accounts; i++)
        ok |= strcmp(o->accounts[i], k->account) == 0;
    if (!ok)
        return 0;
    ok = o->n_regions == 0;
    for (i = 0; i < o->n_regions; i++)
        ok |= strcmp(o->regions[i], k->region) == 0;
    if (!ok || k->file_time < 0)
        return ok;
    return (o->since < 0 || k->file_time >= o->since) &&
           (o->until < 0 || k->file_time <= o->until + slack);
}

static int add_file(const char *path, void *ctx)
{
    struct verify *v = ctx;
    struct vfile *f;

    if (v->n_files == v->cap_files) {
        v->cap_files = v->cap_files ? 2 * v->cap_files : 256;
        v->files = cli_xrealloc(v->files, v->cap_files * sizeof *v->files);
    }
    f = &v->files[v->n_files++];
    memset(f, 0, sizeof *f);
    f->path = xstrdup(path);
    f->tail = tail_of(f->path);
    f->base = base_of(f->path);
    cli_s3_key_parse(f->path, &f->key);
    return 0;
}

static void walk_error(const char *path, int err, void *ctx)
{
    struct verify *v = ctx;
    fprintf(stderr, "kvstrail: %s: %s\n", path, strerror(err));
    v->input_error = 1;
}

/* Indexes: sorted pointers, found by bsearch. */
struct index_item {
    const char *name;
    size_t at;
};

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct index_item *)a)->name, ((const struct index_item *)b)->name);
}

static struct index_item *index_build(size_t n, const char *(*name)(const struct verify *, size_t),
                                      const struct verify *v, size_t *out_n)
{
    struct index_item *ix = cli_xrealloc(NULL, (n ? n : 1) * sizeof *ix);
    size_t i, k = 0;
    for (i = 0; i < n; i++) {
        const char *s = name(v, i);
        if (s != NULL) {
            ix[k].name = s;
            ix[k++].at = i;
        }
    }
    if (k > 1) /* as cli_walk: no qsort call that could get an empty list */
        qsort(ix, k, sizeof *ix, by_name);
    *out_n = k;
    return ix;
}

static const struct index_item *index_find(const struct index_item *ix, size_t n, const char *s)
{
    struct index_item key;
    key.name = s;
    key.at = 0;
    return n ? bsearch(&key, ix, n, sizeof *ix, by_name) : NULL;
}

static const char *file_tail(const struct verify *v, size_t i)
{
    return v->files[i].tail;
}

static const char *file_base(const struct verify *v, size_t i)
{
    return v->files[i].base;
}

static const char *digest_object(const struct verify *v, size_t i)
{
    return v->digests[i].readable ? tail_of(v->digests[i].object) : NULL;
}

static const char *digest_prev(const struct verify *v, size_t i)
{
    return v->digests[i].readable && v->digests[i].prev_object ? tail_of(v->digests[i].prev_object)
                                                               : NULL;
}

/* ---- reading digests ------------------------------------------------------ */

static char *str_or_null(kvst_str s)
{
    return s.ptr ? xstrndup(s.ptr, s.len) : NULL;
}

static void set_verdict(struct vdigest *d, enum verdict verdict, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_verdict(struct vdigest *d, enum verdict verdict, const char *fmt, ...)
{
    char text[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (verdict < d->verdict)
        return; /* a worse verdict is already given */
    if (verdict > d->verdict)
        d->why.len = 0;
    if (d->why.len)
        cli_buf_adds(&d->why, "; ");
    cli_buf_adds(&d->why, text);
    d->verdict = verdict;
}

/* The digest's members from libkvstrail; 0, or -1 with the reason set. */
static int digest_parse(struct vdigest *d, const struct cli_buf *text)
{
    kvst_parser_options po = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    const kvst_event *ev = NULL;
    const kvst_digest *dg;
    int rc;
    size_t i;

    po.flags = KVST_FLAG_DIGESTS | KVST_FLAG_SINGLE_THREAD;
    rc = kvst_parser_new(&po, &p);
    if (rc == 0)
        rc = kvst_parser_feed(p, text->data, text->len);
    if (rc == 0)
        rc = kvst_parser_finish(p);
    if (rc == 0 && kvst_parser_next(p, &ev) != 1)
        rc = KVST_E_NOT_CLOUDTRAIL;
    dg = rc == 0 ? kvst_event_digest(ev) : NULL;
    if (dg == NULL) {
        const kvst_error *e = p ? kvst_parser_error(p) : NULL;
        set_verdict(d, V_UNREADABLE, "not a digest file: %s",
                    e && e->message.ptr ? e->message.ptr : kvst_strerror(rc ? rc : KVST_E_NOT_CLOUDTRAIL));
        kvst_parser_free(p);
        return -1;
    }
    for (i = 0; i < ev->finding_count; i++)
        if (ev->findings[i]->severity == KVST_SEVERITY_ERROR) {
            set_verdict(d, V_UNREADABLE, "invalid digest: %s", ev->findings[i]->message.ptr);
            kvst_parser_free(p);
            return -1;
        }
    d->end = str_or_null(dg->digest_end_time);
    d->bucket = str_or_null(dg->digest_s3_bucket);
    d->object = str_or_null(dg->digest_s3_object);
    d->fingerprint = str_or_null(dg->digest_public_key_fingerprint);
    d->prev_object = str_or_null(dg->previous_digest_s3_object);
    d->prev_hash = str_or_null(dg->previous_digest_hash_value);
    d->prev_sig = str_or_null(dg->previous_digest_signature);
    d->start_s = dg->digest_start_time_ms / 1000;
    d->end_s = dg->digest_end_time_ms / 1000;
    d->n_logs = dg->log_file_count;
    d->logs = cli_xrealloc(NULL, (d->n_logs ? d->n_logs : 1) * sizeof *d->logs);
    for (i = 0; i < d->n_logs; i++) {
        d->logs[i].object = str_or_null(dg->log_files[i]->s3_object);
        d->logs[i].hash = str_or_null(dg->log_files[i]->hash_value);
    }
    kvst_parser_free(p);
    return 0;
}

static void digest_read(struct verify *v, struct vdigest *d)
{
    const struct vfile *f = &v->files[d->file];
    struct cli_buf text = CLI_BUF_INIT;
    struct cli_hash_result h;
    const char *base = f->base;
    size_t blen = strlen(base);
    unsigned char sha[32];

    if (cx->hash_file(f->path, &h, &text, DIGEST_MAX_BYTES) != 0) {
        set_verdict(d, V_UNREADABLE, "%s", h.err ? strerror(h.err) : "not a valid gzip file");
    } else {
        memcpy(sha, h.sha256, sizeof sha);
        cx->hex(sha, 32, d->sha_hex);
        d->readable = digest_parse(d, &text) == 0;
        if (d->readable && h.appended)
            set_verdict(d, V_BAD_SIGNATURE, "%llu bytes after the gzip member",
                        (unsigned long long)h.appended);
    }
    cli_buf_free(&text);
    /* The chain: trail and regions from the key, the file name without its
     * YYYYMMDDTHHMMSSZ.json.gz. */
    snprintf(d->group, sizeof d->group, "%s%s%s/%s/%.*s", f->key.org_id,
             f->key.org_id[0] ? "/" : "", f->key.account, f->key.region,
             (int)(blen > 24 ? blen - 24 : blen), base);
}

/* ---- signatures from --signatures --------------------------------------- */

static int load_signatures(struct verify *v, const char *path)
{
    FILE *f = fopen(path, "rb");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long lineno = 0;
    int rc = 0;

    if (f == NULL) {
        fprintf(stderr, "kvstrail: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((n = getline(&line, &cap, f)) > 0) {
        static const char *key_path[] = { "key", NULL };
        static const char *sig_path[] = { "signature", NULL };
        static const char *meta_path[] = { "Metadata", "signature", NULL };
        char err[128];
        yajl_val root, key, sig;

        lineno++;
        if (strspn(line, " \t\r\n") == (size_t)n)
            continue;
        root = yajl_tree_parse(line, err, sizeof err);
        key = root ? yajl_tree_get(root, key_path, yajl_t_string) : NULL;
        sig = root ? yajl_tree_get(root, sig_path, yajl_t_string) : NULL;
        if (root && sig == NULL)
            sig = yajl_tree_get(root, meta_path, yajl_t_string);
        if (key == NULL || sig == NULL) {
            fprintf(stderr, "kvstrail: %s:%lu: expected {\"key\":..., \"signature\":...}\n", path,
                    lineno);
            rc = -1;
        } else {
            v->sigs = cli_xrealloc(v->sigs, (v->n_sigs + 1) * sizeof *v->sigs);
            v->sigs[v->n_sigs].key = xstrdup(tail_of(YAJL_GET_STRING(key)));
            v->sigs[v->n_sigs].sig = xstrdup(YAJL_GET_STRING(sig));
            v->n_sigs++;
        }
        yajl_tree_free(root);
    }
    free(line);
    fclose(f);
    return rc;
}

static const char *s3_signature(const struct verify *v, const char *object)
{
    const char *t = tail_of(object);
    size_t i;
    for (i = 0; i < v->n_sigs; i++)
        if (strcmp(v->sigs[i].key, t) == 0)
            return v->sigs[i].sig;
    return NULL;
}

/* ---- the chain and the signatures ----------------------------------------- */

static void check_signature(struct verify *v, struct vdigest *d, const char *sig,
                            const char *source)
{
    struct cli_buf msg = CLI_BUF_INIT;
    int rc;

    cli_buf_printf(&msg, "%s\n%s/%s\n%s\n%s", d->end, d->bucket, d->object, d->sha_hex,
                   d->prev_sig ? d->prev_sig : "null");
    rc = cx->keys_verify(v->keys, d->fingerprint, d->end_s, msg.data, msg.len, sig, strlen(sig));
    if (rc == -1)
        set_verdict(d, V_BAD_SIGNATURE, "no public key with fingerprint %s", d->fingerprint);
    else if (rc == -2)
        set_verdict(d, V_BAD_SIGNATURE, "the signature %s is not hex", source);
    else if (rc == 0)
        set_verdict(d, V_BAD_SIGNATURE, "the signature %s does not verify", source);
    cli_buf_free(&msg);
}

static void iso_time(long long t, char out[32])
{
    long long days = t >= 0 ? t / 86400 : (t - 86399) / 86400, secs = t - days * 86400;
    /* civil from days (the inverse of cli_days_from_civil) */
    long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    long long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    long long y = yoe + era * 400 + (m <= 2);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, (int)m, (int)d,
             (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

/* The digest of d's chain that ends last at or before t, or NULL. */
static const struct vdigest *chain_before(const struct verify *v, const struct vdigest *d,
                                          long long t)
{
    const struct vdigest *best = NULL;
    size_t i;
    for (i = 0; i < v->n_digests; i++) {
        const struct vdigest *q = &v->digests[i];
        if (q == d || !q->readable || strcmp(q->group, d->group) != 0 || q->end_s > t)
            continue;
        if (best == NULL || q->end_s > best->end_s)
            best = q;
    }
    return best;
}

static void report_gap(struct verify *v, const struct vdigest *d, const struct vdigest *before,
                       const char *why)
{
    char from[32], until[32];
    struct cli_buf text = CLI_BUF_INIT;

    iso_time(d->start_s, until);
    if (before != NULL) {
        iso_time(before->end_s, from);
        cli_buf_printf(&text, "%s to %s (%lld hours): %s", from, until,
                       (d->start_s - before->end_s + 3599) / 3600, why);
    } else {
        cli_buf_printf(&text, "before %s: %s", until, why);
    }
    emit(v, "gap", d->group, V_VALID, text.data, NULL);
    cli_buf_free(&text);
}

static void check_chain(struct verify *v)
{
    size_t n_obj, n_prev, i;
    struct index_item *by_obj = index_build(v->n_digests, digest_object, v, &n_obj);
    struct index_item *by_prev = index_build(v->n_digests, digest_prev, v, &n_prev);

    for (i = 0; i < v->n_digests; i++) {
        struct vdigest *d = &v->digests[i];
        const struct vfile *f = &v->files[d->file];
        const struct index_item *succ, *pred;
        const char *s3sig;

        if (!d->readable)
            continue;
        if (strcmp(tail_of(d->object), f->tail) != 0)
            set_verdict(d, V_MOVED, "its digestS3Object is %s", d->object);

        /* Its own signature: what its successor recorded, else S3's. */
        succ = index_find(by_prev, n_prev, tail_of(d->object));
        s3sig = s3_signature(v, d->object);
        if (succ != NULL) {
            struct vdigest *s = &v->digests[succ->at];
            check_signature(v, d, s->prev_sig, "its successor records");
            if (s3sig != NULL && strcasecmp(s3sig, s->prev_sig) != 0)
                set_verdict(s, V_CHAIN_BROKEN,
                            "previousDigestSignature is not the S3 signature of %s", d->object);
        } else if (s3sig != NULL) {
            check_signature(v, d, s3sig, "given by --signatures");
        } else {
            set_verdict(d, V_UNSIGNED, "%s",
                        d->end_s >= 0 && v->o.until >= 0 && d->end_s > v->o.until
                            ? "after --until: no successor read"
                            : "no successor digest records its signature; give it with "
                              "--signatures");
        }

        /* Its link to the previous digest. */
        if (d->prev_object == NULL) {
            const struct vdigest *q = chain_before(v, d, d->start_s);
            if (q != NULL && q->end_s < d->start_s)
                report_gap(v, d, q, "the chain starts again (logging or validation was off)");
            continue;
        }
        pred = index_find(by_obj, n_obj, tail_of(d->prev_object));
        if (pred != NULL) {
            const struct vdigest *p = &v->digests[pred->at];
            if (strcasecmp(p->sha_hex, d->prev_hash) != 0)
                set_verdict(d, V_CHAIN_BROKEN,
                            "previousDigestHashValue is not the SHA-256 of %s",
                            v->files[p->file].path);
        } else {
            struct cli_s3_key pk;
            cli_s3_key_parse(d->prev_object, &pk);
            if (v->o.since >= 0 && pk.file_time >= 0 && pk.file_time < v->o.since)
                continue; /* before the range asked for */
            emit(v, "digest", d->prev_object, V_MISSING, "the previous digest of a digest on disk",
                 NULL);
            report_gap(v, d, chain_before(v, d, d->start_s), "a digest is missing");
        }
    }
    free(by_obj);
    free(by_prev);
}

/* ---- log files ------------------------------------------------------------ */

static void check_log(struct verify *v, struct vfile *f, const char *want, const char *digest_path,
                      const char *moved_from)
{
    struct cli_hash_result h;
    char hex[65];
    struct cli_buf why = CLI_BUF_INIT;
    enum verdict verdict = V_VALID;

    f->listed = 1;
    if (cx->hash_file(f->path, &h, NULL, 0) != 0) {
        verdict = V_UNREADABLE;
        cli_buf_adds(&why, h.err ? strerror(h.err) : "not a valid gzip file");
    } else {
        cx->hex(h.sha256, 32, hex);
        if (want == NULL || strcasecmp(hex, want) != 0) {
            verdict = V_MODIFIED;
            cli_buf_printf(&why, "SHA-256 %s, the digest lists %s", hex, want ? want : "none");
        } else if (h.appended) {
            verdict = V_MODIFIED;
            cli_buf_printf(&why, "%llu bytes after the gzip member",
                           (unsigned long long)h.appended);
        } else if (moved_from != NULL) {
            verdict = V_MOVED;
            cli_buf_printf(&why, "listed as %s (the content is intact)", moved_from);
        }
    }
    emit(v, "log", f->path, verdict, why.data, digest_path);
    cli_buf_free(&why);
}

static void check_logs(struct verify *v)
{
    size_t n_tail, n_base, i, j;
    struct index_item *by_tail = index_build(v->n_files, file_tail, v, &n_tail);
    struct index_item *by_base = index_build(v->n_files, file_base, v, &n_base);

    for (i = 0; i < v->n_digests; i++) {
        const struct vdigest *d = &v->digests[i];
        const char *dpath = v->files[d->file].path;
        for (j = 0; d->readable && j < d->n_logs; j++) {
            const struct vlog *l = &d->logs[j];
            const struct index_item *hit;
            if (l->object == NULL)
                continue;
            hit = index_find(by_tail, n_tail, tail_of(l->object));
            if (hit != NULL && !v->files[hit->at].key.is_digest) {
                check_log(v, &v->files[hit->at], l->hash, dpath, NULL);
                continue;
            }
            hit = index_find(by_base, n_base, base_of(l->object));
            if (hit != NULL && !v->files[hit->at].listed)
                check_log(v, &v->files[hit->at], l->hash, dpath, l->object);
            else
                emit(v, "log", l->object, V_MISSING, "listed in a digest, not on disk", dpath);
        }
    }
    for (i = 0; i < v->n_files; i++) {
        const struct vfile *f = &v->files[i];
        if (!f->key.valid)
            continue;
        if (!f->key.is_digest && !f->listed && wanted(&v->o, &f->key, 0))
            emit(v, "log", f->path, V_NOT_LISTED,
                 "in no digest: added after delivery, or newer than the newest digest", NULL);
    }
    free(by_tail);
    free(by_base);
}

/* ---- the command ---------------------------------------------------------- */

static const char usage_text[] =
    "Usage: kvstrail verify [OPTIONS] PATH...\n"
    "\n"
    "Check a local copy of a CloudTrail archive (S3 layout AWSLogs/...) offline:\n"
    "each log file against the SHA-256 its digest lists, each digest against the\n"
    "chain of digests and its RSA signature. See docs/verify.md.\n"
    "\n"
    "Options:\n"
    "      --public-keys FILE  keys to check signatures with: the JSON of\n"
    "                          `aws cloudtrail list-public-keys`, or PEM/DER\n"
    "                          (repeatable)\n"
    "      --signatures FILE   S3 signatures of digests (JSON Lines of\n"
    "                          {\"key\":..., \"signature\":...}): the newest\n"
    "                          digest's, without which it is an unsigned tip\n"
    "      --since TIME        only files from TIME on (YYYY-MM-DD or\n"
    "                          YYYY-MM-DDTHH:MM:SSZ)\n"
    "      --until TIME        only files up to TIME\n"
    "      --account ID        only this account (repeatable)\n"
    "      --region REGION     only this region (repeatable)\n"
    "  -f, --format FMT        text (default), jsonl or sarif\n"
    "  -v, --verbose           text: list valid files too\n"
    "  -h, --help              print this help\n"
    "\n"
    "Exit status: 0 every file and digest valid; 1 a file or digest is not;\n"
    "2 some input could not be read; 64 usage error.\n";

static int parse_time(const char *s, long long *out)
{
    int64_t ms;
    int y, m, d;
    char tail;

    if (kvst_validate_timestamp(s, strlen(s), &ms) == 0) {
        *out = ms / 1000;
        return 0;
    }
    if (strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && m >= 1 &&
        m <= 12 && d >= 1 && d <= 31) {
        *out = cli_days_from_civil(y, m, d) * 86400;
        return 0;
    }
    return -1;
}

static int usage(const char *fmt, const char *arg)
{
    fputs("kvstrail verify: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'kvstrail verify --help'.\n", stderr);
    return EXIT_USAGE;
}

enum { OPT_KEYS = 256, OPT_SIGS, OPT_SINCE, OPT_UNTIL, OPT_ACCOUNT, OPT_REGION };

/* -1 to go on, else the exit status (after --help or a usage error). */
/* Load the crypto module and make the key set; 0, or -1 when the module
 * cannot be loaded (said on stderr: the paths tried and why). */
static int need_crypto(struct verify *v)
{
    struct cli_buf why = CLI_BUF_INIT;

    if (cx == NULL) {
        cx = cli_crypto_open(&why);
        if (cx == NULL) {
            fprintf(stderr, "kvstrail verify: cannot load its crypto module: %.*s\n",
                    (int)why.len, why.data ? why.data : "");
            cli_buf_free(&why);
            return -1;
        }
    }
    cli_buf_free(&why);
    if (v->keys == NULL)
        v->keys = cx->keys_new();
    return 0;
}

static int parse_options(int argc, char **argv, struct verify *v)
{
    static const struct option long_options[] = {
        { "public-keys", required_argument, NULL, OPT_KEYS },
        { "signatures", required_argument, NULL, OPT_SIGS },
        { "since", required_argument, NULL, OPT_SINCE },
        { "until", required_argument, NULL, OPT_UNTIL },
        { "account", required_argument, NULL, OPT_ACCOUNT },
        { "region", required_argument, NULL, OPT_REGION },
        { "format", required_argument, NULL, 'f' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct options *o = &v->o;
    int c;

    o->since = o->until = -1;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "f:vh", long_options, NULL)) != -1) {
        struct cli_buf why = CLI_BUF_INIT;
        switch (c) {
        case OPT_KEYS:
            if (need_crypto(v) != 0)
                return EXIT_INPUT;
            if (cx->keys_load(v->keys, optarg, &why) < 0) {
                fprintf(stderr, "kvstrail: %s: %s\n", optarg, why.data ? why.data : "");
                v->input_error = 1;
            }
            cli_buf_free(&why);
            break;
        case OPT_SIGS:
            if (load_signatures(v, optarg) != 0)
                v->input_error = 1;
            break;
        case OPT_SINCE:
        case OPT_UNTIL:
            if (parse_time(optarg, c == OPT_SINCE ? &o->since : &o->until) != 0)
                return usage("invalid time '%s'", optarg);
            break;
        case OPT_ACCOUNT:
        case OPT_REGION:
            if ((c == OPT_ACCOUNT ? o->n_accounts : o->n_regions) == MAX_FILTERS)
                return usage("too many filters at '%s'", optarg);
            if (c == OPT_ACCOUNT)
                o->accounts[o->n_accounts++] = optarg;
            else
                o->regions[o->n_regions++] = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "text") == 0)
                o->format = FMT_TEXT;
            else if (strcmp(optarg, "jsonl") == 0)
                o->format = FMT_JSONL;
            else if (strcmp(optarg, "sarif") == 0)
                o->format = FMT_SARIF;
            else
                return usage("verify prints text, jsonl or sarif, not '%s'", optarg);
            break;
        case 'v': o->verbose = 1; break;
        case 'h': fputs(usage_text, stdout); return EXIT_OK;
        default: return usage("unknown option or missing value in '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage("%s", "no PATH given");
    o->paths = argv + optind;
    o->n_paths = (size_t)(argc - optind);
    return -1;
}

static void verify_free(struct verify *v)
{
    size_t i, j;
    for (i = 0; i < v->n_files; i++)
        free(v->files[i].path);
    for (i = 0; i < v->n_digests; i++) {
        struct vdigest *d = &v->digests[i];
        for (j = 0; j < d->n_logs; j++) {
            free(d->logs[j].object);
            free(d->logs[j].hash);
        }
        free(d->logs);
        free(d->end);
        free(d->bucket);
        free(d->object);
        free(d->fingerprint);
        free(d->prev_object);
        free(d->prev_hash);
        free(d->prev_sig);
        cli_buf_free(&d->why);
    }
    for (i = 0; i < v->n_sigs; i++) {
        free(v->sigs[i].key);
        free(v->sigs[i].sig);
    }
    for (i = 0; i < v->n_out; i++) {
        free(v->out[i].path);
        free(v->out[i].why);
        free(v->out[i].digest);
    }
    free(v->sigs);
    free(v->out);
    free(v->files);
    free(v->digests);
    if (v->keys != NULL)
        cx->keys_free(v->keys);
}

int cli_verify_main(int argc, char **argv)
{
    struct verify v;
    struct cli_buf text = CLI_BUF_INIT;
    size_t i;
    int rc, exit_status;

    memset(&v, 0, sizeof v);
    rc = parse_options(argc, argv, &v);
    if (rc < 0 && need_crypto(&v) != 0)
        rc = EXIT_INPUT;
    if (rc >= 0) {
        verify_free(&v);
        return rc;
    }
    for (i = 0; i < v.o.n_paths; i++)
        cli_walk(v.o.paths[i], add_file, walk_error, &v);

    /* Digests first: the chain says which log files there should be. A
     * digest's window reaches an hour past --until (its logs spill over). */
    v.digests = cli_xrealloc(NULL, (v.n_files ? v.n_files : 1) * sizeof *v.digests);
    for (i = 0; i < v.n_files; i++) {
        const struct vfile *f = &v.files[i];
        struct vdigest *d;
        if (!f->key.valid) {
            v.ignored++;
            continue;
        }
        if (!f->key.is_digest || !wanted(&v.o, &f->key, 3600))
            continue;
        d = &v.digests[v.n_digests++];
        memset(d, 0, sizeof *d);
        d->file = i;
        digest_read(&v, d);
    }
    check_chain(&v);
    for (i = 0; i < v.n_digests; i++) {
        const struct vdigest *d = &v.digests[i];
        emit(&v, "digest", v.files[d->file].path, d->verdict, d->why.data, NULL);
    }
    check_logs(&v);

    if (v.o.format == FMT_JSONL)
        print_jsonl(&v, &text);
    else if (v.o.format == FMT_SARIF)
        print_sarif(&v, &text);
    else
        print_text(&v, &text);
    fwrite(text.data, 1, text.len, stdout);
    cli_buf_free(&text);

    exit_status = EXIT_OK;
    for (i = 0; i < v.n_out; i++)
        if (v.out[i].verdict != V_VALID)
            exit_status = EXIT_PROBLEM;
    if (v.input_error || v.counts[0][V_UNREADABLE] || v.counts[1][V_UNREADABLE])
        exit_status = EXIT_INPUT;
    if (fflush(stdout) != 0)
        exit_status = EXIT_INPUT;
    verify_free(&v);
    return exit_status;
}
