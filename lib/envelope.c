/*
 * Stage 4a: the envelope. Fills the kvst_event's envelope fields and the
 * whole userIdentity from a record's tape, driven by tables (one per JSON
 * object of the envelope) rather than a branch per key.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

enum field_kind {
    F_STR,      /* kvst_str: a string (other scalars keep their JSON text) */
    F_BOOL,     /* int32_t KVST_BOOL_*: true/false or "true"/"false" */
    F_PTR,      /* pointer to a sub-struct allocated in the arena */
    F_INLINE,   /* a JSON object whose fields land in the same struct */
    F_VALUE,    /* kvst_value of the node (maps kept generic) */
    F_ANY,      /* kvst_value of a free-form member (additionalEventData):
                   any JSON value, as AWS writes some as strings */
    F_RESOURCES,/* the resources array */
    F_SKIP      /* known, read by another stage */
};

typedef struct struct_def struct_def;

typedef struct field_def {
    const char *name;
    uint32_t len;
    uint32_t kind;
    size_t offset;
    const struct_def *sub; /* F_PTR, F_INLINE */
} field_def;

struct struct_def {
    size_t size;           /* of the struct for F_PTR */
    uint32_t count;
    const field_def *fields;
};

#define FIELD(name, kind, type, member, sub) \
    { name, sizeof(name) - 1, kind, offsetof(type, member), sub }
#define DEF(type, fields) { sizeof(type), sizeof(fields) / sizeof((fields)[0]), fields }

static const field_def issuer_fields[] = {
    FIELD("type", F_STR, kvst_session_issuer, type, NULL),
    FIELD("principalId", F_STR, kvst_session_issuer, principal_id, NULL),
    FIELD("arn", F_STR, kvst_session_issuer, arn, NULL),
    FIELD("accountId", F_STR, kvst_session_issuer, account_id, NULL),
    FIELD("userName", F_STR, kvst_session_issuer, user_name, NULL),
};
static const struct_def issuer_def = DEF(kvst_session_issuer, issuer_fields);

static const field_def session_attr_fields[] = {
    FIELD("creationDate", F_STR, kvst_session_context, creation_date, NULL),
    FIELD("mfaAuthenticated", F_STR, kvst_session_context, mfa_authenticated, NULL),
};
static const struct_def session_attr_def = DEF(kvst_session_context, session_attr_fields);

static const field_def web_id_fields[] = {
    FIELD("federatedProvider", F_STR, kvst_session_context, web_id_federated_provider, NULL),
    FIELD("attributes", F_VALUE, kvst_session_context, web_id_attributes, NULL),
};
static const struct_def web_id_def = DEF(kvst_session_context, web_id_fields);

static const field_def session_fields[] = {
    FIELD("sessionIssuer", F_PTR, kvst_session_context, session_issuer, &issuer_def),
    FIELD("webIdFederationData", F_INLINE, kvst_session_context, session_issuer, &web_id_def),
    FIELD("attributes", F_INLINE, kvst_session_context, session_issuer, &session_attr_def),
    FIELD("sourceIdentity", F_STR, kvst_session_context, source_identity, NULL),
    FIELD("ec2RoleDelivery", F_STR, kvst_session_context, ec2_role_delivery, NULL),
    FIELD("assumedRoot", F_STR, kvst_session_context, assumed_root, NULL),
};
static const struct_def session_def = DEF(kvst_session_context, session_fields);

static const field_def on_behalf_fields[] = {
    FIELD("userId", F_STR, kvst_on_behalf_of, user_id, NULL),
    FIELD("identityStoreArn", F_STR, kvst_on_behalf_of, identity_store_arn, NULL),
};
static const struct_def on_behalf_def = DEF(kvst_on_behalf_of, on_behalf_fields);

static const field_def in_scope_fields[] = {
    FIELD("issuerType", F_STR, kvst_in_scope_of, issuer_type, NULL),
    FIELD("credentialsIssuedTo", F_STR, kvst_in_scope_of, credentials_issued_to, NULL),
    FIELD("sourceArn", F_STR, kvst_in_scope_of, source_arn, NULL),
    FIELD("sourceAccount", F_STR, kvst_in_scope_of, source_account, NULL),
};
static const struct_def in_scope_def = DEF(kvst_in_scope_of, in_scope_fields);

