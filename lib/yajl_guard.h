/*
 * Internal: yajl with the allocator guard, the one glue of every yajl
 * handle of the library (lib/yajl_guard.c).
 *
 * yajl 2.1 does not check its own allocations (a NULL from malloc is
 * dereferenced), so its allocator hooks never return NULL: a refused
 * allocation longjmps back to the call into yajl, which then reports it.
 * Two lifetimes, one way:
 * - the parser's handles (the tokenizer's, recovery's probe), whose
 *   blocks are kept on a list so that they can be freed whatever state
 *   yajl is left in (internal.h, kvst__yajl_guarded_*);
 * - a short-lived handle whose memory comes from an arena (a lookup, a
 *   CloudWatch Logs message, a userIdentity text): nothing is freed
 *   before the arena is, so a jump leaks nothing (below).
 */
#ifndef KVST_YAJL_GUARD_H
#define KVST_YAJL_GUARD_H

#include <setjmp.h>
#include <stddef.h>
#include <yajl/yajl_parse.h>

#include "alloc.h"

typedef struct kvst_yajl_arena {
    kvst_arena *ar;
    jmp_buf jmp;   /* where a refused allocation lands (set by each call) */
    yajl_handle h; /* the handle, for the callbacks' byte counts */
} kvst_yajl_arena;

/* Make ya's handle on ar, with callbacks cb and their context ctx. 0, or
 * 1 when memory ran out. */
int kvst__yajl_arena_open(kvst_yajl_arena *ya, kvst_arena *ar, const yajl_callbacks *cb,
                          void *ctx);
/* yajl_parse of [buf, buf + len), and yajl_complete_parse: 0 and *st
 * yajl's status, or 1 when memory ran out (the handle is then not to be
 * used again). */
int kvst__yajl_arena_parse(kvst_yajl_arena *ya, const unsigned char *buf, size_t len,
                           yajl_status *st);
int kvst__yajl_arena_complete(kvst_yajl_arena *ya, yajl_status *st);
/* A callback's own allocation was refused: leave yajl as the hooks do
 * (the call into yajl returns 1). */
#if defined(__GNUC__)
__attribute__((noreturn))
#endif
void kvst__yajl_arena_refuse(kvst_yajl_arena *ya);
/* yajl's error message (short form) in the arena, or NULL when memory ran
 * out. */
const char *kvst__yajl_arena_error(kvst_yajl_arena *ya);

#endif /* KVST_YAJL_GUARD_H */
