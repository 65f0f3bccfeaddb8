/*
 * Internal: the parser's state shared by the stages of the data flow
 *
 *   gzip_stage -> fastlex -> tokenizer -> record_builder -> envelope
 *              + action_map -> validate_record -> parser (delivery)
 *
 * (fastlex reports the tokens of plain whole records to the record builder
 * itself, and hands every other byte to the tokenizer, that is to yajl.)
 *
 * Each stage lives in its own file and only calls forward: the order of
 * the files, leaves included, and the calls of 1.0 still against it are
 * stated in lib/layers.txt, and tests/layering checks the object files
 * against it.
 */
#ifndef KVST_INTERNAL_H
#define KVST_INTERNAL_H

#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "alloc.h"
#include "cursor.h"
#include "findings.h"
#include "gzip_stage.h"
#include "schema.h"
#include "utf8.h"
#include "vocab.h"
#include "yajl_guard.h"

#define KVST_NO_NODE 0xffffffffu

/* The most pieces of a feed the fast lexer holds a record across. */
#define FL_MAX_SEGS 16u

/* Branch hint for the per-token paths. */
#if defined(__GNUC__) || defined(__clang__)
#define KVST_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define KVST_LIKELY(x) __builtin_expect(!!(x), 1)
#define KVST_INLINE inline __attribute__((always_inline))
#define KVST_NOINLINE __attribute__((noinline))
#else
#define KVST_INLINE inline
#define KVST_NOINLINE
#define KVST_LIKELY(x) (x)
#define KVST_UNLIKELY(x) (x)
#endif

/* Unaligned loads of 8 and 4 bytes (compilers make each one move). */
static KVST_INLINE uint64_t kvst__load64(const unsigned char *s)
{
    uint64_t v;
    memcpy(&v, s, sizeof v);
    return v;
}

static KVST_INLINE uint32_t kvst__load32(const unsigned char *s)
{
    uint32_t v;
    memcpy(&v, s, sizeof v);
    return v;
}

/* 1 when the len bytes at a and at b are the same. Most keys are 4 to 16
 * bytes long: those are compared with two overlapping loads of 4 or 8
 * bytes from each side, inline, instead of a call of memcmp. */
static KVST_INLINE int kvst__same_bytes(const void *a, const void *b, size_t len)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

    if (len >= 8 && len <= 16)
        return ((kvst__load64(x) ^ kvst__load64(y)) |
                (kvst__load64(x + len - 8) ^ kvst__load64(y + len - 8))) == 0;
    if (len >= 4 && len < 8)
        return ((kvst__load32(x) ^ kvst__load32(y)) |
                (kvst__load32(x + len - 4) ^ kvst__load32(y + len - 4))) == 0;
    return memcmp(x, y, len) == 0;
}

/* Node kinds of the tape: the KVST_JSON_* values, plus object keys. */
#define KVST_NODE_KEY 8u

/*
 * One token of a record. Containers span [index, next) on the tape; an
 * object's children alternate KEY, value subtree. Offsets are relative to
 * the record's first byte; start is 0 for scalars (kvst__tape_start()
 * computes it). A container whose len is not 0 is lazy: its members are
 * not on the tape, only in the raw bytes (kvst__tape_resolve says so); its
 * len is KVST_LAZY_REPEAT when the record builder saw two keys of one of
 * its objects that may be the same (kvst__lazy_repeats tells).
 */
#define KVST_LAZY 1u
#define KVST_LAZY_REPEAT 2u
typedef struct kvst_node {
    uint32_t kind;
    uint32_t next;  /* index one past this node's subtree */
    uint32_t start; /* containers: offset of the bracket */
    uint32_t end;   /* offset one past the token (containers: past the closing bracket) */
    uint32_t len;   /* string or number text length */
    uint32_t soff;  /* offset of the text in the record's string buffer */
} kvst_node;

