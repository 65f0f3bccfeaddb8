/*
 * libkvstrail-sigma, stage "correlation": the windows of one correlation
 * rule within one state, per group-by key, in bounded memory.
 *
 * Each group keeps the events its referenced rules matched as (eventTime,
 * rule slot, value hash), sorted by eventTime whatever order they arrive
 * in. After an event is added, every window [a, a + timespan] that starts
 * at a kept event and contains the new one is measured (events, distinct
 * values, distinct rules, or rules in order); the first that meets the
 * condition fires, and the group starts again empty. Because a group that
 * met the condition was emptied, a window that meets it later holds the
 * new event: a search over windows containing it finds every firing.
 *
 * Bounds (kvst_sigma_options): at most max_group_entries events per group
 * (the oldest is dropped, counted in stats->dropped), at most max_groups
 * groups per rule (expired groups are swept first; a new group past the
 * cap is dropped and counted). An event older than the newest eventTime
 * seen minus timespan minus tolerance_ms can no longer share a window with
 * what is kept: it is counted in stats->late and ignored.
 */
#include "sigma_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
    int64_t t;
    uint64_t vhash;
    uint32_t slot;
} entry;

typedef struct group {
    char *key;
    size_t key_len;
    uint64_t hash;
    entry *e;
    size_t n, cap;
    int64_t newest;
} group;

struct sg_corr_state {
    group *groups;
    size_t count, cap;
    int32_t *index;       /* open addressing over groups, -1 empty */
    size_t index_cap;     /* a power of two, > 2 * count */
    uint64_t *scratch;    /* distinct counting */
    size_t scratch_cap;
};

sg_corr_state *sg_corr_state_new(const sg_corr *c)
{
    (void)c;
    return sg_calloc(1, sizeof(sg_corr_state));
}

void sg_corr_state_free(sg_corr_state *cs)
{
    size_t i;
    if (!cs)
        return;
    for (i = 0; i < cs->count; i++) {
        sg_free(cs->groups[i].key);
        sg_free(cs->groups[i].e);
    }
    sg_free(cs->groups);
    sg_free(cs->index);
    sg_free(cs->scratch);
    sg_free(cs);
}

static int reindex(sg_corr_state *cs, size_t want)
{
    size_t cap = 16, i;
    int32_t *idx;
    while (cap < want * 2 + 2)
        cap *= 2;
    idx = sg_malloc(cap * sizeof *idx);
    if (!idx)
        return KVST_E_NOMEM;
    for (i = 0; i < cap; i++)
        idx[i] = -1;
    for (i = 0; i < cs->count; i++) {
        size_t h = (size_t)cs->groups[i].hash & (cap - 1);
        while (idx[h] >= 0)
            h = (h + 1) & (cap - 1);
        idx[h] = (int32_t)i;
    }
    sg_free(cs->index);
    cs->index = idx;
    cs->index_cap = cap;
    return 0;
}

static group *find(sg_corr_state *cs, const char *key, size_t len, uint64_t hash)
{
    size_t h;
    if (!cs->index_cap)
        return NULL;
    for (h = (size_t)hash & (cs->index_cap - 1); cs->index[h] >= 0;
         h = (h + 1) & (cs->index_cap - 1)) {
        group *g = &cs->groups[cs->index[h]];
        if (g->hash == hash && g->key_len == len && !memcmp(g->key, key, len))
            return g;
    }
    return NULL;
}

/* Drop the groups whose newest event is before horizon. */
static int sweep(sg_corr_state *cs, int64_t horizon)
{
    size_t i, k = 0;
    for (i = 0; i < cs->count; i++) {
        if (cs->groups[i].newest < horizon) {
            sg_free(cs->groups[i].key);
            sg_free(cs->groups[i].e);
            continue;
        }
        cs->groups[k++] = cs->groups[i];
    }
    cs->count = k;
    return reindex(cs, cs->cap);
}

static group *add_group(sg_corr_state *cs, const char *key, size_t len,
                        uint64_t hash, size_t max_groups)
{
    group *g;
    size_t h;
    if (cs->count == cs->cap) {
        size_t cap = cs->cap ? cs->cap * 2 : 16;
        if (cap > max_groups)
            cap = max_groups;
        g = sg_realloc(cs->groups, cap * sizeof *g);
        if (!g)
            return NULL;
        cs->groups = g;
        cs->cap = cap;
    }
    if (cs->index_cap < cs->cap * 2 + 2 && reindex(cs, cs->cap) != 0)
        return NULL;
    g = &cs->groups[cs->count];
    memset(g, 0, sizeof *g);
    g->key = sg_strndup(key, len);
    if (!g->key)
        return NULL;
    g->key_len = len;
    g->hash = hash;
    for (h = (size_t)hash & (cs->index_cap - 1); cs->index[h] >= 0;
         h = (h + 1) & (cs->index_cap - 1))
        ;
    cs->index[h] = (int32_t)cs->count++;
    return g;
}

