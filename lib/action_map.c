/*
 * Stage 4b: the action mapper. eventSource + eventName -> kvst_action, and
 * requestParameters / responseElements -> the action's typed payload
 * structs, walking the generated schema tables (one generic walker, no
 * per-action code). Values of the wrong JSON type are kept as text and
 * marked KVST_VALUE_MISTYPED; members the model does not know are
 * reported as info findings and stay reachable by JSON pointer. It also
 * gives every KVS event its access kind (what the call does to the video)
 * from the table below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "validate_internal.h"

/* The action of a call: eventSource names KVS and eventName one of its
 * operations (both strings; src or name NULL when there is none). */
static uint32_t action_named(const char *src, size_t src_len, const char *name, size_t name_len)
{
    const kvst_operation_def *op;

    if (!src || !name || !kvst__is_kvs_source(src, src_len))
        return KVST_ACTION_NONE;
    op = kvst__operation_find(name, name_len);
    return op ? op->action : KVST_ACTION_NONE;
}

/* The text of a top-level member of the tape when it is a string (the
 * last occurrence, as kvst__tape_get reads it), else NULL. */
static const char *tape_text(const kvst_tape *t, const char *key, size_t key_len, size_t *len)
{
    uint32_t n = kvst__tape_get(t, t->root, key, key_len);

    if (n == KVST_NO_NODE || t->nodes[n].kind != KVST_JSON_STRING)
        return NULL;
    *len = t->nodes[n].len;
    return t->strings + t->nodes[n].soff;
}

uint32_t kvst__action_of(const kvst_tape *t)
{
    size_t src_len = 0, name_len = 0;
    const char *src = tape_text(t, "eventSource", 11, &src_len);
    const char *name = tape_text(t, "eventName", 9, &name_len);

    return action_named(src, src_len, name, name_len);
}

/* The same, from the envelope the event was filled with: its eventSource
 * and eventName are the last ones at the top level, and set only when
 * they are strings (envelope.c's one type rule), which is what
 * kvst__action_of reads on the tape -- without looking for them again. */
static uint32_t action_of_event(const kvst_event *ev)
{
    return action_named(ev->event_source.ptr, ev->event_source.len, ev->event_name.ptr,
                        ev->event_name.len);
}

static const char *const access_names[] = {
    NULL, "media-read", "media-write", "signaling", "config-read", "config-write", "delete",
};

const char *kvst_access_name(uint32_t access)
{
    return access < sizeof access_names / sizeof access_names[0] ? access_names[access] : NULL;
}

/* The access kind of each action, maintained with tools/kvs_actions.txt: an
 * action the file gains needs its row here (test_schema checks that every
 * action has a kind). GetDataEndpoint's row is only its fallback: the kind
 * is the one of the API its request names (data_endpoint_access). */