/* The stored values of one record: what lookups and copies need. */
typedef struct kvst_tape {
    const kvst_node *nodes;
    uint32_t count;
    uint32_t root;           /* the event object */
    const char *strings;     /* NUL-separated decoded strings */
    size_t strings_len;
    const char *raw;         /* the record's bytes */
    size_t raw_len;
    uint64_t offset, line, column; /* where raw starts in the input */
    uint32_t pinned;         /* 1: every node is at offset, line, column (a
                                CloudWatch Logs message: cloudwatch.c) */
    /* the first record of a log file's repeated "Records" array: where
     * that later key is (line 0: none) */
    uint64_t dup_records_offset, dup_records_line, dup_records_column;
    uint32_t lazy_repeat;    /* a lazy container is KVST_LAZY_REPEAT */
    uint32_t taped_payload;  /* requestParameters or responseElements is on
                                the tape (not lazy), read before eventSource
                                or of a KVS record */
    uint32_t no_u_escapes;   /* 1: the fast lexer took the record, and it
                                holds no \u escape (pass 1 of
                                fastlex.c leaves those to yajl); 0: it may */
} kvst_tape;

/* One record being built or waiting for delivery. */
typedef struct kvst_record kvst_record;
typedef struct kvst_filter_impl kvst_filter_impl;
struct kvst_record {
    kvst_record *next;      /* queue / free list link */
    kvst_node *nodes;
    uint32_t count, cap;
    kvst_buf strings;
    kvst_buf raw;
    uint32_t root;
    uint32_t container;     /* KVST_CONTAINER_* */
    uint64_t index;         /* record index in the input */
    uint64_t offset, line, column;
    uint32_t pinned;        /* kvst_tape.pinned */
    uint64_t dup_records_offset, dup_records_line, dup_records_column; /* (kvst_tape) */
    uint32_t lazy_repeat, taped_payload, no_u_escapes; /* (kvst_tape) */
    kvst_arena arena;       /* the event built from it */
    /* recovery mode: a broken record (raw holds its text) */
    int32_t broken;         /* its status, 0 for a good record */
    kvst_error broken_err;
    char broken_msg[512];
    char broken_ptr[256];
    char broken_exc[256];
};

/* Where a complete record goes (delivery): the record builder and
 * recovery know it only as this sink, which the parser sets when it wires
 * the stages (kvst__builder_init). put returns 0 or the parser's status. */
typedef struct kvst_record_sink {
    int (*put)(void *ctx, kvst_record *r);
    void *ctx;
} kvst_record_sink;

/* The event as the library holds it: the public struct first. */
typedef struct kvst_event_impl {
    kvst_event ev;
    kvst_identity_info info;
    kvst_tape tape;
    kvst_error err;     /* broken records */
    uint32_t flags;     /* the parser flags it was built with */
    kvst_arena *arena;  /* where it lives (lookups of lazy payloads add to it) */
    void *copy_holder;  /* kvst_event_copy(): the storage to free */
    const kvst_digest *digest; /* KVST_CONTAINER_DIGEST (kvst_event_digest) */
} kvst_event_impl;

/* Container-detection states of the record builder. */
enum kvst_top_state {
    KVST_TOP_BETWEEN = 0,   /* between top-level values */
    KVST_TOP_OBJECT,        /* inside a top-level object (candidate event) */
    KVST_TOP_RECORDS,       /* inside {"Records":[ ... ]} */
    KVST_TOP_ARRAY,         /* inside a top-level array */
    KVST_TOP_SKIP           /* inside a value that is not CloudTrail */
};

/* Recovery mode: the probe of a candidate next record (recovery.c), kept
 * between feeds while it needs more bytes. */
typedef struct kvst_probe {
    yajl_handle h;     /* NULL when no candidate is being probed */
    size_t cand;       /* the candidate's index in the resync buffer */
    size_t fed;        /* bytes of the candidate parsed so far */
    size_t base;       /* fed before the current parse call */
    yajl_status st;    /* the last parse call's status */
    uint32_t depth;
    int done;          /* the object closed */
    int event_key;     /* a key of an event at depth 1 */
    size_t last_end;   /* end of the last token, from the candidate's start */
    uint32_t last_kind; /* and what it was: KVST_TOK_* */
} kvst_probe;

/* Recovery found the next record (recovery.c): the parser restarts the
 * tokenizer with the prefix (the record's container reopened, ending at
 * absolute offset abs) and feeds it rest from byte from on, then frees
 * rest. */
typedef struct kvst_resume {
    int pending;
    kvst_buf rest;
    size_t from;
    const char *prefix;
    size_t prefix_len;
    uint64_t abs;
} kvst_resume;

