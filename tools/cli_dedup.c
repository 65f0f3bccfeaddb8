/* kvstrail CLI: --dedup, a bounded set of eventID fingerprints. */
#include "cli_dedup.h"

#include "cli_buf.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a over the bytes from two bases, each finished with MurmurHash3's
 * fmix64 so that every input bit reaches every output bit. */
static uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

static uint64_t fnv1a(const char *s, size_t n, uint64_t h)
{
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return fmix64(h ^ n);
}

void cli_dedup_init(struct cli_dedup *d, size_t limit)
{
    memset(d, 0, sizeof *d);
    d->limit = limit;
}

void cli_dedup_free(struct cli_dedup *d)
{
    free(d->slots);
    d->slots = NULL;
}

static void put(uint64_t (*slots)[2], size_t cap, const uint64_t fp[2])
{
    size_t i = (size_t)fp[0] & (cap - 1);
    while (slots[i][0] != 0 || slots[i][1] != 0)
        i = (i + 1) & (cap - 1);
    slots[i][0] = fp[0];
    slots[i][1] = fp[1];
}

/* Keep the table at most half full. */
static void grow(struct cli_dedup *d)
{
    size_t cap = d->cap ? d->cap * 2 : 1024, i;
    uint64_t (*slots)[2] = cli_xrealloc(NULL, cap * sizeof *slots);
    memset(slots, 0, cap * sizeof *slots);
    for (i = 0; i < d->cap; i++)
        if (d->slots[i][0] != 0 || d->slots[i][1] != 0)
            put(slots, cap, d->slots[i]);
    free(d->slots);
    d->slots = slots;
    d->cap = cap;
}

int cli_dedup_seen(struct cli_dedup *d, const char *id, size_t n)
{
    uint64_t fp[2];
    size_t i;
    fp[0] = fnv1a(id, n, 0xcbf29ce484222325ULL);
    fp[1] = fnv1a(id, n, 0x84222325cbf29ce4ULL);
    if (fp[0] == 0 && fp[1] == 0)
        fp[1] = 1; /* {0, 0} marks an empty slot */
    for (i = d->cap ? (size_t)fp[0] & (d->cap - 1) : 0; d->cap > 0;
         i = (i + 1) & (d->cap - 1)) {
        if (d->slots[i][0] == 0 && d->slots[i][1] == 0)
            break;
        if (d->slots[i][0] == fp[0] && d->slots[i][1] == fp[1]) {
            d->dropped++;
            return 1;
        }
    }
    if (d->used == d->limit) {
        memset(d->slots, 0, d->cap * sizeof *d->slots);
        d->used = 0;
        d->resets++;
    }
    if ((d->used + 1) * 2 > d->cap)
        grow(d);
    put(d->slots, d->cap, fp);
    d->used++;
    return 0;
}
