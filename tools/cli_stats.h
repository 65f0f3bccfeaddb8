/*
 * kvstrail CLI: the counters of `kvstrail stats` (per action, principal
 * kind, credential kind, finding code and severity) and their summary.
 */
#ifndef KVSTRAIL_CLI_STATS_H
#define KVSTRAIL_CLI_STATS_H

#include "cli_buf.h"
#include "cli_options.h"

#include <kvstrail/kvstrail.h>

/* Array bounds, with room to spare over today's numbering (actions up to
 * 32, finding codes up to 205): a value past them lands in the last slot
 * and is printed as a number. */
#define CLI_STATS_ACTIONS    256
#define CLI_STATS_PRINCIPALS 64
#define CLI_STATS_CREDENTIALS 16
#define CLI_STATS_FINDINGS   1024
#define CLI_STATS_SEVERITIES 4

struct cli_stats {
    uint64_t files;         /* files read */
    uint64_t files_pruned;  /* left unread: their S3 key is outside the filters */
    uint64_t files_skipped; /* in a directory, not logs by name or content */
    uint64_t digests_skipped;
    uint64_t filtered;      /* records dropped by the filters or --kvs-only */
    uint64_t duplicates;    /* records dropped by --dedup */
    uint64_t dedup_resets;  /* times --dedup's table was emptied at its cap */
    uint64_t input_errors;  /* files that could not be read or parsed whole */
    uint64_t records;       /* events delivered (status 0) */
    uint64_t broken;        /* broken records reported in recovery mode */
    uint64_t bytes_in;      /* bytes read (compressed for gzip) */
    uint64_t bytes_json;    /* JSON bytes parsed (inflated for gzip) */
    uint64_t actions[CLI_STATS_ACTIONS];
    uint64_t principals[CLI_STATS_PRINCIPALS];
    uint64_t credentials[CLI_STATS_CREDENTIALS];
    uint64_t findings[CLI_STATS_FINDINGS];
    uint64_t severities[CLI_STATS_SEVERITIES];
};

void cli_stats_add_event(struct cli_stats *st, const kvst_event *ev);
void cli_stats_merge(struct cli_stats *into, const struct cli_stats *from);

/* The summary, text or one JSON object (docs/cli.md), with a newline. */
void cli_stats_format(const struct cli_stats *st, double elapsed_seconds,
                      enum cli_format format, struct cli_buf *out);

#endif /* KVSTRAIL_CLI_STATS_H */
