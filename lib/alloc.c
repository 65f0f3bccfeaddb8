/* The allocator hooks, the per-record arena and a growable buffer. */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

static void *libc_malloc(size_t size, void *ctx)
{
    (void)ctx;
    return malloc(size);
}

static void *libc_realloc(void *ptr, size_t size, void *ctx)
{
    (void)ctx;
    return realloc(ptr, size);
}

static void libc_free(void *ptr, void *ctx)
{
    (void)ctx;
    free(ptr);
}

void kvst__alloc_init(kvst_alloc *a, const kvst_allocator *hooks)
{
    if (hooks && hooks->malloc_fn && hooks->realloc_fn && hooks->free_fn) {
        a->hooks = *hooks;
    } else {
        a->hooks.malloc_fn = libc_malloc;
        a->hooks.realloc_fn = libc_realloc;
        a->hooks.free_fn = libc_free;
        a->hooks.ctx = NULL;
    }
}

void *kvst__malloc(const kvst_alloc *a, size_t size)
{
    return a->hooks.malloc_fn(size ? size : 1, a->hooks.ctx);
}

void *kvst__realloc(const kvst_alloc *a, void *ptr, size_t size)
{
    if (!ptr)
        return kvst__malloc(a, size);
    return a->hooks.realloc_fn(ptr, size ? size : 1, a->hooks.ctx);
}

void kvst__free(const kvst_alloc *a, void *ptr)
{
    if (ptr)
        a->hooks.free_fn(ptr, a->hooks.ctx);
}

/* ---- arena -------------------------------------------------------------- */

#define ARENA_ALIGN 16u
#define ARENA_MIN_BLOCK 8192u

struct kvst_arena_block {
    kvst_arena_block *prev;
    size_t size;                 /* usable bytes after the header */
    size_t pad_;                 /* keeps the payload 16-byte aligned */
};

static unsigned char *block_data(kvst_arena_block *b)
{
    return (unsigned char *)(b + 1);
}

void kvst__arena_init(kvst_arena *ar, const kvst_alloc *a)
{
    ar->alloc = a;
    ar->head = NULL;
    ar->used = 0;
}

void *kvst__arena_alloc(kvst_arena *ar, size_t size)
{
    size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    kvst_arena_block *b = ar->head;
    void *out;

    if (need < size)
        return NULL;
    if (!b || b->size - ar->used < need) {
        size_t bsize = b ? b->size * 2 : ARENA_MIN_BLOCK;
        if (bsize < need)
            bsize = need;
        if (bsize > (size_t)-1 - sizeof *b)
            return NULL;
        b = (kvst_arena_block *)kvst__malloc(ar->alloc, sizeof *b + bsize);
        if (!b)
            return NULL;
        b->prev = ar->head;
        b->size = bsize;
        ar->head = b;
        ar->used = 0;
    }
    out = block_data(b) + ar->used;
    ar->used += need;
    return out;
}

void *kvst__arena_zalloc(kvst_arena *ar, size_t size)
{
    void *p = kvst__arena_alloc(ar, size);
    if (p)
        memset(p, 0, size);
    return p;
}

char *kvst__arena_strdup(kvst_arena *ar, const char *s, size_t len)
{
    char *d = (char *)kvst__arena_alloc(ar, len + 1);
    if (d) {
        if (len)
            memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

/* Keep only the newest (largest) block: steady state allocates nothing. */
void kvst__arena_reset(kvst_arena *ar)
{
    kvst_arena_block *b = ar->head;
    if (!b)
        return;
    while (b->prev) {
        kvst_arena_block *p = b->prev;
        b->prev = p->prev;
        kvst__free(ar->alloc, p);
    }
    ar->used = 0;
}

void kvst__arena_free(kvst_arena *ar)
{
    kvst_arena_block *b = ar->head;
    while (b) {
        kvst_arena_block *p = b->prev;
        kvst__free(ar->alloc, b);
        b = p;
    }
    ar->head = NULL;
    ar->used = 0;
}

/* ---- buffer ------------------------------------------------------------- */

int kvst__buf_reserve(kvst_buf *b, const kvst_alloc *a, size_t extra)
{
    size_t cap;
    unsigned char *d;

    if (b->cap - b->len > extra)
        return 0;
    if (extra > (size_t)-1 / 2 - b->len)
        return KVST_E_NOMEM;
    cap = b->cap ? b->cap : 256;
    while (cap - b->len <= extra)
        cap *= 2;
    d = (unsigned char *)kvst__realloc(a, b->data, cap);
    if (!d)
        return KVST_E_NOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}

int kvst__buf_append(kvst_buf *b, const kvst_alloc *a, const void *data, size_t len)
{
    int rc = kvst__buf_reserve(b, a, len);
    if (rc)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0; /* reserve keeps one spare byte: always terminated */
    return 0;
}

void kvst__buf_free(kvst_buf *b, const kvst_alloc *a)
{
    kvst__free(a, b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
