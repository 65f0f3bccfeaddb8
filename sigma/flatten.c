/*
 * libkvstrail-sigma, stage "flatten": a record's JSON text -> a flat list of
 * (dotted path, value) leaves, built once per event that passes the
 * prefilter, so every rule reads fields by a hash compare instead of
 * walking JSON again.
 *
 * The input is a record the kvstrail parser accepted, so it is valid JSON;
 * the scanner still checks every bound and stops (keeping what came
 * before, rec->truncated set) on anything it does not expect. Array
 * elements get the array's path: Sigma matches lists element-wise.
 * Containers are leaves too (for |exists and null), with their JSON text.
 *
 * Most of a record is fields no rule reads (responseElements, tlsDetails,
 * other services' parameters): with the rule set's path set, a member
 * whose path is neither wanted nor on the way to a wanted one is skipped
 * without leaves, paths or decoding, and the path hash grows with the
 * path (sg_hash_more) instead of being computed again for every leaf.
 */
#include "sigma_internal.h"

#include <stdlib.h>
#include <string.h>

#define FLATTEN_MAX_DEPTH 64

typedef struct scan {
    const char *p, *end;
    sg_record *rec;
    sg_buf path;       /* the current dotted path */
    uint64_t hash;     /* sg_hash of it */
    const sg_pathset *const *want; /* the sets of the paths to keep */
    size_t want_count;
    const sg_pathset *any;         /* all of their paths, or NULL */
    int keep;          /* the current value is wanted, or under one */
    int nomem;
} scan;

static uint64_t slot_key(uint64_t h)
{
    return h ? h : 1; /* 0 marks an empty slot */
}

static unsigned pathset_kind(const sg_pathset *ps, uint64_t h)
{
    size_t i;
    uint64_t k = slot_key(h);
    if (!ps->cap)
        return 0;
    for (i = (size_t)k & (ps->cap - 1); ps->hashes[i]; i = (i + 1) & (ps->cap - 1))
        if (ps->hashes[i] == k)
            return ps->kinds[i];
    return 0;
}

/* What the sets say of a path: wanted, on the way, or neither (0). */
static unsigned wanted(const scan *s, uint64_t h)
{
    unsigned kind = 0;
    size_t i;
    if (s->any && !pathset_kind(s->any, h))
        return 0;
    for (i = 0; i < s->want_count && !(kind & SG_PATH_WANTED); i++)
        kind |= pathset_kind(s->want[i], h);
    return kind;
}

static int pathset_put(sg_pathset *ps, uint64_t h, unsigned kind)
{
    size_t i;
    uint64_t k = slot_key(h);
    if ((ps->count + 1) * 2 > ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 64, j;
        uint64_t *hs = sg_calloc(cap, sizeof *hs);
        uint8_t *ks = sg_calloc(cap, 1);
        if (!hs || !ks) {
            sg_free(hs);
            sg_free(ks);
            return KVST_E_NOMEM;
        }
        for (j = 0; j < ps->cap; j++) {
            if (!ps->hashes[j])
                continue;
            for (i = (size_t)ps->hashes[j] & (cap - 1); hs[i]; i = (i + 1) & (cap - 1))
                ;
            hs[i] = ps->hashes[j];
            ks[i] = ps->kinds[j];
        }
        sg_free(ps->hashes);
        sg_free(ps->kinds);
        ps->hashes = hs;
        ps->kinds = ks;
        ps->cap = cap;
    }
    for (i = (size_t)k & (ps->cap - 1); ps->hashes[i] && ps->hashes[i] != k;
         i = (i + 1) & (ps->cap - 1))
        ;
    if (!ps->hashes[i]) {
        ps->hashes[i] = k;
        ps->count++;
    }
    ps->kinds[i] |= (uint8_t)kind;
    return 0;
}

