/* kvstrail CLI: the counters of `kvstrail stats` and their summary. */
#include "cli_stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli_progress.h" /* cli_write_all */

static size_t slot(uint32_t v, size_t n)
{
    return v < n ? v : n - 1;
}

/* The media readers table. Names are interned: each distinct stream or
 * principal name is kept once in the pool, as a 16-bit length, its bytes
 * and a NUL; a pair is two offsets into the pool and its count. The pairs
 * are a dense array; open addressing over 16-bit indexes finds a pair,
 * and over 32-bit pool offsets a name. Everything grows by doubling up to
 * the caps, so its memory is bounded (cli_stats.h) and small when few
 * names repeat across many pairs, as in real trails. */
struct cli_stats_pair {
    uint32_t stream, principal; /* pool offsets of the names' bytes */
    uint32_t hash;
    uint16_t stream_len, principal_len; /* at most CLI_STATS_NAME_MAX */
    uint64_t calls;
};

#define PAIR_SLOTS (2u * CLI_STATS_READERS_CAP) /* a power of two */
#define NAME_SLOTS_MIN 256u
#define POOL_PREFIX 2u /* the length before each name */

/* Placeholders for a name the record does not give; neither can be a
 * stream name ([a-zA-Z0-9_.-]+), an ARN or a principalId. */
static const char NO_STREAM[] = "(no stream)";
static const char NO_PRINCIPAL[] = "(no principal)";

