/*
 * Internal, stage 1 of the data flow: detect gzip by its magic bytes and
 * inflate it with ISA-L or zlib (single- or multi-member), or pass plain
 * bytes through. Knows nothing about JSON or CloudTrail.
 */
#ifndef KVST_GZIP_STAGE_H
#define KVST_GZIP_STAGE_H

#include "alloc.h"

/* Receives the plain (inflated) bytes, in order. Returns 0 to go on, or a
 * negative KVST_E_* code that the stage returns at once. */
typedef int (*kvst_bytes_fn)(void *ctx, const unsigned char *buf, size_t len);

typedef struct kvst_input kvst_input;

/* Where gzip is inflated (kvst__input_new's threads argument). */
#define KVST_INPUT_THREADS_AUTO 0 /* on a worker thread when more than one CPU is usable */
#define KVST_INPUT_THREADS_ONE  1 /* on the caller's thread (KVST_FLAG_SINGLE_THREAD) */
#define KVST_INPUT_THREADS_TWO  2 /* on a worker thread whatever the CPU count (tests) */

/* The inflaters (kvst__input_set_inflater). */
#define KVST_INFLATE_DEFAULT 0 /* ISA-L when the library is built with it, else zlib */
#define KVST_INFLATE_ZLIB    1
#define KVST_INFLATE_ISAL    2

/* The output room of one inflater call, and the most bytes one out()
 * call is handed (a buffer of up to four calls' output; gzip_stage.c). */
#define KVST_INFLATE_CALL_OUT (16u * 1024u)
#define KVST_INFLATE_OUT_SIZE (4u * KVST_INFLATE_CALL_OUT)

/* ISA-L's state (about 85 KiB) and the copy of its first 21 KiB that
 * the stage keeps to decode a corrupt spot again, one block
 * (gzip_stage.c checks that it fits). */
#define KVST_ISAL_STATE_RESERVE (112u * 1024u)

/* The inflater's memory for the worker thread, reserved on the caller's
 * thread: zlib's state and its 32 KiB window with room to spare, or
 * ISA-L's state when the library is built with it. */
#if defined(KVST_HAVE_ISAL)
#define KVST_INFLATE_POOL_SIZE KVST_ISAL_STATE_RESERVE
#else
#define KVST_INFLATE_POOL_SIZE (44u * 1024u)
#endif

/* max_ratio: KVST_E_LIMIT when inflated bytes exceed max_ratio times the
 * compressed bytes (checked once more than 1 MiB has been inflated);
 * 0 means no limit. threads: KVST_INPUT_THREADS_*. The worker thread, if
 * any, starts at the first gzip member and is joined by
 * kvst__input_free(), or as soon as an error stops the stage. */
int kvst__input_new(const kvst_alloc *a, uint64_t max_ratio, int threads,
                    kvst_input **out);
/* Choose the inflater (KVST_INFLATE_*) before the first gzip member:
 * 0, or KVST_E_INVAL when that one is not built in or a member began.
 * Both give the same bytes and errors; tests run each. Since 1.1. */
int kvst__input_set_inflater(kvst_input *in, int inflater);
/* The inflater in use (KVST_INFLATE_ZLIB or KVST_INFLATE_ISAL). */
int kvst__input_inflater(const kvst_input *in);
/* Feed raw input; calls out() zero or more times, always on the calling
 * thread, and has handed on all that the input completes when it
 * returns. Returns 0 or KVST_E_GZIP, KVST_E_LIMIT, KVST_E_NOMEM, or
 * whatever out() returned. */
int kvst__input_feed(kvst_input *in, const unsigned char *buf, size_t len,
                     kvst_bytes_fn out, void *ctx);
/* End of input: KVST_E_TRUNCATED when a gzip member is incomplete. */
int kvst__input_finish(kvst_input *in, kvst_bytes_fn out, void *ctx);
/* Static message of the last error ("invalid gzip header", ...). */
const char *kvst__input_message(const kvst_input *in);
/* 1 once the input was recognised as gzip. */
int kvst__input_is_gzip(const kvst_input *in);
/* 1 when gzip is inflated on the worker thread. */
int kvst__input_threaded(const kvst_input *in);
/* On two threads, the steps of inflating (a buffer each, see
 * gzip_stage.c) the caller's thread and the worker have taken so far;
 * 0 and 0 on one thread or once the worker is gone (for tests). */
void kvst__input_steps(const kvst_input *in, uint64_t *caller, uint64_t *worker);
/* Compressed bytes consumed so far (all input bytes for plain input). */
uint64_t kvst__input_bytes_in(const kvst_input *in);
void kvst__input_free(kvst_input *in);

#endif /* KVST_GZIP_STAGE_H */
