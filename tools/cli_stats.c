/* kvstrail CLI: the counters of `kvstrail stats` and their summary. */
#include "cli_stats.h"

#include <stdlib.h>
#include <string.h>

static size_t slot(uint32_t v, size_t n)
{
    return v < n ? v : n - 1;
}

/* One (stream, principal) pair: both names in one allocation,
 * "stream\0principal\0". */
struct cli_stats_reader {
    char *names;
    uint32_t stream_len;    /* at most CLI_STATS_NAME_MAX */
    uint32_t principal_len;
    uint64_t hash;
    uint64_t calls;
};

#define READER_SLOTS (2u * CLI_STATS_READERS_CAP) /* a power of two */

/* Placeholders for a name the record does not give; neither can be a
 * stream name ([a-zA-Z0-9_.-]+), an ARN or a principalId. */
static const char NO_STREAM[] = "(no stream)";
static const char NO_PRINCIPAL[] = "(no principal)";

static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t pair_hash(const char *stream, size_t slen,
                          const char *principal, size_t plen)
{
    uint64_t h = fnv1a(14695981039346656037ull, stream, slen);
    h = fnv1a(h ^ 0xff, principal, plen); /* 0xff: never in UTF-8 text */
    return h;
}

/* Add calls to the pair; 0 when it is new and the table is full. */
static int readers_add(struct cli_stats_readers *t, const char *stream,
                       size_t slen, const char *principal, size_t plen,
                       uint64_t calls)
{
    uint64_t h = pair_hash(stream, slen, principal, plen);
    size_t i = (size_t)h & (READER_SLOTS - 1);
    if (t->slots == NULL) {
        t->slots = cli_xrealloc(NULL, READER_SLOTS * sizeof *t->slots);
        memset(t->slots, 0, READER_SLOTS * sizeof *t->slots);
    }
    for (;;) {
        struct cli_stats_reader *r = &t->slots[i];
        if (r->names == NULL)
            break;
        if (r->hash == h && r->stream_len == slen && r->principal_len == plen &&
            memcmp(r->names, stream, slen) == 0 &&
            memcmp(r->names + slen + 1, principal, plen) == 0) {
            r->calls += calls;
            return 1;
        }
        i = (i + 1) & (READER_SLOTS - 1);
    }
    if (t->count >= CLI_STATS_READERS_CAP ||
        t->bytes + slen + plen + 2 > CLI_STATS_READERS_BYTES)
        return 0;
    t->slots[i].names = cli_xrealloc(NULL, slen + plen + 2);
    memcpy(t->slots[i].names, stream, slen);
    t->slots[i].names[slen] = '\0';
    memcpy(t->slots[i].names + slen + 1, principal, plen);
    t->slots[i].names[slen + 1 + plen] = '\0';
    t->slots[i].stream_len = (uint32_t)slen;
    t->slots[i].principal_len = (uint32_t)plen;
    t->slots[i].hash = h;
    t->slots[i].calls = calls;
    t->count++;
    t->bytes += slen + plen + 2;
    return 1;
}

static void count_reader(struct cli_stats *st, kvst_str stream,
                         kvst_str principal, uint64_t calls)
{
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
    if (into->readers.slots == NULL) {
        into->readers = from->readers;
        memset(&from->readers, 0, sizeof from->readers);
    } else if (from->readers.slots != NULL) {
        size_t i;
        for (i = 0; i < READER_SLOTS; i++) {
            const struct cli_stats_reader *r = &from->readers.slots[i];
            kvst_str stream, principal;
            if (r->names == NULL)
                continue;
            stream.ptr = r->names;
            stream.len = r->stream_len;
            principal.ptr = r->names + r->stream_len + 1;
            principal.len = r->principal_len;
            count_reader(into, stream, principal, r->calls);
        }
    }
}

void cli_stats_free(struct cli_stats *st)
{
    size_t i;
    if (st->readers.slots == NULL)
        return;
    for (i = 0; i < READER_SLOTS; i++)
        free(st->readers.slots[i].names);
    free(st->readers.slots);
    memset(&st->readers, 0, sizeof st->readers);
}