/* What the tokenizer does when a record breaks (its error is set), set by
 * the parser (kvst__tok_new). broke returns the status when the parse
 * cannot go on; else 0, once the parser took the tokenizer's handle away
 * (kvst__tok_drop): then rest is given every byte of the feed after the
 * error, until the parser restarts the tokenizer (kvst__tok_restart). */
typedef struct kvst_break_sink {
    int (*broke)(void *ctx);
    int (*rest)(void *ctx, const unsigned char *buf, size_t len);
    void *ctx;
} kvst_break_sink;

/* Per nesting level: what is open there. */
typedef struct kvst_level {
    uint32_t node;    /* tape index of the container, KVST_NO_NODE when not taped */
    uint32_t is_array;
    uint64_t items;   /* array: elements so far */
    uint32_t key_soff, key_len; /* object: current key (in the record's strings) */
    /* in a lazy payload: its keys' prints (lazy_prints from prints_from
     * on), and a bit of each print, which most keys' miss */
    uint32_t prints_from;
    uint64_t print_bits;
} kvst_level;

/* The last token the builder saw (kvst_parser.last_tok_kind): which
 * separator may follow it (tokenizer.c, separator_fits). */
enum {
    KVST_TOK_NONE = 0, /* none yet */
    KVST_TOK_KEY,      /* a key: ':' may follow */
    KVST_TOK_OPEN,     /* a '{' or '[' */
    KVST_TOK_VALUE     /* a scalar or a container's end: ',' may follow inside one */
};

struct kvst_parser {
    kvst_alloc alloc;
    kvst_parser_options opts;     /* normalised: limits filled in */
    kvst_cursor cursor;           /* positions and the error (cursor.h) */
    int finished;
    uint32_t last_tok_kind;       /* stage 3: what the last token the builder
                                     saw was (KVST_TOK_*; its end: last_tok_end);
                                     here, where it fills a hole */

    /* stage 1 */
    kvst_input *input;

    /* stage 2: tokenizer */
    yajl_handle yajl;             /* NULL while a broken record's bytes go to brk.rest */
    kvst_break_sink brk;          /* where a broken record goes (set by the parser) */
    void *yajl_blocks;            /* every live yajl allocation (see tokenizer.c) */
    size_t yajl_cap;              /* largest allocation yajl may make */
    jmp_buf yajl_jmp;
    int in_yajl;
    int jmp_code;
    uint64_t bytes_json;          /* plain bytes fed to yajl */
    uint64_t last_tok_end;        /* end of the last token the builder saw */
    uint64_t next_tok;            /* where the token after it starts, when seen */
    uint64_t next_tok_end;        /* the last_tok_end next_tok belongs to */
    /* bytes known to be white space, but for one separator ws_sep_c (0:
     * none) at ws_sep, in [ws_ref, ws_to) (see note_next_token) */
    uint64_t ws_ref, ws_sep, ws_to;
    int ws_sep_c;
    /* where the token held in cursor.hold starts (hold_pending) */
    uint64_t hold_tok;
    /* the UTF-8 check of the bytes yajl is given (tokenizer.c): in a
     * string, after a backslash, and a sequence the chunk's end cut
     * (u8_pend_n bytes from absolute offset u8_pend_at) */
    int u8_in_str, u8_esc;
    unsigned char u8_pend[4];
    size_t u8_pend_n;
    uint64_t u8_pend_at;

    /* stage 2a: the fast lexer (fastlex.c) */
    int fl_mode;                  /* off, scanning for yajl, or between records */
    int fl_in_str, fl_esc;        /* the scanner: in a string, after a backslash */
    int fl_drop;                  /* delivery drops a record whose eventSource is not
                                     KVS's, or whose eventTime is outside the filter's
                                     window: pass 2 skips it (FL_DROP_*, fastlex.c) */
    uint64_t fl_depth;            /* the scanner: containers open */
    int fl_standin;               /* yajl parses a stand-in: its null is no value */
    uint32_t fl_skip, fl_backoff; /* records left to yajl after a bail */
    kvst_buf fl_text;             /* strings with escapes, decoded */
    uint32_t *fl_tok;             /* the tokens of the record pass 1 took (two words each) */
    size_t fl_tok_cap;            /* ... room for so many */
    kvst_buf fl_hold;             /* the start of a record cut by a piece's end */
    size_t fl_seg[FL_MAX_SEGS];   /* the pieces it came in (lengths) */
    size_t fl_nseg;
    uint64_t fl_hold_parsed;      /* bytes_json when the first held piece began */
    uint64_t fl_records;          /* records the fast lexer delivered */
    uint64_t fl_skipped;          /* ... of them, skipped after pass 1 (in fl_records) */
    const struct kvst_scanner *scan; /* its scanning kernel (scan.h) */