static int meets(const sg_corr *c, uint64_t m)
{
    return (!c->has_gt || m > c->gt) && (!c->has_gte || m >= c->gte) &&
           (!c->has_lt || m < c->lt) && (!c->has_lte || m <= c->lte) &&
           (!c->has_eq || m == c->eq) && (!c->has_neq || m != c->neq);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The measure of entries e[i..j). */
static uint64_t measure(sg_corr_state *cs, const sg_corr *c, const group *g,
                        size_t i, size_t j)
{
    size_t k, distinct = 0;
    uint64_t seen = 0;
    uint32_t want = 0;
    switch (c->type) {
    case SG_EVENT_COUNT: return j - i;
    case SG_VALUE_COUNT:
        for (k = i; k < j; k++)
            cs->scratch[k - i] = g->e[k].vhash;
        if (j - i > 1) /* qsort's base must not be NULL, even for 0 items */
            qsort(cs->scratch, j - i, sizeof *cs->scratch, cmp_u64);
        for (k = 0; k < j - i; k++)
            distinct += k == 0 || cs->scratch[k] != cs->scratch[k - 1];
        return distinct;
    case SG_TEMPORAL:
        for (k = i; k < j; k++)
            seen |= 1ull << g->e[k].slot;
        for (k = 0; k < 64; k++)
            distinct += (seen >> k) & 1u;
        return distinct;
    default:
        /* temporal_ordered: how many of the rules, in their order, appear
         * one after the other in eventTime order. */
        for (k = i; k < j && want < c->ref_count; k++)
            if (g->e[k].slot == want)
                want++;
        return want;
    }
}

int sg_corr_add(sg_corr_state *cs, const sg_corr *c, const kvst_sigma_options *o,
                const char *key, size_t key_len, uint32_t slot, int64_t t_ms,
                int64_t watermark_ms, uint64_t value_hash, sg_fire *fire,
                kvst_sigma_stats *stats)
{
    int64_t horizon = watermark_ms - c->timespan_ms - o->tolerance_ms;
    uint64_t hash = sg_hash(key, key_len);
    group *g;
    size_t lo, hi, i, drop;

    if (t_ms < horizon) {
        stats->late++;
        return 0;
    }
    g = find(cs, key, key_len, hash);
    if (!g) {
        if (cs->count >= o->max_groups && sweep(cs, horizon) != 0)
            return KVST_E_NOMEM;
        if (cs->count >= o->max_groups) {
            stats->dropped++;
            return 0;
        }
        g = add_group(cs, key, key_len, hash, o->max_groups);
        if (!g)
            return KVST_E_NOMEM;
    }
    /* Expired entries go; past the cap, the oldest is dropped. */
    for (drop = 0; drop < g->n && g->e[drop].t < horizon; drop++)
        ;
    if (g->n - drop >= o->max_group_entries) {
        stats->dropped += g->n - drop - o->max_group_entries + 1;
        drop = g->n - o->max_group_entries + 1;
    }
    if (drop) {
        memmove(g->e, g->e + drop, (g->n - drop) * sizeof *g->e);
        g->n -= drop;
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 8;
        entry *e = sg_realloc(g->e, cap * sizeof *e);
        if (!e)
            return KVST_E_NOMEM;
        g->e = e;
        g->cap = cap;
    }
    if (cs->scratch_cap < g->cap) {
        uint64_t *s = sg_realloc(cs->scratch, g->cap * sizeof *s);
        if (!s)
            return KVST_E_NOMEM;
        cs->scratch = s;
        cs->scratch_cap = g->cap;
    }
    /* Insert after the entries with the same or an earlier time. */
    lo = 0;
    hi = g->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (g->e[mid].t <= t_ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(g->e + lo + 1, g->e + lo, (g->n - lo) * sizeof *g->e);
    g->e[lo].t = t_ms;
    g->e[lo].slot = slot;
    g->e[lo].vhash = value_hash;
    g->n++;
    if (t_ms > g->newest || g->n == 1)
        g->newest = t_ms;

    for (i = 0; i < g->n && g->e[i].t <= t_ms; i++) {
        size_t j;
        uint64_t m;
        if (g->e[i].t < t_ms - c->timespan_ms)
            continue;
        lo = i;
        hi = g->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (g->e[mid].t <= g->e[i].t + c->timespan_ms)
                lo = mid + 1;
            else
                hi = mid;
        }
        j = lo;
        m = measure(cs, c, g, i, j);
        if (meets(c, m)) {
            fire->count = m;
            fire->start_ms = g->e[i].t;
            fire->end_ms = g->e[j - 1].t;
            g->n = 0;
            return 1;
        }
    }
    return 0;
}