static int plain_byte(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* The byte of a name that the JSON of a record holds the least often,
 * roughly: a capital, digit, '_' or '-' before any small letter, the
 * small letters by their frequency in English text. */
static size_t rare_byte(const char *name, size_t len)
{
    static const char common[] = "etaoinsrhldcumfpgwybvkxjqz";
    size_t i, best = 0, best_rank = (size_t)-1;
    for (i = 0; i < len; i++) {
        const char *at = name[i] >= 'a' && name[i] <= 'z'
                             ? strchr(common, name[i]) : NULL;
        size_t rank = at ? sizeof common - (size_t)(at - common) : 0;
        if (rank < best_rank) {
            best = i;
            best_rank = rank;
        }
    }
    return best;
}

/* Note the first name of a path (up to its first '.') among the set's
 * tops, once. */
static int add_top(sg_pathset *ps, const char *name, size_t len)
{
    size_t i;
    sg_top *tops, *t;
    for (i = 0; i < ps->top_count; i++)
        if (ps->tops[i].len == len && memcmp(ps->tops[i].quoted + 1, name, len) == 0)
            return 0;
    for (i = 0; i < len; i++)
        if (!plain_byte(name[i]))
            ps->odd_top = 1;
    if (len == 0)
        ps->odd_top = 1;
    tops = sg_realloc(ps->tops, (ps->top_count + 1) * sizeof *tops);
    if (!tops)
        return KVST_E_NOMEM;
    ps->tops = tops;
    t = &tops[ps->top_count];
    t->len = len;
    t->hash = sg_hash(name, len);
    t->quoted = sg_malloc(len + 2);
    t->pointer = sg_malloc(len + 2);
    if (!t->quoted || !t->pointer) {
        sg_free(t->quoted);
        sg_free(t->pointer);
        return KVST_E_NOMEM;
    }
    t->quoted[0] = '"';
    t->pointer[0] = '/';
    memcpy(t->quoted + 1, name, len);
    memcpy(t->pointer + 1, name, len);
    t->quoted[len + 1] = t->pointer[len + 1] = '\0';
    t->rare = rare_byte(name, len);
    ps->top_count++;
    return 0;
}

int sg_pathset_add(sg_pathset *ps, const char *path, size_t len)
{
    size_t i;
    const char *dot = memchr(path, '.', len);
    if (add_top(ps, path, dot ? (size_t)(dot - path) : len) != 0)
        return KVST_E_NOMEM;
    for (i = 0; i < len; i++)
        if (path[i] == '.' && pathset_put(ps, sg_hash(path, i), SG_PATH_PREFIX) != 0)
            return KVST_E_NOMEM;
    return pathset_put(ps, sg_hash(path, len), SG_PATH_WANTED);
}

void sg_pathset_free(sg_pathset *ps)
{
    size_t i;
    for (i = 0; i < ps->top_count; i++) {
        sg_free(ps->tops[i].quoted);
        sg_free(ps->tops[i].pointer);
    }
    sg_free(ps->tops);
    sg_free(ps->hashes);
    sg_free(ps->kinds);
    memset(ps, 0, sizeof *ps);
}

static void skip_ws(scan *s)
{
    while (s->p < s->end &&
           (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

/* Leaves first hold offsets into rec->text (it may move as it grows);
 * sg_flatten turns them into pointers at the end. A value that needs no
 * decoding (in_json) points into the JSON text itself. */
static int add_leaf(scan *s, uint8_t type, const char *val, size_t val_off,
                    size_t val_len, int in_json)
{
    sg_record *r = s->rec;
    sg_leaf *l;
    size_t path_off = r->text.len;
    if (!s->keep)
        return 1;
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        sg_leaf *n = sg_realloc(r->leaves, cap * sizeof *n);
        if (!n) {
            s->nomem = 1;
            return 0;
        }
        r->leaves = n;
        r->cap = cap;
    }
    sg_buf_add(&r->text, s->path.data ? s->path.data : "", s->path.len);
    sg_buf_addc(&r->text, '\0');
    l = &r->leaves[r->count++];
    memset(l, 0, sizeof *l);
    l->hash = s->hash;
    l->path_len = (uint32_t)s->path.len;
    l->type = type;
    l->val_len = (uint32_t)val_len;
    /* Stash offsets in the pointer slots until the text stops moving. */
    l->path = (const char *)(uintptr_t)path_off;
    if (in_json) {
        l->val = val;
        l->type |= 0x80;
    } else {
        l->val = (const char *)(uintptr_t)val_off;
    }
    return !r->text.failed;
}

static unsigned hex4(const char *p)
{
    unsigned v = 0;
    int i;
    for (i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return 0x110000u;
    }
    return v;
}

static void put_utf8(sg_buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    sg_buf_add(b, u, n);
}

/* A string at s->p (the opening quote). Sets *start and *len to the raw body
 * and, unless escaped is NULL (a string skipped or not kept, whose escapes
 * do not matter), *escaped when it has escapes. */
static int scan_string(scan *s, const char **start, size_t *len, int *escaped)
{
    const char *body = s->p + 1, *p = body;
    for (;;) {
        const char *q = memchr(p, '"', (size_t)(s->end - p));
        const char *b;
        if (!q)
            return 0;
        /* Escaped when an odd run of backslashes stands before it. */
        for (b = q; b > body && b[-1] == '\\'; b--)
            ;
        if ((q - b) % 2 == 0) {
            *start = body;
            *len = (size_t)(q - body);
            if (escaped)
                *escaped = memchr(body, '\\', *len) != NULL;
            s->p = q + 1;
            return 1;
        }
        p = q + 1;
    }
}

/* Past a number, true, false or null. */
static void skip_scalar(scan *s)
{
    while (s->p < s->end && *s->p != ',' && *s->p != '}' && *s->p != ']' &&
           *s->p != ' ' && *s->p != '\n' && *s->p != '\r' && *s->p != '\t')
        s->p++;
}

/* Past one value no rule reads: no leaves, no paths, no recursion (the
 * parser accepted the record, so brackets pair up; bounds are still
 * checked). */
static int skip_value(scan *s)
{
    size_t depth = 0;
    const char *k;
    size_t n;
    skip_ws(s);
    if (s->p >= s->end)
        return 0;
    if (*s->p != '"' && *s->p != '{' && *s->p != '[') {
        skip_scalar(s);
        return 1;
    }
    do {
        if (s->p >= s->end)
            return 0;
        if (*s->p == '"') {
            if (!scan_string(s, &k, &n, NULL))
                return 0;
            continue;
        }
        if (*s->p == '{' || *s->p == '[')
            depth++;
        else if (*s->p == '}' || *s->p == ']')
            depth--;
        s->p++;
    } while (depth > 0);
    return 1;
}

/* Decode the escapes of a string body into b. */
static void decode_string(sg_buf *b, const char *p, size_t n)
{
    const char *end = p + n;
    while (p < end) {
        const char *q = p;
        while (q < end && *q != '\\')
            q++;
        sg_buf_add(b, p, (size_t)(q - p));
        if (q >= end)
            break;
        q++;
        if (q >= end)
            break;
        switch (*q) {
        case 'b': sg_buf_addc(b, '\b'); q++; break;
        case 'f': sg_buf_addc(b, '\f'); q++; break;
        case 'n': sg_buf_addc(b, '\n'); q++; break;
        case 'r': sg_buf_addc(b, '\r'); q++; break;
        case 't': sg_buf_addc(b, '\t'); q++; break;
        case 'u': {
            unsigned cp = end - q >= 5 ? hex4(q + 1) : 0x110000u;
            if (cp > 0xFFFF) {
                sg_buf_addc(b, '?');
                q = end;
                break;
            }
            q += 5;
            if (cp >= 0xD800 && cp < 0xDC00 && end - q >= 6 && q[0] == '\\' &&
                q[1] == 'u') {
                unsigned lo = hex4(q + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    q += 6;
                }
            }
            /* A lone surrogate becomes U+FFFD, as yajl does. */
            if (cp >= 0xD800 && cp < 0xE000)
                cp = 0xFFFD;
            put_utf8(b, cp);
            break;
        }
        default: sg_buf_addc(b, *q); q++; break;
        }
        p = q;
    }
}

static int scan_value(scan *s, int depth);

static int push_key(scan *s, const char *k, size_t n, int escaped)
{
    size_t from = s->path.len;
    if (s->path.len)
        sg_buf_addc(&s->path, '.');
    if (escaped)
        decode_string(&s->path, k, n);
    else
        sg_buf_add(&s->path, k, n);
    if (s->path.failed)
        return 0;
    s->hash = sg_hash_more(s->hash, s->path.data + from, s->path.len - from);
    return 1;
}

/* The leaves of one member of an object: [from, to) of rec->leaves. */
typedef struct member_leaves {
    uint64_t hash; /* of the member's path */
    size_t from, to;
} member_leaves;

typedef struct object_members {
    member_leaves inline_room[8];
    member_leaves *m;
    size_t count, cap;
} object_members;

/* Whether leaf l's path is path or below it. */
static int leaf_under(const scan *s, const sg_leaf *l, const char *path, size_t len)
{
    const char *lp = s->rec->text.data + (size_t)(uintptr_t)l->path;
    return l->path_len >= len && memcmp(lp, path, len) == 0 &&
           (l->path_len == len || lp[len] == '.');
}

/*
 * A member that gave leaves [from, rec->count): when the object had the
 * same key before, the earlier member's leaves go (the last occurrence of
 * a repeated key wins, as for every reader of the record: kvst_event_lookup
 * and the JSON Lines contract read it so, and a finding says so); the
 * member's leaves are kept for a later repeat. 1, or 0 out of memory.
 */
static int member_done(scan *s, object_members *om, size_t from)
{
    sg_record *r = s->rec;
    size_t i, j, gone;

    if (r->count == from)
        return 1;
    for (i = 0; i < om->count; i++) {
        member_leaves *e = &om->m[i];
        if (e->hash != s->hash || !leaf_under(s, &r->leaves[e->from], s->path.data, s->path.len))
            continue;
        gone = e->to - e->from;
        memmove(&r->leaves[e->from], &r->leaves[e->to], (r->count - e->to) * sizeof *r->leaves);
        r->count -= gone;
        from -= gone;
        for (j = i + 1; j < om->count; j++) {
            om->m[j].from -= gone;
            om->m[j].to -= gone;
            om->m[j - 1] = om->m[j];
        }
        om->count--;
        break;
    }
    if (om->count == om->cap) {
        size_t cap = om->cap * 2;
        member_leaves *n = om->m == om->inline_room ? sg_malloc(cap * sizeof *n)
                                                    : sg_realloc(om->m, cap * sizeof *n);
        if (!n) {
            s->nomem = 1;
            return 0;
        }
        if (om->m == om->inline_room)
            memcpy(n, om->inline_room, sizeof om->inline_room);
        om->m = n;
        om->cap = cap;
    }
    om->m[om->count].hash = s->hash;
    om->m[om->count].from = from;
    om->m[om->count].to = r->count;
    om->count++;
    return 1;
}

static int scan_members(scan *s, int depth, object_members *om);

static int scan_object(scan *s, int depth)
{
    object_members om;
    int ok;

    om.m = om.inline_room;
    om.count = 0;
    om.cap = sizeof om.inline_room / sizeof om.inline_room[0];
    ok = scan_members(s, depth, &om);
    if (om.m != om.inline_room)
        sg_free(om.m);
    return ok;
}

static int scan_members(scan *s, int depth, object_members *om)
{
    size_t base = s->path.len;
    uint64_t base_hash = s->hash;
    int base_keep = s->keep;
    s->p++; /* '{' */
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return 1;
    }
    for (;;) {
        const char *k;
        size_t n, from = s->rec->count;
        int esc;
        skip_ws(s);
        if (s->p >= s->end || *s->p != '"' || !scan_string(s, &k, &n, &esc))
            return 0;
        skip_ws(s);
        if (s->p >= s->end || *s->p != ':')
            return 0;
        s->p++;
        if (!push_key(s, k, n, esc))
            return 0;
        if (!base_keep) {
            unsigned kind = wanted(s, s->hash);
            s->keep = (kind & SG_PATH_WANTED) != 0;
            if (!kind && !skip_value(s))
                return 0;
            if (kind && !scan_value(s, depth + 1))
                return 0;
            s->keep = 0;
        } else if (!scan_value(s, depth + 1)) {
            return 0;
        }
        if (!member_done(s, om, from))
            return 0;
        s->hash = base_hash;
        s->path.len = base;
        if (s->path.data)
            s->path.data[base] = '\0';
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            return 1;
        }
        return 0;
    }
}

static int scan_array(scan *s, int depth)
{
    s->p++; /* '[' */
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return 1;
    }
    for (;;) {
        if (!scan_value(s, depth + 1))
            return 0;
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            return 1;
        }
        return 0;
    }
}

