/*
 * libkvstrail-sigma, stage "value match": one compiled value against one
 * leaf of the flattened record, and the field tests and maps built on it.
 * Pure given its inputs (the regex match data is the caller's, per state).
 */
#include "sigma_internal.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* a[0..n) folded equals the folded literal b[0..n). */
static int eq_fold(const char *a, const char *b, size_t n)
{
    size_t i = 0;
    uint64_t x, y;
    for (; i + 8 <= n; i += 8) {
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (sg_fold8(x) != y)
            return 0;
    }
    /* The last bytes of eight or more: one word overlapping the last one
     * compared (no byte loop). */
    if (i < n && n >= 8) {
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return sg_fold8(x) == y;
    }
    for (; i < n; i++)
        if (sg_fold[(unsigned char)a[i]] != (unsigned char)b[i])
            return 0;
    return 1;
}

/* text[0..n) against the literal v->text[0..len) at pos: folded unless
 * cased (the literal is folded at compile time). */
static int lit_at(const sg_value *v, const char *text, size_t pos,
                  const char *lit, size_t n)
{
    return v->cased ? memcmp(text + pos, lit, n) == 0
                    : eq_fold(text + pos, lit, n);
}

static int contains(const sg_value *v, const char *text, size_t n)
{
    size_t i;
    if (v->len > n)
        return 0;
    for (i = 0; i + v->len <= n; i++)
        if (lit_at(v, text, i, v->text, v->len))
            return 1;
    return 0;
}

static int char_eq(const sg_value *v, char t, char p)
{
    return v->cased ? t == p
                    : sg_fold[(unsigned char)t] == (unsigned char)p;
}

/* Wildcard match with '*' and '?' (wild[] marks them), linear in practice:
 * on a mismatch go back to just after the last '*' only. */
static int glob(const sg_value *v, const char *t, size_t tn)
{
    const char *p = v->text;
    size_t pn = v->len, ti = 0, pi = 0, star_p = (size_t)-1, star_t = 0;
    while (ti < tn) {
        if (pi < pn && v->wild[pi] == '*') {
            star_p = pi++;
            star_t = ti;
        } else if (pi < pn && (v->wild[pi] == '?' ||
                               (!v->wild[pi] && char_eq(v, t[ti], p[pi])))) {
            pi++;
            ti++;
        } else if (star_p != (size_t)-1) {
            pi = star_p + 1;
            ti = ++star_t;
        } else {
            return 0;
        }
    }
    while (pi < pn && v->wild[pi] == '*')
        pi++;
    return pi == pn;
}

static int string_match(const sg_value *v, const char *t, size_t n)
{
    switch (v->shape) {
    case SG_EXACT: return n == v->len && lit_at(v, t, 0, v->text, n);
    case SG_PREFIX: return n >= v->len && lit_at(v, t, 0, v->text, v->len);
    case SG_SUFFIX:
        return n >= v->len && lit_at(v, t, n - v->len, v->text, v->len);
    case SG_CONTAINS: return contains(v, t, n);
    default: return glob(v, t, n);
    }
}

/* A number as a double, strict (the whole text). */
static int to_number(const char *t, size_t n, double *out)
{
    char buf[64], *end;
    if (n == 0 || n >= sizeof buf)
        return 0;
    memcpy(buf, t, n);
    buf[n] = '\0';
    *out = strtod(buf, &end);
    return end == buf + n;
}

static int cidr_match(const sg_value *v, const char *t, size_t n)
{
    unsigned char a[16];
    char buf[64];
    unsigned full, rest;
    if (n == 0 || n >= sizeof buf)
        return 0;
    memcpy(buf, t, n);
    buf[n] = '\0';
    if (inet_pton(v->family == 4 ? AF_INET : AF_INET6, buf, a) != 1)
        return 0;
    full = v->prefix / 8u;
    rest = v->prefix % 8u;
    if (memcmp(a, v->addr, full) != 0)
        return 0;
    return rest == 0 ||
           ((a[full] ^ v->addr[full]) & (unsigned char)(0xFF00u >> rest)) == 0;
}

/* Whether t[0..n) holds needle[0..k) (k >= 1): memchr for its byte r
 * (a rare one), the rest compared where it is found. */