static const unsigned char access_of_action[KVST_ACTION__COUNT] = {
    [KVST_ACTION_CREATE_STREAM] = KVST_ACCESS_CONFIG_WRITE,
    [KVST_ACTION_DELETE_STREAM] = KVST_ACCESS_DELETE,
    [KVST_ACTION_DESCRIBE_STREAM] = KVST_ACCESS_CONFIG_READ,
    [KVST_ACTION_GET_DATA_ENDPOINT] = KVST_ACCESS_CONFIG_READ,
    [KVST_ACTION_LIST_STREAMS] = KVST_ACCESS_CONFIG_READ,
    [KVST_ACTION_LIST_TAGS_FOR_STREAM] = KVST_ACCESS_CONFIG_READ,
    [KVST_ACTION_TAG_STREAM] = KVST_ACCESS_CONFIG_WRITE,
    [KVST_ACTION_UNTAG_STREAM] = KVST_ACCESS_CONFIG_WRITE,
    [KVST_ACTION_UPDATE_DATA_RETENTION] = KVST_ACCESS_CONFIG_WRITE,
    [KVST_ACTION_UPDATE_STREAM] = KVST_ACCESS_CONFIG_WRITE,
    [KVST_ACTION_CREATE_SIGNALING_CHANNEL] = KVST_ACCESS_CONFIG_WRITE,
    [KVST_ACTION_DELETE_EDGE_CONFIGURATION] = KVST_ACCESS_DELETE,
    [KVST_ACTION_DELETE_SIGNALING_CHANNEL] = KVST_ACCESS_DELETE,
    [KVST_ACTION_DESCRIBE_EDGE_CONFIGURATION] = KVST_ACCESS_CONFIG_READ,
    [KVST_ACTION_DESCRIBE_IMAGE_GENERATION_CONFIGURATION] = KVST_ACCESS_CONFIG_READ,
    [KVST_ACTION_DESCRIBE_MAPPED_RESOURCE_CONFIGURATION] = KVST_ACCESS_CONFIG_READ,
    [KVST_ACTION_DESCRIBE_MEDIA_STORAGE_CONFIGURATION] = KVST_ACCESS_CONFIG_READ,
    [KVST_ACTION_DESCRIBE_NOTIFICATION_CONFIGURATION] = KVST_ACCESS_CONFIG_READ,
    [KVST_ACTION_DESCRIBE_SIGNALING_CHANNEL] = KVST_ACCESS_CONFIG_READ,
    [KVST_ACTION_DESCRIBE_STREAM_STORAGE_CONFIGURATION] = KVST_ACCESS_CONFIG_READ,
    [KVST_ACTION_GET_SIGNALING_CHANNEL_ENDPOINT] = KVST_ACCESS_SIGNALING,
    [KVST_ACTION_LIST_EDGE_AGENT_CONFIGURATIONS] = KVST_ACCESS_CONFIG_READ,
    [KVST_ACTION_LIST_SIGNALING_CHANNELS] = KVST_ACCESS_CONFIG_READ,
    [KVST_ACTION_LIST_TAGS_FOR_RESOURCE] = KVST_ACCESS_CONFIG_READ,
    [KVST_ACTION_START_EDGE_CONFIGURATION_UPDATE] = KVST_ACCESS_CONFIG_WRITE,
    [KVST_ACTION_TAG_RESOURCE] = KVST_ACCESS_CONFIG_WRITE,
    [KVST_ACTION_UNTAG_RESOURCE] = KVST_ACCESS_CONFIG_WRITE,
    [KVST_ACTION_UPDATE_IMAGE_GENERATION_CONFIGURATION] = KVST_ACCESS_CONFIG_WRITE,
    [KVST_ACTION_UPDATE_MEDIA_STORAGE_CONFIGURATION] = KVST_ACCESS_CONFIG_WRITE,
    [KVST_ACTION_UPDATE_NOTIFICATION_CONFIGURATION] = KVST_ACCESS_CONFIG_WRITE,
    [KVST_ACTION_UPDATE_SIGNALING_CHANNEL] = KVST_ACCESS_CONFIG_WRITE,
    [KVST_ACTION_UPDATE_STREAM_STORAGE_CONFIGURATION] = KVST_ACCESS_CONFIG_WRITE,
    /* 1.1: the data plane, and the actions with no SDK model */
    [KVST_ACTION_GET_MEDIA] = KVST_ACCESS_MEDIA_READ,
    [KVST_ACTION_GET_CLIP] = KVST_ACCESS_MEDIA_READ,
    [KVST_ACTION_GET_DASH_STREAMING_SESSION_URL] = KVST_ACCESS_MEDIA_READ,
    [KVST_ACTION_GET_HLS_STREAMING_SESSION_URL] = KVST_ACCESS_MEDIA_READ,
    [KVST_ACTION_GET_IMAGES] = KVST_ACCESS_MEDIA_READ,
    [KVST_ACTION_GET_MEDIA_FOR_FRAGMENT_LIST] = KVST_ACCESS_MEDIA_READ,
    [KVST_ACTION_LIST_FRAGMENTS] = KVST_ACCESS_CONFIG_READ,
    [KVST_ACTION_GET_ICE_SERVER_CONFIG] = KVST_ACCESS_SIGNALING,
    [KVST_ACTION_SEND_ALEXA_OFFER_TO_MASTER] = KVST_ACCESS_SIGNALING,
    [KVST_ACTION_JOIN_STORAGE_SESSION] = KVST_ACCESS_MEDIA_WRITE,
    [KVST_ACTION_JOIN_STORAGE_SESSION_AS_VIEWER] = KVST_ACCESS_SIGNALING,
    [KVST_ACTION_PUT_MEDIA] = KVST_ACCESS_MEDIA_WRITE,
    [KVST_ACTION_CONNECT_AS_MASTER] = KVST_ACCESS_SIGNALING,
    [KVST_ACTION_CONNECT_AS_VIEWER] = KVST_ACCESS_SIGNALING,
};

