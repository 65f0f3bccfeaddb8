/*
 * kvstrail: the streaming parser.
 *
 * Part of the public API; include <kvstrail/kvstrail.h> rather than this file.
 *
 * Push model: kvst_parser_feed() any number of times with chunks of any
 * size (they may split a string, a number, a UTF-8 sequence or a gzip
 * header anywhere; the events are identical for every split), then
 * kvst_parser_finish(). Input is auto-detected: a CloudTrail log file
 * ({"Records":[...]}), a single event, an array of events, concatenated
 * events / JSON Lines, EventBridge envelopes; each plain or gzip
 * (single- or multi-member). Memory is bounded by the largest record.
 *
 * Events come out either through the on_event callback given in the
 * options, or, when it is NULL, through kvst_parser_next().
 *
 * Threads: a parser is used by one thread at a time; different parsers are
 * independent (the library has no global mutable state). For gzip input on
 * a machine with more than one usable CPU, a parser inflates on a worker
 * thread of its own while the calling thread parses (KVST_FLAG_SINGLE_THREAD
 * turns this off); the worker never calls the allocator hooks or the
 * callbacks, and is joined by kvst_parser_free(). Do not use a parser in a
 * child made by fork() after it has started reading gzip.
 */
#ifndef KVSTRAIL_PARSER_H
#define KVSTRAIL_PARSER_H

#include <kvstrail/common.h>
#include <kvstrail/event.h>
#include <kvstrail/filter.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kvst_parser kvst_parser;

/*
 * Allocator hooks, used when all three functions are set; otherwise (all
 * NULL, or only some set) the C library's malloc/realloc/free are used,
 * all three. Every allocation the parser makes goes through these,
 * yajl's and zlib's included. A NULL return makes the parser fail with
 * KVST_E_NOMEM (never a crash, never a leak). Frozen layout. Since 1.0.
 */
typedef struct kvst_allocator {
    void *(*malloc_fn)(size_t size, void *ctx);
    void *(*realloc_fn)(void *ptr, size_t size, void *ctx);
    void (*free_fn)(void *ptr, void *ctx);
    void *ctx;
} kvst_allocator;

/*
 * Called once per event, in input order. ev is valid until the callback
 * returns. Return 0 to go on, non-zero to stop: feed/finish then return
 * KVST_E_ABORTED. payload is kvst_parser_options.payload.
 */
typedef int (*kvst_event_fn)(const kvst_event *ev, void *payload);