static int has_bytes(const char *t, size_t n, const char *needle, size_t k,
                     size_t r)
{
    const char *p, *last;
    if (n < k)
        return 0;
    p = t + r;             /* where needle[r] sits for a match at t */
    last = t + (n - k) + r; /* and for one ending at t + n */
    while (p <= last) {
        const char *q = memchr(p, needle[r], (size_t)(last - p) + 1);
        if (!q)
            return 0;
        if (memcmp(q - r, needle, k) == 0)
            return 1;
        p = q + 1;
    }
    return 0;
}

static int regex_match(const sg_value *v, const char *t, size_t n,
                       sg_match_ctx *mx)
{
    int rc;
    /* A subject without the pattern's literal run cannot match. */
    if (v->needle && !has_bytes(t, n, v->needle, v->needle_len, v->needle_rare))
        return 0;
    rc = pcre2_match(v->re, (PCRE2_SPTR)t, n, 0, 0, mx->md, mx->mc);
    if (rc >= 0)
        return 1;
    if (rc != PCRE2_ERROR_NOMATCH && mx->regex_errors)
        (*mx->regex_errors)++;
    return 0;
}

static int fieldref_match(const sg_value *v, const sg_leaf *leaf,
                          sg_match_ctx *mx)
{
    size_t from = 0;
    const sg_leaf *o;
    while ((o = sg_record_find(mx->rec, v->ref_hash, v->text, v->len, &from))) {
        if (o->type == SG_J_OBJECT || o->type == SG_J_ARRAY)
            continue;
        if (o->val_len == leaf->val_len &&
            (v->cased ? memcmp(o->val, leaf->val, o->val_len) == 0
                      : sg_fold_eq(o->val, leaf->val, o->val_len)))
            return 1;
    }
    return 0;
}

int sg_value_match(const sg_value *v, const sg_leaf *leaf, sg_match_ctx *mx)
{
    double d;
    /* An object is matched as its JSON text by string and regex values
     * (requestParameters|contains: 'Suspended', as SIEMs search the nested
     * JSON; value_holds also tries the strings nested in it); arrays are
     * matched by their elements instead. */
    if (leaf->type == SG_J_OBJECT && (v->op == SG_OP_STRING || v->op == SG_OP_REGEX))
        return v->op == SG_OP_STRING ? string_match(v, leaf->val, leaf->val_len)
                                     : regex_match(v, leaf->val, leaf->val_len, mx);
    if (leaf->type == SG_J_OBJECT || leaf->type == SG_J_ARRAY)
        return v->op == SG_OP_EXISTS ? v->exists : 0;
    switch (v->op) {
    case SG_OP_STRING:
        return leaf->type != SG_J_NULL &&
               string_match(v, leaf->val, leaf->val_len);
    case SG_OP_REGEX:
        return leaf->type != SG_J_NULL && regex_match(v, leaf->val, leaf->val_len, mx);
    case SG_OP_CIDR:
        return leaf->type == SG_J_STRING && cidr_match(v, leaf->val, leaf->val_len);
    case SG_OP_NUMBER:
        if ((leaf->type != SG_J_NUMBER && leaf->type != SG_J_STRING) ||
            !to_number(leaf->val, leaf->val_len, &d))
            return 0;
        switch (v->cmp) {
        case SG_GT: return d > v->number;
        case SG_GTE: return d >= v->number;
        case SG_LT: return d < v->number;
        default: return d <= v->number;
        }
    case SG_OP_EXISTS: return v->exists;
    case SG_OP_NULL: return leaf->type == SG_J_NULL;
    case SG_OP_FIELDREF:
        return leaf->type != SG_J_NULL && fieldref_match(v, leaf, mx);
    default: return 0;
    }
}

/* The string fields of the event's envelope, by dotted path: where the
 * kvst_str is (base struct, offset). Read without flattening the record. */
enum { ENV_EVENT, ENV_IDENTITY, ENV_SESSION, ENV_ISSUER };
static const struct envelope_field {
    const char *path;
    size_t len;        /* of path */
    uint8_t base;
    size_t offset;
} envelope_fields[] = {
#define EV(p, m) { p, sizeof(p) - 1, ENV_EVENT, offsetof(kvst_event, m) }
#define UI(p, m) { "userIdentity." p, sizeof("userIdentity." p) - 1, ENV_IDENTITY, \
                   offsetof(kvst_user_identity, m) }