    /* stage 3: record builder */
    kvst_record_sink record_sink; /* where complete records go (set by the parser) */
    int top;                      /* enum kvst_top_state */
    uint32_t depth;               /* current nesting depth */
    kvst_level *levels;
    uint32_t levels_cap;
    uint32_t rec_depth;           /* depth at which the record object opened */
    int rec_active;
    int saw_records_key;          /* last key at depth 1 was "Records" */
    /* a repeated "Records" key of the log file, for the next record
     * delivered (line 0: none) */
    uint64_t dup_records_offset, dup_records_line, dup_records_column;
    int top_has_event_key;        /* the open top-level object has an event key */
    int rec_kvs;                  /* eventSource seen: 1 KVS, -1 other, 0 not yet */
    uint32_t skip_depth;          /* inside a lazy payload at this depth and deeper */
    /* the prints of the keys of the lazy payload's open objects (a level's
     * from its prints_from on), to tell a key that may be repeated */
    uint64_t lazy_prints[64];
    uint32_t lazy_print_count;
    int lazy_marked;              /* the payload is KVST_LAZY_REPEAT */
    uint64_t raw_from;            /* absolute offset the raw capture resumes at */
    kvst_record *cur;             /* record being built */
    kvst_buf u_text;              /* a string decoded again (redecode) */
    uint64_t records;             /* records completed so far */
    uint64_t delivered;
    uint64_t takes_roomy;         /* kvst__builder_take calls that had the room
                                     for all their tokens (the tests read it) */
    uint64_t top_values;          /* top-level values seen */
    uint32_t top_kind;            /* KVST_JSON_* of the last top-level value */
    /* first non-CloudTrail value: reported at finish if the JSON is valid */
    int not_ct;
    char not_ct_msg[256];
    uint64_t not_ct_off, not_ct_line, not_ct_col;

    /* recovery mode (recovery.c) */
    int resyncing;                /* looking for the next record */
    uint64_t resyncs;             /* times recovery took over the input */
    kvst_buf resync;              /* bytes from the broken record's start on */
    size_t resync_scan;           /* next byte of resync to look for '{' at */
    int resync_top;               /* container: enum kvst_top_state */
    uint32_t resync_container;    /* KVST_CONTAINER_* of the broken record */
    uint64_t resync_offset, resync_line, resync_column; /* where resync[0] is */
    kvst_error broken;            /* the error that broke the record */
    char broken_msg[512];
    char broken_ptr[256];
    char broken_exc[256];
    kvst_probe probe;             /* the candidate being probed */
    kvst_error next_broken;       /* the probe's: a record that broke too */
    char next_msg[512];
    char next_exc[256];
    kvst_resume resume;           /* the next record found: lexing takes over */

    /* delivery */
    /* the byte handler of the parser's mode: lexing, or recovery (expat's
     * processor) */
    int (*process)(kvst_parser *p, const unsigned char *buf, size_t len);
    kvst_filter_impl *filter;     /* NULL: every record (filter.c) */
    kvst_record *ready_head, *ready_tail; /* pull mode queue */
    kvst_record *handed;          /* record of the event last returned by next */
    kvst_record *pool;            /* free records */
};

/* ---- filter.c ------------------------------------------------------------ */
/* Compile the caller's filter (NULL gives *out NULL): 0, KVST_E_ABI,
 * KVST_E_INVAL or KVST_E_NOMEM. */
int kvst__filter_new(const kvst_alloc *a, const kvst_filter *src,
                     kvst_filter_impl **out);
void kvst__filter_free(const kvst_alloc *a, kvst_filter_impl *f);
/* Whether the filter names actions (the tape test is worth making). */
int kvst__filter_has_actions(const kvst_filter_impl *f);
/* 1 when a record of this action may pass; f may be NULL. */
int kvst__filter_action(const kvst_filter_impl *f, uint32_t action);
/* Whether the filter has a time window (since or until). */
int kvst__filter_has_time(const kvst_filter_impl *f);
/* 1 when an eventTime (valid: a string kvst_validate_timestamp takes, of
 * ms since the epoch) is inside the window, as kvst__filter_event decides
 * it for the built event; f may be NULL. */
