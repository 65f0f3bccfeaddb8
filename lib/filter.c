/*
 * Filters (include/kvstrail/filter.h): the caller's kvst_filter compiled
 * once, in kvst_parser_new(), into one allocation (the strings copied,
 * the actions as a bit set, the CIDR as bytes), and the two tests the
 * delivery stage asks: the action alone, on the record's tape before the
 * event is built, and the whole built event; and, for the fast lexer's
 * skip, the time window alone.
 */
#include <arpa/inet.h>
#include <string.h>

#include "internal.h"
#include "schema.h"

/* The first kvst_filter (1.1): the smallest accepted. */
#define FILTER_SIZE_1_1 (offsetof(kvst_filter, access) + sizeof(uint32_t))
/* Access kinds up to KVST_ACCESS_DELETE. */
#define FILTER_KNOWN_ACCESS (((uint32_t)1 << (KVST_ACCESS_DELETE + 1)) - 1u)
#define FILTER_KNOWN_FLAGS (KVST_FILTER_SINCE | KVST_FILTER_UNTIL)
#define ACTION_WORDS 8 /* room for 512 actions */

struct kvst_filter_impl {
    uint32_t flags, event_kind, outcome, access;
    uint64_t principals;
    int64_t since_ms, until_ms;
    int has_actions;
    uint64_t actions[ACTION_WORDS];
    const char *arn_glob, *access_key_id, *account_id, *region; /* NULL: any */
    int cidr_family;               /* 0 (any), AF_INET or AF_INET6 */
    unsigned cidr_bits;
    unsigned char cidr_addr[16];
};

/* A string condition: NULL or "" sets none. */
static size_t cond_len(const char *s)
{
    return s != NULL ? strlen(s) : 0;
}

/* Copy src (length n, non-zero) to *at and give its place; NULL for n 0. */
static const char *cond_copy(char **at, const char *src, size_t n)
{
    char *dst = *at;
    if (n == 0)
        return NULL;
    memcpy(dst, src, n + 1);
    *at += n + 1;
    return dst;
}

/* An address (or NUL-terminated text that should be one) as bytes:
 * returns AF_INET, AF_INET6 or 0. */
static int address_of(const char *text, unsigned char out[16])
{
    if (inet_pton(AF_INET, text, out) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, text, out) == 1)
        return AF_INET6;
    return 0;
}

/* "ADDRESS" or "ADDRESS/PREFIX" (1 to 3 digits, within the family). */
static int cidr_parse(kvst_filter_impl *f, const char *s)
{
    char addr[64];
    const char *slash = strchr(s, '/');
    size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);
    unsigned max, bits = 0;

    if (n == 0 || n >= sizeof addr)
        return KVST_E_INVAL;
    memcpy(addr, s, n);
    addr[n] = '\0';
    f->cidr_family = address_of(addr, f->cidr_addr);
    if (f->cidr_family == 0)
        return KVST_E_INVAL;
    max = f->cidr_family == AF_INET ? 32u : 128u;
    if (slash == NULL) {
        bits = max;
    } else {
        const char *d = slash + 1;
        if (*d == '\0' || strlen(d) > 3)
            return KVST_E_INVAL;
        for (; *d != '\0'; d++) {
            if (*d < '0' || *d > '9')
                return KVST_E_INVAL;
            bits = bits * 10u + (unsigned)(*d - '0');
        }
        if (bits > max)
            return KVST_E_INVAL;
    }
    f->cidr_bits = bits;
    return 0;
}

int kvst__filter_new(const kvst_alloc *a, const kvst_filter *src,
                     kvst_filter_impl **out)
{
    kvst_filter in;
    kvst_filter_impl *f;
    size_t n, i, arn, key, acct, region;
    char *strings;
    int rc;

    *out = NULL;
    if (src == NULL)
        return 0;
    n = src->struct_size;
    if (n < FILTER_SIZE_1_1)
        return KVST_E_ABI;
    for (i = sizeof in; i < n; i++)
        if (((const unsigned char *)src)[i])
            return KVST_E_ABI;
    memset(&in, 0, sizeof in);
    memcpy(&in, src, n < sizeof in ? n : sizeof in);
    if ((in.flags & ~FILTER_KNOWN_FLAGS) || in.event_kind > KVST_FILTER_DATA ||
        in.outcome > KVST_OUTCOME_FAILURE || (in.access & ~FILTER_KNOWN_ACCESS) ||
        (in.action_count > 0 && in.actions == NULL) ||
        ((in.flags & KVST_FILTER_SINCE) && (in.flags & KVST_FILTER_UNTIL) &&
         in.since_ms > in.until_ms))
        return KVST_E_INVAL;

    arn = cond_len(in.arn_glob);
    key = cond_len(in.access_key_id);
    acct = cond_len(in.account_id);
    region = cond_len(in.region);
    f = (kvst_filter_impl *)kvst__malloc(a, sizeof *f + arn + key + acct +
                                                region + 4);
    if (f == NULL)
        return KVST_E_NOMEM;
    memset(f, 0, sizeof *f);
    f->flags = in.flags;
    f->event_kind = in.event_kind;
    f->outcome = in.outcome;
    f->access = in.access;
    f->principals = in.principals;
    f->since_ms = in.since_ms;
    f->until_ms = in.until_ms;
    for (i = 0; i < in.action_count; i++) {
        uint32_t act = in.actions[i];
        if (act == KVST_ACTION_NONE || act >= kvst__operation_count ||
            act >= ACTION_WORDS * 64u) {
            kvst__free(a, f);
            return KVST_E_INVAL;
        }
        f->actions[act / 64u] |= (uint64_t)1 << (act % 64u);
        f->has_actions = 1;
    }
    strings = (char *)(f + 1);
    f->arn_glob = cond_copy(&strings, in.arn_glob, arn);
    f->access_key_id = cond_copy(&strings, in.access_key_id, key);
    f->account_id = cond_copy(&strings, in.account_id, acct);
    f->region = cond_copy(&strings, in.region, region);
    if (cond_len(in.source_cidr) > 0) {
        rc = cidr_parse(f, in.source_cidr);
        if (rc) {
            kvst__free(a, f);
            return rc;
        }
    }
    *out = f;
    return 0;
}

