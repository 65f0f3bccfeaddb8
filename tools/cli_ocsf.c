/* kvstrail CLI: events as OCSF 1.8.0 (docs/ocsf.md). */
#include "cli_ocsf.h"

#include "cli_columns.h"
#include "cli_options.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

/*
 * The event is built as a tree first and written once: the mapping is
 * tables of (source, OCSF path), a value reaches its place by its dotted
 * path, and what the schema forbids (nulls, objects missing what the
 * schema requires of them) is settled on the tree before anything is
 * written. Strings are views into the event, its contract text or the
 * parse trees kept in struct ocsf, all alive until the line is written.
 */

enum node_kind { N_OBJECT, N_ARRAY, N_STRING, N_NUMBER, N_TRUE, N_FALSE };

struct node {
    const char *key;       /* member name; NULL for an array element */
    size_t key_len;
    enum node_kind kind;
    const char *text;      /* N_STRING; N_NUMBER as written (NULL: digits) */
    size_t len;
    char digits[24];       /* an N_NUMBER made here */
    struct node *kids;
    size_t count, cap;
};

#define OCSF_TREES 16 /* parse trees of raw record members, per event */

struct ocsf {
    struct node root;
    struct cli_row row;    /* the event's contract */
    yajl_val trees[OCSF_TREES];
    size_t tree_count;
    struct cli_buf text;   /* raw JSON copied to be NUL-terminated */
};

static void node_clear(struct node *n)
{
    size_t i;
    for (i = 0; i < n->count; i++)
        node_clear(&n->kids[i]);
    free(n->kids);
    n->kids = NULL;
    n->count = n->cap = 0;
}

static struct node *node_add(struct node *parent, const char *key, size_t len)
{
    struct node *n;
    if (parent->count == parent->cap) {
        parent->cap = parent->cap ? parent->cap * 2 : 4;
        parent->kids = cli_xrealloc(parent->kids,
                                    parent->cap * sizeof *parent->kids);
    }
    n = &parent->kids[parent->count++];
    memset(n, 0, sizeof *n);
    n->key = key;
    n->key_len = len;
    n->kind = N_OBJECT;
    return n;
}

static struct node *node_member(struct node *obj, const char *key, size_t len,
                                int make)
{
    size_t i;
    for (i = 0; i < obj->count; i++)
        if (obj->kids[i].key_len == len && memcmp(obj->kids[i].key, key, len) == 0)
            return &obj->kids[i];
    return make ? node_add(obj, key, len) : NULL;
}

/* The node at a dotted path, or NULL; make: made (as objects) where
 * missing. */
static struct node *node_at(struct node *root, const char *path, int make)
{
    struct node *n = root;
    for (;;) {
        size_t len = strcspn(path, ".");
        n = node_member(n, path, len, make);
        if (n == NULL || path[len] == '\0')
            return n;
        path += len + 1;
    }
}

/* Null, {} and [] (and objects of nothing else) are not written. */
static int has_content(const struct node *n)
{
    size_t i;
    if (n->kind != N_OBJECT && n->kind != N_ARRAY)
        return 1;
    for (i = 0; i < n->count; i++)
        if (has_content(&n->kids[i]))
            return 1;
    return 0;
}

static int is_set(struct node *root, const char *path)
{
    const struct node *n = node_at(root, path, 0);
    return n != NULL && has_content(n);
}

/* A new leaf at path, or NULL when something is there already: the first
 * source in a table that has a value wins. */
static struct node *leaf(struct node *root, const char *path)
{
    struct node *n;
    if (is_set(root, path))
        return NULL;
    n = node_at(root, path, 1);
    node_clear(n);
    return n;
}

static void set_text(struct node *root, const char *path, const char *s,
                     size_t len)
{
    struct node *n;
    if (s == NULL || len == 0 || (n = leaf(root, path)) == NULL)
        return;
    n->kind = N_STRING;
    n->text = s;
    n->len = len;
}

static void set_str(struct node *root, const char *path, const char *s)
{
    set_text(root, path, s, s != NULL ? strlen(s) : 0);
}

static void set_int(struct node *root, const char *path, long long v)
{
    struct node *n = leaf(root, path);
    if (n == NULL)
        return;
    n->kind = N_NUMBER;
    snprintf(n->digits, sizeof n->digits, "%lld", v);
}

static void set_bool(struct node *root, const char *path, int v)
{
    struct node *n = leaf(root, path);
    if (n != NULL)
        n->kind = v ? N_TRUE : N_FALSE;
}

/* Take the node at from out of the tree and put it at to (when nothing
 * is there yet; else it is dropped). */