int kvst__filter_time(const kvst_filter_impl *f, int valid, int64_t ms);
/* 1 when the built event passes (broken records always do). */
int kvst__filter_event(const kvst_filter_impl *f, const kvst_event *ev);

/* ---- fastlex.c ----------------------------------------------------------- */
/* Off for the whole parse under KVST_FLAG_NO_FASTLEX (tests compare the
 * two paths). */
void kvst__lex_init(kvst_parser *p);
void kvst__lex_free(kvst_parser *p);
/* The gzip stage's output function: plain bytes, to the fast lexer or to
 * yajl (kvst__tok_feed). */
int kvst__lex_feed(void *parser, const unsigned char *buf, size_t len);
/* At the end of a feed (and of the input, before kvst__tok_finish): parse
 * the bytes held for the feed's next piece. 0 or the parser's status. */
int kvst__lex_flush(kvst_parser *p);
/* At the end of a feed: the same, unless the held start of a record may
 * wait for the next feed (yajl would report no error in it). */
int kvst__lex_feed_end(kvst_parser *p);
/* The bytes held for the next piece or feed that yajl, had it been given
 * them, would count as parsed (kvst_parser_stats adds them to
 * bytes_json, the count of what yajl and the fast lexer took). */
uint64_t kvst__lex_held(const kvst_parser *p);

/* ---- tokenizer.c ------------------------------------------------------- */
int kvst__tok_new(kvst_parser *p, kvst_break_sink brk);
void kvst__tok_free(kvst_parser *p);
/* The gzip stage's output function: parse plain bytes. */
int kvst__tok_feed(void *parser, const unsigned char *buf, size_t len);
/* The same for the first len bytes of buf; an error sees all avail bytes
 * (the break sink then takes them all). */
int kvst__tok_feed_part(kvst_parser *p, const unsigned char *buf, size_t len, size_t avail);
int kvst__tok_finish(kvst_parser *p);
/* The fast lexer reports the tokens of buf (len: to the feed's end): then
 * it ends the span after n bytes, and yajl is fed the stand-in (NULL:
 * none) that leaves it where it would be had it parsed them. 0 or the
 * parser's status. */
void kvst__tok_span_begin(kvst_parser *p, const unsigned char *buf, size_t len);
int kvst__tok_span_end(kvst_parser *p, size_t n, const char *standin);
/* What a string-limit error calls the limit: the record limit when it is
 * the one in force (parser.c lowers max_string_bytes to it), so that the
 * message names what the caller has to raise. */
#define KVST_STRING_LIMIT_NAME(p)                                          \
    ((p)->opts.max_string_bytes == (p)->opts.max_record_bytes ? "record limit" \
                                                              : "limit")
extern const yajl_callbacks kvst__builder_callbacks;
/* Recovery mode (the parser switches to it): drop the failed main handle;
 * make a new one primed with a virtual prefix that ends at absolute
 * offset abs. */
void kvst__tok_drop(kvst_parser *p);
int kvst__tok_restart(kvst_parser *p, const unsigned char *prefix, size_t len, uint64_t abs);
/* The count of bytes parsed (bytes_json, the tokenizer's): set to an
 * absolute offset, or moved on by len (bytes recovery took). */
void kvst__tok_parsed_at(kvst_parser *p, uint64_t abs);
void kvst__tok_parsed_add(kvst_parser *p, uint64_t len);

/* ---- yajl_guard.c ---------------------------------------------------------- */
/* yajl calls with the allocator guard, for every handle of the parser (the
 * tokenizer's, recovery's probe): non-zero when an allocation was refused
 * (p->jmp_code says why). */
int kvst__yajl_guarded_alloc(kvst_parser *p, const yajl_callbacks *cb, void *ctx,
                             yajl_handle *out);
int kvst__yajl_guarded_parse(kvst_parser *p, yajl_handle h, const unsigned char *buf,
                             size_t len, yajl_status *st);
