/* kvstrail CLI: the counters of `kvstrail stats` and their summary. */
#include "cli_stats.h"

#include <string.h>

static size_t slot(uint32_t v, size_t n)
{
    return v < n ? v : n - 1;
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
}

static void add_array(uint64_t *into, const uint64_t *from, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        into[i] += from[i];
}

void cli_stats_merge(struct cli_stats *into, const struct cli_stats *from)
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
    };
    size_t n = sizeof groups / sizeof groups[0];
    if (format == CLI_FMT_JSONL)
        format_json(st, groups, n, elapsed, out);
    else
        format_text(st, groups, n, elapsed, out);
}