static void node_move(struct node *root, const char *from, const char *to)
{
    struct node *parent = root, *n = NULL, taken;
    const char *p = from;
    size_t i;
    for (;;) {
        size_t len = strcspn(p, ".");
        n = node_member(parent, p, len, 0);
        if (n == NULL)
            return;
        if (p[len] == '\0')
            break;
        parent = n;
        p += len + 1;
    }
    taken = *n;
    i = (size_t)(n - parent->kids);
    memmove(&parent->kids[i], &parent->kids[i + 1],
            (parent->count - i - 1) * sizeof *n);
    parent->count--;
    if (to != NULL && has_content(&taken) && !is_set(root, to)) {
        const char *dot = strrchr(to, '.');
        n = node_at(root, to, 1);
        node_clear(n);
        taken.key = dot != NULL ? dot + 1 : to;
        taken.key_len = strlen(taken.key);
        *n = taken;
    } else {
        node_clear(&taken);
    }
}

/* A parsed JSON value into n (null stays an empty object: not written). */
static void node_from_json(struct node *n, yajl_val v)
{
    size_t i;
    if (YAJL_IS_STRING(v)) {
        n->kind = N_STRING;
        n->text = YAJL_GET_STRING(v);
        n->len = strlen(n->text);
    } else if (YAJL_IS_NUMBER(v)) {
        n->kind = N_NUMBER;
        n->text = YAJL_GET_NUMBER(v);
    } else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
        n->kind = YAJL_IS_TRUE(v) ? N_TRUE : N_FALSE;
    } else if (YAJL_IS_OBJECT(v)) {
        for (i = 0; i < v->u.object.len; i++) {
            const char *k = v->u.object.keys[i];
            node_from_json(node_member(n, k, strlen(k), 1),
                           v->u.object.values[i]);
        }
    } else if (YAJL_IS_ARRAY(v)) {
        n->kind = N_ARRAY;
        for (i = 0; i < v->u.array.len; i++)
            node_from_json(node_add(n, NULL, 0), v->u.array.values[i]);
    }
}

/* A value of the record, by JSON pointer, put at path (as it is: strings,
 * numbers as written, objects and arrays parsed). */
static void set_lookup(struct ocsf *o, const kvst_event *ev,
                       const char *pointer, const char *path)
{
    kvst_value v;
    struct node *n;
    yajl_val tree;
    if (kvst_event_lookup(ev, pointer, &v) != 0 || v.text.ptr == NULL ||
        is_set(&o->root, path))
        return;
    switch (v.json_type) {
    case KVST_JSON_STRING:
        set_text(&o->root, path, v.text.ptr, v.text.len);
        return;
    case KVST_JSON_BOOLEAN:
        set_bool(&o->root, path, v.text.len > 0 && v.text.ptr[0] == 't');
        return;
    case KVST_JSON_INTEGER:
    case KVST_JSON_DOUBLE:
        if ((n = leaf(&o->root, path)) != NULL) {
            n->kind = N_NUMBER;
            n->text = v.text.ptr;
            n->len = v.text.len;
        }
        return;
    case KVST_JSON_OBJECT:
    case KVST_JSON_ARRAY:
        if (o->tree_count == OCSF_TREES)
            return;
        o->text.len = 0;
        cli_buf_add(&o->text, v.text.ptr, v.text.len);
        o->text.data[o->text.len] = '\0';
        tree = yajl_tree_parse(o->text.data, NULL, 0);
        if (tree == NULL)
            return;
        o->trees[o->tree_count++] = tree;
        if ((n = leaf(&o->root, path)) != NULL)
            node_from_json(n, tree);
        return;
    default:
        return;
    }
}

/* ---- The mapping tables -------------------------------------------- */

enum source { FROM_EVENT, FROM_IDENTITY, FROM_USER, FROM_SESSION };

enum conv {
    AS_TEXT,     /* a string as it is */
    AS_BOOL,     /* "true" / "false" as CloudTrail writes them */
    AS_TIME,     /* RFC 3339 text to epoch milliseconds */
    AS_ENDPOINT, /* an address to <path>.ip, anything else to <path>.domain */
};