static const field_def identity_fields[] = {
    FIELD("type", F_STR, kvst_user_identity, type, NULL),
    FIELD("principalId", F_STR, kvst_user_identity, principal_id, NULL),
    FIELD("arn", F_STR, kvst_user_identity, arn, NULL),
    FIELD("accountId", F_STR, kvst_user_identity, account_id, NULL),
    FIELD("accessKeyId", F_STR, kvst_user_identity, access_key_id, NULL),
    FIELD("userName", F_STR, kvst_user_identity, user_name, NULL),
    FIELD("invokedBy", F_STR, kvst_user_identity, invoked_by, NULL),
    FIELD("credentialId", F_STR, kvst_user_identity, credential_id, NULL),
    FIELD("identityProvider", F_STR, kvst_user_identity, identity_provider, NULL),
    FIELD("sessionContext", F_PTR, kvst_user_identity, session_context, &session_def),
    FIELD("onBehalfOf", F_PTR, kvst_user_identity, on_behalf_of, &on_behalf_def),
    FIELD("inScopeOf", F_PTR, kvst_user_identity, in_scope_of, &in_scope_def),
};
static const struct_def identity_def = DEF(kvst_user_identity, identity_fields);

static const field_def tls_fields[] = {
    FIELD("tlsVersion", F_STR, kvst_tls_details, tls_version, NULL),
    FIELD("cipherSuite", F_STR, kvst_tls_details, cipher_suite, NULL),
    FIELD("clientProvidedHostHeader", F_STR, kvst_tls_details, client_provided_host_header, NULL),
};
static const struct_def tls_def = DEF(kvst_tls_details, tls_fields);

static const field_def addendum_fields[] = {
    FIELD("reason", F_STR, kvst_addendum, reason, NULL),
    FIELD("updatedFields", F_STR, kvst_addendum, updated_fields, NULL),
    FIELD("originalRequestID", F_STR, kvst_addendum, original_request_id, NULL),
    FIELD("originalEventID", F_STR, kvst_addendum, original_event_id, NULL),
};
static const struct_def addendum_def = DEF(kvst_addendum, addendum_fields);

static const field_def resource_fields[] = {
    FIELD("ARN", F_STR, kvst_resource, arn, NULL),
    FIELD("arn", F_STR, kvst_resource, arn, NULL),
    FIELD("accountId", F_STR, kvst_resource, account_id, NULL),
    FIELD("type", F_STR, kvst_resource, type, NULL),
};
static const struct_def resource_def = DEF(kvst_resource, resource_fields);

/* In the order CloudTrail writes them: field_find starts where the last
 * match was, so the usual record costs one comparison per key. Members
 * that other stages read from the tape are listed as F_SKIP so that they
 * are found at once too. */