int kvst__yajl_guarded_complete(kvst_parser *p, yajl_handle h, yajl_status *st);
/* yajl's error message (short form; free it with yajl_free_error), or
 * NULL when memory ran out (p->jmp_code is then KVST_E_NOMEM). */
unsigned char *kvst__yajl_guarded_error(kvst_parser *p, yajl_handle h);
void kvst__yajl_release(kvst_parser *p, yajl_handle h);
/* Free every yajl block of the parser, whatever yajl's state. */
void kvst__yajl_free_all(kvst_parser *p);

/* ---- recovery.c ------------------------------------------------------------ */
/* A mode the parser switches to when a record breaks. After an error in
 * recovery mode: p->status if it cannot be recovered, else 0 (or a new
 * error) once the broken record is on its way; the parser then drops the
 * tokenizer's handle and gives recovery the bytes (kvst__recover_feed)
 * until p->resume says where lexing takes over again. */
int kvst__recover_begin(kvst_parser *p);
int kvst__recover_feed(kvst_parser *p, const unsigned char *buf, size_t len);
int kvst__recover_finish(kvst_parser *p);
/* When recovery has found the next record: 1, and *out says where lexing
 * takes over (out->rest is the caller's to free); else 0. */
int kvst__recover_take_resume(kvst_parser *p, kvst_resume *out);
void kvst__recover_free(kvst_parser *p);

/* ---- record_builder.c -------------------------------------------------- */
/* sink: where the builder and recovery put each complete record. */
int kvst__builder_init(kvst_parser *p, kvst_record_sink sink);
void kvst__builder_free(kvst_parser *p);
/* Called after each parsed chunk: save the open record's bytes. */
int kvst__builder_chunk_done(kvst_parser *p);
/* The JSON pointer of the builder's current position (for errors). */
void kvst__builder_pointer(const kvst_parser *p, char *out, size_t cap);
/* Forget the container (recovery reopens it). */
void kvst__builder_restart(kvst_parser *p);
/* The open record is given up (recovery takes its bytes). */
void kvst__builder_abandon(kvst_parser *p);
/* 1 for the keys that make an object an event. */
int kvst__is_event_key(const unsigned char *k, size_t len);
/* At finish: 1 when the input looked like CloudTrail before it ended. */
int kvst__builder_in_cloudtrail(const kvst_parser *p);
kvst_record *kvst__record_new(kvst_parser *p);
/* r is done with: reset, back to the builder's free records. */
void kvst__record_recycle(kvst_parser *p, kvst_record *r);
/* The builder's current record is kept by delivery (pull mode queues
 * it): the builder takes a fresh one. 0 or KVST_E_NOMEM. */
int kvst__builder_renew(kvst_parser *p);
/* The index of the next record, counted (records of the input are
 * numbered by the builder alone). */
uint64_t kvst__builder_count_record(kvst_parser *p);
/* A record the fast lexer checked whole and skips (delivery would drop
 * it unread): the builder's state as after reading it; end is just past
 * its '}'. */
void kvst__builder_skip_record(kvst_parser *p, uint64_t end);
/* The fast lexer's tokens of a record (fastlex.c, pass 1): two words
 * each, where the token starts (from the record's '{') and, for a string,
 * the length of its bytes between the quotes with KVST_FT_KEY and
 * KVST_FT_ESC; for a number, its length; 0 for the rest. The token's
 * first byte says its kind. */
#define KVST_FT_KEY 0x80000000u /* a string that is a key */
#define KVST_FT_ESC 0x40000000u /* a string with escapes (decoded in pass 2) */
#define KVST_FT_LEN 0x3fffffffu
/* Pass 2's common tokens, taken into the open record as its callbacks
 * would take them, from t on: the tokens of a record pass 1 checked whole
 * (JSON, within every limit), which start at s0, whose '{' is at absolute
 * offset base. Returns the first token it leaves to the callbacks (te
 * when none): the record's own '{' and '}', a string with escapes, a
 * token that needs room the builder has not got, and the rare states. It
 * never fails and never moves the cursor. */
const uint32_t *kvst__builder_take(kvst_parser *p, const unsigned char *s0, uint64_t base,
                                   const uint32_t *t, const uint32_t *te);
void kvst__record_reset(kvst_record *r);
void kvst__record_destroy(kvst_parser *p, kvst_record *r);
void kvst__record_tape(const kvst_record *r, kvst_tape *t);