/* Strings of the C event, where they go. */
static const struct {
    enum source from;
    enum conv conv;
    size_t offset;
    const char *path;
} strings[] = {
    { FROM_EVENT, AS_TEXT, offsetof(kvst_event, event_name), "api.operation" },
    { FROM_EVENT, AS_TEXT, offsetof(kvst_event, event_source),
      "api.service.name" },
    { FROM_EVENT, AS_TEXT, offsetof(kvst_event, api_version), "api.version" },
    { FROM_EVENT, AS_TEXT, offsetof(kvst_event, request_id),
      "api.request.uid" },
    { FROM_EVENT, AS_TEXT, offsetof(kvst_event, error_code),
      "api.response.error" },
    { FROM_EVENT, AS_TEXT, offsetof(kvst_event, error_message),
      "api.response.error_message" },
    { FROM_EVENT, AS_ENDPOINT, offsetof(kvst_event, source_ip_address),
      "src_endpoint" },
    { FROM_EVENT, AS_TEXT, offsetof(kvst_event, user_agent),
      "http_request.user_agent" },
    { FROM_EVENT, AS_TEXT, offsetof(kvst_event, aws_region), "cloud.region" },
    { FROM_EVENT, AS_TEXT, offsetof(kvst_event, recipient_account_id),
      "cloud.account.uid" },
    { FROM_EVENT, AS_TEXT, offsetof(kvst_event, event_id), "metadata.uid" },
    { FROM_EVENT, AS_TEXT, offsetof(kvst_event, event_time),
      "metadata.original_time" },
    /* The identity verdict (the contract's identity members). */
    { FROM_IDENTITY, AS_TEXT, offsetof(kvst_identity_info, arn),
      "actor.user.uid" },
    { FROM_IDENTITY, AS_TEXT, offsetof(kvst_identity_info, type),
      "actor.user.type" },
    { FROM_IDENTITY, AS_TEXT, offsetof(kvst_identity_info, user_name),
      "actor.user.name" },
    { FROM_IDENTITY, AS_TEXT, offsetof(kvst_identity_info, account_id),
      "actor.user.account.uid" },
    { FROM_IDENTITY, AS_TEXT, offsetof(kvst_identity_info, invoked_by),
      "actor.app_name" },
    { FROM_IDENTITY, AS_TEXT, offsetof(kvst_identity_info, issuer_arn),
      "actor.session.issuer" },
    /* userIdentity members the verdict does not carry. */
    { FROM_USER, AS_TEXT, offsetof(kvst_user_identity, principal_id),
      "actor.user.uid_alt" },
    { FROM_USER, AS_TEXT, offsetof(kvst_user_identity, identity_provider),
      "actor.idp.name" },
    { FROM_SESSION, AS_TEXT,
      offsetof(kvst_session_context, web_id_federated_provider), "actor.idp.name" },
    { FROM_SESSION, AS_BOOL, offsetof(kvst_session_context, mfa_authenticated),
      "actor.session.is_mfa" },
    { FROM_SESSION, AS_TIME, offsetof(kvst_session_context, creation_date),
      "actor.session.created_time" },
};

/* The request and response of other services, which the contract has
 * as null (it types KVS payloads only): the API's data as recorded. */
static const struct {
    const char *pointer;
    const char *path;
} record_members[] = {
    { "/requestParameters", "api.request.data" },
    { "/responseElements", "api.response.data" },
};

/* The whole contract goes under unmapped first; then what is mapped
 * moves to its place (the typed KVS request and response) or leaves
 * (what the tables above wrote from the C event already). */
static const struct {
    const char *from;
    const char *to; /* NULL: dropped */
} contract_moves[] = {
    { "unmapped.request", "api.request.data" },
    { "unmapped.response", "api.response.data" },
    { "unmapped.eventTime", NULL },          /* time, metadata.original_time */
    { "unmapped.eventSource", NULL },        /* api.service.name */
    { "unmapped.eventName", NULL },          /* api.operation */
    { "unmapped.awsRegion", NULL },          /* cloud.region */
    { "unmapped.sourceIPAddress", NULL },    /* src_endpoint */
    { "unmapped.userAgent", NULL },          /* http_request.user_agent */
    { "unmapped.requestID", NULL },          /* api.request.uid */
    { "unmapped.eventID", NULL },            /* metadata.uid */
    { "unmapped.recipientAccountId", NULL }, /* cloud.account.uid */
    { "unmapped.errorCode", NULL },          /* api.response.error */
    { "unmapped.errorMessage", NULL },       /* api.response.error_message */
    { "unmapped.outcome", NULL },            /* status_id */
    { "unmapped.identity.type", NULL },      /* actor.user.type */
    { "unmapped.identity.arn", NULL },       /* actor.user.uid */
    { "unmapped.identity.accountId", NULL }, /* actor.user.account.uid */
    { "unmapped.identity.userName", NULL },  /* actor.user.name */
    { "unmapped.identity.invokedBy", NULL }, /* actor.app_name */
    { "unmapped.identity.sessionIssuer.arn", NULL }, /* actor.session.issuer */
    { "unmapped.identity.issuerArn", NULL },         /* actor.session.issuer */
    { "unmapped.identity.principalId", NULL },       /* actor.user.uid_alt */
    { "unmapped.identity.accessKeyId", NULL }, /* programmatic_credentials */
    { "unmapped.apiVersion", NULL },                 /* api.version */
    { "unmapped.resources", NULL },                  /* resources */
    /* The record's userIdentity: what the verdict did not already give. */
    { "unmapped.userIdentity.type", NULL },
    { "unmapped.userIdentity.principalId", NULL },
    { "unmapped.userIdentity.arn", NULL },
    { "unmapped.userIdentity.accountId", NULL },
    { "unmapped.userIdentity.accessKeyId", NULL },
    { "unmapped.userIdentity.userName", NULL },
    { "unmapped.userIdentity.invokedBy", NULL },
    { "unmapped.userIdentity.identityProvider", NULL }, /* actor.idp.name */
    { "unmapped.userIdentity.sessionContext.sessionIssuer.arn", NULL },
    { "unmapped.userIdentity.sessionContext.attributes.creationDate", NULL },
    { "unmapped.userIdentity.sessionContext.attributes.mfaAuthenticated", NULL },
};

