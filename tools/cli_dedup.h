/*
 * kvstrail CLI: --dedup. Remembers the eventIDs seen (as 128-bit
 * fingerprints: two independent 64-bit hashes, so two different IDs are
 * taken for one with odds of about n^2 / 2^129) in an open-addressing
 * table that grows up to CLI_DEDUP_CAP IDs (--dedup-cap). Memory is bounded: when the
 * table holds the cap, it is emptied and starts again (counted as a
 * reset in `stats`), so a repeat whose first copy came before a reset
 * is not caught. Records without an eventID are never dropped.
 * Not thread-safe: the runner reads files one at a time under --dedup,
 * so which copy is kept (the first in file order) does not depend on -j.
 */
#ifndef KVSTRAIL_CLI_DEDUP_H
#define KVSTRAIL_CLI_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#define CLI_DEDUP_CAP (1u << 22) /* 4 Mi IDs: 128 MiB of table at most */
#define CLI_DEDUP_CAP_MAX (1u << 26) /* --dedup-cap's largest: 2 GiB */

struct cli_dedup {
    uint64_t (*slots)[2];  /* {0, 0}: empty */
    size_t cap;            /* slots, a power of two */
    size_t used;
    size_t limit;          /* IDs kept before a reset (--dedup-cap) */
    uint64_t dropped;      /* repeats dropped */
    uint64_t resets;       /* times the table was emptied at its cap */
};

void cli_dedup_init(struct cli_dedup *d, size_t limit);
/* 1 when id (of n bytes) was seen before (and is to be dropped), else
 * remembers it and returns 0. */
int cli_dedup_seen(struct cli_dedup *d, const char *id, size_t n);
void cli_dedup_free(struct cli_dedup *d);

#endif /* KVSTRAIL_CLI_DEDUP_H */