static const field_def event_fields[] = {
    FIELD("eventVersion", F_STR, kvst_event, event_version, NULL),
    FIELD("userIdentity", F_PTR, kvst_event, user_identity, &identity_def),
    FIELD("eventTime", F_STR, kvst_event, event_time, NULL),
    FIELD("eventSource", F_STR, kvst_event, event_source, NULL),
    FIELD("eventName", F_STR, kvst_event, event_name, NULL),
    FIELD("awsRegion", F_STR, kvst_event, aws_region, NULL),
    FIELD("sourceIPAddress", F_STR, kvst_event, source_ip_address, NULL),
    FIELD("userAgent", F_STR, kvst_event, user_agent, NULL),
    FIELD("errorCode", F_STR, kvst_event, error_code, NULL),
    FIELD("errorMessage", F_STR, kvst_event, error_message, NULL),
    FIELD("requestParameters", F_SKIP, kvst_event, request, NULL),
    FIELD("responseElements", F_SKIP, kvst_event, response, NULL),
    FIELD("additionalEventData", F_ANY, kvst_event, additional_event_data, NULL),
    FIELD("requestID", F_STR, kvst_event, request_id, NULL),
    FIELD("eventID", F_STR, kvst_event, event_id, NULL),
    FIELD("readOnly", F_BOOL, kvst_event, read_only, NULL),
    FIELD("resources", F_RESOURCES, kvst_event, resources, NULL),
    FIELD("eventType", F_STR, kvst_event, event_type, NULL),
    FIELD("apiVersion", F_STR, kvst_event, api_version, NULL),
    FIELD("managementEvent", F_BOOL, kvst_event, management_event, NULL),
    FIELD("recipientAccountId", F_STR, kvst_event, recipient_account_id, NULL),
    FIELD("sharedEventID", F_STR, kvst_event, shared_event_id, NULL),
    FIELD("vpcEndpointId", F_STR, kvst_event, vpc_endpoint_id, NULL),
    FIELD("vpcEndpointAccountId", F_STR, kvst_event, vpc_endpoint_account_id, NULL),
    FIELD("eventCategory", F_STR, kvst_event, event_category, NULL),
    FIELD("tlsDetails", F_PTR, kvst_event, tls_details, &tls_def),
    FIELD("sessionCredentialFromConsole", F_BOOL, kvst_event, session_credential_from_console, NULL),
    FIELD("addendum", F_PTR, kvst_event, addendum, &addendum_def),
    FIELD("serviceEventDetails", F_ANY, kvst_event, service_event_details, NULL),
    FIELD("insightDetails", F_ANY, kvst_event, insight_details, NULL),
};
static const struct_def event_def = DEF(kvst_event, event_fields);

/* The path to the value being filled, as a stack of keys: turned into a
 * JSON pointer only when a finding needs one. */
typedef struct path_step {
    const char *s;
    size_t len;
    char num[24];
} path_step;

typedef struct fill_ctx {
    const kvst_tape *t;
    kvst_arena *ar;
    kvst_finding_sink *sink;
    path_step steps[8];
    size_t depth;
} fill_ctx;

/* Look key up from index *hint on (wrapping): keys usually come in the
 * table's order, so this is one comparison in the common case. */
static const field_def *field_find(const struct_def *def, const char *key, size_t len,
                                   uint32_t *hint)
{
    uint32_t i, n = def->count, k = *hint;

    for (i = 0; i < n; i++, k = k + 1 == n ? 0 : k + 1) {
        const field_def *f = &def->fields[k];
        if (f->len == len && kvst__same_bytes(f->name, key, len)) {
            *hint = k + 1 == n ? 0 : k + 1;
            return f;
        }
    }
    return NULL;
}

static void path_push(fill_ctx *c, const char *key, size_t len)
{
    if (c->depth < sizeof c->steps / sizeof c->steps[0]) {
        c->steps[c->depth].s = key;
        c->steps[c->depth].len = len;
    }
    c->depth++;
}

static void path_push_index(fill_ctx *c, uint32_t i)
{
    if (c->depth < sizeof c->steps / sizeof c->steps[0]) {
        path_step *st = &c->steps[c->depth];
        st->len = (size_t)snprintf(st->num, sizeof st->num, "%u", i);
        st->s = st->num;
    }
    c->depth++;
}

/* The JSON pointer of the value being filled. */
static void path_text(const fill_ctx *c, char *path, size_t cap)
{
    size_t n = 0, m, i;

    path[0] = '\0';
    for (i = 0; i < c->depth && i < sizeof c->steps / sizeof c->steps[0]; i++, n = m)
        if ((m = kvst__ptr_push(path, cap, n, c->steps[i].s, c->steps[i].len)) == n)
            break;
}

static int wrong_type(fill_ctx *c, const char *want, uint32_t got)
{
    static const char *const names[] = {
        "nothing", "null", "a boolean", "an integer", "a number", "a string", "an object", "an array"
    };
    char path[256];

    path_text(c, path, sizeof path);
    return kvst__finding(c->sink, KVST_F_FIELD_TYPE, path, "%s is %s, expected %s", path,
                         names[got < 8 ? got : 0], want);
}

/* A key seen before in the same object: the later one is filled over the
 * earlier (the last occurrence wins, as kvst__tape_get and lookups read
 * it), and a finding is placed at its key, node (each repeat at its
 * own: the pointer names the last). */