/* Parser flags (kvst_parser_options.flags). Since 1.0. */
#define KVST_FLAG_KVS_ONLY     0x1u /* deliver KVS records only */
#define KVST_FLAG_KEEP_RAW     0x2u /* fill kvst_event.raw */
#define KVST_FLAG_RECOVER      0x4u /* recovery mode: a syntax or encoding
                                        error inside a Records array, an
                                        array of events or a stream of
                                        events is delivered as an event with
                                        a negative status and its error (the
                                        broken record's range and text), and
                                        parsing resumes at the next record
                                        that parses whole as an event */
#define KVST_FLAG_NO_VALIDATE  0x8u /* skip validators (findings empty) */
#define KVST_FLAG_SINGLE_THREAD 0x10u /* inflate gzip on the calling thread. Since 1.0 */
#define KVST_FLAG_DIGESTS      0x20u /* deliver a CloudTrail digest file as an
                                        event of container
                                        KVST_CONTAINER_DIGEST (see
                                        kvst_event_digest()) instead of
                                        refusing it. Since 1.1 */
#define KVST_FLAG_NO_FASTLEX   0x80u /* lex every byte with yajl, the
                                        validating tokenizer, instead of
                                        taking plain records on the fast
                                        path: the same events, errors and
                                        positions, only slower (for
                                        differential tests, and as a way
                                        out should the fast path be
                                        suspected). Since 1.1 */
#define KVST_FLAG_NO_SKIP      0x100u /* read every record token by token,
                                        also one the fast lexer found
                                        whole that KVST_FLAG_KVS_ONLY or
                                        the filter's actions drop for its
                                        eventSource, or its time window
                                        for its eventTime (such a record is
                                        otherwise only checked, and
                                        skipped): the same events, errors
                                        and positions, only slower (for
                                        differential tests). Since 1.1 */

/* Defaults of the limits (a limit of 0 in the options means "default";
 * KVST_UNLIMITED turns a limit off). */
#define KVST_UNLIMITED                  ((uint64_t)-1)
#define KVST_DEFAULT_MAX_DEPTH          64u
#define KVST_DEFAULT_MAX_STRING_BYTES   (4u * 1024u * 1024u)
#define KVST_DEFAULT_MAX_RECORD_BYTES   (16u * 1024u * 1024u)
#define KVST_DEFAULT_MAX_INFLATE_RATIO  1000u

/*
 * Options. Set struct_size = sizeof(kvst_parser_options) (the INIT macro
 * or kvst_parser_options_init() does) and fill what you need. The library
 * accepts every size from the 1.0 one up to its own; a larger struct is
 * accepted only if the members it does not know are all zero, else
 * KVST_E_ABI. Since 1.0.
 */
typedef struct kvst_parser_options {
    size_t struct_size;
    uint32_t flags;             /* KVST_FLAG_* */
    uint32_t reserved;          /* zero */
    kvst_allocator allocator;
    kvst_event_fn on_event;     /* NULL: use kvst_parser_next() */
    void *payload;              /* passed to on_event */
    uint64_t max_depth;         /* JSON nesting depth */
    uint64_t max_string_bytes;  /* one string or number */
    uint64_t max_record_bytes;  /* one record */
    uint64_t max_inflate_ratio; /* inflated / compressed bytes (gzip bomb) */
    /* Only the events that pass (<kvstrail/filter.h>); NULL: all. Copied
     * by kvst_parser_new(). Since 1.1. */
    const struct kvst_filter *filter;
} kvst_parser_options;

#define KVST_PARSER_OPTIONS_INIT \
    { sizeof(kvst_parser_options), 0u, 0u, { 0, 0, 0, 0 }, 0, 0, 0u, 0u, 0u, 0u, 0 }

/* Zero opts and set its struct_size (for bindings that cannot use the
 * macro). Returns KVST_E_ABI when struct_size is smaller than the 1.0
 * struct. Since 1.0. */
KVST_EXPORT int kvst_parser_options_init(kvst_parser_options *opts,
                                         size_t struct_size);

/*
 * Create a parser. opts may be NULL (defaults, pull iterator). Returns 0
 * and sets *out, or KVST_E_INVAL (out NULL, bad flags, a filter it
 * refuses: see <kvstrail/filter.h>), KVST_E_ABI, KVST_E_NOMEM. Free with
 * kvst_parser_free(). Since 1.0.
 */
KVST_EXPORT int kvst_parser_new(const kvst_parser_options *opts,
                                kvst_parser **out);

/*
 * Feed the next chunk (len may be 0). Events completed by this chunk are
 * delivered to on_event before it returns, or queued for
 * kvst_parser_next(). Returns 0, or the error that stopped parsing
 * (details in kvst_parser_error()). Errors are sticky: later calls return
 * the same code. Every record completed before the error is still
 * delivered (queued records remain available from kvst_parser_next()).
 * Since 1.0.
 */
KVST_EXPORT int kvst_parser_feed(kvst_parser *p, const void *buf, size_t len);

/*
 * End of input. Delivers what remains and checks that the input is
 * complete: KVST_E_TRUNCATED when it ends inside a value or a gzip member,
 * KVST_E_NOT_CLOUDTRAIL when the input was JSON but not CloudTrail (a
 * digest file is named as such, unless KVST_FLAG_DIGESTS). Since 1.0.
 */
KVST_EXPORT int kvst_parser_finish(kvst_parser *p);

/*
 * Pull iterator (when on_event is NULL). Returns 1 and sets *out to the
 * next event completed by the last feed/finish; 0 when there is none left
 * (feed more); after all events before an error were returned, the error
 * code. *out is valid until the next call to next/feed/finish/free on p.
 * Since 1.0.
 */
KVST_EXPORT int kvst_parser_next(kvst_parser *p, const kvst_event **out);

/*
 * The parser's error (code 0 when none). Valid until the next call on p.
 * Never NULL for a non-NULL p. Since 1.0.
 */
KVST_EXPORT const kvst_error *kvst_parser_error(const kvst_parser *p);

/* Counters: records read so far (delivered, filtered out by
 * KVST_FLAG_KVS_ONLY, or reported broken in recovery mode), input bytes
 * consumed, and JSON bytes parsed (the inflated stream for gzip). Any out
 * pointer may be NULL. Since 1.0. */
KVST_EXPORT void kvst_parser_stats(const kvst_parser *p, uint64_t *records,
                                   uint64_t *bytes_in, uint64_t *bytes_json);

/* Free the parser and everything it handed out. NULL is a no-op. Since 1.0. */
KVST_EXPORT void kvst_parser_free(kvst_parser *p);

#ifdef __cplusplus
}
#endif

#endif /* KVSTRAIL_PARSER_H */