/* activity_id from the verb of an eventName: the word it starts with. */
static const struct {
    const char *verb;
    uint32_t activity;
} verbs[] = {
    { "Create", 1 }, { "Describe", 2 }, { "Get", 2 }, { "List", 2 },
    { "Lookup", 2 }, { "Update", 3 }, { "Modify", 3 }, { "Put", 3 },
    { "Delete", 4 },
};

/* activity_id of a KVS call from its access kind (Create* is 1 first). */
static const uint32_t access_activity[] = {
    [KVST_ACCESS_NONE] = 99,        [KVST_ACCESS_MEDIA_READ] = 2,
    [KVST_ACCESS_MEDIA_WRITE] = 3,  [KVST_ACCESS_SIGNALING] = 99,
    [KVST_ACCESS_CONFIG_READ] = 2,  [KVST_ACCESS_CONFIG_WRITE] = 3,
    [KVST_ACCESS_DELETE] = 4,
};

static const char *activity_caption(uint32_t id)
{
    static const char *const captions[] = {
        "Unknown", "Create", "Read", "Update", "Delete",
    };
    return id < sizeof captions / sizeof captions[0] ? captions[id] : "Other";
}

/* user.type_id of each principal kind (0 Unknown, 1 User, 2 Admin,
 * 4 Service, 99 Other: user.type then says which). */
static const uint32_t principal_user_type[] = {
    [KVST_PRINCIPAL_UNKNOWN] = 0,           [KVST_PRINCIPAL_ROOT] = 2,
    [KVST_PRINCIPAL_IAM_USER] = 1,          [KVST_PRINCIPAL_ASSUMED_ROLE] = 99,
    [KVST_PRINCIPAL_ROLE] = 99,             [KVST_PRINCIPAL_FEDERATED_USER] = 1,
    [KVST_PRINCIPAL_AWS_SERVICE] = 4,       [KVST_PRINCIPAL_AWS_ACCOUNT] = 99,
    [KVST_PRINCIPAL_IDENTITY_CENTER_USER] = 1, [KVST_PRINCIPAL_SAML_USER] = 1,
    [KVST_PRINCIPAL_WEB_IDENTITY_USER] = 1, [KVST_PRINCIPAL_DIRECTORY] = 99,
};

/* severity_id of the worst finding's KVST_SEVERITY_* (none: 1). */
static const struct {
    uint32_t id;
    const char *caption;
} severities[] = {
    { 1, "Informational" }, /* no finding */
    { 1, "Informational" }, /* KVST_SEVERITY_INFO */
    { 2, "Low" },           /* KVST_SEVERITY_WARNING */
    { 3, "Medium" },        /* KVST_SEVERITY_ERROR */
};

/* status_id of each KVST_OUTCOME_*. */
static const struct {
    uint32_t id;
    const char *caption;
} statuses[] = {
    { 0, "Unknown" }, { 1, "Success" }, { 2, "Failure" },
};

/* The KVS resource a call names, first found first: its ARN. */
static const char *const resource_arns[] = {
    "/requestParameters/streamARN", "/requestParameters/StreamARN",
    "/requestParameters/ChannelARN", "/requestParameters/channelARN",
    "/requestParameters/ResourceARN", "/responseElements/streamARN",
    "/responseElements/StreamARN", "/responseElements/ChannelARN",
};