static int duplicate_key(fill_ctx *c, uint32_t node)
{
    char path[256];

    path_text(c, path, sizeof path);
    return kvst__finding_at(c->sink, node, KVST_F_DUPLICATE_KEY, path,
                            "%s is repeated in its object; the last one is read", path);
}

static int fill_struct(fill_ctx *c, uint32_t obj, const struct_def *def, unsigned char *out);

/* A repeat inside the value of a key no table knows (kvst__tape_repeats):
 * the same finding, at the repeat's key, its pointer from the root. */
static int unknown_value_repeat(void *ctx, uint32_t key)
{
    fill_ctx *c = (fill_ctx *)ctx;
    char ptr[256];

    if (!kvst__tape_pointer(c->t, key, ptr, sizeof ptr))
        return 0; /* not in the event (an EventBridge envelope's own) */
    return kvst__finding_at(c->sink, key, KVST_F_DUPLICATE_KEY, ptr,
                            "%s is repeated in its object; the last one is read", ptr);
}

/* The repeats inside the value of an unknown key (an object or an array,
 * on the tape): of its last occurrence only, which lookups read (an
 * earlier one's are no one's). */
static int unknown_value(fill_ctx *c, uint32_t obj, uint32_t key)
{
    const kvst_tape *t = c->t;
    uint32_t kind = t->nodes[key + 1].kind;

    if ((kind != KVST_JSON_OBJECT && kind != KVST_JSON_ARRAY) || t->nodes[key + 1].len ||
        kvst__tape_get(t, obj, t->strings + t->nodes[key].soff, t->nodes[key].len) != key + 1)
        return 0;
    return kvst__tape_repeats(t, key + 1, c->ar, unknown_value_repeat, c);
}

/* Forget what an inline object filled (its fields are strings and values). */
static void clear_inline(const struct_def *def, unsigned char *out)
{
    uint32_t i;

    for (i = 0; i < def->count; i++) {
        const field_def *f = &def->fields[i];
        if (f->kind == F_STR)
            memset(out + f->offset, 0, sizeof(kvst_str));
        else if (f->kind == F_VALUE)
            memset(out + f->offset, 0, sizeof(kvst_value));
    }
}

/* Members of a container kept as raw bytes only (a lazy node: the tape
 * has no count for it): the commas at its own depth, outside strings,
 * plus one unless it is empty. text is the container's valid JSON text. */
static size_t lazy_members(const char *text, size_t len)
{
    size_t i, commas = 0, depth = 0;
    int in_str = 0, any = 0;

    for (i = 0; i < len; i++) {
        char ch = text[i];

        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = 0;
            continue;
        }
        if (kvst__json_space(ch))
            continue;
        if (ch == '}' || ch == ']') {
            depth--;
            continue;
        }
        any |= depth == 1; /* a member or element begins inside */
        if (ch == '"')
            in_str = 1;
        else if (ch == '{' || ch == '[')
            depth++;
        else if (ch == ',' && depth == 1)
            commas++;
    }
    return any ? commas + 1 : 0;
}

static int fill_resources(fill_ctx *c, uint32_t arr, kvst_event *ev)
{
    const kvst_tape *t = c->t;
    uint32_t i, n = 0, k = 0;
    const kvst_resource **list;

    for (i = arr + 1; i < t->nodes[arr].next; i = t->nodes[i].next)
        n++;
    /* an array of pointers: sizeof *list is the pointer's size */
    list = (const kvst_resource **)kvst__arena_alloc(c->ar, (n ? n : 1) * sizeof *list); // NOLINT(bugprone-sizeof-expression)
    if (!list)
        return KVST_E_NOMEM;
    ev->resource_count = 0; /* a repeated "resources" key: the last one wins */
    for (i = arr + 1; i < t->nodes[arr].next; i = t->nodes[i].next, k++) {
        kvst_resource *r;
        int rc;

        if (t->nodes[i].kind != KVST_JSON_OBJECT) {
            /* not a resource: left out of the list, never silently */
            int rc;
            path_push_index(c, k);
            rc = t->nodes[i].kind == KVST_JSON_NULL ? 0 : wrong_type(c, "an object", t->nodes[i].kind);
            c->depth--;
            if (rc)
                return rc;
            continue;
        }
        r = (kvst_resource *)kvst__arena_zalloc(c->ar, sizeof *r);
        if (!r)
            return KVST_E_NOMEM;
        r->struct_size = sizeof *r;
        path_push_index(c, k);
        rc = fill_struct(c, i, &resource_def, (unsigned char *)r);
        c->depth--;
        if (rc)
            return rc;
        list[ev->resource_count++] = r;
    }
    ev->resources = list;
    return 0;
}

