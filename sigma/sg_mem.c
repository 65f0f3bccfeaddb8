/*
 * libkvstrail-sigma, leaf "mem": the allocator hooks of
 * kvst_sigma_options.allocator. Every allocation of the engine goes
 * through sg_malloc, sg_calloc, sg_realloc and sg_free, and PCRE2's
 * through the general context of sg_pcre2_context().
 *
 * Why a per-thread "current allocator" instead of a parameter: the hooks
 * belong to a builder, a rule set or a state, but the stages below them
 * (buffers, detection compile, flattening, correlation windows) are many
 * and deep. Each public entry point makes its object's allocator current
 * for the call (sg_mem_enter) and puts the caller's back (sg_mem_leave),
 * so a match callback that uses another rule set, on the same thread,
 * finds its own allocator and then ours again.
 */
#include "sigma_internal.h"

#include <stdlib.h>
#include <string.h>

static void *libc_malloc(size_t n, void *ctx)
{
    (void)ctx;
    return malloc(n);
}

static void *libc_realloc(void *p, size_t n, void *ctx)
{
    (void)ctx;
    return realloc(p, n);
}

static void libc_free(void *p, void *ctx)
{
    (void)ctx;
    free(p);
}

static const kvst_allocator libc_allocator = {
    libc_malloc, libc_realloc, libc_free, NULL
};

static __thread const kvst_allocator *current;

void sg_mem_take(const kvst_allocator *in, kvst_allocator *out)
{
    if (in && in->malloc_fn && in->realloc_fn && in->free_fn)
        *out = *in;
    else
        *out = libc_allocator;
}

const kvst_allocator *sg_mem_enter(const kvst_allocator *a)
{
    const kvst_allocator *prev = current;
    current = a;
    return prev;
}

void sg_mem_leave(const kvst_allocator *prev)
{
    current = prev;
}

static const kvst_allocator *now(void)
{
    return current ? current : &libc_allocator;
}

void *sg_malloc(size_t n)
{
    const kvst_allocator *a = now();
    return a->malloc_fn(n ? n : 1, a->ctx);
}

void *sg_calloc(size_t count, size_t size)
{
    void *p;
    size_t n;
    if (size && count > (size_t)-1 / size)
        return NULL;
    n = count * size;
    p = sg_malloc(n);
    if (p)
        memset(p, 0, n ? n : 1);
    return p;
}

void *sg_realloc(void *p, size_t n)
{
    const kvst_allocator *a = now();
    return a->realloc_fn(p, n ? n : 1, a->ctx);
}

void sg_free(void *p)
{
    const kvst_allocator *a = now();
    if (p)
        a->free_fn(p, a->ctx);
}

/* PCRE2 keeps these in every code, match data and context it makes, and
 * calls them again to free it: under the allocator current then, which
 * the entry points make the object's own. */
static void *pcre2_malloc_hook(size_t n, void *data)
{
    (void)data;
    return sg_malloc(n);
}

static void pcre2_free_hook(void *p, void *data)
{
    (void)data;
    sg_free(p);
}

pcre2_general_context *sg_pcre2_context(void)
{
    return pcre2_general_context_create(pcre2_malloc_hook, pcre2_free_hook, NULL);
}
