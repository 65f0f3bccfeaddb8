/*
 * Stage 5a: the identity classifier. Who made the call: principal kind,
 * credential kind, the seed document's three questions and the flags.
 * docs/identity.md gives each rule with the AWS page it follows.
 *
 * kvst_identity_classify is pure. kvst_identity_classify_json parses a
 * userIdentity object with yajl's callback API (no tree) and allocates only
 * while it runs, from an arena on the library's allocator (yajl_guard.h): a
 * refused allocation longjmps out of yajl, and freeing the arena frees
 * whatever yajl and the decoded copies held.
 */
#include <string.h>

#include <yajl/yajl_parse.h>

#include "alloc.h"
#include "yajl_guard.h"
#include "schema.h"
#include "utf8.h"
#include "validate_internal.h"

/* ---- Names ------------------------------------------------------------------ */

/* Spelled as CloudTrail spells userIdentity.type; indexed by
 * KVST_PRINCIPAL_*. */
static const char *const principal_names[] = {
    "Unknown",       "Root",               "IAMUser",  "AssumedRole",
    "Role",          "FederatedUser",      "AWSService", "AWSAccount",
    "IdentityCenterUser", "SAMLUser",      "WebIdentityUser", "Directory",
};
#define PRINCIPAL_COUNT (sizeof principal_names / sizeof principal_names[0])

static const char *const credential_names[] = {
    "none", "long-term", "temporary", "service-bearer", "unknown",
};

static const char *const severity_names[] = {
    "unknown", "info", "warning", "error",
};

const char *kvst_principal_name(uint32_t principal)
{
    return principal < PRINCIPAL_COUNT ? principal_names[principal]
                                       : principal_names[0];
}

const char *kvst_credential_name(uint32_t credential)
{
    return credential < sizeof credential_names / sizeof credential_names[0]
               ? credential_names[credential]
               : "unknown";
}

const char *kvst_severity_name(uint32_t severity)
{
    return severity < sizeof severity_names / sizeof severity_names[0]
               ? severity_names[severity]
               : "unknown";
}

/* ---- Kinds ------------------------------------------------------------------ */

static int str_is(const char *s, size_t len, const char *lit)
{
    return s && strlen(lit) == len && memcmp(s, lit, len) == 0;
}

static int view_is(kvst_str v, const char *lit)
{
    return str_is(v.ptr, v.len, lit);
}