/* The pairs in byte order of stream, then principal: the output does not
 * depend on the hash or on which -j worker saw a call first. NULL when
 * there are none. */
static int reader_cmp(const void *a, const void *b)
{
    const struct cli_stats_reader *x = *(const struct cli_stats_reader *const *)a;
    const struct cli_stats_reader *y = *(const struct cli_stats_reader *const *)b;
    size_t n = x->stream_len < y->stream_len ? x->stream_len : y->stream_len;
    int c = memcmp(x->names, y->names, n);
    if (c != 0)
        return c;
    if (x->stream_len != y->stream_len)
        return x->stream_len < y->stream_len ? -1 : 1;
    n = x->principal_len < y->principal_len ? x->principal_len : y->principal_len;
    c = memcmp(x->names + x->stream_len + 1, y->names + y->stream_len + 1, n);
    if (c != 0)
        return c;
    return x->principal_len < y->principal_len ? -1
           : x->principal_len > y->principal_len;
}

static const struct cli_stats_reader **sorted_readers(const struct cli_stats *st)
{
    const struct cli_stats_reader **v;
    size_t i, n = 0;
    if (st->readers.count == 0)
        return NULL;
    v = cli_xrealloc(NULL, st->readers.count * sizeof *v);
    for (i = 0; i < READER_SLOTS; i++)
        if (st->readers.slots[i].names != NULL)
            v[n++] = &st->readers.slots[i];
    qsort(v, n, sizeof *v, reader_cmp);
    return v;
}

static int same_stream(const struct cli_stats_reader *a,
                       const struct cli_stats_reader *b)
{
    return a->stream_len == b->stream_len &&
           memcmp(a->names, b->names, a->stream_len) == 0;
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

/* Text: a stream line, then its principals indented, each with its calls. */
static void format_readers_text(const struct cli_stats *st, struct cli_buf *out)
{
    const struct cli_stats_reader **v = sorted_readers(st);
    size_t i;
    cli_buf_printf(out, "media readers (media-read calls per stream and "
                   "principal, at most %u pairs)\n", CLI_STATS_READERS_CAP);
    for (i = 0; i < st->readers.count; i++) {
        if (i == 0 || !same_stream(v[i - 1], v[i])) {
            cli_buf_adds(out, "  ");
            cli_buf_safe_text(out, v[i]->names, v[i]->stream_len);
            cli_buf_addc(out, '\n');
        }
        cli_buf_adds(out, "    ");
        cli_buf_safe_text(out, v[i]->names + v[i]->stream_len + 1,
                          v[i]->principal_len);
        cli_buf_printf(out, " %llu\n", (unsigned long long)v[i]->calls);
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
static void format_readers_json(const struct cli_stats *st, struct cli_buf *out)
{
    const struct cli_stats_reader **v = sorted_readers(st);
    size_t i;
    cli_buf_adds(out, ",\"mediaReaders\":{");
    for (i = 0; i < st->readers.count; i++) {
        if (i == 0 || !same_stream(v[i - 1], v[i])) {
            if (i > 0)
                cli_buf_adds(out, "},");
            cli_buf_json_str(out, v[i]->names, v[i]->stream_len);
            cli_buf_adds(out, ":{");
        } else {
            cli_buf_addc(out, ',');
        }
        cli_buf_json_str(out, v[i]->names + v[i]->stream_len + 1,
                         v[i]->principal_len);
        cli_buf_addc(out, ':');
        cli_buf_add_u64(out, v[i]->calls);
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
                        size_t ngroups, double elapsed, struct cli_buf *out)
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
    format_readers_text(st, out);
}

static void format_json(const struct cli_stats *st, const struct group *groups,
                        size_t ngroups, double elapsed, struct cli_buf *out)
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
    format_readers_json(st, out);
    cli_buf_adds(out, "}\n");
}

void cli_stats_format(const struct cli_stats *st, double elapsed,
                      enum cli_format format, struct cli_buf *out)
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
        format_json(st, groups, n, elapsed, out);
    else
        format_text(st, groups, n, elapsed, out);
}