/* A string field's view of the string node n. */
static inline void str_view(kvst_str *s, const kvst_tape *t, const kvst_node *n)
{
    s->ptr = t->strings + n->soff;
    s->len = n->len;
}

static int fill_field(fill_ctx *c, const field_def *f, uint32_t v, unsigned char *out)
{
    const kvst_tape *t = c->t;
    const kvst_node *n = &t->nodes[v];
    int rc = 0;

    switch (f->kind) {
    case F_STR: {
        /* One type rule: only a string is a string. Anything else (a
         * number, a boolean, a container) is null with a finding, never
         * its text. Cleared first: a repeated key's last value counts. */
        kvst_str *s = (kvst_str *)(out + f->offset);
        s->ptr = NULL;
        s->len = 0;
        if (n->kind == KVST_JSON_NULL)
            break;
        if (n->kind != KVST_JSON_STRING)
            return wrong_type(c, "a string", n->kind);
        str_view(s, t, n);
        break;
    }
    case F_BOOL: {
        /* JSON true and false. The strings "true" and "false" keep their
         * meaning (the console verdict reads sessionCredentialFromConsole,
         * which some records write so) but are a finding, never silent;
         * anything else is absent with a finding. */
        int32_t *b = (int32_t *)(out + f->offset);
        const char *s = t->strings + n->soff;
        *b = KVST_BOOL_ABSENT;
        if (n->kind == KVST_JSON_NULL)
            break;
        if (n->kind == KVST_JSON_BOOLEAN) {
            *b = n->len == 4 ? KVST_BOOL_TRUE : KVST_BOOL_FALSE;
            break;
        }
        if (n->kind == KVST_JSON_STRING && n->len == 4 && memcmp(s, "true", 4) == 0)
            *b = KVST_BOOL_TRUE;
        else if (n->kind == KVST_JSON_STRING && n->len == 5 && memcmp(s, "false", 5) == 0)
            *b = KVST_BOOL_FALSE;
        rc = wrong_type(c, "true or false", n->kind);
        break;
    }
    case F_PTR: {
        unsigned char *sub;
        *(const void **)(out + f->offset) = NULL;
        if (n->kind == KVST_JSON_NULL)
            break;
        if (n->kind != KVST_JSON_OBJECT)
            return wrong_type(c, "an object", n->kind);
        sub = (unsigned char *)kvst__arena_zalloc(c->ar, f->sub->size);
        if (!sub)
            return KVST_E_NOMEM;
        *(size_t *)sub = f->sub->size; /* struct_size comes first */
        rc = fill_struct(c, v, f->sub, sub);
        *(const void **)(out + f->offset) = sub;
        break;
    }
    case F_INLINE:
        /* A repeated inline object: the last one's members only, as for
         * any other repeated key (the struct holds them, not the object). */
        clear_inline(f->sub, out);
        if (n->kind == KVST_JSON_OBJECT)
            rc = fill_struct(c, v, f->sub, out);
        else if (n->kind != KVST_JSON_NULL)
            rc = wrong_type(c, "an object", n->kind);
        break;
    case F_VALUE: {
        kvst_value *val = (kvst_value *)(out + f->offset);
        rc = kvst__tape_value(t, v, c->ar, val);
        break;
    }
    case F_ANY: {
        kvst_value *val = (kvst_value *)(out + f->offset);
        rc = kvst__tape_value(t, v, c->ar, val);
        if (!rc && n->len && (n->kind == KVST_JSON_OBJECT || n->kind == KVST_JSON_ARRAY))
            val->count = lazy_members(val->text.ptr, val->text.len);
        break;
    }
    case F_RESOURCES:
        ((kvst_event *)out)->resource_count = 0;
        ((kvst_event *)out)->resources = NULL;
        if (n->kind == KVST_JSON_ARRAY)
            rc = fill_resources(c, v, (kvst_event *)out);
        else if (n->kind != KVST_JSON_NULL)
            rc = wrong_type(c, "an array", n->kind);
        break;
    default:
        break;
    }
    return rc;
}

