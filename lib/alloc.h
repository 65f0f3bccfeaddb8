/*
 * Internal: the allocator every part of the library goes through, and the
 * per-record arena.
 */
#ifndef KVST_ALLOC_H
#define KVST_ALLOC_H

#include <setjmp.h>

#include <kvstrail/kvstrail.h>
#include <yajl/yajl_common.h>

/* The caller's hooks, or the C library's when none were given. */
typedef struct kvst_alloc {
    kvst_allocator hooks; /* never has NULL function pointers */
} kvst_alloc;

void kvst__alloc_init(kvst_alloc *a, const kvst_allocator *hooks);
void *kvst__malloc(const kvst_alloc *a, size_t size);
void *kvst__realloc(const kvst_alloc *a, void *ptr, size_t size);
void kvst__free(const kvst_alloc *a, void *ptr);

/*
 * A bump arena made of blocks. Reset keeps the first block, so a parser
 * that reads records of similar size allocates nothing in steady state.
 * Every pointer it returns is aligned for any type.
 */
typedef struct kvst_arena_block kvst_arena_block;
typedef struct kvst_arena {
    const kvst_alloc *alloc;
    kvst_arena_block *head; /* current block (most recent) */
    size_t used;            /* bytes used in head */
} kvst_arena;

void kvst__arena_init(kvst_arena *ar, const kvst_alloc *a);
void *kvst__arena_alloc(kvst_arena *ar, size_t size);      /* NULL on OOM */
void *kvst__arena_zalloc(kvst_arena *ar, size_t size);     /* zeroed */
char *kvst__arena_strdup(kvst_arena *ar, const char *s, size_t len); /* NUL-terminated copy */
void kvst__arena_reset(kvst_arena *ar);
void kvst__arena_free(kvst_arena *ar);

/* A growable byte buffer on the allocator. */
typedef struct kvst_buf {
    unsigned char *data;
    size_t len;
    size_t cap;
} kvst_buf;

int kvst__buf_reserve(kvst_buf *b, const kvst_alloc *a, size_t extra); /* 0 or KVST_E_NOMEM */
int kvst__buf_append(kvst_buf *b, const kvst_alloc *a, const void *data, size_t len);
void kvst__buf_free(kvst_buf *b, const kvst_alloc *a);

#endif /* KVST_ALLOC_H */