static int scan_value(scan *s, int depth)
{
    const char *start;
    skip_ws(s);
    if (s->p >= s->end || depth > FLATTEN_MAX_DEPTH)
        return 0;
    start = s->p;
    switch (*s->p) {
    case '{': {
        size_t leaf = s->rec->count;
        int kept = s->keep;
        if (!add_leaf(s, SG_J_OBJECT, start, 0, 0, 1) || !scan_object(s, depth))
            return 0;
        if (kept)
            s->rec->leaves[leaf].val_len = (uint32_t)(s->p - start);
        return 1;
    }
    case '[': {
        size_t leaf = s->rec->count;
        int kept = s->keep;
        if (!add_leaf(s, SG_J_ARRAY, start, 0, 0, 1) || !scan_array(s, depth))
            return 0;
        if (kept)
            s->rec->leaves[leaf].val_len = (uint32_t)(s->p - start);
        return 1;
    }
    case '"': {
        const char *body;
        size_t n;
        int esc = 0;
        if (!scan_string(s, &body, &n, s->keep ? &esc : NULL))
            return 0;
        if (!esc || !s->keep)
            return add_leaf(s, SG_J_STRING, body, 0, n, 1);
        {
            size_t off = s->rec->text.len;
            decode_string(&s->rec->text, body, n);
            sg_buf_addc(&s->rec->text, '\0');
            if (s->rec->text.failed)
                return 0;
            return add_leaf(s, SG_J_STRING, NULL, off,
                            s->rec->text.len - off - 1, 0);
        }
    }
    default: {
        uint8_t type;
        skip_scalar(s);
        if (*start == 't' || *start == 'f')
            type = SG_J_BOOL;
        else if (*start == 'n')
            type = SG_J_NULL;
        else
            type = SG_J_NUMBER;
        return add_leaf(s, type, start, 0, (size_t)(s->p - start), 1);
    }
    }
}