/* ... or, without an ARN, its name. */
static const struct {
    const char *pointer;
    const char *type;
} resource_names[] = {
    { "/requestParameters/streamName", "AWS::KinesisVideo::Stream" },
    { "/requestParameters/StreamName", "AWS::KinesisVideo::Stream" },
    { "/requestParameters/ChannelName", "AWS::KinesisVideo::SignalingChannel" },
};

/* The CloudFormation type of a KVS ARN's resource type. */
static const struct {
    const char *arn_type;
    const char *type;
} resource_types[] = {
    { "stream", "AWS::KinesisVideo::Stream" },
    { "channel", "AWS::KinesisVideo::SignalingChannel" },
};

/* What API Activity needs that a record may lack: each object, the
 * attributes of which the schema wants one, where the object goes when
 * it has none, and what a Base Event's message then says (NULL: the
 * event stays an API Activity without it). */
static const struct {
    const char *path;
    const char *any_of[4];
    const char *move_to;
    const char *missing;
} needs[] = {
    { "actor.user", { "uid", "name", "account", NULL }, "unmapped.user", NULL },
    { "actor", { "user", "session", "app_name", NULL }, "unmapped.actor",
      "no userIdentity that names who made the call" },
    { "api", { "operation", NULL }, "unmapped.api", "no eventName" },
    { "src_endpoint", { "ip", "domain", NULL }, "unmapped.src_endpoint",
      "no sourceIPAddress" },
};

/* The attributes only API Activity has: a Base Event keeps them under
 * unmapped. */
static const struct {
    const char *from;
    const char *to;
} api_activity_only[] = {
    { "actor", "unmapped.actor" },
    { "src_endpoint", "unmapped.src_endpoint" },
    { "http_request", "unmapped.http_request" },
    { "resources", "unmapped.resources" },
};

/* type_name: the class caption and the activity's (type_names[0] for a
 * Base Event, which is always Other). */
static const char *const type_names[] = {
    "Base Event: Other", "API Activity: Create", "API Activity: Read",
    "API Activity: Update", "API Activity: Delete", "API Activity: Other",
};

/* The order of the top-level attributes in the line. */
static const char *const top_order[] = {
    "class_uid", "class_name", "category_uid", "category_name", "activity_id",
    "activity_name", "type_uid", "type_name", "severity_id", "severity",
    "status_id", "status", "time", "message", "metadata", "actor", "api",
    "src_endpoint", "http_request", "cloud", "resources", "unmapped",
};

/* ---- Building ------------------------------------------------------ */

static const void *source_of(const kvst_event *ev, enum source from)
{
    const kvst_user_identity *u = ev->user_identity;
    switch (from) {
    case FROM_EVENT:
        return ev;
    case FROM_IDENTITY:
        return ev->identity;
    case FROM_USER:
        return u;
    case FROM_SESSION:
        return u != NULL ? u->session_context : NULL;
    }
    return NULL;
}

static void map_string(struct node *root, const char *path, enum conv conv,
                       kvst_str s)
{
    char text[64];
    struct in6_addr addr;
    int64_t ms;
    if (s.ptr == NULL || s.len == 0)
        return;
    switch (conv) {
    case AS_TEXT:
        set_text(root, path, s.ptr, s.len);
        return;
    case AS_BOOL:
        if (s.len == 4 && memcmp(s.ptr, "true", 4) == 0)
            set_bool(root, path, 1);
        else if (s.len == 5 && memcmp(s.ptr, "false", 5) == 0)
            set_bool(root, path, 0);
        return;
    case AS_TIME:
    case AS_ENDPOINT:
        break;
    }
    /* Text longer than any time or address is neither. */
    if (s.len < sizeof text) {
        memcpy(text, s.ptr, s.len);
        text[s.len] = '\0';
    } else {
        text[0] = '\0';
    }
    if (conv == AS_TIME) {
        if (cli_time_parse(text, 0, &ms))
            set_int(root, path, (long long)ms);
        return;
    }
    set_text(node_at(root, path, 1),
             inet_pton(AF_INET, text, &addr) == 1 ||
                     inet_pton(AF_INET6, text, &addr) == 1
                 ? "ip" : "domain",
             s.ptr, s.len);
}

static void map_strings(struct node *root, const kvst_event *ev)
{
    size_t i;
    for (i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        const char *base = source_of(ev, strings[i].from);
        kvst_str s;
        if (base == NULL)
            continue;
        memcpy(&s, base + strings[i].offset, sizeof s);
        map_string(root, strings[i].path, strings[i].conv, s);
    }
}

