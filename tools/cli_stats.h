/*
 * kvstrail CLI: the counters of `kvstrail stats` (per action, principal
 * kind, credential kind, finding code, severity and access kind, and the
 * media readers of each stream) and their summary.
 */
#ifndef KVSTRAIL_CLI_STATS_H
#define KVSTRAIL_CLI_STATS_H

#include "cli_buf.h"
#include "cli_options.h"

#include <kvstrail/kvstrail.h>

#include <pthread.h>

/* Array bounds, with room to spare over today's numbering (actions up to
 * 46, finding codes up to 310): a value past them lands in the last slot
 * and is printed as a number. */
#define CLI_STATS_ACTIONS    256
#define CLI_STATS_PRINCIPALS 64
#define CLI_STATS_CREDENTIALS 16
#define CLI_STATS_FINDINGS   1024
#define CLI_STATS_SEVERITIES 4
#define CLI_STATS_ACCESS     8

/* The media readers table holds at most CLI_STATS_READERS_CAP (stream,
 * principal) pairs; their distinct names (each kept once) take at most
 * CLI_STATS_READERS_BYTES with a NUL after each, and each name at most
 * CLI_STATS_NAME_MAX bytes. Whatever the input, the table stays under
 * 580 KiB (pool 384 KiB + 16 KiB of lengths, pairs 96 KiB, indexes 16 +
 * 64 KiB), and `stats` under its 4 MiB (docs/performance.md). A
 * media-read call whose pair does not fit is counted in
 * media_reads_dropped and the summary says so (docs/cli.md). */
#define CLI_STATS_READERS_CAP   4096
#define CLI_STATS_READERS_BYTES (384u * 1024u) /* distinct names and their NULs */
#define CLI_STATS_NAME_MAX      1024

struct cli_stats_pair;

/* Media-read calls per (stream, principal) (cli_stats.c), allocated at
 * the first media read. */
struct cli_stats_readers {
    struct cli_stats_pair *pairs; /* count of them, room for pairs_cap */
    size_t count, pairs_cap;
    uint16_t *pair_slots;         /* 2 * CLI_STATS_READERS_CAP: pair index + 1, 0 empty */
    char *pool;                   /* the names */
    size_t pool_len, pool_cap;
    uint32_t *name_slots;         /* name_nslots: pool offsets, 0 empty */
    size_t name_nslots, names;
    size_t bytes;                 /* of the names, a NUL after each counted */
};

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
    uint64_t access[CLI_STATS_ACCESS];  /* KVST_ACCESS_*; 0 is not counted */
    uint64_t media_reads_dropped;       /* past the readers cap */
    struct cli_stats_readers readers;
    /* With -j, every worker counts its media reads into one table, so that
     * the bound on memory is the table's whatever -j is: readers_into is
     * the cli_stats that holds it (its readers and media_reads_dropped),
     * taken under readers_lock. NULL: this one's own table. */
    struct cli_stats *readers_into;
    pthread_mutex_t *readers_lock;
};

/* A cli_stats starts zeroed (memset) and ends with cli_stats_free().
 * cli_stats_merge adds from's counts to into's; from's readers table
 * moves to into when into has none (a -j worker that counts into a shared
 * table has none of its own), so from is only fit for cli_stats_free()
 * afterwards. */
void cli_stats_add_event(struct cli_stats *st, const kvst_event *ev);
void cli_stats_merge(struct cli_stats *into, struct cli_stats *from);
void cli_stats_free(struct cli_stats *st);

/* Where a long summary goes while it is written: the media readers can
 * make it megabytes, so out's bytes are written to fd each time they pass
 * CLI_STATS_SPILL_BYTES, and out never holds more than about that.
 * failed is set when a write fails (not for EPIPE: a closed reader). */
#define CLI_STATS_SPILL_BYTES (64u * 1024u)
struct cli_stats_spill {
    int fd;
    int failed;
};

/* The summary, text or one JSON object (docs/cli.md), with a newline;
 * spill NULL: all of it in out. */
void cli_stats_format(const struct cli_stats *st, double elapsed_seconds,
                      enum cli_format format, struct cli_buf *out,
                      struct cli_stats_spill *spill);

#endif /* KVSTRAIL_CLI_STATS_H */