static void scan_begin(scan *s, sg_record *rec, const char *json, size_t len,
                       const sg_pathset *const *want, size_t want_count,
                       const sg_pathset *any)
{
    size_t i;
    memset(s, 0, sizeof *s);
    s->p = json;
    s->end = json + len;
    s->rec = rec;
    s->hash = SG_HASH_INIT;
    s->want = want;
    s->want_count = want_count;
    s->any = any;
    s->keep = want_count == 0;
    for (i = 0; i < want_count; i++)
        s->keep |= want[i]->all;
    rec->count = 0;
    rec->text.len = 0;
    rec->text.failed = 0;
    rec->truncated = 0;
}

/* The leaves' offsets into rec->text become pointers. */
static int scan_end(scan *s)
{
    sg_record *rec = s->rec;
    size_t i;
    s->nomem |= s->path.failed;
    sg_buf_free(&s->path);
    if (s->nomem || rec->text.failed) {
        rec->count = 0;
        return KVST_E_NOMEM;
    }
    for (i = 0; i < rec->count; i++) {
        sg_leaf *l = &rec->leaves[i];
        l->path = rec->text.data + (size_t)(uintptr_t)l->path;
        if (l->type & 0x80)
            l->type &= 0x7F;
        else
            l->val = rec->text.data + (size_t)(uintptr_t)l->val;
    }
    return 0;
}