static void set_account(struct node *account)
{
    if (!is_set(account, "uid"))
        return;
    set_int(account, "type_id", 10);
    set_str(account, "type", "AWS Account");
}

static void map_identity(struct node *root, const kvst_event *ev)
{
    const kvst_identity_info *id = ev->identity;
    const kvst_user_identity *u = ev->user_identity;
    struct node *user = node_at(root, "actor.user", 1), *cred;
    if (u != NULL && u->access_key_id.len > 0) {
        cred = node_at(user, "programmatic_credentials", 1);
        cred->kind = N_ARRAY;
        cred = node_add(cred, NULL, 0);
        set_text(cred, "uid", u->access_key_id.ptr, u->access_key_id.len);
        if (id != NULL)
            set_str(cred, "type", kvst_credential_name(id->credential));
    }
    user = node_at(root, "actor.user", 1);
    if (id != NULL && id->principal < sizeof principal_user_type /
                                          sizeof principal_user_type[0] &&
        (is_set(user, "uid") || is_set(user, "name") ||
         is_set(user, "account")))
        set_int(user, "type_id", principal_user_type[id->principal]);
    set_account(node_at(root, "actor.user.account", 1));
    set_account(node_at(root, "cloud.account", 1));
}

static int same_uid(const struct node *list, const char *s, size_t len)
{
    size_t i, k;
    for (i = 0; i < list->count; i++)
        for (k = 0; k < list->kids[i].count; k++) {
            const struct node *m = &list->kids[i].kids[k];
            if (m->key_len == 3 && memcmp(m->key, "uid", 3) == 0 &&
                m->len == len && memcmp(m->text, s, len) == 0)
                return 1;
        }
    return 0;
}

/* A resource by its ARN (once): the type the record gives, else the
 * one of a KVS ARN; name and region from the ARN. NULL when the ARN is
 * there already or empty. */
static struct node *add_arn_resource(struct node *list, kvst_str s,
                                     kvst_str type)
{
    kvst_arn arn;
    struct node *r;
    size_t i;
    if (s.ptr == NULL || s.len == 0 || same_uid(list, s.ptr, s.len))
        return NULL;
    r = node_add(list, NULL, 0);
    set_text(r, "uid", s.ptr, s.len);
    set_text(r, "type", type.ptr, type.len);
    if (kvst_arn_parse(s.ptr, s.len, &arn) != 0)
        return r;
    set_text(r, "name", arn.name.ptr, arn.name.len);
    set_text(r, "region", arn.region.ptr, arn.region.len);
    for (i = 0; i < sizeof resource_types / sizeof resource_types[0]; i++)
        if (strlen(resource_types[i].arn_type) == arn.resource_type.len &&
            memcmp(resource_types[i].arn_type, arn.resource_type.ptr,
                   arn.resource_type.len) == 0)
            set_str(r, "type", resource_types[i].type);
    return r;
}

/* The record's resources, then the KVS stream or channel of the call. */
static void map_resources(struct node *root, const kvst_event *ev)
{
    static const kvst_str none = { NULL, 0 };
    struct node *list = node_at(root, "resources", 1), *r;
    kvst_value v;
    size_t i;
    list->kind = N_ARRAY;
    for (i = 0; i < ev->resource_count; i++) {
        const kvst_resource *res = ev->resources[i];
        if ((r = add_arn_resource(list, res->arn, res->type)) == NULL)
            continue;
        set_text(r, "owner.account.uid", res->account_id.ptr,
                 res->account_id.len);
        set_account(node_at(r, "owner.account", 1));
    }
    if (ev->access == KVST_ACCESS_NONE)
        return;
    for (i = 0; i < sizeof resource_arns / sizeof resource_arns[0]; i++)
        if (kvst_event_lookup(ev, resource_arns[i], &v) == 0 &&
            v.json_type == KVST_JSON_STRING && v.text.len > 0) {
            add_arn_resource(list, v.text, none);
            return;
        }
    for (i = 0; i < sizeof resource_names / sizeof resource_names[0]; i++)
        if (kvst_event_lookup(ev, resource_names[i].pointer, &v) == 0 &&
            v.json_type == KVST_JSON_STRING && v.text.len > 0) {
            r = node_add(list, NULL, 0);
            set_text(r, "name", v.text.ptr, v.text.len);
            set_str(r, "type", resource_names[i].type);
            return;
        }
}