#define SC(p, m) { "userIdentity.sessionContext." p, \
                   sizeof("userIdentity.sessionContext." p) - 1, ENV_SESSION, \
                   offsetof(kvst_session_context, m) }
#define SI(p, m) { "userIdentity.sessionContext.sessionIssuer." p, \
                   sizeof("userIdentity.sessionContext.sessionIssuer." p) - 1, ENV_ISSUER, \
                   offsetof(kvst_session_issuer, m) }
    EV("eventVersion", event_version), EV("eventTime", event_time),
    EV("eventSource", event_source), EV("eventName", event_name),
    EV("awsRegion", aws_region), EV("sourceIPAddress", source_ip_address),
    EV("userAgent", user_agent), EV("errorCode", error_code),
    EV("errorMessage", error_message), EV("requestID", request_id),
    EV("eventID", event_id), EV("eventType", event_type),
    EV("apiVersion", api_version), EV("recipientAccountId", recipient_account_id),
    EV("sharedEventID", shared_event_id), EV("eventCategory", event_category),
    EV("vpcEndpointId", vpc_endpoint_id),
    UI("type", type), UI("principalId", principal_id), UI("arn", arn),
    UI("accountId", account_id), UI("accessKeyId", access_key_id),
    UI("userName", user_name), UI("invokedBy", invoked_by),
    SC("attributes.creationDate", creation_date),
    SC("attributes.mfaAuthenticated", mfa_authenticated),
    SC("sourceIdentity", source_identity), SC("ec2RoleDelivery", ec2_role_delivery),
    SI("type", type), SI("principalId", principal_id), SI("arn", arn),
    SI("accountId", account_id), SI("userName", user_name),
#undef EV
#undef UI
#undef SC
#undef SI
};

int sg_envelope_field(const char *path, size_t len)
{
    size_t i;
    for (i = 0; i < sizeof envelope_fields / sizeof envelope_fields[0]; i++)
        if (envelope_fields[i].len == len &&
            memcmp(envelope_fields[i].path, path, len) == 0)
            return (int)i;
    return -1;
}

int sg_envelope_count(void)
{
    return (int)(sizeof envelope_fields / sizeof envelope_fields[0]);
}

const char *sg_envelope_path(int field)
{
    return envelope_fields[field].path;
}

const kvst_str *sg_envelope_get(const kvst_event *ev, int field)
{
    const struct envelope_field *f = &envelope_fields[field];
    const void *base = ev;
    const kvst_user_identity *ui = ev->user_identity;
    const kvst_session_context *sc = ui ? ui->session_context : NULL;
    switch (f->base) {
    case ENV_IDENTITY: base = ui; break;
    case ENV_SESSION: base = sc; break;
    case ENV_ISSUER: base = sc ? sc->session_issuer : NULL; break;
    default: break;
    }
    if (!base)
        return NULL;
    return (const kvst_str *)(const void *)((const char *)base + f->offset);
}

static int need_record(sg_match_ctx *mx)
{
    if (!mx->failed && mx->need_record && mx->need_record(mx->need_ctx) != 0)
        mx->failed = 1;
    mx->need_record = NULL;
    return !mx->failed;
}

/* need_record, keeping every member of the record (once per event). */
static int need_all(sg_match_ctx *mx)
{
    if (!mx->need_all)
        return need_record(mx);
    if (!mx->failed && mx->need_all(mx->need_ctx) != 0)
        mx->failed = 1;
    mx->need_all = NULL;
    mx->need_record = NULL;
    return !mx->failed;
}

/* A keyword value against every string value of the record. */
static const sg_leaf *keyword_match(const sg_value *v, sg_match_ctx *mx)
{
    size_t i;
    for (i = 0; i < mx->rec->count; i++) {
        const sg_leaf *l = &mx->rec->leaves[i];
        if (l->type == SG_J_STRING && sg_value_match(v, l, mx))
            return l;
    }
    return NULL;
}