int sg_flatten(sg_record *rec, const char *json, size_t len,
               const sg_pathset *const *want, size_t want_count,
               const sg_pathset *any)
{
    scan s;
    scan_begin(&s, rec, json, len, want, want_count, any);
    skip_ws(&s);
    if (s.p < s.end && *s.p == '{') {
        if (!scan_object(&s, 0))
            rec->truncated = 1;
    } else {
        rec->truncated = 1;
    }
    return scan_end(&s);
}

/* ---- a record by its top-level members ----------------------------------
 *
 * Scanning a record to skip what no rule reads (userIdentity, tlsDetails,
 * responseElements, the other members of requestParameters' neighbours)
 * costs about as much as all the rules' tests. A KVS event's record is on
 * the parser's tape, so kvst_event_lookup finds a top-level member by its
 * name without reading the bytes; flattening only the members the rules
 * read gives the same leaves as the scan when nothing else in the record
 * can give a leaf of their paths. The scan gives a path p.q... to every
 * member written "p" at the top (all of them, when the key is repeated)
 * and to a top-level key written "p.q" itself; the lookup sees the last
 * "p". So the bytes are searched first: a first name of only plain bytes
 * ([A-Za-z0-9_-]) can be written otherwise only with a \u escape, and
 * when '"p' occurs once in a record without \u, directly followed by
 * '"', the record has at most one top-level key beginning with p, and
 * it is "p". Anything else (repeated, dotted or escaped keys) is scanned.
 * Leaves come in the order of the tops rather than of the record, which
 * no reader sees: each reads one path (and what is nested beneath it) or,
 * for a keyword, every leaf, and a keyword search (any is NULL) scans.
 */

enum { FLATTEN_SCAN = 1 };

/* A \u escape anywhere in the bytes (an escaped backslash before a 'u'
 * is not one). */
static int has_u_escape(const char *p, size_t n)
{
    const char *end = p + n;
    while (p < end) {
        const char *b = memchr(p, '\\', (size_t)(end - p));
        if (!b || b + 1 >= end)
            return 0;
        if (b[1] == 'u')
            return 1;
        p = b + 2;
    }
    return 0;
}

/* The first '"name' of t at or after from, or NULL: memchr for the
 * name's rarest byte (a quote is in every string). */