static uint32_t fnv1a(uint32_t h, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static const char *pool_name(const struct cli_stats_readers *t, uint32_t off)
{
    return t->pool + off;
}

static size_t pool_len(const struct cli_stats_readers *t, uint32_t off)
{
    const unsigned char *p = (const unsigned char *)t->pool + off - POOL_PREFIX;
    return (size_t)p[0] | (size_t)p[1] << 8;
}

/* Place a pool offset in the name slots (there is room). */
static void name_place(uint32_t *slots, size_t nslots, uint32_t h, uint32_t off)
{
    size_t i = h & (nslots - 1);
    while (slots[i] != 0)
        i = (i + 1) & (nslots - 1);
    slots[i] = off;
}

static uint32_t name_hash(const char *s, size_t n)
{
    return fnv1a(2166136261u, s, n);
}

/* The pool offset of the name; 0 when it is not there. */
static uint32_t name_find(const struct cli_stats_readers *t, const char *s, size_t n, uint32_t h)
{
    size_t i;

    if (t->name_slots == NULL)
        return 0;
    for (i = h & (t->name_nslots - 1); t->name_slots[i] != 0; i = (i + 1) & (t->name_nslots - 1)) {
        uint32_t off = t->name_slots[i];
        if (pool_len(t, off) == n && memcmp(pool_name(t, off), s, n) == 0)
            return off;
    }
    return 0;
}

/* Add a name that is not there (the bytes cap checked): its offset. */
static uint32_t name_add(struct cli_stats_readers *t, const char *s, size_t n, uint32_t h)
{
    uint32_t off;

    if (2 * (t->names + 1) > t->name_nslots) {
        /* grow (or make) the slots: every name placed again */
        size_t nslots = t->name_nslots ? 2 * t->name_nslots : NAME_SLOTS_MIN, k;
        uint32_t *slots = cli_xrealloc(NULL, nslots * sizeof *slots);
        memset(slots, 0, nslots * sizeof *slots);
        for (k = 0; k < t->name_nslots; k++)
            if (t->name_slots[k] != 0) {
                uint32_t o = t->name_slots[k];
                name_place(slots, nslots, name_hash(pool_name(t, o), pool_len(t, o)), o);
            }
        free(t->name_slots);
        t->name_slots = slots;
        t->name_nslots = nslots;
    }
    if (t->pool_len + POOL_PREFIX + n + 1 > t->pool_cap) {
        size_t cap = t->pool_cap ? t->pool_cap : 4096;
        while (cap < t->pool_len + POOL_PREFIX + n + 1)
            cap *= 2;
        t->pool = cli_xrealloc(t->pool, cap);
        t->pool_cap = cap;
    }
    t->pool[t->pool_len] = (char)(n & 0xff);
    t->pool[t->pool_len + 1] = (char)(n >> 8);
    off = (uint32_t)(t->pool_len + POOL_PREFIX); /* never 0: the prefix */
    memcpy(t->pool + off, s, n);
    t->pool[off + n] = '\0';
    t->pool_len = off + n + 1;
    t->bytes += n + 1;
    name_place(t->name_slots, t->name_nslots, h, off);
    t->names++;
    return off;
}

/* Add calls to the pair; 0 when it is new and does not fit: past the
 * pair cap, or its new names past the bytes cap (then neither is kept). */
static int readers_add(struct cli_stats_readers *t, const char *stream,
                       size_t slen, const char *principal, size_t plen,
                       uint64_t calls)
{
    uint32_t sh = name_hash(stream, slen), ph = name_hash(principal, plen);
    uint32_t h = sh * 31u + ph, so, po;
    size_t i, need;
    struct cli_stats_pair *r;

    if (t->pair_slots == NULL) {
        t->pair_slots = cli_xrealloc(NULL, PAIR_SLOTS * sizeof *t->pair_slots);
        memset(t->pair_slots, 0, PAIR_SLOTS * sizeof *t->pair_slots);
    }
    for (i = h & (PAIR_SLOTS - 1); t->pair_slots[i] != 0; i = (i + 1) & (PAIR_SLOTS - 1)) {
        r = &t->pairs[t->pair_slots[i] - 1];
        if (r->hash == h && r->stream_len == slen && r->principal_len == plen &&
            memcmp(pool_name(t, r->stream), stream, slen) == 0 &&
            memcmp(pool_name(t, r->principal), principal, plen) == 0) {
            r->calls += calls;
            return 1;
        }
    }
    if (t->count >= CLI_STATS_READERS_CAP)
        return 0;
    so = name_find(t, stream, slen, sh);
    po = name_find(t, principal, plen, ph);
    need = (so ? 0 : slen + 1) + (po ? 0 : plen + 1);
    if (!so && !po && slen == plen && memcmp(stream, principal, slen) == 0)
        need = slen + 1; /* one new name, both parts */
    if (t->bytes + need > CLI_STATS_READERS_BYTES)
        return 0;
    if (!so)
        so = name_add(t, stream, slen, sh);
    if (!po && !(po = name_find(t, principal, plen, ph)))
        po = name_add(t, principal, plen, ph);
    if (t->count == t->pairs_cap) {
        t->pairs_cap = t->pairs_cap ? 2 * t->pairs_cap : 64;
        t->pairs = cli_xrealloc(t->pairs, t->pairs_cap * sizeof *t->pairs);
    }
    r = &t->pairs[t->count];
    r->stream = so;
    r->principal = po;
    r->hash = h;
    r->stream_len = (uint16_t)slen;
    r->principal_len = (uint16_t)plen;
    r->calls = calls;
    t->pair_slots[i] = (uint16_t)(++t->count);
    return 1;
}

static void count_reader(struct cli_stats *st, kvst_str stream,
                         kvst_str principal, uint64_t calls)
{
    if (st->readers_into != NULL) {
        pthread_mutex_lock(st->readers_lock);
        count_reader(st->readers_into, stream, principal, calls);
        pthread_mutex_unlock(st->readers_lock);
        return;
    }
    if (stream.len > CLI_STATS_NAME_MAX || principal.len > CLI_STATS_NAME_MAX ||
        !readers_add(&st->readers, stream.ptr, stream.len, principal.ptr,
                     principal.len, calls))
        st->media_reads_dropped += calls;
}

static int str_set(kvst_str s)
{
    return s.ptr != NULL && s.len > 0;
}

/* The stream as the record gives it: the ARN of its AWS::KinesisVideo::Stream
 * resource (every data event has one), else the request's streamARN, else
 * its streamName (GetDataEndpoint, which has no resources). */
static kvst_str stream_of(const kvst_event *ev)
{
    static const char stream_type[] = "AWS::KinesisVideo::Stream";
    static const char *const members[] = { "/requestParameters/streamARN",
                                           "/requestParameters/streamName" };
    kvst_str s = { NO_STREAM, sizeof NO_STREAM - 1 };
    size_t i;
    for (i = 0; i < ev->resource_count; i++) {
        const kvst_resource *r = ev->resources[i];
        if (r->type.len == sizeof stream_type - 1 &&
            memcmp(r->type.ptr, stream_type, r->type.len) == 0 && str_set(r->arn))
            return r->arn;
    }
    for (i = 0; i < sizeof members / sizeof members[0]; i++) {
        kvst_value v;
        if (kvst_event_lookup(ev, members[i], &v) == 0 &&
            v.json_type == KVST_JSON_STRING && str_set(v.text))
            return v.text;
    }
    return s;
}

/* The caller: userIdentity.arn, else userIdentity.principalId. */
static kvst_str principal_of(const kvst_event *ev)
{
    kvst_str s = { NO_PRINCIPAL, sizeof NO_PRINCIPAL - 1 };
    const kvst_user_identity *u = ev->user_identity;
    if (u != NULL && str_set(u->arn))
        return u->arn;
    if (u != NULL && str_set(u->principal_id))
        return u->principal_id;
    return s;
}

void cli_stats_add_event(struct cli_stats *st, const kvst_event *ev)
{
    size_t i;
    if (ev->status < 0) {
        st->broken++;
        return;
    }
    st->records++;
    st->actions[slot(ev->action, CLI_STATS_ACTIONS)]++;
    if (ev->identity != NULL) {
        st->principals[slot(ev->identity->principal, CLI_STATS_PRINCIPALS)]++;
        st->credentials[slot(ev->identity->credential, CLI_STATS_CREDENTIALS)]++;
    }
    for (i = 0; i < ev->finding_count; i++) {
        const kvst_finding *f = ev->findings[i];
        st->findings[slot(f->code, CLI_STATS_FINDINGS)]++;
        st->severities[slot(f->severity, CLI_STATS_SEVERITIES)]++;
    }
    if (ev->access != KVST_ACCESS_NONE)
        st->access[slot(ev->access, CLI_STATS_ACCESS)]++;
    if (ev->access == KVST_ACCESS_MEDIA_READ)
        count_reader(st, stream_of(ev), principal_of(ev), 1);
}

static void add_array(uint64_t *into, const uint64_t *from, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        into[i] += from[i];
}

void cli_stats_merge(struct cli_stats *into, struct cli_stats *from)
{
    into->files += from->files;
    into->files_pruned += from->files_pruned;
    into->files_skipped += from->files_skipped;
    into->digests_skipped += from->digests_skipped;
    into->filtered += from->filtered;
    into->duplicates += from->duplicates;
    into->dedup_resets += from->dedup_resets;
    into->input_errors += from->input_errors;
    into->records += from->records;
    into->broken += from->broken;
    into->bytes_in += from->bytes_in;
    into->bytes_json += from->bytes_json;
    add_array(into->actions, from->actions, CLI_STATS_ACTIONS);
    add_array(into->principals, from->principals, CLI_STATS_PRINCIPALS);
    add_array(into->credentials, from->credentials, CLI_STATS_CREDENTIALS);
    add_array(into->findings, from->findings, CLI_STATS_FINDINGS);
    add_array(into->severities, from->severities, CLI_STATS_SEVERITIES);
    add_array(into->access, from->access, CLI_STATS_ACCESS);
    into->media_reads_dropped += from->media_reads_dropped;
    if (into->readers.pairs == NULL) {
        into->readers = from->readers;
        memset(&from->readers, 0, sizeof from->readers);
    } else {
        const struct cli_stats_readers *t = &from->readers;
        size_t i;
        for (i = 0; i < t->count; i++) {
            const struct cli_stats_pair *r = &t->pairs[i];
            kvst_str stream, principal;
            stream.ptr = pool_name(t, r->stream);
            stream.len = r->stream_len;
            principal.ptr = pool_name(t, r->principal);
            principal.len = r->principal_len;
            count_reader(into, stream, principal, r->calls);
        }
    }
}

void cli_stats_free(struct cli_stats *st)
{
    free(st->readers.pairs);
    free(st->readers.pair_slots);
    free(st->readers.pool);
    free(st->readers.name_slots);
    memset(&st->readers, 0, sizeof st->readers);
}

/* The pairs in byte order of stream, then principal: the output does not
 * depend on the hash or on which -j worker saw a call first. qsort's
 * comparator has no context: the table being sorted is sort_table (the
 * summary is written once, by the main thread). */
static const struct cli_stats_readers *sort_table;

static int name_cmp(const char *x, size_t xn, const char *y, size_t yn)
{
    int c = memcmp(x, y, xn < yn ? xn : yn);
    if (c != 0)
        return c;
    return xn < yn ? -1 : xn > yn;
}

static int reader_cmp(const void *a, const void *b)
{
    const struct cli_stats_pair *x = *(const struct cli_stats_pair *const *)a;
    const struct cli_stats_pair *y = *(const struct cli_stats_pair *const *)b;
    const struct cli_stats_readers *t = sort_table;
    int c = name_cmp(pool_name(t, x->stream), x->stream_len, pool_name(t, y->stream), y->stream_len);
    if (c != 0)
        return c;
    return name_cmp(pool_name(t, x->principal), x->principal_len, pool_name(t, y->principal),
                    y->principal_len);
}

/* NULL when there are none. */
static const struct cli_stats_pair **sorted_readers(const struct cli_stats *st)
{
    const struct cli_stats_pair **v;
    size_t i;
    if (st->readers.count == 0)
        return NULL;
    v = cli_xrealloc(NULL, st->readers.count * sizeof *v);
    for (i = 0; i < st->readers.count; i++)
        v[i] = &st->readers.pairs[i];
    sort_table = &st->readers;
    qsort(v, st->readers.count, sizeof *v, reader_cmp);
    sort_table = NULL;
    return v;
}

/* Interned: the same stream is the same offset. */
static int same_stream(const struct cli_stats_pair *a, const struct cli_stats_pair *b)
{
    return a->stream == b->stream;
}

/* Names of the counted values; NULL for a value this library version
 * cannot name (printed as its number). */
typedef const char *(*name_fn)(uint32_t v);

static const char *action_name(uint32_t v)
{
    const char *n = kvst_action_name(v);
    return n != NULL && *n != '\0' ? n : NULL;
}

static const char *principal_name(uint32_t v) { return kvst_principal_name(v); }
static const char *credential_name(uint32_t v) { return kvst_credential_name(v); }
static const char *finding_name(uint32_t v) { return kvst_finding_name(v); }
static const char *severity_name(uint32_t v) { return kvst_severity_name(v); }
static const char *access_name(uint32_t v) { return kvst_access_name(v); }

struct group {
    const char *json_key;
    const char *title;
    const uint64_t *counts;
    size_t n;
    uint32_t first; /* actions start at 1: 0 is "not KVS", shown apart */
    name_fn name;
};

static void name_of(struct cli_buf *b, const struct group *g, uint32_t v,
                    int json)
{
    const char *n = g->name(v);
    if (n != NULL) {
        if (json)
            cli_buf_json_strz(b, n);
        else
            cli_buf_adds(b, n);
    } else {
        cli_buf_printf(b, json ? "\"%u\"" : "%u", (unsigned)v);
    }
}

/* Write out's bytes to the spill's fd once they pass its threshold. */
static void spill_maybe(struct cli_buf *out, struct cli_stats_spill *sp)
{
    if (sp == NULL || out->len < CLI_STATS_SPILL_BYTES)
        return;
    if (cli_write_all(sp->fd, out->data, out->len) != 0 && errno != EPIPE)
        sp->failed = 1;
    out->len = 0;
    out->data[0] = '\0';
}

/* Text: a stream line, then its principals indented, each with its calls. */
static void format_readers_text(const struct cli_stats *st, struct cli_buf *out,
                                struct cli_stats_spill *sp)
{
    const struct cli_stats_pair **v = sorted_readers(st);
    size_t i;
    cli_buf_printf(out, "media readers (media-read calls per stream and "
                   "principal, at most %u pairs)\n", CLI_STATS_READERS_CAP);
    for (i = 0; i < st->readers.count; i++) {
        if (i == 0 || !same_stream(v[i - 1], v[i])) {
            cli_buf_adds(out, "  ");
            cli_buf_safe_text(out, pool_name(&st->readers, v[i]->stream), v[i]->stream_len);
            cli_buf_addc(out, '\n');
        }
        cli_buf_adds(out, "    ");
        cli_buf_safe_text(out, pool_name(&st->readers, v[i]->principal),
                          v[i]->principal_len);
        cli_buf_printf(out, " %llu\n", (unsigned long long)v[i]->calls);
        spill_maybe(out, sp);
    }
    if (st->media_reads_dropped > 0)
        cli_buf_printf(out, "  %llu media-read calls not listed: past the cap "
                       "of %u pairs or %u bytes of names, or a name over %u "
                       "bytes\n",
                       (unsigned long long)st->media_reads_dropped,
                       CLI_STATS_READERS_CAP, CLI_STATS_READERS_BYTES,
                       CLI_STATS_NAME_MAX);
    free(v);
}

/* JSON: {"stream":{"principal":calls,...},...} and the dropped calls. */
static void format_readers_json(const struct cli_stats *st, struct cli_buf *out,
                                struct cli_stats_spill *sp)
{
    const struct cli_stats_pair **v = sorted_readers(st);
    size_t i;
    cli_buf_adds(out, ",\"mediaReaders\":{");
    for (i = 0; i < st->readers.count; i++) {
        if (i == 0 || !same_stream(v[i - 1], v[i])) {
            if (i > 0)
                cli_buf_adds(out, "},");
            cli_buf_json_str(out, pool_name(&st->readers, v[i]->stream), v[i]->stream_len);
            cli_buf_adds(out, ":{");
        } else {
            cli_buf_addc(out, ',');
        }
        cli_buf_json_str(out, pool_name(&st->readers, v[i]->principal),
                         v[i]->principal_len);
        cli_buf_addc(out, ':');
        cli_buf_add_u64(out, v[i]->calls);
        spill_maybe(out, sp);
    }
    if (st->readers.count > 0)
        cli_buf_addc(out, '}');
    cli_buf_printf(out, "},\"mediaReadersCap\":%u,\"mediaReadersBytesCap\":%u,"
                   "\"mediaReadsDropped\":%llu",
                   CLI_STATS_READERS_CAP, CLI_STATS_READERS_BYTES,
                   (unsigned long long)st->media_reads_dropped);
    free(v);
}

static void format_text(const struct cli_stats *st, const struct group *groups,
                        size_t ngroups, double elapsed, struct cli_buf *out,
                        struct cli_stats_spill *sp)
{
    size_t g;
    uint32_t v;
    cli_buf_printf(out, "%-18s %llu\n", "files", (unsigned long long)st->files);
    cli_buf_printf(out, "%-18s %llu\n", "files pruned",
                   (unsigned long long)st->files_pruned);
    cli_buf_printf(out, "%-18s %llu\n", "files skipped",
                   (unsigned long long)st->files_skipped);
    cli_buf_printf(out, "%-18s %llu\n", "digests skipped",
                   (unsigned long long)st->digests_skipped);
    cli_buf_printf(out, "%-18s %llu\n", "input errors",
                   (unsigned long long)st->input_errors);
    cli_buf_printf(out, "%-18s %llu\n", "records",
                   (unsigned long long)st->records);
    cli_buf_printf(out, "%-18s %llu\n", "kvs records",
                   (unsigned long long)(st->records - st->actions[0]));
    cli_buf_printf(out, "%-18s %llu\n", "other records",
                   (unsigned long long)st->actions[0]);
    cli_buf_printf(out, "%-18s %llu\n", "broken records",
                   (unsigned long long)st->broken);
    cli_buf_printf(out, "%-18s %llu\n", "filtered out",
                   (unsigned long long)st->filtered);
    cli_buf_printf(out, "%-18s %llu\n", "duplicates",
                   (unsigned long long)st->duplicates);
    if (st->dedup_resets > 0)
        cli_buf_printf(out, "%-18s %llu (repeats across a reset are kept)\n",
                       "dedup resets", (unsigned long long)st->dedup_resets);
    cli_buf_printf(out, "%-18s %llu (as stored: compressed for gzip)\n",
                   "bytes read", (unsigned long long)st->bytes_in);
    cli_buf_printf(out, "%-18s %llu (parsed: inflated for gzip)\n",
                   "bytes json", (unsigned long long)st->bytes_json);
    cli_buf_printf(out, "%-18s %.3f s\n", "elapsed", elapsed);
    cli_buf_printf(out, "%-18s %.1f MB/s\n", "throughput",
                   elapsed > 0 ? (double)st->bytes_json / 1e6 / elapsed : 0.0);
    cli_buf_printf(out, "%-18s %.0f records/s\n", "rate",
                   elapsed > 0 ? (double)st->records / elapsed : 0.0);
    for (g = 0; g < ngroups; g++) {
        cli_buf_printf(out, "%s\n", groups[g].title);
        for (v = groups[g].first; v < groups[g].n; v++) {
            size_t start;
            if (groups[g].counts[v] == 0)
                continue;
            cli_buf_adds(out, "  ");
            start = out->len;
            name_of(out, &groups[g], v, 0);
            cli_buf_printf(out, "%*s %llu\n",
                           (int)(out->len - start < 34 ? 34 - (out->len - start) : 0),
                           "", (unsigned long long)groups[g].counts[v]);
        }
    }
    format_readers_text(st, out, sp);
}

static void format_json(const struct cli_stats *st, const struct group *groups,
                        size_t ngroups, double elapsed, struct cli_buf *out,
                        struct cli_stats_spill *sp)
{
    size_t g;
    uint32_t v;
    cli_buf_printf(out,
        "{\"files\":%llu,\"filesRead\":%llu,\"filesPruned\":%llu,"
        "\"filesSkipped\":%llu,\"digestsSkipped\":%llu,"
        "\"inputErrors\":%llu,\"records\":%llu,"
        "\"kvsRecords\":%llu,\"otherRecords\":%llu,\"brokenRecords\":%llu,"
        "\"filteredRecords\":%llu,\"duplicateRecords\":%llu,"
        "\"dedupResets\":%llu,"
        "\"bytesIn\":%llu,\"bytesJson\":%llu,\"elapsedSeconds\":%.6f,"
        "\"mbPerSecond\":%.3f,\"recordsPerSecond\":%.1f",
        (unsigned long long)st->files, (unsigned long long)st->files,
        (unsigned long long)st->files_pruned,
        (unsigned long long)st->files_skipped,
        (unsigned long long)st->digests_skipped,
        (unsigned long long)st->input_errors,
        (unsigned long long)st->records,
        (unsigned long long)(st->records - st->actions[0]),
        (unsigned long long)st->actions[0], (unsigned long long)st->broken,
        (unsigned long long)st->filtered, (unsigned long long)st->duplicates,
        (unsigned long long)st->dedup_resets,
        (unsigned long long)st->bytes_in, (unsigned long long)st->bytes_json,
        elapsed, elapsed > 0 ? (double)st->bytes_json / 1e6 / elapsed : 0.0,
        elapsed > 0 ? (double)st->records / elapsed : 0.0);
    for (g = 0; g < ngroups; g++) {
        int first = 1;
        cli_buf_printf(out, ",\"%s\":{", groups[g].json_key);
        for (v = groups[g].first; v < groups[g].n; v++) {
            if (groups[g].counts[v] == 0)
                continue;
            if (!first)
                cli_buf_addc(out, ',');
            first = 0;
            name_of(out, &groups[g], v, 1);
            cli_buf_addc(out, ':');
            cli_buf_add_u64(out, groups[g].counts[v]);
        }
        cli_buf_addc(out, '}');
    }
    format_readers_json(st, out, sp);
    cli_buf_adds(out, "}\n");
}

void cli_stats_format(const struct cli_stats *st, double elapsed,
                      enum cli_format format, struct cli_buf *out,
                      struct cli_stats_spill *spill)
{
    const struct group groups[] = {
        { "actions", "actions", st->actions, CLI_STATS_ACTIONS, 1, action_name },
        { "principals", "principals", st->principals, CLI_STATS_PRINCIPALS, 0,
          principal_name },
        { "credentials", "credentials", st->credentials, CLI_STATS_CREDENTIALS,
          0, credential_name },
        { "findings", "findings", st->findings, CLI_STATS_FINDINGS, 0,
          finding_name },
        { "severities", "severities", st->severities, CLI_STATS_SEVERITIES, 0,
          severity_name },
        { "access", "access", st->access, CLI_STATS_ACCESS, 1, access_name },
    };
    size_t n = sizeof groups / sizeof groups[0];
    if (format == CLI_FMT_JSONL)
        format_json(st, groups, n, elapsed, out, spill);
    else
        format_text(st, groups, n, elapsed, out, spill);
}