/* The byte at an absolute offset, or -1 when it is not held. */
typedef int (*kvst_byte_fn)(const void *ctx, uint64_t at);
/* 1 when the yajl error that stopped at e is lexical (the token that
 * starts at t is not a JSON token), 0 when it is the grammar's: told from
 * the bytes (tokenizer.c), for the tokenizer and recovery's probe. */
int kvst__yajl_lexical(kvst_byte_fn byte, const void *ctx, uint64_t t, uint64_t e);
/* The offending byte of that lexical error (tokenizer.c): where the
 * tokenizer and recovery's probe both place it. */
uint64_t kvst__lexical_offender(kvst_byte_fn byte, const void *ctx, uint64_t t, uint64_t e);

/* ---- tape helpers (record_builder.c) ------------------------------------ */
/* Value node of key in object node obj (its last occurrence when the key
 * is repeated), or KVST_NO_NODE. */
uint32_t kvst__tape_get(const kvst_tape *t, uint32_t obj, const char *key,
                        size_t len);
/* Start offset (within the record) of a node. */
uint32_t kvst__tape_start(const kvst_tape *t, uint32_t node);
/* Resolve a JSON pointer from the root; KVST_NO_NODE when absent, or
 * KVST_NO_NODE - 1 when malformed. When the path enters a lazy container,
 * returns that container and sets *rest to the offset in ptr of the part
 * left to resolve in its raw bytes (else *rest = len). */
uint32_t kvst__tape_resolve(const kvst_tape *t, const char *ptr, size_t len, size_t *rest);
/* Absolute offset, line and column of a node's start. */
void kvst__tape_position(const kvst_tape *t, uint32_t node, uint64_t *off,
                         uint64_t *line, uint64_t *col);
/* The same of the record's byte at (an offset within raw). */
void kvst__tape_position_at(const kvst_tape *t, uint32_t at, uint64_t *off, uint64_t *line,
                            uint64_t *col);
/* The JSON pointer, from the root, of a node (a key: of its member) into
 * out; 0 when the node is not under the root (an EventBridge envelope's
 * own members) or the pointer is longer than cap. */
int kvst__tape_pointer(const kvst_tape *t, uint32_t node, char *out, size_t cap);
/* Call fn(ctx, node, at) for each lone surrogate escape of the record's
 * taped strings and keys (at: the escape's backslash, within raw), in
 * input order; returns fn's first non-zero, else 0. */
int kvst__tape_lone_surrogates(const kvst_tape *t, int (*fn)(void *ctx, uint32_t node, uint32_t at),
                               void *ctx);
/* The one test for repeated keys of a taped object (the envelope's, the
 * typed payloads', the free-form values'): the key nodes of object obj
 * that an earlier key of the same object equals, in input order, into
 * *out (an array in ar; NULL when there is none) and *count. Objects of
 * many keys are sorted, so that it stays n log n. 0 or KVST_E_NOMEM. */
int kvst__object_repeats(const kvst_tape *t, uint32_t obj, kvst_arena *ar, uint32_t **out,
                         uint32_t *count);
/* Call fn(ctx, key) for each repeated key (kvst__object_repeats) of every
 * object in the subtree of node (lazy containers left out:
 * kvst__lazy_repeats), in input order within an object; returns fn's
 * first non-zero, KVST_E_NOMEM, or 0. */
int kvst__tape_repeats(const kvst_tape *t, uint32_t node, kvst_arena *ar,
                       int (*fn)(void *ctx, uint32_t key), void *ctx);
/* The same inside the lazy container node (event_lookup.c), whose JSON
 * pointer is pointer: fn(ctx, the repeat's pointer, where its key's
 * opening quote is within raw) for each repeat, in input order. */
int kvst__lazy_repeats(const kvst_tape *t, uint32_t node, const char *pointer, kvst_arena *ar,
                       int (*fn)(void *ctx, const char *pointer, uint32_t at), void *ctx);
/* Fill a kvst_value from a node (lookups, envelope); the text of a
 * container is copied into ar. 0 or KVST_E_NOMEM. */
int kvst__tape_value(const kvst_tape *t, uint32_t node, kvst_arena *ar, kvst_value *v);

/* ---- envelope.c, action_map.c ------------------------------------------ */
int kvst__envelope_build(const kvst_tape *t, kvst_arena *ar, kvst_event *ev,
                         kvst_finding_sink *sink);
