/*
 * Lookups: JSON pointers over an event's stored values (kvst_event_lookup).
 * A payload kept only as raw bytes (a lazy container of the tape) is
 * parsed on demand, with yajl's memory from the event's arena. Event
 * building (event_build.c) looks up what the event struct does not carry;
 * it calls down to this file.
 */
#include <setjmp.h>
#include <string.h>

#include "internal.h"

/* ---- lookups inside lazy payloads: parse their raw bytes ----------------- */

#define FIND_MAX_DEPTH 64

typedef struct raw_find {
    const char *tok[FIND_MAX_DEPTH];
    size_t tlen[FIND_MAX_DEPTH];
    int64_t tnum[FIND_MAX_DEPTH]; /* the token as an array index, or -1 */
    size_t ntok;
    char buf[1024];               /* unescaped tokens */
    yajl_handle h;
    int depth;                    /* open containers */
    int matched;                  /* path length of the deepest open container on the path */
    int64_t idx[FIND_MAX_DEPTH + 1];
    int is_array[FIND_MAX_DEPTH + 1];
    int key_match[FIND_MAX_DEPTH + 1];
    int capturing, cap_depth, found, oom;
    size_t start;
    kvst_value *out;
    kvst_arena *ar;
    const char *raw;
    jmp_buf oom_jmp;
} raw_find;

/* Split an RFC 6901 pointer into unescaped tokens; -1 when malformed. */
static int find_tokens(raw_find *f, const char *ptr, size_t len)
{
    size_t i = 0, used = 0;

    f->ntok = 0;
    while (i < len) {
        size_t k, n;
        char *t = f->buf + used;
        /* a token and its NUL must fit */
        n = kvst__ptr_next(ptr, len, &i, t, sizeof f->buf - used - 1);
        if (n == KVST_PTR_BAD)
            return -1;
        if (n == KVST_PTR_LONG)
            return 0; /* longer than any path we can match */
        if (f->ntok == FIND_MAX_DEPTH)
            return 0;
        f->tok[f->ntok] = t;
        f->tlen[f->ntok] = n;
        f->tnum[f->ntok] = n && (n == 1 || t[0] != '0') ? 0 : -1;
        for (k = 0; k < n && f->tnum[f->ntok] >= 0; k++)
            f->tnum[f->ntok] = (t[k] >= '0' && t[k] <= '9' && f->tnum[f->ntok] < ((int64_t)1 << 40))
                                   ? f->tnum[f->ntok] * 10 + (t[k] - '0')
                                   : -1;
        f->ntok++;
        used += n + 1;
    }
    return 1;
}

/* A value begins at the current depth: is it on the pointer's path? */
static int find_on_path(raw_find *f)
{
    int d = f->depth;

    if (d == 0)
        return 1;
    if (d > FIND_MAX_DEPTH || f->matched != d - 1 || (size_t)d > f->ntok)
        return 0;
    if (f->is_array[d])
        return f->idx[d] - 1 == f->tnum[d - 1];
    return f->key_match[d];
}

static size_t find_offset(const raw_find *f)
{
    return yajl_get_bytes_consumed(f->h);
}

static int find_value(raw_find *f, uint32_t kind, const char *s, size_t len)
{
    if (f->capturing) {
        if (f->depth == f->cap_depth)
            f->out->count++;
        return 1;
    }
    if (f->depth > 0 && f->depth <= FIND_MAX_DEPTH && f->is_array[f->depth])
        f->idx[f->depth]++;
    if (!find_on_path(f) || (size_t)f->depth != f->ntok)
        return 1;
    f->out->state = kind == KVST_JSON_NULL ? KVST_VALUE_NULL : KVST_VALUE_OK;
    f->out->json_type = kind;
    f->out->text.ptr = kvst__arena_strdup(f->ar, s, len);
    f->out->text.len = len;
    if (!f->out->text.ptr)
        f->oom = 1;
    f->out->count = 0;
    f->out->i = kind == KVST_JSON_BOOLEAN && len == 4;
    f->found = 1;
    return 1; /* go on: a repeated key's last value counts */
}

static int fd_null(void *ctx)
{
    return find_value((raw_find *)ctx, KVST_JSON_NULL, "null", 4);
}

static int fd_bool(void *ctx, int b)
{
    return find_value((raw_find *)ctx, KVST_JSON_BOOLEAN, b ? "true" : "false", b ? 4 : 5);
}

static int fd_number(void *ctx, const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++)
        if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
            return find_value((raw_find *)ctx, KVST_JSON_DOUBLE, s, len);
    return find_value((raw_find *)ctx, KVST_JSON_INTEGER, s, len);
}

/* yajl decodes some \u escapes wrongly (utf8.h): such a string is decoded
 * again from its bytes, as the record builder does for taped strings. */
static int fd_string(void *ctx, const unsigned char *s, size_t len)
{
    raw_find *f = (raw_find *)ctx;
    size_t end = find_offset(f), q;
    unsigned char *text;

    if (end < 2 || (const char *)s == f->raw + end - 1 - len)
        return find_value(f, KVST_JSON_STRING, (const char *)s, len);
    q = kvst__json_string_start(f->raw, end);
    if (!kvst__json_needs_decode((const unsigned char *)f->raw + q + 1, end - q - 2))
        return find_value(f, KVST_JSON_STRING, (const char *)s, len);
    text = (unsigned char *)kvst__arena_alloc(f->ar, end - q);
    if (!text) {
        f->oom = 1;
        return 0;
    }
    len = kvst__json_decode((const unsigned char *)f->raw + q + 1, end - q - 2, text);
    return find_value(f, KVST_JSON_STRING, (const char *)text, len);
}