static uint32_t activity_of(const kvst_event *ev)
{
    const char *name = ev->event_name.ptr;
    size_t len = ev->event_name.len, i, n;
    for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        n = strlen(verbs[i].verb);
        /* A KVS call goes by its access kind, but for Create*. */
        if (ev->access != KVST_ACCESS_NONE && verbs[i].activity != 1)
            continue;
        if (len >= n && memcmp(name, verbs[i].verb, n) == 0 &&
            (len == n || (name[n] >= 'A' && name[n] <= 'Z')))
            return verbs[i].activity;
    }
    if (ev->access != KVST_ACCESS_NONE &&
        ev->access < sizeof access_activity / sizeof access_activity[0])
        return access_activity[ev->access];
    return 99;
}

/* Objects missing what the schema wants of them go under unmapped; a
 * missing actor, api or source makes a Base Event, and why says what was
 * missing. */
static int settle_needs(struct node *root, struct cli_buf *why)
{
    size_t i, k;
    int api_activity = 1;
    for (i = 0; i < sizeof needs / sizeof needs[0]; i++) {
        struct node *obj = node_at(root, needs[i].path, 0);
        int found = 0;
        for (k = 0; obj != NULL && needs[i].any_of[k] != NULL && !found; k++)
            found = is_set(obj, needs[i].any_of[k]);
        if (found)
            continue;
        node_move(root, needs[i].path, needs[i].move_to);
        if (needs[i].missing == NULL)
            continue;
        cli_buf_adds(why, api_activity ? "not an API Activity: the record has "
                                       : ", ");
        cli_buf_adds(why, needs[i].missing);
        api_activity = 0;
    }
    return api_activity;
}

static void classify(struct node *root, const kvst_event *ev, int api_activity,
                     struct cli_buf *why)
{
    uint32_t worst = 0, activity = api_activity ? activity_of(ev) : 99;
    uint32_t outcome = ev->outcome < 3 ? ev->outcome : 0;
    size_t i;

    set_int(root, "class_uid", api_activity ? 6003 : 0);
    set_str(root, "class_name", api_activity ? "API Activity" : "Base Event");
    set_int(root, "category_uid", api_activity ? 6 : 0);
    set_str(root, "category_name",
            api_activity ? "Application Activity" : "Uncategorized");
    set_int(root, "activity_id", activity);
    /* An Other's name says which, as OCSF asks of every Other (99). */
    if (activity == 99)
        set_text(root, "activity_name", ev->event_name.ptr, ev->event_name.len);
    set_str(root, "activity_name", activity_caption(activity));
    set_int(root, "type_uid", (api_activity ? 600300 : 0) + (long long)activity);
    set_str(root, "type_name",
            !api_activity ? type_names[0]
                          : type_names[activity <= 4 ? activity : 5]);
    for (i = 0; i < ev->finding_count; i++)
        if (ev->findings[i]->severity > worst && ev->findings[i]->severity <= 3)
            worst = ev->findings[i]->severity;
    set_int(root, "severity_id", severities[worst].id);
    set_str(root, "severity", severities[worst].caption);
    set_int(root, "status_id", statuses[outcome].id);
    set_str(root, "status", statuses[outcome].caption);
    if (ev->event_time_valid) {
        set_int(root, "time", (long long)ev->event_time_ms);
    } else {
        /* OCSF has no event without a time; 0 is said to be no time. */
        cli_buf_adds(why, why->len > 0 ? "; " : "");
        cli_buf_adds(why, "eventTime is missing or unreadable: time is 0 "
                          "(metadata.original_time has it as written)");
        set_int(root, "time", 0);
    }
    set_text(root, "message", why->data, why->len);
    if (!api_activity)
        for (i = 0; i < sizeof api_activity_only / sizeof api_activity_only[0];
             i++)
            node_move(root, api_activity_only[i].from, api_activity_only[i].to);
}

static void set_metadata(struct node *root)
{
    struct node *profiles;
    set_str(root, "metadata.version", CLI_OCSF_VERSION);
    set_str(root, "metadata.product.name", "kvstrail");
    set_str(root, "metadata.product.vendor_name", "kvstrail");
    set_str(root, "metadata.product.version", kvst_version_string());
    /* cloud and api are the Cloud profile's. */
    profiles = node_at(root, "metadata.profiles", 1);
    profiles->kind = N_ARRAY;
    profiles = node_add(profiles, NULL, 0);
    profiles->kind = N_STRING;
    profiles->text = "cloud";
    profiles->len = 5;
    set_str(root, "cloud.provider", "AWS");
}

/* ---- Writing ------------------------------------------------------- */