/* A string nested in an object field that matches v: the decoded text of
 * policyDocument in requestParameters|contains: '"Allow"'. */
static const sg_leaf *nested_string_match(const sg_test *t, const sg_value *v,
                                          sg_match_ctx *mx)
{
    size_t i;
    for (i = 0; i < mx->rec->count; i++) {
        const sg_leaf *l = &mx->rec->leaves[i];
        if (l->type == SG_J_STRING && l->path_len > t->path_len &&
            l->path[t->path_len] == '.' &&
            memcmp(l->path, t->path, t->path_len) == 0 && sg_value_match(v, l, mx))
            return l;
    }
    return NULL;
}

/* exists and null on an envelope field without flattening the record:
 * a string there is present and not null; a field the record does not
 * have (kvst_event_lookup says so) is absent. -1 for a field present as
 * null or as another type, which the record decides (its leaf is what
 * a match reports). */
static int envelope_presence(const sg_test *t, const sg_value *v,
                             sg_match_ctx *mx, const sg_leaf **hit)
{
    const kvst_str *s = sg_envelope_get(mx->ev, t->envelope);
    char pointer[128];
    kvst_value val;
    size_t i;
    int rc;
    *hit = NULL;
    if (s && s->ptr) {
        mx->scratch.path = t->path;
        mx->scratch.path_len = (uint32_t)t->path_len;
        mx->scratch.val = s->ptr;
        mx->scratch.val_len = (uint32_t)s->len;
        mx->scratch.type = SG_J_STRING;
        if (v->op != SG_OP_EXISTS || !v->exists)
            return 0;
        *hit = &mx->scratch;
        return 1;
    }
    if (t->path_len + 2 > sizeof pointer)
        return -1;
    pointer[0] = '/';
    for (i = 0; i < t->path_len; i++)
        pointer[i + 1] = t->path[i] == '.' ? '/' : t->path[i];
    pointer[t->path_len + 1] = '\0';
    rc = kvst_event_lookup(mx->ev, pointer, &val);
    if (rc == KVST_E_NOMEM) {
        mx->failed = 1;
        return 0;
    }
    if (rc != KVST_E_NOT_FOUND)
        return -1;
    return v->op == SG_OP_EXISTS ? !v->exists : 1;
}

/* Whether value v holds for the field: some leaf of the path matches, or,
 * for exists: false and null, the field is absent. */
static int value_holds(const sg_test *t, const sg_value *v, sg_match_ctx *mx,
                       const sg_leaf **hit)
{
    size_t from = 0;
    const sg_leaf *l;
    int seen = 0;
    /* String, regex, CIDR and number tests of envelope fields read the
     * event, and so does a fieldref between two of them (both strings,
     * or absent); exists, null and other fieldrefs see the record's JSON
     * types. */
    if (t->envelope >= 0 && (v->op == SG_OP_EXISTS || v->op == SG_OP_NULL)) {
        int held = envelope_presence(t, v, mx, hit);
        if (held >= 0)
            return held;
        /* The rules' paths leave the field out of the flattened record. */
        if (!need_all(mx)) {
            *hit = NULL;
            return 0;
        }
    }
    if (t->envelope >= 0 && v->op == SG_OP_FIELDREF && v->ref_envelope >= 0) {
        const kvst_str *a = sg_envelope_get(mx->ev, t->envelope);
        const kvst_str *o = sg_envelope_get(mx->ev, v->ref_envelope);
        *hit = NULL;
        if (!a || !a->ptr || !o || !o->ptr || a->len != o->len ||
            !(v->cased ? memcmp(a->ptr, o->ptr, a->len) == 0
                       : sg_fold_eq(a->ptr, o->ptr, a->len)))
            return 0;
        mx->scratch.path = t->path;
        mx->scratch.path_len = (uint32_t)t->path_len;
        mx->scratch.val = a->ptr;
        mx->scratch.val_len = (uint32_t)a->len;
        mx->scratch.type = SG_J_STRING;
        *hit = &mx->scratch;
        return 1;
    }
    if (t->envelope >= 0 && v->op != SG_OP_EXISTS && v->op != SG_OP_NULL &&
        v->op != SG_OP_FIELDREF) {
        const kvst_str *s = sg_envelope_get(mx->ev, t->envelope);
        *hit = NULL;
        if (!s || !s->ptr)
            return 0;
        /* A string value straight on the text (what sg_value_match does
         * for a string leaf); the others through the leaf. */
        if (v->op == SG_OP_STRING && !string_match(v, s->ptr, s->len))
            return 0;
        mx->scratch.path = t->path;
        mx->scratch.path_len = (uint32_t)t->path_len;
        mx->scratch.val = s->ptr;
        mx->scratch.val_len = (uint32_t)s->len;
        mx->scratch.type = SG_J_STRING;
        if (v->op != SG_OP_STRING && !sg_value_match(v, &mx->scratch, mx))
            return 0;
        *hit = &mx->scratch;
        return 1;
    }
    if (!need_record(mx)) {
        *hit = NULL;
        return 0;
    }
    if (!t->path) {
        *hit = keyword_match(v, mx);
        return *hit != NULL;
    }
    while ((l = sg_record_find(mx->rec, t->hash, t->path, t->path_len, &from))) {
        seen = 1;
        /* An array's elements are matched, not the array (exists aside). */
        if (l->type == SG_J_ARRAY && v->op != SG_OP_EXISTS)
            continue;
        if (sg_value_match(v, l, mx)) {
            *hit = l;
            return 1;
        }
        if (l->type == SG_J_OBJECT && (v->op == SG_OP_STRING || v->op == SG_OP_REGEX)) {
            const sg_leaf *in = nested_string_match(t, v, mx);
            if (in) {
                *hit = in;
                return 1;
            }
        }
    }
    *hit = NULL;
    if (!seen)
        return (v->op == SG_OP_EXISTS && !v->exists) || v->op == SG_OP_NULL;
    return 0;
}

