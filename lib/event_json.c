/*
 * The JSON Lines contract of an event (`kvstrail events --format jsonl`,
 * docs/cli.md): kvst_event_to_json().
 *
 * snprintf semantics without snprintf: a writer counts every byte the text
 * needs and stores only what fits, so one pass gives both the (possibly
 * truncated) text and the length to retry with. No allocation, no state.
 */
#include <stddef.h>
#include <string.h>

#include "schema.h"

typedef struct json_writer {
    char *buf;
    size_t cap; /* bytes of buf, the NUL included */
    size_t len; /* bytes the full text needs so far */
} json_writer;

static void put(json_writer *w, const char *s, size_t n)
{
    if (n == 0)
        return;
    /* Keep one byte of buf for the NUL. */
    if (w->cap > 0 && w->len < w->cap - 1) {
        size_t room = w->cap - 1 - w->len;
        memcpy(w->buf + w->len, s, n < room ? n : room);
    }
    w->len += n;
}

static void put_lit(json_writer *w, const char *s)
{
    put(w, s, strlen(s));
}

static void put_u64(json_writer *w, uint64_t v)
{
    char tmp[20];
    size_t i = sizeof tmp;

    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    put(w, tmp + i, sizeof tmp - i);
}

static void put_i64(json_writer *w, int64_t v)
{
    if (v < 0) {
        put(w, "-", 1);
        /* Negate in unsigned arithmetic: INT64_MIN has no positive twin. */
        put_u64(w, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(w, (uint64_t)v);
    }
}

static void put_bool(json_writer *w, int b)
{
    put_lit(w, b ? "true" : "false");
}

/* KVST_BOOL_ABSENT prints null. */
static void put_tri(json_writer *w, int32_t b)
{
    if (b == KVST_BOOL_ABSENT)
        put_lit(w, "null");
    else
        put_bool(w, b != KVST_BOOL_FALSE);
}

/* Length of the well-formed UTF-8 sequence at u[0..left) (RFC 3629: no
 * overlong forms, no surrogates, nothing past U+10FFFF), 0 when there is
 * none. */
static size_t utf8_sequence(const unsigned char *u, size_t left)
{
    size_t len, k;
    unsigned char lo = 0x80, hi = 0xbf;

    if (u[0] >= 0xc2 && u[0] <= 0xdf)
        len = 2;
    else if (u[0] >= 0xe0 && u[0] <= 0xef)
        len = 3;
    else if (u[0] >= 0xf0 && u[0] <= 0xf4)
        len = 4;
    else
        return 0;
    if (u[0] == 0xe0)
        lo = 0xa0;
    else if (u[0] == 0xed)
        hi = 0x9f;
    else if (u[0] == 0xf0)
        lo = 0x90;
    else if (u[0] == 0xf4)
        hi = 0x8f;
    if (left < len || u[1] < lo || u[1] > hi)
        return 0;
    for (k = 2; k < len; k++) {
        if (u[k] < 0x80 || u[k] > 0xbf)
            return 0;
    }
    return len;
}

/* A JSON string of s[0..n): quote, backslash and control characters
 * escaped; well-formed UTF-8 and DEL copied as they are. A byte that is
 * not part of well-formed UTF-8 (the raw text of a broken record may hold
 * any) becomes U+FFFD, so the output is always valid JSON. */
static void put_string(json_writer *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t i, run = 0;

    put(w, "\"", 1);
    for (i = 0; i < n; i++) {
        unsigned char c = u[i];
        char esc[6];
        size_t esc_len = 2;

        if (c >= 0x80) {
            size_t seq = utf8_sequence(u + i, n - i);
            if (seq) {
                i += seq - 1;
                continue;
            }
            put(w, s + run, i - run);
            run = i + 1;
            put(w, "\\ufffd", 6);
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(w, s + run, i - run);
        run = i + 1;
        esc[0] = '\\';
        switch (c) {
        case '"':  esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0xf];
            esc_len = 6;
            break;
        }
        put(w, esc, esc_len);
    }
    put(w, s + run, n - run);
    put(w, "\"", 1);
}

static void put_cstr(json_writer *w, const char *s)
{
    if (s == NULL)
        put_lit(w, "null");
    else
        put_string(w, s, strlen(s));
}

static void put_str(json_writer *w, kvst_str s)
{
    if (s.ptr == NULL)
        put_lit(w, "null");
    else
        put_string(w, s.ptr, s.len);
}

/* ,"key": */
static void put_key(json_writer *w, const char *key)
{
    put(w, ",\"", 2);
    put_lit(w, key);
    put(w, "\":", 2);
}

/* Raw JSON text of a value kept as written (a number, or an object or array
 * of the wrong type). It was valid JSON, so a line break in it can only be
 * white space between tokens: make it a space to keep the event on one
 * line. Empty text (nothing recorded) prints null so the line stays JSON. */
static void put_raw_json(json_writer *w, kvst_str text)
{
    size_t i, run = 0;

    if (text.ptr == NULL || text.len == 0) {
        put_lit(w, "null");
        return;
    }
    for (i = 0; i < text.len; i++) {
        if (text.ptr[i] != '\n' && text.ptr[i] != '\r')
            continue;
        put(w, text.ptr + run, i - run);
        put(w, " ", 1);
        run = i + 1;
    }
    put(w, text.ptr + run, text.len - run);
}

static void put_value(json_writer *w, const kvst_value *v,
                      const kvst_shape *shape);

/* A generated kvst_kvs_* struct: its present members, in model order,
 * under their CloudTrail names. */
static void put_struct(json_writer *w, const void *object,
                       const kvst_shape *shape)
{
    uint32_t i;
    int first = 1;

    if (object == NULL || shape == NULL
        || shape->type != KVST_TYPE_STRUCTURE) {
        put_lit(w, "null");
        return;
    }
    put(w, "{", 1);
    for (i = 0; i < shape->member_count; i++) {
        const kvst_member_def *m = &shape->members[i];
        const kvst_value *mv = (const kvst_value *)(const void *)
            ((const char *)object + m->offset);

        if (mv->state == KVST_VALUE_ABSENT)
            continue;
        if (!first)
            put(w, ",", 1);
        first = 0;
        put_string(w, m->json_name, m->json_name_len);
        put(w, ":", 1);
        put_value(w, mv, m->shape);
    }
    put(w, "}", 1);
}

static void put_value(json_writer *w, const kvst_value *v,
                      const kvst_shape *shape)
{
    /* The table is authoritative; a value reached without one (a list item
     * of an unknown list) still says what the model wanted. */
    uint32_t type = shape != NULL ? shape->type : v->model_type;
    const kvst_shape *item = shape != NULL ? shape->item : NULL;
    size_t i;

    switch (v->state) {
    case KVST_VALUE_OK:
        break;
    case KVST_VALUE_MISTYPED:
        if (v->json_type == KVST_JSON_STRING)
            put_str(w, v->text);
        else
            put_raw_json(w, v->text);
        return;
    default: /* NULL, or ABSENT reached through a list or map */
        put_lit(w, "null");
        return;
    }

    switch (type) {
    case KVST_TYPE_STRING:
        put_str(w, v->text);
        break;
    case KVST_TYPE_INTEGER:
    case KVST_TYPE_LONG:
        put_i64(w, v->i);
        break;
    case KVST_TYPE_BOOLEAN:
        put_bool(w, v->i != 0);
        break;
    case KVST_TYPE_DOUBLE:
        put_raw_json(w, v->text);
        break;
    case KVST_TYPE_TIMESTAMP:
        if (v->json_type == KVST_JSON_STRING)
            put_str(w, v->text);
        else
            put_raw_json(w, v->text);
        break;
    case KVST_TYPE_LIST:
        put(w, "[", 1);
        for (i = 0; v->items != NULL && i < v->count; i++) {
            if (i > 0)
                put(w, ",", 1);
            put_value(w, &v->items[i], item);
        }
        put(w, "]", 1);
        break;
    case KVST_TYPE_MAP:
        put(w, "{", 1);
        for (i = 0; v->items != NULL && v->keys != NULL && i < v->count; i++) {
            if (i > 0)
                put(w, ",", 1);
            /* A key is a JSON object key: never null. */
            if (v->keys[i].ptr != NULL)
                put_string(w, v->keys[i].ptr, v->keys[i].len);
            else
                put_string(w, "", 0);
            put(w, ":", 1);
            put_value(w, &v->items[i], item);
        }
        put(w, "}", 1);
        break;
    case KVST_TYPE_STRUCTURE:
        put_struct(w, v->object, shape);
        break;
    default:
        put_raw_json(w, v->text);
        break;
    }
}

/* The payload of one direction; null when the record has none or the
 * action has no table for it. */
static void put_payload(json_writer *w, const void *payload,
                        const kvst_shape *shape)
{
    if (payload == NULL || shape == NULL)
        put_lit(w, "null");
    else
        put_struct(w, payload, shape);
}

/* Fixed members of the contract are tables: key, how to print, where. */
enum field_kind {
    F_STR,  /* kvst_str: string, or null */
    F_TRI,  /* int32_t KVST_BOOL_*: true, false, or null */
    F_BOOL, /* int32_t: true when non-zero */
    F_U64   /* uint64_t */
};

typedef struct field {
    const char *key;
    enum field_kind kind;
    size_t offset;
} field;

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ,"key":value for each field of the struct at base. */
static void put_fields(json_writer *w, const void *base, const field *f,
                       size_t n)
{
    const char *p = (const char *)base;
    size_t i;

    for (i = 0; i < n; i++) {
        put_key(w, f[i].key);
        switch (f[i].kind) {
        case F_STR: {
            kvst_str s;
            memcpy(&s, p + f[i].offset, sizeof s);
            put_str(w, s);
            break;
        }
        case F_TRI:
        case F_BOOL: {
            int32_t b;
            memcpy(&b, p + f[i].offset, sizeof b);
            if (f[i].kind == F_TRI)
                put_tri(w, b);
            else
                put_bool(w, b != 0);
            break;
        }
        case F_U64: {
            uint64_t u;
            memcpy(&u, p + f[i].offset, sizeof u);
            put_u64(w, u);
            break;
        }
        }
    }
}

static const field position_fields[] = {
    {"record", F_U64, offsetof(kvst_event, record_index)},
    {"offset", F_U64, offsetof(kvst_event, offset)},
    {"line", F_U64, offsetof(kvst_event, line)},
    {"column", F_U64, offsetof(kvst_event, column)},
};

static const field envelope_fields[] = {
    {"eventVersion", F_STR, offsetof(kvst_event, event_version)},
    {"eventTime", F_STR, offsetof(kvst_event, event_time)},
    {"eventSource", F_STR, offsetof(kvst_event, event_source)},
    {"eventName", F_STR, offsetof(kvst_event, event_name)},
    {"awsRegion", F_STR, offsetof(kvst_event, aws_region)},
    {"sourceIPAddress", F_STR, offsetof(kvst_event, source_ip_address)},
    {"userAgent", F_STR, offsetof(kvst_event, user_agent)},
    {"requestID", F_STR, offsetof(kvst_event, request_id)},
    {"eventID", F_STR, offsetof(kvst_event, event_id)},
    {"eventType", F_STR, offsetof(kvst_event, event_type)},
    {"recipientAccountId", F_STR, offsetof(kvst_event, recipient_account_id)},
    {"readOnly", F_TRI, offsetof(kvst_event, read_only)},
    {"errorCode", F_STR, offsetof(kvst_event, error_code)},
    {"errorMessage", F_STR, offsetof(kvst_event, error_message)},
};

/* After "type", "principal" and "credential". */
static const field identity_fields[] = {
    {"rootOrIamUser", F_BOOL, offsetof(kvst_identity_info, root_or_iam_user)},
    {"roleOrFederatedTemporary", F_BOOL,
     offsetof(kvst_identity_info, role_or_federated_temporary)},
    {"awsService", F_BOOL, offsetof(kvst_identity_info, aws_service)},
    {"mfa", F_TRI, offsetof(kvst_identity_info, mfa)},
    {"console", F_BOOL, offsetof(kvst_identity_info, console)},
    {"crossAccount", F_BOOL, offsetof(kvst_identity_info, cross_account)},
    {"rootAccessKey", F_BOOL, offsetof(kvst_identity_info, root_access_key)},
    {"invokedBy", F_STR, offsetof(kvst_identity_info, invoked_by)},
    {"arn", F_STR, offsetof(kvst_identity_info, arn)},
    {"accountId", F_STR, offsetof(kvst_identity_info, account_id)},
    {"userName", F_STR, offsetof(kvst_identity_info, user_name)},
};

/* After "type". */
static const field issuer_fields[] = {
    {"principalId", F_STR, offsetof(kvst_session_issuer, principal_id)},
    {"arn", F_STR, offsetof(kvst_session_issuer, arn)},
    {"accountId", F_STR, offsetof(kvst_session_issuer, account_id)},
    {"userName", F_STR, offsetof(kvst_session_issuer, user_name)},
};

/* After "code", "name" and "severity". */
static const field finding_fields[] = {
    {"pointer", F_STR, offsetof(kvst_finding, pointer)},
    {"line", F_U64, offsetof(kvst_finding, line)},
    {"column", F_U64, offsetof(kvst_finding, column)},
    {"message", F_STR, offsetof(kvst_finding, message)},
};

/* After "code". */
static const field error_fields[] = {
    {"message", F_STR, offsetof(kvst_error, message)},
    {"line", F_U64, offsetof(kvst_error, line)},
    {"column", F_U64, offsetof(kvst_error, column)},
    {"offset", F_U64, offsetof(kvst_error, offset)},
    {"length", F_U64, offsetof(kvst_error, record_length)},
    {"text", F_STR, offsetof(kvst_error, record_text)},
};

static void put_session_issuer(json_writer *w, const kvst_user_identity *uid)
{
    const kvst_session_issuer *si = NULL;

    if (uid != NULL && uid->session_context != NULL)
        si = uid->session_context->session_issuer;
    if (si == NULL) {
        put_lit(w, "null");
        return;
    }
    put_lit(w, "{\"type\":");
    put_str(w, si->type);
    put_fields(w, si, issuer_fields, COUNT(issuer_fields));
    put(w, "}", 1);
}

static void put_identity(json_writer *w, const kvst_event *ev)
{
    const kvst_identity_info *id = ev->identity;

    if (id == NULL) {
        put_lit(w, "null");
        return;
    }
    put_lit(w, "{\"type\":");
    put_str(w, id->type);
    put_key(w, "principal");
    put_cstr(w, kvst_principal_name(id->principal));
    put_key(w, "credential");
    put_cstr(w, kvst_credential_name(id->credential));
    put_fields(w, id, identity_fields, COUNT(identity_fields));
    put_key(w, "sessionIssuer");
    put_session_issuer(w, ev->user_identity);
    put(w, "}", 1);
}

static void put_findings(json_writer *w, const kvst_event *ev)
{
    size_t i;
    int first = 1;

    put(w, "[", 1);
    for (i = 0; ev->findings != NULL && i < ev->finding_count; i++) {
        const kvst_finding *f = ev->findings[i];

        if (f == NULL)
            continue;
        if (!first)
            put(w, ",", 1);
        first = 0;
        put_lit(w, "{\"code\":");
        put_u64(w, f->code);
        put_key(w, "name");
        put_cstr(w, kvst_finding_name(f->code));
        put_key(w, "severity");
        put_cstr(w, kvst_severity_name(f->severity));
        put_fields(w, f, finding_fields, COUNT(finding_fields));
        put(w, "}", 1);
    }
    put(w, "]", 1);
}

/* "success" or "failure". An event built by a caller (a 1.0 one has no
 * outcome member; a newer one may leave it KVST_OUTCOME_NONE) gets the
 * parser's rule without its ConsoleLogin part: errorCode or errorMessage. */
static void put_outcome(json_writer *w, const kvst_event *ev)
{
    int failed;

    if (ev->struct_size >= offsetof(kvst_event, outcome) + sizeof ev->outcome
        && ev->outcome != KVST_OUTCOME_NONE)
        failed = ev->outcome == KVST_OUTCOME_FAILURE;
    else
        failed = (ev->error_code.ptr && ev->error_code.len)
                 || (ev->error_message.ptr && ev->error_message.len);
    put_lit(w, failed ? "\"failure\"" : "\"success\"");
}

/* A broken record (recovery mode): where it is, and why. */
static void put_broken(json_writer *w, const kvst_event *ev)
{
    const kvst_error *e = ev->error;
    kvst_error bare;

    if (e == NULL) {
        /* Nothing more is known than the status and the record's place. */
        memset(&bare, 0, sizeof bare);
        bare.line = ev->line;
        bare.column = ev->column;
        bare.offset = ev->offset;
        bare.record_length = ev->length;
        e = &bare;
    }
    put_key(w, "error");
    put_lit(w, "{\"code\":");
    put_cstr(w, kvst_status_name(ev->status));
    put_fields(w, e, error_fields, COUNT(error_fields));
    put(w, "}", 1);
}

/* A digest file (KVST_CONTAINER_DIGEST): its members under their
 * CloudTrail names, null when absent or null. */
static const field digest_fields[] = {
    {"awsAccountId", F_STR, offsetof(kvst_digest, aws_account_id)},
    {"digestStartTime", F_STR, offsetof(kvst_digest, digest_start_time)},
    {"digestEndTime", F_STR, offsetof(kvst_digest, digest_end_time)},
    {"digestS3Bucket", F_STR, offsetof(kvst_digest, digest_s3_bucket)},
    {"digestS3Object", F_STR, offsetof(kvst_digest, digest_s3_object)},
    {"digestPublicKeyFingerprint", F_STR, offsetof(kvst_digest, digest_public_key_fingerprint)},
    {"digestSignatureAlgorithm", F_STR, offsetof(kvst_digest, digest_signature_algorithm)},
    {"newestEventTime", F_STR, offsetof(kvst_digest, newest_event_time)},
    {"oldestEventTime", F_STR, offsetof(kvst_digest, oldest_event_time)},
    {"previousDigestS3Bucket", F_STR, offsetof(kvst_digest, previous_digest_s3_bucket)},
    {"previousDigestS3Object", F_STR, offsetof(kvst_digest, previous_digest_s3_object)},
    {"previousDigestHashValue", F_STR, offsetof(kvst_digest, previous_digest_hash_value)},
    {"previousDigestHashAlgorithm", F_STR,
     offsetof(kvst_digest, previous_digest_hash_algorithm)},
    {"previousDigestSignature", F_STR, offsetof(kvst_digest, previous_digest_signature)},
};

/* After "s3Bucket". */
static const field log_file_fields[] = {
    {"s3Object", F_STR, offsetof(kvst_digest_log_file, s3_object)},
    {"hashValue", F_STR, offsetof(kvst_digest_log_file, hash_value)},
    {"hashAlgorithm", F_STR, offsetof(kvst_digest_log_file, hash_algorithm)},
    {"newestEventTime", F_STR, offsetof(kvst_digest_log_file, newest_event_time)},
    {"oldestEventTime", F_STR, offsetof(kvst_digest_log_file, oldest_event_time)},
};

static void put_digest(json_writer *w, const kvst_digest *d)
{
    size_t i;

    /* "action" as on every line, so that readers of events need no test */
    put_lit(w, ",\"container\":\"digest\",\"action\":null,\"digest\":");
    if (d == NULL) {
        put_lit(w, "null");
        return;
    }
    put(w, "{", 1);
    /* put_fields writes ",key:value": skip the first comma by hand. */
    put_lit(w, "\"awsAccountId\":");
    put_str(w, d->aws_account_id);
    put_fields(w, d, digest_fields + 1, COUNT(digest_fields) - 1);
    put_key(w, "logFiles");
    put(w, "[", 1);
    for (i = 0; d->log_files != NULL && i < d->log_file_count; i++) {
        const kvst_digest_log_file *lf = d->log_files[i];

        if (i > 0)
            put(w, ",", 1);
        if (lf == NULL) {
            put_lit(w, "null"); /* not an object: a finding says so */
            continue;
        }
        put_lit(w, "{\"s3Bucket\":");
        put_str(w, lf->s3_bucket);
        put_fields(w, lf, log_file_fields, COUNT(log_file_fields));
        put(w, "}", 1);
    }
    put_lit(w, "]}");
}

KVST_EXPORT size_t kvst_event_to_json(const kvst_event *ev, const char *file,
                                      char *buf, size_t cap)
{
    json_writer w;

    w.buf = buf;
    w.cap = buf != NULL ? cap : 0;
    w.len = 0;

    if (ev != NULL) {
        put_lit(&w, "{\"file\":");
        put_cstr(&w, file);
        put_fields(&w, ev, position_fields, COUNT(position_fields));

        if (ev->status != 0) {
            put_broken(&w, ev);
        } else if (ev->container == KVST_CONTAINER_DIGEST) {
            put_digest(&w, kvst_event_digest(ev));
            put_key(&w, "findings");
            put_findings(&w, ev);
        } else {
            const kvst_operation_def *op = NULL;

            /* Only the containers whose events differ say so, as a
             * digest's "container":"digest" does. */
            if (ev->container == KVST_CONTAINER_CLOUDWATCH_LOGS)
                put_lit(&w, ",\"container\":\"cloudwatch-logs\"");
            if (ev->action != KVST_ACTION_NONE
                && ev->action < kvst__operation_count)
                op = &kvst__operations[ev->action];
            put_fields(&w, ev, envelope_fields, COUNT(envelope_fields));
            put_key(&w, "outcome");
            put_outcome(&w, ev);
            put_key(&w, "action");
            put_cstr(&w, kvst_action_name(ev->action));
            put_key(&w, "access");
            put_cstr(&w, ev->struct_size >= offsetof(kvst_event, access) + sizeof ev->access
                             ? kvst_access_name(ev->access)
                             : NULL);
            put_key(&w, "identity");
            put_identity(&w, ev);
            put_key(&w, "request");
            put_payload(&w, ev->request, op != NULL ? op->input : NULL);
            put_key(&w, "response");
            put_payload(&w, ev->response, op != NULL ? op->output : NULL);
            put_key(&w, "findings");
            put_findings(&w, ev);
        }
        put(&w, "}", 1);
    }

    if (w.cap > 0)
        buf[w.len < w.cap ? w.len : w.cap - 1] = '\0';
    return w.len;
}