static const char *find_top(const char *from, const char *end, const sg_top *t)
{
    size_t n = t->len + 1, at = t->rare + 1;
    char c = t->quoted[at];
    const char *p;
    if ((size_t)(end - from) < n)
        return NULL;
    p = from + at;
    while (p < end) {
        const char *q = memchr(p, c, (size_t)(end - p));
        if (!q || (size_t)(end - (q - at)) < n)
            return NULL;
        if (memcmp(q - at, t->quoted, n) == 0)
            return q - at;
        p = q + 1;
    }
    return NULL;
}

/* A scalar's leaf from a lookup: the lookup's text is what the scan
 * gives (a string decoded the same way, a number as written). */
static int scalar_leaf(scan *s, const kvst_value *v)
{
    uint8_t type;
    switch (v->json_type) {
    case KVST_JSON_STRING: type = SG_J_STRING; break;
    case KVST_JSON_INTEGER:
    case KVST_JSON_DOUBLE: type = SG_J_NUMBER; break;
    case KVST_JSON_BOOLEAN: type = SG_J_BOOL; break;
    case KVST_JSON_NULL: type = SG_J_NULL; break;
    default: return 0;
    }
    return add_leaf(s, type, v->text.ptr, 0, v->text.len, 1);
}

static int flatten_tops(sg_record *rec, const kvst_event *ev, const char *json,
                        size_t len, const sg_pathset *const *want,
                        size_t want_count, const sg_pathset *any)
{
    scan s;
    size_t i;
    const char *end = json + len;
    if (!any || any->odd_top || ev->action == KVST_ACTION_NONE ||
        has_u_escape(json, len))
        return FLATTEN_SCAN;
    scan_begin(&s, rec, json, len, want, want_count, any);
    if (s.keep)
        return FLATTEN_SCAN;
    for (i = 0; i < any->top_count && !s.nomem; i++) {
        const sg_top *t = &any->tops[i];
        unsigned kind = wanted(&s, t->hash);
        const char *at;
        kvst_value v;
        int rc;
        if (!kind)
            continue;
        at = find_top(json, end, t);
        if (!at)
            continue; /* no key begins with the name */
        if (at + t->len + 1 >= end || at[t->len + 1] != '"' ||
            find_top(at + 1, end, t))
            goto scan_it;
        rc = kvst_event_lookup(ev, t->pointer, &v);
        if (rc == KVST_E_NOT_FOUND)
            continue; /* the text was a value or a nested key */
        if (rc == KVST_E_NOMEM) {
            s.nomem = 1;
            break;
        }
        if (rc != 0)
            goto scan_it;
        s.path.len = 0;
        sg_buf_add(&s.path, t->quoted + 1, t->len);
        if (s.path.failed)
            break;
        s.hash = t->hash;
        s.keep = (kind & SG_PATH_WANTED) != 0;
        if (v.json_type == KVST_JSON_OBJECT || v.json_type == KVST_JSON_ARRAY) {
            s.p = v.text.ptr;
            s.end = v.text.ptr + v.text.len;
            /* At the depth of a top-level value; the scan stops the whole
             * record where this one stops. */
            if (!scan_value(&s, 1) && !s.nomem && !rec->text.failed)
                goto scan_it;
        } else if (!scalar_leaf(&s, &v) && !s.nomem && !rec->text.failed) {
            goto scan_it;
        }
        s.keep = 0;
    }
    return scan_end(&s);
scan_it:
    sg_buf_free(&s.path);
    return FLATTEN_SCAN;
}

int sg_flatten_event(sg_record *rec, const kvst_event *ev, const char *json,
                     size_t len, const sg_pathset *const *want,
                     size_t want_count, const sg_pathset *any)
{
    int rc = flatten_tops(rec, ev, json, len, want, want_count, any);
    if (rc != FLATTEN_SCAN)
        return rc;
    return sg_flatten(rec, json, len, want, want_count, any);
}

void sg_record_free(sg_record *rec)
{
    sg_free(rec->leaves);
    sg_buf_free(&rec->text);
    memset(rec, 0, sizeof *rec);
}

const sg_leaf *sg_record_find(const sg_record *rec, uint64_t hash,
                              const char *path, size_t path_len, size_t *from)
{
    size_t i;
    for (i = *from; i < rec->count; i++) {
        const sg_leaf *l = &rec->leaves[i];
        if (l->hash == hash && l->path_len == path_len &&
            memcmp(l->path, path, path_len) == 0) {
            *from = i + 1;
            return l;
        }
    }
    *from = rec->count;
    return NULL;
}