static int view_eq(kvst_str a, kvst_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static int view_present(kvst_str v) { return v.ptr != NULL && v.len > 0; }

uint32_t kvst_principal_kind(const char *type, size_t len)
{
    uint32_t k;
    /* Case-sensitive: CloudTrail writes these exact spellings. */
    for (k = 1; k < PRINCIPAL_COUNT; k++)
        if (str_is(type, len, principal_names[k]))
            return k;
    return KVST_PRINCIPAL_UNKNOWN;
}

uint32_t kvst_credential_kind(const char *key, size_t len)
{
    if (!key || len == 0)
        return KVST_CREDENTIAL_NONE;
    if (len >= 4 && memcmp(key, "AKIA", 4) == 0)
        return KVST_CREDENTIAL_LONG_TERM;
    if (len >= 4 && memcmp(key, "ASIA", 4) == 0)
        return KVST_CREDENTIAL_TEMPORARY;
    if (len >= 4 && memcmp(key, "ABIA", 4) == 0)
        return KVST_CREDENTIAL_SERVICE_BEARER;
    return KVST_CREDENTIAL_UNKNOWN;
}

/* ---- Classification ------------------------------------------------------- */

/* Sub-structs are read only when their struct_size covers the 1.0 layout,
 * so a caller-built struct of an older, smaller layout is ignored rather
 * than over-read. */
#define FITS(p, type) ((p) != NULL && (p)->struct_size >= sizeof(type))

/* Hosts of the AWS Management Console and of AWS sign-in, as CloudTrail
 * writes them in userAgent and invokedBy (CloudTrail userIdentity
 * documentation: console.amazonaws.com for the root user, signin... for
 * sign-in; newer consoles use SERVICE.console.aws.amazon.com). A principal
 * working through one of them acts with its own credentials. */
static int console_host(kvst_str ua)
{
    static const char host[] = "console.aws.amazon.com";
    size_t n = sizeof host - 1;
    if (!ua.ptr)
        return 0;
    if (view_is(ua, "console.amazonaws.com") ||
        view_is(ua, "signin.amazonaws.com") || view_is(ua, host))
        return 1;
    return ua.len > n && memcmp(ua.ptr + ua.len - n, host, n) == 0 &&
           ua.ptr[ua.len - n - 1] == '.';
}

int kvst__is_sign_in(const kvst_event *ev)
{
    /* CloudTrail's sign-in events page: eventType AwsConsoleSignIn, and
     * eventSource signin.amazonaws.com for every one of them. Either
     * names a sign-in, whatever its eventName (AWS adds names). */
    return ev != NULL && (view_is(ev->event_type, "AwsConsoleSignIn") ||
                          view_is(ev->event_source, "signin.amazonaws.com"));
}

void kvst__identity_mfa_used(kvst_identity_info *out, kvst_str mfa_used)
{
    /* Written "Yes" or "No" (the sign-in events page); any other text
     * ("yes", "") is not a verdict, and what sessionContext said stays. */
    if (view_is(mfa_used, "Yes"))
        out->mfa = KVST_BOOL_TRUE;
    else if (view_is(mfa_used, "No"))
        out->mfa = KVST_BOOL_FALSE;
}

typedef struct account_scan {
    kvst_str caller[2];   /* identity account, session issuer account */
    int caller_whole[2];  /* 0 when cut out of an ARN */
    int cross;
    kvst_str other;
} account_scan;

/* Compare the caller's accounts with one account of the call; other is
 * the account on the far side from the log's owner (see docs/identity.md).
 * An account cut out of an ARN is compared but never handed out: views
 * must be NUL-terminated and the classifier does not copy. */
static void compare_account(account_scan *sc, kvst_str target,
                            int target_is_recipient)
{
    int i;
    if (!view_present(target) || sc->cross)
        return;
    for (i = 0; i < 2; i++) {
        if (view_present(sc->caller[i]) && !view_eq(sc->caller[i], target)) {
            sc->cross = 1;
            if (!target_is_recipient)
                return; /* target is an ARN's account */
            if (sc->caller_whole[i])
                sc->other = sc->caller[i];
            return;
        }
    }
}

static void scan_value(account_scan *sc, const kvst_shape *shape,
                       const kvst_value *v, int depth);

/* The KVS ARNs of a typed payload: members whose shape has the model's
 * ResourceARN pattern, found through the schema tables. */
static void scan_struct(account_scan *sc, const kvst_shape *shape,
                        const void *base, int depth)
{
    uint32_t i;
    if (!shape || !base || shape->type != KVST_TYPE_STRUCTURE || depth > 16)
        return;
    for (i = 0; i < shape->member_count; i++) {
        const kvst_member_def *m = &shape->members[i];
        scan_value(sc, m->shape,
                   (const kvst_value *)((const char *)base + m->offset),
                   depth + 1);
    }
}

static void scan_value(account_scan *sc, const kvst_shape *shape,
                       const kvst_value *v, int depth)
{
    size_t i;
    kvst_arn arn;
    if (!shape || v->state != KVST_VALUE_OK)
        return;
    switch (shape->type) {
    case KVST_TYPE_STRING:
        if (kvst__pattern_is_kvs_arn(shape->pattern) &&
            kvst_validate_resource_arn(v->text.ptr, v->text.len, &arn) == 0)
            compare_account(sc, arn.account, 0);
        break;
    case KVST_TYPE_STRUCTURE:
        scan_struct(sc, shape, v->object, depth);
        break;
    case KVST_TYPE_LIST:
    case KVST_TYPE_MAP:
        for (i = 0; i < v->count && v->items; i++)
            scan_value(sc, shape->item, &v->items[i], depth + 1);
        break;
    default:
        break;
    }
}

void kvst__identity_fill(const kvst_user_identity *uid, const kvst_event *ctx,
                         kvst_identity_info *out)
{
    /* cppcheck-suppress ctuuninitvar ; callers set struct_size, the only member read */
    size_t keep = out->struct_size;
    const kvst_session_context *sc = NULL;
    const kvst_session_issuer *si = NULL;
    account_scan scan;

    memset(out, 0, KVST__IDENTITY_INFO_SIZE_1_0);
    out->struct_size = keep;
    out->mfa = KVST_BOOL_ABSENT;
    if (ctx && ctx->struct_size < KVST__EVENT_SIZE_1_0)
        ctx = NULL;
    if (uid && !FITS(uid, kvst_user_identity))
        uid = NULL;

    if (uid) {
        if (FITS(uid->session_context, kvst_session_context))
            sc = uid->session_context;
        if (sc && FITS(sc->session_issuer, kvst_session_issuer))
            si = sc->session_issuer;

        out->type = uid->type;
        out->principal = kvst_principal_kind(uid->type.ptr, uid->type.len);
        out->credential = kvst_credential_kind(uid->access_key_id.ptr,
                                               uid->access_key_id.len);
        out->account_id = uid->account_id;
        out->arn = uid->arn;
        out->user_name = uid->user_name;
        out->invoked_by = uid->invoked_by;
        if (FITS(uid->on_behalf_of, kvst_on_behalf_of)) {
            out->on_behalf_of_user_id = uid->on_behalf_of->user_id;
            out->identity_store_arn = uid->on_behalf_of->identity_store_arn;
        }
    }
    if (si) {
        out->issuer_type = si->type;
        out->issuer_name = si->user_name;
        out->issuer_arn = si->arn;
        out->issuer_account_id = si->account_id;
    }

    out->root_or_iam_user = out->principal == KVST_PRINCIPAL_ROOT ||
                            out->principal == KVST_PRINCIPAL_IAM_USER;
    out->role_or_federated_temporary =
        out->principal == KVST_PRINCIPAL_ASSUMED_ROLE ||
        out->principal == KVST_PRINCIPAL_ROLE ||
        out->principal == KVST_PRINCIPAL_FEDERATED_USER;
    /* invokedBy names the service that made the call (userIdentity page:
     * "only present when a request is made by an AWS service", forward
     * access sessions and service roles included, and "AWS Internal").
     * The console and sign-in hosts are not such a service: the principal
     * signed the call with its own credentials, through the console. */
    out->aws_service = out->principal == KVST_PRINCIPAL_AWS_SERVICE ||
                       (view_present(out->invoked_by) &&
                        !console_host(out->invoked_by));
    out->root_access_key = out->principal == KVST_PRINCIPAL_ROOT &&
                           out->credential == KVST_CREDENTIAL_LONG_TERM;
    if (sc) {
        if (view_is(sc->mfa_authenticated, "true"))
            out->mfa = KVST_BOOL_TRUE;
        else if (view_is(sc->mfa_authenticated, "false"))
            out->mfa = KVST_BOOL_FALSE;
        out->assumed_root = view_is(sc->assumed_root, "true");
        out->imdsv1 = view_is(sc->ec2_role_delivery, "1.0");
    }
    out->console = console_host(out->invoked_by);
    if (ctx && !out->console)
        out->console =
            ctx->session_credential_from_console == KVST_BOOL_TRUE ||
            (sc != NULL && console_host(ctx->user_agent)) ||
            kvst__is_sign_in(ctx);

    /* Cross-account: the caller's account (or, when the identity has none,
     * the account of its ARN) against the recipient and the request ARNs. */
    memset(&scan, 0, sizeof scan);
    scan.caller[0] = out->account_id;
    scan.caller_whole[0] = 1;
    if (!view_present(scan.caller[0]) && view_present(out->arn)) {
        kvst_arn a;
        if (kvst_arn_parse(out->arn.ptr, out->arn.len, &a) == 0) {
            scan.caller[0] = a.account;
            scan.caller_whole[0] = 0;
        }
    }
    scan.caller[1] = out->issuer_account_id;
    scan.caller_whole[1] = 1;
    if (ctx) {
        compare_account(&scan, ctx->recipient_account_id, 1);
        if (ctx->action != 0 && ctx->action < kvst__operation_count &&
            ctx->request && ctx->request_state == KVST_VALUE_OK)
            scan_struct(&scan, kvst__operations[ctx->action].input,
                        ctx->request, 0);
    }
    out->cross_account = scan.cross;
    out->other_account_id = scan.other;
}

int kvst_identity_classify(const kvst_user_identity *uid,
                           const kvst_event *context, kvst_identity_info *out)
{
    if (!uid || !out)
        return KVST_E_INVAL;
    if (out->struct_size < KVST__IDENTITY_INFO_SIZE_1_0 ||
        uid->struct_size < sizeof(kvst_user_identity) ||
        (context && context->struct_size < KVST__EVENT_SIZE_1_0))
        return KVST_E_ABI;
    kvst__identity_fill(uid, context, out);
    return 0;
}

/* ---- The JSON entry -------------------------------------------------------- */

/* The string fields kept from the JSON text. */
enum json_field {
    JF_TYPE, JF_PRINCIPAL_ID, JF_ARN, JF_ACCOUNT_ID, JF_ACCESS_KEY_ID,
    JF_USER_NAME, JF_INVOKED_BY, JF_CREDENTIAL_ID, JF_IDENTITY_PROVIDER,
    JF_SI_TYPE, JF_SI_PRINCIPAL_ID, JF_SI_ARN, JF_SI_ACCOUNT_ID,
    JF_SI_USER_NAME, JF_WEB_PROVIDER, JF_CREATION_DATE, JF_MFA,
    JF_SOURCE_IDENTITY, JF_EC2_ROLE_DELIVERY, JF_ASSUMED_ROOT,
    JF_OBO_USER_ID, JF_OBO_STORE_ARN, JF_ISO_ISSUER_TYPE, JF_ISO_ISSUED_TO,
    JF_ISO_SOURCE_ARN, JF_ISO_SOURCE_ACCOUNT,
    JF__COUNT
};

/* The objects of a userIdentity the classifier reads; CX_SKIP for the rest. */
enum json_object {
    CX_SKIP, CX_ROOT, CX_SESSION, CX_ISSUER, CX_ATTRIBUTES, CX_WEB_ID,
    CX_ON_BEHALF_OF, CX_IN_SCOPE_OF
};

typedef struct json_key {
    uint8_t object;   /* where the key is */
    uint8_t child;    /* the object it opens, or CX_SKIP */
    int8_t field;     /* the string it holds, or -1 */
    const char *name;
} json_key;

static const json_key json_keys[] = {
    { CX_ROOT, CX_SKIP, JF_TYPE, "type" },
    { CX_ROOT, CX_SKIP, JF_PRINCIPAL_ID, "principalId" },
    { CX_ROOT, CX_SKIP, JF_ARN, "arn" },
    { CX_ROOT, CX_SKIP, JF_ACCOUNT_ID, "accountId" },
    { CX_ROOT, CX_SKIP, JF_ACCESS_KEY_ID, "accessKeyId" },
    { CX_ROOT, CX_SKIP, JF_USER_NAME, "userName" },
    { CX_ROOT, CX_SKIP, JF_INVOKED_BY, "invokedBy" },
    { CX_ROOT, CX_SKIP, JF_CREDENTIAL_ID, "credentialId" },
    { CX_ROOT, CX_SKIP, JF_IDENTITY_PROVIDER, "identityProvider" },
    { CX_ROOT, CX_SESSION, -1, "sessionContext" },
    { CX_ROOT, CX_ON_BEHALF_OF, -1, "onBehalfOf" },
    { CX_ROOT, CX_IN_SCOPE_OF, -1, "inScopeOf" },
    { CX_SESSION, CX_ISSUER, -1, "sessionIssuer" },
    { CX_SESSION, CX_ATTRIBUTES, -1, "attributes" },
    { CX_SESSION, CX_WEB_ID, -1, "webIdFederationData" },
    { CX_SESSION, CX_SKIP, JF_SOURCE_IDENTITY, "sourceIdentity" },
    { CX_SESSION, CX_SKIP, JF_EC2_ROLE_DELIVERY, "ec2RoleDelivery" },
    { CX_SESSION, CX_SKIP, JF_ASSUMED_ROOT, "assumedRoot" },
    { CX_ISSUER, CX_SKIP, JF_SI_TYPE, "type" },
    { CX_ISSUER, CX_SKIP, JF_SI_PRINCIPAL_ID, "principalId" },
    { CX_ISSUER, CX_SKIP, JF_SI_ARN, "arn" },
    { CX_ISSUER, CX_SKIP, JF_SI_ACCOUNT_ID, "accountId" },
    { CX_ISSUER, CX_SKIP, JF_SI_USER_NAME, "userName" },
    { CX_ATTRIBUTES, CX_SKIP, JF_CREATION_DATE, "creationDate" },
    { CX_ATTRIBUTES, CX_SKIP, JF_MFA, "mfaAuthenticated" },
    /* Some services write these under attributes; accept both places. */
    { CX_ATTRIBUTES, CX_SKIP, JF_SOURCE_IDENTITY, "sourceIdentity" },
    { CX_ATTRIBUTES, CX_SKIP, JF_EC2_ROLE_DELIVERY, "ec2RoleDelivery" },
    { CX_ATTRIBUTES, CX_SKIP, JF_ASSUMED_ROOT, "assumedRoot" },
    { CX_WEB_ID, CX_SKIP, JF_WEB_PROVIDER, "federatedProvider" },
    { CX_ON_BEHALF_OF, CX_SKIP, JF_OBO_USER_ID, "userId" },
    { CX_ON_BEHALF_OF, CX_SKIP, JF_OBO_STORE_ARN, "identityStoreArn" },
    { CX_IN_SCOPE_OF, CX_SKIP, JF_ISO_ISSUER_TYPE, "issuerType" },
    { CX_IN_SCOPE_OF, CX_SKIP, JF_ISO_ISSUED_TO, "credentialsIssuedTo" },
    { CX_IN_SCOPE_OF, CX_SKIP, JF_ISO_SOURCE_ARN, "sourceArn" },
    { CX_IN_SCOPE_OF, CX_SKIP, JF_ISO_SOURCE_ACCOUNT, "sourceAccount" },
};

#define JSON_DEPTH 8 /* objects deeper than this are never read */

typedef struct json_slot {
    kvst_str raw;   /* the text as written in json (escapes kept) */
    kvst_str value; /* decoded: raw itself, or owned when it had escapes */
    char *owned;
} json_slot;

typedef struct json_state {
    const char *json;
    size_t len;
    kvst_alloc alloc;          /* the C library's, as kvst__alloc_init gives */
    kvst_arena arena;          /* yajl's memory and the decoded copies */
    kvst_yajl_arena ya;        /* yajl, its memory from the arena (yajl_guard.h) */
    size_t depth;              /* open containers */
    uint8_t object[JSON_DEPTH]; /* enum json_object per depth */
    int pending_field;         /* field of the value after the last key */
    int pending_child;         /* object the value after the last key opens */
    int not_object;
    int encoding;              /* yajl's error was invalid UTF-8 */
    int seen[CX_IN_SCOPE_OF + 1];
    json_slot slot[JF__COUNT];
} json_state;

static uint8_t current_object(const json_state *st)
{
    return st->depth > 0 && st->depth <= JSON_DEPTH ? st->object[st->depth - 1]
                                                    : CX_SKIP;
}

/* Every value but a map consumes the pending key. */
static int take_field(json_state *st)
{
    int f = st->pending_field;
    st->pending_field = -1;
    st->pending_child = CX_SKIP;
    return f;
}

static int open_container(json_state *st, uint8_t object)
{
    if (st->depth == 0 && object != CX_ROOT) {
        st->not_object = 1;
        return 0;
    }
    if (st->depth < JSON_DEPTH)
        st->object[st->depth] = object;
    st->depth++;
    st->seen[object] = 1;
    take_field(st);
    return 1;
}

static int on_start_map(void *ctx)
{
    json_state *st = ctx;
    uint8_t object = st->depth == 0 ? (uint8_t)CX_ROOT
                                    : (uint8_t)st->pending_child;
    return open_container(st, object);
}

static int on_start_array(void *ctx)
{
    return open_container(ctx, CX_SKIP);
}

static int on_end(void *ctx)
{
    json_state *st = ctx;
    st->depth--;
    return 1;
}

static int on_key(void *ctx, const unsigned char *key, size_t len)
{
    json_state *st = ctx;
    uint8_t object = current_object(st);
    size_t i;
    take_field(st);
    if (object == CX_SKIP)
        return 1;
    for (i = 0; i < sizeof json_keys / sizeof json_keys[0]; i++) {
        const json_key *k = &json_keys[i];
        if (k->object == object && str_is((const char *)key, len, k->name)) {
            st->pending_field = k->field; // NOLINT(bugprone-signed-char-misuse,cert-str34-c): int8_t index, -1 for none, not a character
            st->pending_child = k->child;
            break;
        }
    }
    return 1;
}

/* A scalar outside any object: the text is not a userIdentity object. */
static int scalar_at_top(json_state *st)
{
    if (st->depth == 0) {
        st->not_object = 1;
        return 1;
    }
    return 0;
}

static int on_null(void *ctx)
{
    json_state *st = ctx;
    take_field(st);
    return !scalar_at_top(st);
}

static int on_number(void *ctx, const char *s, size_t len)
{
    (void)s;
    (void)len;
    return on_null(ctx);
}

static void slot_set(json_slot *slot, kvst_str raw, kvst_str value,
                     char *owned)
{
    /* a repeated key: the last one wins (the arena keeps the first's copy) */
    slot->raw = raw;
    slot->value = value;
    slot->owned = owned;
}

static int on_boolean(void *ctx, int b)
{
    json_state *st = ctx;
    int f = take_field(st);
    size_t end = yajl_get_bytes_consumed(st->ya.h);
    size_t n = b ? 4 : 5;
    kvst_str v;
    if (scalar_at_top(st))
        return 0;
    /* Keep booleans as the text "true"/"false" the string fields use. */
    if (f >= 0 && end >= n && end <= st->len) {
        v.ptr = st->json + end - n;
        v.len = n;
        slot_set(&st->slot[f], v, v, NULL);
    }
    return 1;
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
    json_state *st = ctx;
    int f = take_field(st);
    size_t end = yajl_get_bytes_consumed(st->ya.h); /* just past the quote */
    uintptr_t base = (uintptr_t)st->json, p = (uintptr_t)s;
    kvst_str raw, value;
    char *owned = NULL;
    if (scalar_at_top(st))
        return 0;
    if (f < 0 || end < 2 || end > st->len)
        return 1;
    if (p >= base && p + len == base + end - 1) {
        /* yajl handed a view into the input: the string had no escape. */
        raw.ptr = (const char *)s;
        raw.len = len;
        value = raw;
    } else {
        /* Decoded by yajl: find the opening quote of the text as written
         * (the first '"' going back that is not itself escaped). */
        size_t close = end - 1, i = close;
        while (i-- > 0) {
            size_t bs = 0;
            if (st->json[i] != '"')
                continue;
            while (bs < i && st->json[i - bs - 1] == '\\')
                bs++;
            if (bs % 2 == 0)
                break;
        }
        raw.ptr = st->json + i + 1;
        raw.len = close - i - 1;
        owned = kvst__arena_alloc(&st->arena, len + 1);
        if (!owned)
            kvst__yajl_arena_refuse(&st->ya); /* inside yajl's call, as its own refusals */
        memcpy(owned, s, len);
        owned[len] = '\0';
        value.ptr = owned;
        value.len = len;
    }
    slot_set(&st->slot[f], raw, value, owned);
    return 1;
}

static const yajl_callbacks json_callbacks = {
    on_null, on_boolean, NULL, NULL, on_number, on_string,
    on_start_map, on_key, on_end, on_start_array, on_end,
};

/* The kvst_str members of kvst_identity_info, to map decoded copies back
 * to the caller's text. */
static const size_t info_views[] = {
    offsetof(kvst_identity_info, type),
    offsetof(kvst_identity_info, account_id),
    offsetof(kvst_identity_info, arn),
    offsetof(kvst_identity_info, user_name),
    offsetof(kvst_identity_info, invoked_by),
    offsetof(kvst_identity_info, issuer_type),
    offsetof(kvst_identity_info, issuer_name),
    offsetof(kvst_identity_info, issuer_arn),
    offsetof(kvst_identity_info, issuer_account_id),
    offsetof(kvst_identity_info, on_behalf_of_user_id),
    offsetof(kvst_identity_info, identity_store_arn),
    offsetof(kvst_identity_info, other_account_id),
};

static int json_classify(json_state *st, kvst_identity_info *out)
{
    kvst_user_identity uid;
    kvst_session_context sc;
    kvst_session_issuer si;
    kvst_on_behalf_of obo;
    kvst_in_scope_of iso;
    kvst_identity_info info;
    json_slot *f = st->slot;
    size_t i, k;

    memset(&uid, 0, sizeof uid);
    memset(&sc, 0, sizeof sc);
    memset(&si, 0, sizeof si);
    memset(&obo, 0, sizeof obo);
    memset(&iso, 0, sizeof iso);
    uid.struct_size = sizeof uid;
    sc.struct_size = sizeof sc;
    si.struct_size = sizeof si;
    obo.struct_size = sizeof obo;
    iso.struct_size = sizeof iso;

    uid.type = f[JF_TYPE].value;
    uid.principal_id = f[JF_PRINCIPAL_ID].value;
    uid.arn = f[JF_ARN].value;
    uid.account_id = f[JF_ACCOUNT_ID].value;
    uid.access_key_id = f[JF_ACCESS_KEY_ID].value;
    uid.user_name = f[JF_USER_NAME].value;
    uid.invoked_by = f[JF_INVOKED_BY].value;
    uid.credential_id = f[JF_CREDENTIAL_ID].value;
    uid.identity_provider = f[JF_IDENTITY_PROVIDER].value;
    si.type = f[JF_SI_TYPE].value;
    si.principal_id = f[JF_SI_PRINCIPAL_ID].value;
    si.arn = f[JF_SI_ARN].value;
    si.account_id = f[JF_SI_ACCOUNT_ID].value;
    si.user_name = f[JF_SI_USER_NAME].value;
    sc.session_issuer = st->seen[CX_ISSUER] ? &si : NULL;
    sc.web_id_federated_provider = f[JF_WEB_PROVIDER].value;
    sc.creation_date = f[JF_CREATION_DATE].value;
    sc.mfa_authenticated = f[JF_MFA].value;
    sc.source_identity = f[JF_SOURCE_IDENTITY].value;
    sc.ec2_role_delivery = f[JF_EC2_ROLE_DELIVERY].value;
    sc.assumed_root = f[JF_ASSUMED_ROOT].value;
    uid.session_context = st->seen[CX_SESSION] ? &sc : NULL;
    obo.user_id = f[JF_OBO_USER_ID].value;
    obo.identity_store_arn = f[JF_OBO_STORE_ARN].value;
    uid.on_behalf_of = st->seen[CX_ON_BEHALF_OF] ? &obo : NULL;
    iso.issuer_type = f[JF_ISO_ISSUER_TYPE].value;
    iso.credentials_issued_to = f[JF_ISO_ISSUED_TO].value;
    iso.source_arn = f[JF_ISO_SOURCE_ARN].value;
    iso.source_account = f[JF_ISO_SOURCE_ACCOUNT].value;
    uid.in_scope_of = st->seen[CX_IN_SCOPE_OF] ? &iso : NULL;

    info.struct_size = sizeof info;
    kvst__identity_fill(&uid, NULL, &info);

    /* Views must point into the caller's text: a decoded copy becomes the
     * text as written (escapes kept). */
    for (i = 0; i < sizeof info_views / sizeof info_views[0]; i++) {
        kvst_str *v = (kvst_str *)((char *)&info + info_views[i]);
        for (k = 0; k < JF__COUNT; k++) {
            if (f[k].owned && v->ptr == f[k].owned) {
                *v = f[k].raw;
                break;
            }
        }
    }
    memcpy((char *)out + sizeof out->struct_size,
           (const char *)&info + sizeof info.struct_size,
           KVST__IDENTITY_INFO_SIZE_1_0 - sizeof info.struct_size);
    return 0;
}

/* Whether the end of text[0..len), which yajl accepted, is inside a
 * string. */
static int ends_in_string(const unsigned char *text, size_t len)
{
    size_t i;
    int in = 0;

    for (i = 0; i < len; i++) {
        if (in && text[i] == '\\')
            i++;
        else if (text[i] == '"')
            in = !in;
    }
    return in;
}

/*
 * The parse: 1 when memory ran out.
 *
 * The strict UTF-8 check runs first, as the parser's does (yajl's own is
 * lax), and yajl parses up to the first ill-formed sequence: an error
 * before it is yajl's; else a sequence inside a string is the encoding
 * error, and one outside is a byte yajl rejects (parsed on, its syntax
 * error). Nothing is read from yajl's message.
 */
static int json_parse(json_state *st, yajl_status *s)
{
    const unsigned char *text = (const unsigned char *)st->json;
    int why;
    size_t good = kvst__utf8_check(text, st->len, &why);

    if (kvst__yajl_arena_open(&st->ya, &st->arena, &json_callbacks, st) ||
        kvst__yajl_arena_parse(&st->ya, text, good, s))
        return 1;
    if (*s == yajl_status_ok && good < st->len) {
        if (ends_in_string(text, good)) {
            st->encoding = 1;
            *s = yajl_status_error;
            return 0;
        }
        if (kvst__yajl_arena_parse(&st->ya, text + good, st->len - good, s))
            return 1;
    }
    if (*s == yajl_status_ok && kvst__yajl_arena_complete(&st->ya, s))
        return 1;
    return 0;
}

int kvst_identity_classify_json(const char *json, size_t len,
                                kvst_identity_info *out)
{
    json_state st;
    yajl_status s = yajl_status_ok;
    int rc = 0;

    if (!json || !out)
        return KVST_E_INVAL;
    if (out->struct_size < KVST__IDENTITY_INFO_SIZE_1_0)
        return KVST_E_ABI;
    memset(&st, 0, sizeof st);
    st.json = json;
    st.len = len;
    st.pending_field = -1;
    kvst__alloc_init(&st.alloc, NULL);
    kvst__arena_init(&st.arena, &st.alloc);

    if (json_parse(&st, &s))
        rc = KVST_E_NOMEM;
    else if (st.not_object)
        rc = KVST_E_NOT_CLOUDTRAIL;
    else if (st.encoding)
        rc = KVST_E_ENCODING;
    else if (s != yajl_status_ok || !st.seen[CX_ROOT])
        rc = KVST_E_SYNTAX; /* malformed, or only white space */
    else
        rc = json_classify(&st, out);
    /* yajl's memory and the decoded copies, whatever state yajl is in */
    kvst__arena_free(&st.arena);
    return rc;
}