int sg_test_match(const sg_test *t, sg_match_ctx *mx, const sg_leaf **hit)
{
    size_t i;
    int result = t->all ? 1 : 0, env_read = 0;
    const sg_leaf *first = NULL;
    const kvst_str *env = NULL;
    for (i = 0; i < t->value_count; i++) {
        const sg_value *v = &t->values[i];
        const sg_leaf *h = NULL;
        int ok;
        if (t->envelope >= 0 && v->op == SG_OP_STRING) {
            /* value_holds' string test of an envelope field, the field
             * read once for all the values (a list is common). */
            if (!env_read) {
                env = sg_envelope_get(mx->ev, t->envelope);
                env_read = 1;
            }
            ok = env && env->ptr && string_match(v, env->ptr, env->len);
            if (ok) {
                mx->scratch.path = t->path;
                mx->scratch.path_len = (uint32_t)t->path_len;
                mx->scratch.val = env->ptr;
                mx->scratch.val_len = (uint32_t)env->len;
                mx->scratch.type = SG_J_STRING;
                h = &mx->scratch;
            }
        } else {
            ok = value_holds(t, v, mx, &h);
        }
        if (ok && !first)
            first = h;
        if (t->all && !ok) {
            result = 0;
            break;
        }
        if (!t->all && ok) {
            result = 1;
            break;
        }
    }
    if (t->neq) {
        *hit = NULL;
        return !result;
    }
    *hit = result ? first : NULL;
    return result;
}

int sg_map_match(const sg_map *m, sg_match_ctx *mx)
{
    size_t i;
    for (i = 0; i < m->test_count; i++) {
        const sg_leaf *h;
        if (!sg_test_match(&m->tests[i], mx, &h))
            return 0;
    }
    return 1;
}

void sg_value_free(sg_value *v)
{
    sg_free(v->text);
    sg_free(v->wild);
    sg_free(v->needle);
    pcre2_code_free(v->re);
}

void sg_search_free(sg_search *s)
{
    size_t i, j, k;
    for (i = 0; i < s->map_count; i++) {
        sg_map *m = &s->maps[i];
        for (j = 0; j < m->test_count; j++) {
            sg_test *t = &m->tests[j];
            for (k = 0; k < t->value_count; k++)
                sg_value_free(&t->values[k]);
            sg_free(t->values);
            sg_free(t->path);
        }
        sg_free(m->tests);
    }
    sg_free(s->maps);
    sg_free(s->name);
}
