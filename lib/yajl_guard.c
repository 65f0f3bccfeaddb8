/*
 * The allocator guard of yajl, the one glue of every yajl handle of the
 * library (yajl_guard.h says why it is needed).
 *
 * The parser's handles (the tokenizer's, recovery's probe) are made and
 * fed through kvst__yajl_guarded_*: on a refused allocation, or when yajl
 * wants more than the string limit allows (it buffers a whole string
 * before reporting it), the hooks longjmp back to the call into yajl and
 * the parser fails for good. Every such block is kept on a list, and the
 * handles are freed through that list, never through yajl's half-updated
 * state. A short-lived handle takes its memory from an arena instead
 * (kvst__yajl_arena_*), freed with the arena whatever yajl's state.
 */
#include <string.h>

#include "internal.h"
#include "yajl_guard.h"

/* Header in front of every yajl allocation: a doubly linked list. */
typedef struct yblock {
    struct yblock *prev, *next;
    size_t size;
    size_t pad_; /* keeps the payload 16-byte aligned on 64-bit */
} yblock;

static void yblock_link(kvst_parser *p, yblock *b)
{
    b->prev = NULL;
    b->next = (yblock *)p->yajl_blocks;
    if (b->next)
        b->next->prev = b;
    p->yajl_blocks = b;
}

static void yblock_unlink(kvst_parser *p, yblock *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        p->yajl_blocks = b->next;
    if (b->next)
        b->next->prev = b->prev;
}

/* Outside a guarded call (yajl_get_error allocates, and checks) a refusal
 * is an ordinary NULL. */
static void yajl_refuse(kvst_parser *p, int code)
{
    if (!p->in_yajl)
        return;
    p->jmp_code = code;
    longjmp(p->yajl_jmp, 1);
}

static void *y_malloc(void *ctx, size_t size)
{
    kvst_parser *p = (kvst_parser *)ctx;
    yblock *b;

    if (size > p->yajl_cap) {
        yajl_refuse(p, KVST_E_LIMIT);
        return NULL;
    }
    b = (yblock *)kvst__malloc(&p->alloc, sizeof *b + size);
    if (!b) {
        yajl_refuse(p, KVST_E_NOMEM);
        return NULL;
    }
    b->size = size;
    yblock_link(p, b);
    return b + 1;
}

static void *y_realloc(void *ctx, void *ptr, size_t size)
{
    kvst_parser *p = (kvst_parser *)ctx;
    yblock *b, *nb;

    if (!ptr)
        return y_malloc(ctx, size);
    if (size > p->yajl_cap) {
        yajl_refuse(p, KVST_E_LIMIT);
        return NULL;
    }
    b = (yblock *)ptr - 1;
    yblock_unlink(p, b);
    nb = (yblock *)kvst__realloc(&p->alloc, b, sizeof *b + size);
    if (!nb) {
        yblock_link(p, b); /* the old block is still valid */
        yajl_refuse(p, KVST_E_NOMEM);
        return NULL;
    }
    nb->size = size;
    yblock_link(p, nb);
    return nb + 1;
}

static void y_free(void *ctx, void *ptr)
{
    kvst_parser *p = (kvst_parser *)ctx;
    yblock *b;

    if (!ptr)
        return;
    b = (yblock *)ptr - 1;
    yblock_unlink(p, b);
    kvst__free(&p->alloc, b);
}

/* yajl_parse of [buf, buf + n), or yajl_complete_parse when complete,
 * with the longjmp landing pad of the allocator hooks; 1 when an
 * allocation was refused (p->jmp_code says why). Kept apart so that no
 * local of the caller lives across setjmp. */
static int guarded_run(kvst_parser *p, yajl_handle h, const unsigned char *buf, size_t n,
                       int complete, yajl_status *st)
{
    p->in_yajl = 1;
    if (setjmp(p->yajl_jmp)) {
        p->in_yajl = 0;
        return 1;
    }
    *st = complete ? yajl_complete_parse(h) : yajl_parse(h, buf, n);
    p->in_yajl = 0;
    return 0;
}

int kvst__yajl_guarded_parse(kvst_parser *p, yajl_handle h, const unsigned char *buf,
                            size_t n, yajl_status *st)
{
    return guarded_run(p, h, buf, n, 0, st);
}