static int fd_open(raw_find *f, int is_array)
{
    int on;

    if (f->capturing && f->depth == f->cap_depth)
        f->out->count++;
    if (!f->capturing && f->depth > 0 && f->depth <= FIND_MAX_DEPTH && f->is_array[f->depth])
        f->idx[f->depth]++;
    on = !f->capturing && find_on_path(f);
    f->depth++;
    if (f->depth <= FIND_MAX_DEPTH) {
        f->is_array[f->depth] = is_array;
        f->idx[f->depth] = 0;
        f->key_match[f->depth] = 0;
    }
    if (on) {
        f->matched = f->depth - 1;
        if ((size_t)f->matched == f->ntok) {
            f->capturing = 1;
            f->cap_depth = f->depth;
            f->start = find_offset(f) - 1;
            f->out->json_type = is_array ? KVST_JSON_ARRAY : KVST_JSON_OBJECT;
            f->out->count = 0;
        }
    }
    return 1;
}

static int fd_start_map(void *ctx)
{
    return fd_open((raw_find *)ctx, 0);
}

static int fd_start_array(void *ctx)
{
    return fd_open((raw_find *)ctx, 1);
}

static int fd_key(void *ctx, const unsigned char *k, size_t len)
{
    raw_find *f = (raw_find *)ctx;
    int d = f->depth;

    if (!f->capturing && d <= FIND_MAX_DEPTH)
        f->key_match[d] = f->matched == d - 1 && (size_t)d <= f->ntok &&
                          f->tlen[d - 1] == len && memcmp(f->tok[d - 1], k, len) == 0;
    return 1;
}

static int fd_close(void *ctx)
{
    raw_find *f = (raw_find *)ctx;

    if (f->capturing && f->depth == f->cap_depth) {
        size_t end = find_offset(f);
        f->out->state = KVST_VALUE_OK;
        f->out->text.len = end - f->start;
        f->out->text.ptr = kvst__arena_strdup(f->ar, f->raw + f->start, end - f->start);
        if (!f->out->text.ptr)
            f->oom = 1;
        f->found = 1;
        f->capturing = 0; /* go on: a repeated key's last value counts */
    }
    f->depth--;
    if (!f->capturing && f->matched == f->depth)
        f->matched = f->depth - 1;
    return 1;
}

static const yajl_callbacks find_callbacks = {
    fd_null, fd_bool, NULL, NULL, fd_number, fd_string,
    fd_start_map, fd_key, fd_close, fd_start_array, fd_close
};

/* Find ptr inside the JSON text raw[0..len) (a lazy payload). */
static int raw_lookup(kvst_arena *ar, const char *raw, size_t len, const char *ptr,
                      size_t plen, kvst_value *out)
{
    raw_find *f;
    yajl_alloc_funcs af;
    kvst_arena_yajl y;
    int rc;

    /* yajl's memory comes from the event's arena: freed with the event,
     * so a refusal can leave yajl mid-way by longjmp (alloc.h). */
    f = (raw_find *)kvst__arena_zalloc(ar, sizeof *f);
    if (!f)
        return KVST_E_NOMEM;
    rc = find_tokens(f, ptr, plen);
    if (rc < 0)
        return KVST_E_INVAL;
    if (rc == 0)
        return KVST_E_NOT_FOUND;
    f->matched = -1;
    f->out = out;
    f->ar = ar;
    f->raw = raw;
    y.ar = ar;
    y.jmp = &f->oom_jmp;
    kvst__arena_yajl_funcs(&y, &af);
    if (setjmp(f->oom_jmp))
        return KVST_E_NOMEM;
    /* The bytes were parsed once already: only memory can fail here. */
    f->h = yajl_alloc(&find_callbacks, &af, f);
    yajl_parse(f->h, (const unsigned char *)raw, len);
    if (f->oom)
        return KVST_E_NOMEM;
    return f->found ? 0 : KVST_E_NOT_FOUND;
}

int kvst_event_lookup(const kvst_event *ev, const char *pointer, kvst_value *out)
{
    const kvst_event_impl *impl = (const kvst_event_impl *)ev;
    const kvst_node *n;
    uint32_t node;
    size_t len, rest;

    if (!ev || !pointer || !out)
        return KVST_E_INVAL;
    memset(out, 0, sizeof *out);
    if (!impl->tape.count)
        return KVST_E_NOT_FOUND;
    len = strlen(pointer);
    node = kvst__tape_resolve(&impl->tape, pointer, len, &rest);
    if (node == KVST_NO_NODE - 1)
        return KVST_E_INVAL;
    if (node >= impl->tape.count)
        return KVST_E_NOT_FOUND;
    n = &impl->tape.nodes[node];
    if ((n->kind == KVST_JSON_OBJECT || n->kind == KVST_JSON_ARRAY) && n->len)
        return raw_lookup(impl->arena, impl->tape.raw + n->start, n->end - n->start,
                          pointer + rest, len - rest, out);
    return kvst__tape_value(&impl->tape, node, impl->arena, out);
}
