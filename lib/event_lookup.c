/*
 * Lookups: JSON pointers over an event's stored values (kvst_event_lookup).
 * A payload kept only as raw bytes (a lazy container of the tape) is
 * parsed on demand, with yajl's memory from the event's arena. Event
 * building (event_build.c) looks up what the event struct does not carry;
 * it calls down to this file.
 */
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
    kvst_yajl_arena ya;           /* yajl, its memory from ar (yajl_guard.h) */
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
    return yajl_get_bytes_consumed(f->ya.h);
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

    if (!f->capturing && d <= FIND_MAX_DEPTH) {
        f->key_match[d] = f->matched == d - 1 && (size_t)d <= f->ntok &&
                          f->tlen[d - 1] == len && memcmp(f->tok[d - 1], k, len) == 0;
        /* A later occurrence of a key on the path: what an earlier one
         * held is no longer there (the last occurrence wins at every
         * level: {"a":{"b":1},"a":{}} has no /a/b). */
        if (f->key_match[d] && f->found) {
            memset(f->out, 0, sizeof *f->out);
            f->found = 0;
        }
    }
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
    yajl_status st;
    int rc;

    /* yajl's memory comes from the event's arena: freed with the event,
     * so a refusal can leave yajl mid-way by longjmp (yajl_guard.h). */
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
    /* The bytes were parsed once already: only memory can fail here. */
    if (kvst__yajl_arena_open(&f->ya, ar, &find_callbacks, f) ||
        kvst__yajl_arena_parse(&f->ya, (const unsigned char *)raw, len, &st))
        return KVST_E_NOMEM;
    if (f->oom)
        return KVST_E_NOMEM;
    return f->found ? 0 : KVST_E_NOT_FOUND;
}

/* ---- repeated keys inside lazy payloads --------------------------------- */

typedef struct rep_key {
    const char *s; /* decoded */
    size_t len;
    uint64_t h;
} rep_key;

/* An open container of the payload: an array's elements so far, or an
 * object's current key and the keys it had (a hash set, grown by
 * doubling). */
typedef struct rep_frame {
    int is_array;
    uint64_t index;
    const char *key;
    size_t key_len;
    rep_key *set;
    size_t count, cap;
} rep_frame;

typedef struct rep_find {
    yajl_handle h;
    const char *raw;       /* the payload's bytes */
    uint32_t base;         /* their offset in the record */
    kvst_arena *ar;
    rep_frame *frames;
    size_t depth, cap;
    const char *prefix;    /* the payload's pointer */
    int (*fn)(void *ctx, const char *pointer, uint32_t at);
    void *ctx;
    int rc;
    kvst_yajl_arena ya;    /* yajl, its memory from ar (yajl_guard.h) */
} rep_find;

static uint64_t rep_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    size_t i;

    for (i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return h;
}

static void rep_element(rep_find *f)
{
    if (f->depth > 0 && f->frames[f->depth - 1].is_array)
        f->frames[f->depth - 1].index++;
}

static int rp_scalar(void *ctx)
{
    rep_element((rep_find *)ctx);
    return 1;
}

static int rp_bool(void *ctx, int b)
{
    (void)b;
    return rp_scalar(ctx);
}

static int rp_text(void *ctx, const char *s, size_t len)
{
    (void)s;
    (void)len;
    return rp_scalar(ctx);
}

static int rp_string(void *ctx, const unsigned char *s, size_t len)
{
    return rp_text(ctx, (const char *)s, len);
}

static int rp_open(rep_find *f, int is_array)
{
    rep_frame *fr;

    rep_element(f);
    if (f->depth == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        rep_frame *nf = (rep_frame *)kvst__arena_alloc(f->ar, cap * sizeof *nf);
        if (!nf) {
            f->rc = KVST_E_NOMEM;
            return 0;
        }
        if (f->depth)
            memcpy(nf, f->frames, f->depth * sizeof *nf);
        f->frames = nf;
        f->cap = cap;
    }
    fr = &f->frames[f->depth++];
    memset(fr, 0, sizeof *fr);
    fr->is_array = is_array;
    return 1;
}

static int rp_start_map(void *ctx)
{
    return rp_open((rep_find *)ctx, 0);
}

static int rp_start_array(void *ctx)
{
    return rp_open((rep_find *)ctx, 1);
}

static int rp_close(void *ctx)
{
    ((rep_find *)ctx)->depth--;
    return 1;
}

