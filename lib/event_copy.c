/*
 * Deep copies of events that outlive the parser (kvst_event_copy). A copy
 * takes the record's tape (values and raw bytes) and builds the event
 * again from it (event_build.c): the same code path as the parser, so a
 * copy can never drift from the original.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct copy_holder {
    kvst_alloc alloc;
    kvst_arena arena;
} copy_holder;

static const void *dup_block(kvst_arena *ar, const void *src, size_t len)
{
    void *d = kvst__arena_alloc(ar, len + 1);
    if (d) {
        if (len)
            memcpy(d, src, len);
        ((char *)d)[len] = '\0';
    }
    return d;
}

int kvst_event_copy(const kvst_event *ev, kvst_event **out)
{
    const kvst_event_impl *impl = (const kvst_event_impl *)ev;
    kvst_event_impl *copy;
    copy_holder *h;
    kvst_tape t;
    int rc;

    if (!ev || !out)
        return KVST_E_INVAL;
    *out = NULL;
    h = (copy_holder *)malloc(sizeof *h);
    if (!h)
        return KVST_E_NOMEM;
    kvst__alloc_init(&h->alloc, NULL);
    kvst__arena_init(&h->arena, &h->alloc);

    if (ev->status) {
        kvst_str text;
        text.ptr = impl->tape.raw;
        text.len = impl->tape.raw_len;
        rc = kvst__event_build_broken(ev, ev->error, text, impl->flags, &h->arena, &copy);
        goto built;
    }
    t = impl->tape;
    t.nodes = (const kvst_node *)dup_block(&h->arena, impl->tape.nodes,
                                           impl->tape.count * sizeof *t.nodes);
    t.strings = (const char *)dup_block(&h->arena, impl->tape.strings, impl->tape.strings_len);
    t.raw = (const char *)dup_block(&h->arena, impl->tape.raw, impl->tape.raw_len);
    if (!t.nodes || !t.strings || !t.raw) {
        rc = KVST_E_NOMEM;
    } else {
        rc = kvst__event_build_tape(&t, ev->container, ev->record_index, impl->flags, &h->arena,
                                    &copy);
    }
built:
    if (rc) {
        kvst__arena_free(&h->arena);
        free(h);
        return rc;
    }
    copy->copy_holder = h;
    *out = &copy->ev;
    return 0;
}

void kvst_event_free(kvst_event *ev)
{
    kvst_event_impl *impl = (kvst_event_impl *)ev;
    copy_holder *h;

    if (!ev || !impl->copy_holder)
        return;
    h = (copy_holder *)impl->copy_holder;
    kvst__arena_free(&h->arena);
    free(h);
}