/* Drop what has no content (null, {}, [] and objects of nothing else),
 * once, bottom up, so that writing need not look ahead. Returns whether
 * n itself has content. */
static int prune(struct node *n)
{
    size_t i, kept = 0;
    if (n->kind != N_OBJECT && n->kind != N_ARRAY)
        return 1;
    for (i = 0; i < n->count; i++) {
        if (prune(&n->kids[i]))
            n->kids[kept++] = n->kids[i];
        else
            node_clear(&n->kids[i]);
    }
    n->count = kept;
    return kept > 0;
}

static void emit(const struct node *n, struct cli_buf *out);

static void emit_member(const struct node *m, int *first, struct cli_buf *out)
{
    if (!*first)
        cli_buf_addc(out, ',');
    *first = 0;
    if (m->key != NULL) {
        cli_buf_json_str(out, m->key, m->key_len);
        cli_buf_addc(out, ':');
    }
    emit(m, out);
}

static void emit(const struct node *n, struct cli_buf *out)
{
    size_t i;
    int first = 1;
    switch (n->kind) {
    case N_STRING:
        cli_buf_json_str(out, n->text, n->len);
        return;
    case N_NUMBER:
        if (n->text != NULL)
            cli_buf_add(out, n->text, n->len > 0 ? n->len : strlen(n->text));
        else
            cli_buf_adds(out, n->digits);
        return;
    case N_TRUE:
        cli_buf_adds(out, "true");
        return;
    case N_FALSE:
        cli_buf_adds(out, "false");
        return;
    case N_ARRAY:
        cli_buf_addc(out, '[');
        for (i = 0; i < n->count; i++)
            emit_member(&n->kids[i], &first, out);
        cli_buf_addc(out, ']');
        return;
    case N_OBJECT:
        break;
    }
    cli_buf_addc(out, '{');
    for (i = 0; i < n->count; i++)
        emit_member(&n->kids[i], &first, out);
    cli_buf_addc(out, '}');
}

/* The top level (pruned) in top_order, then anything else. */
static void emit_top(const struct node *root, struct cli_buf *out)
{
    size_t i, k;
    int first = 1;
    cli_buf_addc(out, '{');
    for (k = 0; k < sizeof top_order / sizeof top_order[0]; k++) {
        const struct node *m = node_member((struct node *)root, top_order[k],
                                           strlen(top_order[k]), 0);
        if (m != NULL)
            emit_member(m, &first, out);
    }
    for (i = 0; i < root->count; i++) {
        for (k = 0; k < sizeof top_order / sizeof top_order[0]; k++)
            if (strlen(top_order[k]) == root->kids[i].key_len &&
                memcmp(top_order[k], root->kids[i].key, root->kids[i].key_len) == 0)
                break;
        if (k == sizeof top_order / sizeof top_order[0])
            emit_member(&root->kids[i], &first, out);
    }
    cli_buf_adds(out, "}\n");
}

void cli_ocsf_event(const kvst_event *ev, const char *label, struct cli_buf *out)
{
    struct ocsf o;
    struct cli_buf why = CLI_BUF_INIT;
    struct node *unmapped;
    size_t i;

    if (kvst_event_digest(ev) != NULL)
        return;
    memset(&o, 0, sizeof o);
    o.root.kind = N_OBJECT;
    set_metadata(&o.root);
    map_strings(&o.root, ev);
    map_identity(&o.root, ev);
    map_resources(&o.root, ev);
    /* The contract under unmapped, then its mapped members moved out. */
    unmapped = node_at(&o.root, "unmapped", 1);
    if (cli_row_open(&o.row, ev, label) == 0)
        node_from_json(unmapped, (yajl_val)o.row.tree);
    for (i = 0; i < sizeof contract_moves / sizeof contract_moves[0]; i++)
        node_move(&o.root, contract_moves[i].from, contract_moves[i].to);
    for (i = 0; i < sizeof record_members / sizeof record_members[0]; i++)
        set_lookup(&o, ev, record_members[i].pointer, record_members[i].path);
    /* request.uid is required of a request: without a requestID the
     * data stays unmapped. */
    if (!is_set(&o.root, "api.request.uid"))
        node_move(&o.root, "api.request.data", "unmapped.requestParameters");
    classify(&o.root, ev, settle_needs(&o.root, &why), &why);
    prune(&o.root);
    emit_top(&o.root, out);

    node_clear(&o.root);
    for (i = 0; i < o.tree_count; i++)
        yajl_tree_free(o.trees[i]);
    cli_row_close(&o.row);
    cli_buf_free(&o.text);
    cli_buf_free(&why);
}