void kvst__filter_free(const kvst_alloc *a, kvst_filter_impl *f)
{
    if (f != NULL)
        kvst__free(a, f);
}

int kvst__filter_has_actions(const kvst_filter_impl *f)
{
    return f != NULL && f->has_actions;
}

int kvst__filter_has_time(const kvst_filter_impl *f)
{
    return f != NULL && (f->flags & (KVST_FILTER_SINCE | KVST_FILTER_UNTIL)) != 0;
}

/* The time window: an eventTime that is valid (ms since the epoch) and
 * within since and until, when they are set. The one rule for a built
 * event and for the fast lexer's look at the bytes. */
int kvst__filter_time(const kvst_filter_impl *f, int valid, int64_t ms)
{
    if (f == NULL || !(f->flags & (KVST_FILTER_SINCE | KVST_FILTER_UNTIL)))
        return 1;
    return valid && !((f->flags & KVST_FILTER_SINCE) && ms < f->since_ms) &&
           !((f->flags & KVST_FILTER_UNTIL) && ms > f->until_ms);
}

int kvst__filter_action(const kvst_filter_impl *f, uint32_t action)
{
    if (f == NULL || !f->has_actions)
        return 1;
    return action < ACTION_WORDS * 64u &&
           (f->actions[action / 64u] >> (action % 64u) & 1u) != 0;
}

/* s[0..n) matches the glob (see kvst_filter.arn_glob). The last '*' is
 * the only one ever returned to, which is enough for '*': the classic
 * linear-backtracking match. */
static int glob_match(const char *g, const char *s, size_t n)
{
    const char *star = NULL;
    size_t i = 0, star_i = 0;

    while (i < n) {
        if (*g == '*') {
            star = ++g;
            star_i = i;
            continue;
        }
        if (*g == '?') {
            g++;
            i++;
            continue;
        }
        if (*g != '\0') {
            const char *lit = (*g == '\\' && g[1] != '\0') ? g + 1 : g;
            if (*lit == s[i]) {
                g = lit + 1;
                i++;
                continue;
            }
        }
        if (star == NULL)
            return 0;
        g = star;
        i = ++star_i;
    }
    while (*g == '*')
        g++;
    return *g == '\0';
}

static int str_equals(kvst_str s, const char *want)
{
    return s.ptr != NULL && s.len == strlen(want) &&
           memcmp(s.ptr, want, s.len) == 0;
}

static int source_matches(const kvst_filter_impl *f, kvst_str ip)
{
    char text[64];
    unsigned char addr[16];
    unsigned full, rest;

    if (ip.ptr == NULL || ip.len == 0 || ip.len >= sizeof text ||
        memchr(ip.ptr, '\0', ip.len) != NULL)
        return 0;
    memcpy(text, ip.ptr, ip.len);
    text[ip.len] = '\0';
    if (address_of(text, addr) != f->cidr_family)
        return 0;
    full = f->cidr_bits / 8u;
    rest = f->cidr_bits % 8u;
    if (memcmp(addr, f->cidr_addr, full) != 0)
        return 0;
    if (rest != 0) {
        unsigned mask = (0xFFu << (8u - rest)) & 0xFFu;
        if (((addr[full] ^ f->cidr_addr[full]) & mask) != 0)
            return 0;
    }
    return 1;
}

int kvst__filter_event(const kvst_filter_impl *f, const kvst_event *ev)
{
    const kvst_identity_info *id = ev->identity;

    if (f == NULL || ev->status != 0)
        return 1;
    if (!kvst__filter_action(f, ev->action))
        return 0;
    if (f->event_kind == KVST_FILTER_MANAGEMENT &&
        ev->management_event != KVST_BOOL_TRUE)
        return 0;
    if (f->event_kind == KVST_FILTER_DATA &&
        ev->management_event != KVST_BOOL_FALSE)
        return 0;
    if (!kvst__filter_time(f, ev->event_time_valid, ev->event_time_ms))
        return 0;
    if (f->account_id != NULL && !str_equals(ev->recipient_account_id, f->account_id))
        return 0;
    if (f->region != NULL && !str_equals(ev->aws_region, f->region))
        return 0;
    if (f->principals != 0 &&
        (id == NULL || id->principal >= 64u ||
         (f->principals >> id->principal & 1u) == 0))
        return 0;
    if (f->arn_glob != NULL &&
        (id == NULL || id->arn.ptr == NULL ||
         !glob_match(f->arn_glob, id->arn.ptr, id->arn.len)))
        return 0;
    if (f->access_key_id != NULL &&
        (ev->user_identity == NULL ||
         !str_equals(ev->user_identity->access_key_id, f->access_key_id)))
        return 0;
    if (f->cidr_family != 0 && !source_matches(f, ev->source_ip_address))
        return 0;
    if (f->outcome != 0 && ev->outcome != f->outcome)
        return 0;
    if (f->access != 0 &&
        (ev->access > KVST_ACCESS_DELETE || (f->access >> ev->access & 1u) == 0))
        return 0;
    return 1;
}