/* The action of a record (from eventSource and eventName) without building. */
uint32_t kvst__action_of(const kvst_tape *t);
/* The KVST_ACCESS_* kind of a record of that action (GetDataEndpoint's
 * from its request's aPIName); KVST_ACCESS_NONE for KVST_ACTION_NONE. */
uint32_t kvst__access_of(uint32_t action, const kvst_tape *t);
/* The action, access kind and typed payloads of ev, whose envelope
 * kvst__envelope_build has filled (its eventSource and eventName). */
int kvst__action_map(const kvst_tape *t, kvst_arena *ar, kvst_event *ev,
                     kvst_finding_sink *sink);

/* ---- cloudwatch.c -------------------------------------------------------- */
/* The container of a record that is a CloudWatch Logs DATA_MESSAGE
 * envelope: never an event itself, delivery parses its messages. */
#define KVST__CONTAINER_CW_ENVELOPE 0x100u
/* The outcome of one message. */
typedef struct cw_message {
    int code; /* 0: m is an event's record; else the KVST_E_* of a message
                 that is not one, at offset, line, column, with message */
    uint64_t offset, line, column;
    char message[512];
    char excerpt[160]; /* the input from the message's quote on, a caret */
} cw_message;
/* Set out's error: code and the printf-formatted message. */
void kvst__cw_error(cw_message *out, int code, const char *fmt, ...) KVST_PRINTF(3, 4);
/* The logEvents element after prev (KVST_NO_NODE: the first) of the
 * envelope record r, or KVST_NO_NODE after the last. */
uint32_t kvst__cloudwatch_next(const kvst_record *r, uint32_t prev);
/* Parse the message of element into the record m (reset first; its index
 * is the caller's to set). 0 (then see out->code) or KVST_E_NOMEM. */
int kvst__cloudwatch_message(const kvst_parser *p, kvst_record *env, uint32_t element,
                             kvst_record *m, cw_message *out);
/* The envelope whose text is env->raw (inflated from Lambda's awslogs
 * form, UTF-8 checked) parsed into env's tape: env->container is then
 * KVST__CONTAINER_CW_ENVELOPE, or 0 for a CONTROL_MESSAGE; out->code says
 * what else it is. 0 or KVST_E_NOMEM. */
int kvst__cloudwatch_envelope(const kvst_parser *p, kvst_record *env, cw_message *out);

/* ---- awslogs.c ----------------------------------------------------------- */
/* The container of a record that is Lambda's form of an envelope,
 * {"awslogs":{"data":"<base64 of the gzip'd envelope>"}}: never an event
 * itself, delivery reads the envelope it carries. */
#define KVST__CONTAINER_CW_AWSLOGS 0x101u
/* The envelope of the awslogs record rec, decoded, inflated and parsed
 * into env (reset first), pinned at the data string's opening quote. 0
 * (then out->code: 0 and env->container as kvst__cloudwatch_envelope sets
 * it, or the error of a record that is not one, placed) or KVST_E_NOMEM. */
int kvst__awslogs_envelope(const kvst_parser *p, kvst_record *rec, kvst_record *env,
                           cw_message *out);

/* ---- digest.c ------------------------------------------------------------ */
/* A digest file's tape as a kvst_digest in ar, its findings to sink.
 * 0 or KVST_E_NOMEM. */
int kvst__digest_build(const kvst_tape *t, kvst_arena *ar, const kvst_digest **out,
                       kvst_finding_sink *sink);

/* ---- event_build.c ------------------------------------------------------- */
/* Build the event of a record (flags: the parser's KVST_FLAG_*) into its
 * arena. */
int kvst__event_build(kvst_record *r, uint32_t flags, kvst_event_impl **out);
/* Build the event of a broken record (recovery mode) into ar. */
int kvst__event_build_broken(const kvst_event *shape, const kvst_error *err, kvst_str text,
                             uint32_t flags, kvst_arena *ar, kvst_event_impl **out);
/* Build an event from a tape (flags: KVST_FLAG_*) into ar. */
int kvst__event_build_tape(const kvst_tape *t, uint32_t container, uint64_t index,
                           uint32_t flags, kvst_arena *ar, kvst_event_impl **out);

#endif /* KVST_INTERNAL_H */
