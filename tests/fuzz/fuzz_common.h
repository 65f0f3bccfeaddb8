/*
 * Shared pieces of the kvstrail fuzz targets: how an input's header picks
 * the parser options and chunk sizes, one parse run with every event
 * exercised (JSON, lookups, deep copy), and the invariants each event must
 * hold. A broken invariant aborts, so libFuzzer and the replay driver both
 * report it as a crash.
 */
#ifndef KVST_FUZZ_COMMON_H
#define KVST_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <kvstrail/kvstrail.h>

/* Bytes of the header read by fuzz_plan_from_header(). */
#define FUZZ_HEADER_LEN 4u

typedef struct fuzz_plan {
    uint32_t flags;        /* KVST_FLAG_* */
    int pull;              /* 1: kvst_parser_next, 0: on_event callback */
    /* Limits (0: the library's defaults). */
    uint64_t max_depth;
    uint64_t max_string_bytes;
    uint64_t max_record_bytes;
    uint64_t max_inflate_ratio;
    uint64_t fail_alloc;   /* fail this allocation (1-based); 0: never */
    uint64_t stop_after;   /* callback returns 1 after this many; 0: never */
    uint8_t chunks[3];     /* chunk size codes, used in turn */
    const kvst_filter *filter; /* the parser's filter; NULL: none */
    /* The exact bytes the parser sees after inflation, when the run feeds
     * plain JSON (offsets and raw views are checked against them). */
    const uint8_t *plain;
    size_t plain_len;
} fuzz_plan;

typedef struct fuzz_result {
    int status;            /* final status of feed/finish */
    uint64_t events;       /* events delivered */
    uint64_t broken;       /* of which status < 0 (recovery mode) */
    uint64_t digest;       /* FNV-1a over every event's JSON and status */
    /* events and digest before the first broken record (all when none) */
    uint64_t prefix_events;
    uint64_t prefix_digest;
    uint64_t error_offset; /* kvst_parser_error()->offset */
    int new_status;        /* kvst_parser_new's status */
} fuzz_result;

/* Read the header: byte 0 options, bytes 1..3 chunk size codes. */
void fuzz_plan_from_header(const uint8_t *h, fuzz_plan *plan);

/* Parse in (in_len bytes) as the plan says; fills *res. Aborts on any
 * broken invariant. */
void fuzz_run(const uint8_t *in, size_t in_len, const fuzz_plan *plan,
              fuzz_result *res);

/* Parse in twice: as the plan says, then (when the plan injects no failure
 * and no early stop) in one big chunk with the other delivery mode, and
 * abort when the two runs differ (events must not depend on the split).
 * Returns the first run's result. */
/* The parser targets' common entry: the header chooses the plan, flags are
 * added to it, positions are checked when the body is not gzip, and the
 * body is run twice (fuzz_run_twice). The body and its length are
 * returned through body and len; returns 0 when the input is shorter than
 * the header. */
int fuzz_parse_input(const uint8_t *data, size_t size, uint32_t flags, fuzz_plan *plan,
                     fuzz_result *res, const uint8_t **body, size_t *len);

void fuzz_run_twice(const uint8_t *in, size_t in_len, const fuzz_plan *plan,
                    fuzz_result *res);

/* Abort when two runs of the same input differ. */
void fuzz_same_result(const fuzz_result *a, const fuzz_result *b,
                      const char *what);

/* Abort with a message (a fuzzer crash). */
void fuzz_fail(const char *what);
#define FUZZ_CHECK(cond) ((cond) ? (void)0 : fuzz_fail(#cond))

#endif