static int fill_struct(fill_ctx *c, uint32_t obj, const struct_def *def, unsigned char *out)
{
    const kvst_tape *t = c->t;
    uint32_t i, end = t->nodes[obj].next, hint = 0;
    uint64_t seen = 0; /* bit k: def->fields[k] was filled (at most 64 per table) */
    uint32_t unknown = 0, *reps = NULL, nreps = 0, r = 0;

    for (i = obj + 1; i < end; i = t->nodes[i + 1].next) {
        const kvst_node *k = &t->nodes[i];
        const field_def *f = field_find(def, t->strings + k->soff, k->len, &hint);
        uint64_t bit;
        int rc = 0;

        if (!f) {
            /* A key the table does not know: only lookups read it (the
             * last occurrence), but a repeat is reported all the same.
             * The object's repeats are looked for at its second unknown
             * key: the first cannot repeat an earlier one (a key equal to
             * it is unknown too), and most objects have none. */
            if (++unknown == 2 && (rc = kvst__object_repeats(t, obj, c->ar, &reps, &nreps)) != 0)
                return rc;
            while (r < nreps && reps[r] < i)
                r++;
            if (r < nreps && reps[r] == i) {
                path_push(c, t->strings + k->soff, k->len);
                rc = duplicate_key(c, i);
                c->depth--;
                if (rc)
                    return rc;
            }
            if ((rc = unknown_value(c, obj, i)) != 0)
                return rc;
            continue;
        }
        bit = (uint64_t)1 << (uint32_t)(f - def->fields);
        if (KVST_LIKELY(!(seen & bit))) {
            /* the common cases, which need no path: a string for a
             * string field (fill_field's F_STR), a member another stage
             * reads */
            const kvst_node *v = &t->nodes[i + 1];
            if (f->kind == F_STR && v->kind == KVST_JSON_STRING) {
                str_view((kvst_str *)(out + f->offset), t, v);
                seen |= bit;
                continue;
            }
            if (f->kind == F_SKIP) {
                seen |= bit;
                continue;
            }
        }
        path_push(c, t->strings + k->soff, k->len);
        if (seen & bit)
            rc = duplicate_key(c, i);
        seen |= bit;
        if (!rc && f->kind != F_SKIP)
            rc = fill_field(c, f, i + 1, out);
        c->depth--;
        if (rc)
            return rc;
    }
    return 0;
}

int kvst__envelope_build(const kvst_tape *t, kvst_arena *ar, kvst_event *ev,
                         kvst_finding_sink *sink)
{
    fill_ctx c;
    int32_t major = -1, minor = -1;
    int64_t ms = 0;

    c.t = t;
    c.ar = ar;
    c.sink = sink;
    c.depth = 0;
    ev->read_only = ev->management_event = ev->session_credential_from_console = KVST_BOOL_ABSENT;
    if (t->root >= t->count || t->nodes[t->root].kind != KVST_JSON_OBJECT)
        return 0;
    {
        int rc = fill_struct(&c, t->root, &event_def, (unsigned char *)ev);
        if (rc)
            return rc;
    }
    if (ev->event_version.ptr &&
        kvst_validate_event_version(ev->event_version.ptr, ev->event_version.len, &major, &minor) ==
            KVST_F_EVENT_VERSION_FORMAT)
        major = minor = -1;
    ev->event_version_major = major;
    ev->event_version_minor = minor;
    if (ev->event_time.ptr &&
        kvst_validate_timestamp(ev->event_time.ptr, ev->event_time.len, &ms) == 0) {
        ev->event_time_ms = ms;
        ev->event_time_valid = 1;
    }
    return 0;
}