int kvst__yajl_guarded_complete(kvst_parser *p, yajl_handle h, yajl_status *st)
{
    return guarded_run(p, h, NULL, 0, 1, st);
}

unsigned char *kvst__yajl_guarded_error(kvst_parser *p, yajl_handle h)
{
    /* outside a guarded call: a refusal is an ordinary NULL (yajl_refuse) */
    unsigned char *msg = yajl_get_error(h, 0, NULL, 0);

    if (!msg)
        p->jmp_code = KVST_E_NOMEM;
    return msg;
}

int kvst__yajl_guarded_alloc(kvst_parser *p, const yajl_callbacks *cb, void *ctx,
                            yajl_handle *out)
{
    yajl_alloc_funcs af;

    af.malloc = y_malloc;
    af.realloc = y_realloc;
    af.free = y_free;
    af.ctx = p;
    *out = NULL;
    p->in_yajl = 1;
    if (setjmp(p->yajl_jmp)) {
        p->in_yajl = 0;
        return 1;
    }
    *out = yajl_alloc(cb, &af, ctx);
    p->in_yajl = 0;
    if (!*out) {
        p->jmp_code = KVST_E_NOMEM;
        return 1;
    }
    return 0;
}

void kvst__yajl_release(kvst_parser *p, yajl_handle h)
{
    (void)p;
    if (h)
        yajl_free(h);
}

void kvst__yajl_free_all(kvst_parser *p)
{
    /* Every yajl block is on the list, so freeing the list frees the handles
     * whether or not yajl's own state is consistent (after a longjmp). */
    yblock *b = (yblock *)p->yajl_blocks;

    while (b) {
        yblock *n = b->next;
        kvst__free(&p->alloc, b);
        b = n;
    }
    p->yajl_blocks = NULL;
}

/* ---- a short-lived handle on an arena ---------------------------------- */

static void *ay_malloc(void *ctx, size_t size)
{
    kvst_yajl_arena *ya = (kvst_yajl_arena *)ctx;
    /* the size in front, for realloc; two words keep the alignment */
    size_t *b = (size_t *)kvst__arena_alloc(ya->ar, sizeof(size_t) * 2 + size);
    if (!b)
        longjmp(ya->jmp, 1);
    b[0] = size;
    return b + 2;
}

static void *ay_realloc(void *ctx, void *ptr, size_t size)
{
    void *n = ay_malloc(ctx, size);
    if (ptr) {
        size_t old = ((size_t *)ptr)[-2];
        memcpy(n, ptr, old < size ? old : size);
    }
    return n;
}

static void ay_free(void *ctx, void *ptr)
{
    (void)ctx;
    (void)ptr; /* the arena's, freed with it */
}

int kvst__yajl_arena_open(kvst_yajl_arena *ya, kvst_arena *ar, const yajl_callbacks *cb,
                          void *ctx)
{
    yajl_alloc_funcs af;

    af.malloc = ay_malloc;
    af.realloc = ay_realloc;
    af.free = ay_free;
    af.ctx = ya;
    ya->ar = ar;
    ya->h = NULL;
    if (setjmp(ya->jmp))
        return 1;
    ya->h = yajl_alloc(cb, &af, ctx);
    return ya->h ? 0 : 1;
}

/* The same for a handle on an arena (no list: the arena holds it all). */
static int arena_run(kvst_yajl_arena *ya, const unsigned char *buf, size_t len, int complete,
                     yajl_status *st)
{
    if (setjmp(ya->jmp))
        return 1;
    *st = complete ? yajl_complete_parse(ya->h) : yajl_parse(ya->h, buf, len);
    return 0;
}

int kvst__yajl_arena_parse(kvst_yajl_arena *ya, const unsigned char *buf, size_t len,
                           yajl_status *st)
{
    return arena_run(ya, buf, len, 0, st);
}

int kvst__yajl_arena_complete(kvst_yajl_arena *ya, yajl_status *st)
{
    return arena_run(ya, NULL, 0, 1, st);
}

void kvst__yajl_arena_refuse(kvst_yajl_arena *ya)
{
    longjmp(ya->jmp, 1);
}

const char *kvst__yajl_arena_error(kvst_yajl_arena *ya)
{
    if (setjmp(ya->jmp))
        return NULL;
    return (const char *)yajl_get_error(ya->h, 0, NULL, 0);
}