/* Put k in the object's set; 1 when it was there already. */
static int rep_insert(rep_find *f, rep_frame *fr, const rep_key *k)
{
    size_t i, mask;

    if ((fr->count + 1) * 2 > fr->cap) {
        size_t cap = fr->cap ? fr->cap * 2 : 8;
        rep_key *ns = (rep_key *)kvst__arena_zalloc(f->ar, cap * sizeof *ns);
        if (!ns) {
            f->rc = KVST_E_NOMEM;
            return -1;
        }
        for (i = 0; i < fr->cap; i++) {
            size_t j;
            if (!fr->set[i].s)
                continue;
            for (j = fr->set[i].h & (cap - 1); ns[j].s; j = (j + 1) & (cap - 1))
                ;
            ns[j] = fr->set[i];
        }
        fr->set = ns;
        fr->cap = cap;
    }
    mask = fr->cap - 1;
    for (i = k->h & mask; fr->set[i].s; i = (i + 1) & mask)
        if (fr->set[i].h == k->h && fr->set[i].len == k->len &&
            memcmp(fr->set[i].s, k->s, k->len) == 0)
            return 1;
    fr->set[i] = *k;
    fr->count++;
    return 0;
}

/* A key: decoded from the bytes (as the record builder decodes taped
 * keys: kvst__json_decode), found in or put in its object's set. A repeat
 * is reported with its pointer, at its key. */
static int rp_key(void *ctx, const unsigned char *s, size_t len)
{
    rep_find *f = (rep_find *)ctx;
    rep_frame *fr = &f->frames[f->depth - 1];
    size_t end = yajl_get_bytes_consumed(f->ya.h), q = kvst__json_string_start(f->raw, end), i;
    const unsigned char *body = (const unsigned char *)f->raw + q + 1;
    rep_key k;
    int seen;

    (void)s;
    (void)len;
    k.len = end - q - 2;
    k.s = (const char *)body;
    if (memchr(body, '\\', k.len) != NULL) {
        char *text = (char *)kvst__arena_alloc(f->ar, k.len + 1);
        if (!text) {
            f->rc = KVST_E_NOMEM;
            return 0;
        }
        k.len = kvst__json_decode(body, k.len, (unsigned char *)text);
        k.s = text;
    }
    k.h = rep_hash(k.s, k.len);
    fr->key = k.s;
    fr->key_len = k.len;
    seen = rep_insert(f, fr, &k);
    if (seen < 0)
        return 0;
    if (seen) {
        char ptr[256];
        size_t n = strlen(f->prefix), m;

        if (n >= sizeof ptr)
            return 1;
        memcpy(ptr, f->prefix, n + 1);
        for (i = 0; i < f->depth; i++, n = m) {
            const rep_frame *o = &f->frames[i];
            m = o->is_array ? kvst__ptr_push_index(ptr, sizeof ptr, n, o->index - 1)
                            : kvst__ptr_push(ptr, sizeof ptr, n, o->key, o->key_len);
            if (m == n)
                break; /* the rest does not fit */
        }
        /* the repeat's key: its opening quote */
        f->rc = f->fn(f->ctx, ptr, f->base + (uint32_t)q);
        if (f->rc)
            return 0;
    }
    return 1;
}

static const yajl_callbacks rep_callbacks = {
    rp_scalar, rp_bool, NULL, NULL, rp_text, rp_string,
    rp_start_map, rp_key, rp_close, rp_start_array, rp_close
};

int kvst__lazy_repeats(const kvst_tape *t, uint32_t node, const char *pointer, kvst_arena *ar,
                       int (*fn)(void *ctx, const char *pointer, uint32_t at), void *ctx)
{
    const kvst_node *n = &t->nodes[node];
    rep_find *f;
    yajl_status st;

    f = (rep_find *)kvst__arena_zalloc(ar, sizeof *f);
    if (!f)
        return KVST_E_NOMEM;
    f->raw = t->raw + n->start;
    f->base = n->start;
    f->ar = ar;
    f->prefix = pointer;
    f->fn = fn;
    f->ctx = ctx;
    /* The bytes were parsed once already: only memory, or fn, can fail. */
    if (kvst__yajl_arena_open(&f->ya, ar, &rep_callbacks, f) ||
        kvst__yajl_arena_parse(&f->ya, (const unsigned char *)f->raw, n->end - n->start, &st))
        return KVST_E_NOMEM;
    return f->rc;
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