/* GetDataEndpoint's aPIName (the model's APIName enum) -> the kind of the
 * API whose endpoint is asked for. ListFragments returns fragment metadata,
 * no video; an unknown or absent name is config-read. */
static const struct {
    const char *name;
    unsigned char access;
} data_endpoint_access[] = {
    {"PUT_MEDIA", KVST_ACCESS_MEDIA_WRITE},
    {"GET_MEDIA", KVST_ACCESS_MEDIA_READ},
    {"LIST_FRAGMENTS", KVST_ACCESS_CONFIG_READ},
    {"GET_MEDIA_FOR_FRAGMENT_LIST", KVST_ACCESS_MEDIA_READ},
    {"GET_HLS_STREAMING_SESSION_URL", KVST_ACCESS_MEDIA_READ},
    {"GET_DASH_STREAMING_SESSION_URL", KVST_ACCESS_MEDIA_READ},
    {"GET_CLIP", KVST_ACCESS_MEDIA_READ},
    {"GET_IMAGES", KVST_ACCESS_MEDIA_READ},
};

uint32_t kvst__access_of(uint32_t action, const kvst_tape *t)
{
    uint32_t req, api;
    size_t i;

    if (action >= KVST_ACTION__COUNT)
        return KVST_ACCESS_NONE;
    if (action != KVST_ACTION_GET_DATA_ENDPOINT)
        return access_of_action[action];
    req = kvst__tape_get(t, t->root, "requestParameters", 17);
    api = req != KVST_NO_NODE && t->nodes[req].kind == KVST_JSON_OBJECT
              ? kvst__tape_get(t, req, "aPIName", 7)
              : KVST_NO_NODE;
    if (api != KVST_NO_NODE && t->nodes[api].kind == KVST_JSON_STRING) {
        const char *s = t->strings + t->nodes[api].soff;
        for (i = 0; i < sizeof data_endpoint_access / sizeof data_endpoint_access[0]; i++)
            if (strlen(data_endpoint_access[i].name) == t->nodes[api].len &&
                memcmp(data_endpoint_access[i].name, s, t->nodes[api].len) == 0)
                return data_endpoint_access[i].access;
    }
    return access_of_action[action];
}

typedef struct map_ctx {
    const kvst_tape *t;
    kvst_arena *ar;
    kvst_finding_sink *sink;
    char path[512];
    size_t path_len;
} map_ctx;

static size_t path_push(map_ctx *c, const char *s, size_t len)
{
    size_t saved = c->path_len;

    c->path_len = kvst__ptr_push(c->path, sizeof c->path, c->path_len, s, len);
    return saved;
}

static void path_pop(map_ctx *c, size_t saved)
{
    c->path_len = saved;
    c->path[saved] = '\0';
}

/* The text of a node as written: decoded string, number text, or the raw
 * JSON of a container (copied: views are NUL-terminated, raw bytes not;
 * ptr NULL when the copy fails). */
static kvst_str node_text(const kvst_tape *t, uint32_t node, kvst_arena *ar)
{
    const kvst_node *n = &t->nodes[node];
    kvst_str s;

    if (n->kind == KVST_JSON_OBJECT || n->kind == KVST_JSON_ARRAY) {
        s.len = n->end - n->start;
        s.ptr = kvst__arena_strdup(ar, t->raw + n->start, s.len);
    } else if (n->kind == KVST_JSON_NULL) {
        s.ptr = "null";
        s.len = 4;
    } else {
        s.ptr = t->strings + n->soff;
        s.len = n->len;
    }
    return s;
}

/* Strict decimal integer into int64; 0 on overflow or junk. */
static int parse_int64(const char *s, size_t len, int64_t *out)
{
    uint64_t v = 0, lim;
    size_t i = 0;
    int neg = 0;

    if (len && s[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == len)
        return 0;
    lim = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9 || v > (lim - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 1;
}

/* CloudTrail renders response timestamps as "May 25, 2018 5:06:30 PM". */
static int parse_java_time(const char *s, size_t len, int64_t *ms)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char buf[40], mon[4], ampm[3];
    unsigned day, year, h, mi, se, m;
    const char *hit;

    if (len >= sizeof buf)
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (sscanf(buf, "%3s %2u, %4u %2u:%2u:%2u %2s", mon, &day, &year, &h, &mi, &se, /* NOLINT(cert-err34-c): widths bound the numbers */
               ampm) != 7)
        return 0;
    hit = strstr(months, mon);
    if (!hit || strlen(mon) != 3 || (hit - months) % 3 || day < 1 || day > 31 || h < 1 ||
        h > 12 || mi > 59 || se > 60)
        return 0;
    m = (unsigned)(hit - months) / 3 + 1;
    if (strcmp(ampm, "AM") == 0)
        h = h == 12 ? 0 : h;
    else if (strcmp(ampm, "PM") == 0)
        h = h == 12 ? 12 : h + 12;
    else
        return 0;
    *ms = (kvst__days_from_civil((int)year, (int)m, (int)day) * 86400 + h * 3600 + mi * 60 + se) *
          1000;
    return 1;
}

static int build_struct(map_ctx *c, uint32_t obj, const kvst_shape *shape, void **out);

/* A repeated key of a payload object (c->path names it): the later value
 * is the one kept, as everywhere (docs/cli.md), and a warning says so,
 * placed at this repeat's key, node (the pointer names the last). */
static int duplicate_key(map_ctx *c, uint32_t node)
{
    return kvst__finding_at(c->sink, node, KVST_F_DUPLICATE_KEY, c->path,
                            "%s is repeated in its object; the last one is read", c->path);
}

/* A repeat inside the value of a member the model does not know
 * (kvst__tape_repeats): the same finding, at the repeat's key, its pointer
 * from the root. */
static int unknown_value_repeat(void *ctx, uint32_t key)
{
    map_ctx *c = (map_ctx *)ctx;
    char ptr[512];

    if (!kvst__tape_pointer(c->t, key, ptr, sizeof ptr))
        return 0; /* not in the event (an EventBridge envelope's own) */
    return kvst__finding_at(c->sink, key, KVST_F_DUPLICATE_KEY, ptr,
                            "%s is repeated in its object; the last one is read", ptr);
}

/* The repeats inside the value of an unknown member (an object or an
 * array): of its last occurrence only, which lookups read. */
static int unknown_value(map_ctx *c, uint32_t obj, uint32_t key)
{
    const kvst_tape *t = c->t;
    uint32_t kind = t->nodes[key + 1].kind;

    if ((kind != KVST_JSON_OBJECT && kind != KVST_JSON_ARRAY) || t->nodes[key + 1].len ||
        kvst__tape_get(t, obj, t->strings + t->nodes[key].soff, t->nodes[key].len) != key + 1)
        return 0;
    return kvst__tape_repeats(t, key + 1, c->ar, unknown_value_repeat, c);
}

typedef struct map_key {
    const char *s;
    uint32_t len;
    uint32_t index;
} map_key;

/* By key bytes, then by place: a repeated key's occurrences sort
 * together, first one first. */
static int map_key_cmp(const void *a, const void *b)
{
    const map_key *x = (const map_key *)a, *y = (const map_key *)b;
    uint32_t n = x->len < y->len ? x->len : y->len;
    int d = n ? memcmp(x->s, y->s, n) : 0;

    if (d == 0 && x->len != y->len)
        d = x->len < y->len ? -1 : 1;
    if (d == 0)
        d = x->index < y->index ? -1 : x->index > y->index;
    return d;
}

/* A map (the tags) of object obj that repeats a key: one entry per key,
 * at its first place with its last value, and a finding per repeat, in
 * input order. Sorted, so that a map of any size costs n log n. 0 or
 * KVST_E_NOMEM. */
static int map_dedupe(map_ctx *c, uint32_t obj, kvst_value *v, kvst_str *keys, kvst_value *items)
{
    const kvst_tape *t = c->t;
    map_key *order;
    unsigned char *gone;
    size_t i, k, n = v->count;
    uint32_t key;

    if (n < 2)
        return 0;
    order = (map_key *)kvst__arena_alloc(c->ar, n * sizeof *order);
    gone = (unsigned char *)kvst__arena_zalloc(c->ar, n);
    if (!order || !gone)
        return KVST_E_NOMEM;
    for (i = 0; i < n; i++) {
        order[i].s = keys[i].ptr;
        order[i].len = (uint32_t)keys[i].len;
        order[i].index = (uint32_t)i;
    }
    qsort(order, n, sizeof *order, map_key_cmp);
    for (i = 0; i < n; i = k) {
        for (k = i + 1; k < n && order[k].len == order[i].len &&
                        memcmp(order[k].s, order[i].s, order[i].len) == 0;
             k++)
            gone[order[k].index] = 1;
        if (k > i + 1)
            items[order[i].index] = items[order[k - 1].index];
    }
    for (i = k = 0, key = obj + 1; i < n; i++, key = t->nodes[key + 1].next) {
        if (gone[i]) {
            size_t saved = path_push(c, keys[i].ptr, keys[i].len);
            int rc = duplicate_key(c, key);
            path_pop(c, saved);
            if (rc)
                return rc;
            continue;
        }
        keys[k] = keys[i];
        items[k++] = items[i];
    }
    v->count = k;
    return 0;
}

static int build_value(map_ctx *c, uint32_t node, const kvst_shape *shape, kvst_value *v)
{
    const kvst_tape *t = c->t;
    const kvst_node *n = &t->nodes[node];
    uint32_t kind = n->kind;
    int ok = 0;

    memset(v, 0, sizeof *v);
    v->json_type = kind;
    v->model_type = shape->type;
    if (kind != KVST_JSON_OBJECT && kind != KVST_JSON_ARRAY)
        v->text = node_text(t, node, c->ar);
    if (kind == KVST_JSON_NULL) {
        v->state = KVST_VALUE_NULL;
        return 0;
    }
    switch (shape->type) {
    case KVST_TYPE_STRING:
        ok = kind == KVST_JSON_STRING;
        break;
    case KVST_TYPE_INTEGER:
    case KVST_TYPE_LONG:
        ok = kind == KVST_JSON_INTEGER && parse_int64(v->text.ptr, v->text.len, &v->i);
        if (ok && shape->type == KVST_TYPE_INTEGER && (v->i < INT32_MIN || v->i > INT32_MAX))
            ok = 0;
        v->d = (double)v->i;
        break;
    case KVST_TYPE_BOOLEAN:
        ok = kind == KVST_JSON_BOOLEAN;
        v->i = ok && v->text.len == 4;
        break;
    case KVST_TYPE_DOUBLE:
        /* text is set for every scalar; the test says so to the analyzer */
        ok = (kind == KVST_JSON_INTEGER || kind == KVST_JSON_DOUBLE) &&
             v->text.ptr != NULL;
        if (ok)
            v->d = strtod(v->text.ptr, NULL);
        break;
    case KVST_TYPE_TIMESTAMP:
        if ((kind == KVST_JSON_INTEGER || kind == KVST_JSON_DOUBLE) &&
            v->text.ptr != NULL) {
            /* epoch seconds, as the AWS JSON protocol writes them; out of
             * range when no int64 of milliseconds holds it (|ms| >= 2^63,
             * or an overflow to infinity) */
            double ms;
            v->d = strtod(v->text.ptr, NULL);
            ms = v->d * 1000.0;
            ok = ms >= -9223372036854775808.0 && ms < 9223372036854775808.0;
            v->i = ok ? (int64_t)ms : 0;
        } else if (kind == KVST_JSON_STRING) {
            ok = kvst_validate_timestamp(v->text.ptr, v->text.len, &v->i) == 0 ||
                 parse_java_time(v->text.ptr, v->text.len, &v->i);
        }
        break;
    case KVST_TYPE_LIST:
        if (kind == KVST_JSON_ARRAY) {
            uint32_t i, k = 0;
            kvst_value *items;
            for (i = node + 1; i < n->next; i = t->nodes[i].next)
                v->count++;
            items = (kvst_value *)kvst__arena_alloc(c->ar, (v->count ? v->count : 1) * sizeof *items);
            if (!items)
                return KVST_E_NOMEM;
            for (i = node + 1; i < n->next; i = t->nodes[i].next, k++) {
                size_t saved = c->path_len;
                int rc;
                c->path_len = kvst__ptr_push_index(c->path, sizeof c->path, c->path_len, k);
                rc = build_value(c, i, shape->item, &items[k]);
                path_pop(c, saved);
                if (rc)
                    return rc;
            }
            v->items = items;
            ok = 1;
        }
        break;
    case KVST_TYPE_MAP:
        if (kind == KVST_JSON_OBJECT) {
            uint32_t i, k = 0;
            kvst_value *items;
            kvst_str *keys;
            for (i = node + 1; i < n->next; i = t->nodes[i + 1].next)
                v->count++;
            items = (kvst_value *)kvst__arena_alloc(c->ar, (v->count ? v->count : 1) * sizeof *items);
            keys = (kvst_str *)kvst__arena_alloc(c->ar, (v->count ? v->count : 1) * sizeof *keys);
            if (!items || !keys)
                return KVST_E_NOMEM;
            for (i = node + 1; i < n->next; i = t->nodes[i + 1].next, k++) {
                size_t saved;
                int rc;
                keys[k].ptr = t->strings + t->nodes[i].soff;
                keys[k].len = t->nodes[i].len;
                saved = path_push(c, keys[k].ptr, keys[k].len);
                rc = build_value(c, i + 1, shape->item, &items[k]);
                path_pop(c, saved);
                if (rc)
                    return rc;
            }
            v->items = items;
            v->keys = keys;
            if (map_dedupe(c, node, v, keys, items))
                return KVST_E_NOMEM;
            ok = 1;
        }
        break;
    case KVST_TYPE_STRUCTURE:
        if (kind == KVST_JSON_OBJECT) {
            void *obj;
            int rc = build_struct(c, node, shape, &obj);
            if (rc)
                return rc;
            v->object = obj;
            ok = 1;
        }
        break;
    default:
        break;
    }
    v->state = ok ? KVST_VALUE_OK : KVST_VALUE_MISTYPED;
    if (!ok && (kind == KVST_JSON_OBJECT || kind == KVST_JSON_ARRAY)) {
        /* kept as the text it was */
        v->text = node_text(t, node, c->ar);
        if (!v->text.ptr)
            return KVST_E_NOMEM;
    }
    return 0;
}

static int build_struct(map_ctx *c, uint32_t obj, const kvst_shape *shape, void **out)
{
    const kvst_tape *t = c->t;
    unsigned char *s = (unsigned char *)kvst__arena_zalloc(c->ar, shape->struct_size);
    uint32_t i, end = t->nodes[obj].next;
    uint64_t seen = 0; /* bit k: shape->members[k] was filled (the model's
                          largest shape has 12) */
    uint32_t unknown = 0, *reps = NULL, nreps = 0, r = 0;

    if (!s)
        return KVST_E_NOMEM;
    *(size_t *)s = shape->struct_size;
    for (i = obj + 1; i < end; i = t->nodes[i + 1].next) {
        const char *key = t->strings + t->nodes[i].soff;
        uint32_t klen = t->nodes[i].len;
        const kvst_member_def *m = kvst__member_find(shape, key, klen);
        size_t saved = path_push(c, key, klen);
        int rc = 0;

        if (m) {
            size_t k = (size_t)(m - shape->members);
            uint64_t bit = k < 64 ? (uint64_t)1 << k : 0;
            if (seen & bit)
                rc = duplicate_key(c, i);
            seen |= bit;
            if (!rc)
                rc = build_value(c, i + 1, m->shape, (kvst_value *)(s + m->offset));
        } else {
            /* Not in the model: each occurrence is KVST_F_MEMBER_UNKNOWN at
             * its own value, and a repeat is KVST_F_DUPLICATE_KEY first, as
             * a repeated member's is before its value's findings. The
             * object's repeats are looked for at its second unknown key
             * (the first cannot repeat an earlier one). */
            if (++unknown == 2)
                rc = kvst__object_repeats(t, obj, c->ar, &reps, &nreps);
            while (r < nreps && reps[r] < i)
                r++;
            if (!rc && r < nreps && reps[r] == i)
                rc = duplicate_key(c, i);
            if (!rc)
                rc = kvst__finding_at(c->sink, i + 1, KVST_F_MEMBER_UNKNOWN, c->path,
                                      "%s is not a member of %s in the KVS API model", c->path,
                                      shape->name);
            if (!rc)
                rc = unknown_value(c, obj, i);
        }
        path_pop(c, saved);
        if (rc)
            return rc;
    }
    *out = s;
    return 0;
}

static int map_payload(map_ctx *c, const char *key, size_t klen, const kvst_shape *shape,
                       const void **out, uint32_t *state)
{
    const kvst_tape *t = c->t;
    uint32_t node = kvst__tape_get(t, t->root, key, klen);
    size_t saved;
    int rc;

    *out = NULL;
    if (node == KVST_NO_NODE) {
        *state = KVST_VALUE_ABSENT;
        return 0;
    }
    if (t->nodes[node].kind == KVST_JSON_NULL) {
        *state = KVST_VALUE_NULL;
        return 0;
    }
    saved = path_push(c, key, klen);
    if (t->nodes[node].kind != KVST_JSON_OBJECT || !shape) {
        *state = KVST_VALUE_MISTYPED;
        rc = kvst__finding(c->sink, KVST_F_MEMBER_TYPE, c->path, "%s is not an object", c->path);
    } else {
        void *obj = NULL;
        *state = KVST_VALUE_OK;
        rc = build_struct(c, node, shape, &obj);
        *out = obj;
    }
    path_pop(c, saved);
    return rc;
}

int kvst__action_map(const kvst_tape *t, kvst_arena *ar, kvst_event *ev, kvst_finding_sink *sink)
{
    const kvst_operation_def *op;
    map_ctx c;
    int rc;

    ev->action = action_of_event(ev); /* (the envelope is filled first) */
    ev->access = kvst__access_of(ev->action, t);
    ev->request_state = ev->response_state = KVST_VALUE_ABSENT;
    if (ev->action == KVST_ACTION_NONE || ev->action >= kvst__operation_count)
        return 0;
    op = &kvst__operations[ev->action];
    c.t = t;
    c.ar = ar;
    c.sink = sink;
    c.path_len = 0;
    c.path[0] = '\0';
    rc = map_payload(&c, "requestParameters", 17, op->input, &ev->request, &ev->request_state);
    if (rc)
        return rc;
    return map_payload(&c, "responseElements", 16, op->output, &ev->response, &ev->response_state);
}
