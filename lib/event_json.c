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

/* A JSON string of s[0..n): quote, backslash and control characters
 * escaped; every other byte (UTF-8, DEL) copied as it is. */
static void put_string(json_writer *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, run = 0;

    put(w, "\"", 1);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6];
        size_t esc_len = 2;

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

/* Envelope members in contract order. */
enum envelope_kind { ENV_STR, ENV_TRI };

static const struct envelope_member {
    const char *key;
    enum envelope_kind kind;
    size_t offset;
} envelope_members[] = {
    {"eventVersion", ENV_STR, offsetof(kvst_event, event_version)},
    {"eventTime", ENV_STR, offsetof(kvst_event, event_time)},
    {"eventSource", ENV_STR, offsetof(kvst_event, event_source)},
    {"eventName", ENV_STR, offsetof(kvst_event, event_name)},
    {"awsRegion", ENV_STR, offsetof(kvst_event, aws_region)},
    {"sourceIPAddress", ENV_STR, offsetof(kvst_event, source_ip_address)},
    {"userAgent", ENV_STR, offsetof(kvst_event, user_agent)},
    {"requestID", ENV_STR, offsetof(kvst_event, request_id)},
    {"eventID", ENV_STR, offsetof(kvst_event, event_id)},
    {"eventType", ENV_STR, offsetof(kvst_event, event_type)},
    {"recipientAccountId", ENV_STR, offsetof(kvst_event, recipient_account_id)},
    {"readOnly", ENV_TRI, offsetof(kvst_event, read_only)},
    {"errorCode", ENV_STR, offsetof(kvst_event, error_code)},
    {"errorMessage", ENV_STR, offsetof(kvst_event, error_message)},
};

static void put_envelope(json_writer *w, const kvst_event *ev)
{
    const char *base = (const char *)ev;
    size_t i;

    for (i = 0; i < sizeof envelope_members / sizeof envelope_members[0]; i++) {
        const struct envelope_member *e = &envelope_members[i];

        put_key(w, e->key);
        if (e->kind == ENV_STR) {
            kvst_str s;
            memcpy(&s, base + e->offset, sizeof s);
            put_str(w, s);
        } else {
            int32_t b;
            memcpy(&b, base + e->offset, sizeof b);
            put_tri(w, b);
        }
    }
}

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
    put_key(w, "principalId");
    put_str(w, si->principal_id);
    put_key(w, "arn");
    put_str(w, si->arn);
    put_key(w, "accountId");
    put_str(w, si->account_id);
    put_key(w, "userName");
    put_str(w, si->user_name);
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
    put_key(w, "rootOrIamUser");
    put_bool(w, id->root_or_iam_user != 0);
    put_key(w, "roleOrFederatedTemporary");
    put_bool(w, id->role_or_federated_temporary != 0);
    put_key(w, "awsService");
    put_bool(w, id->aws_service != 0);
    put_key(w, "mfa");
    put_tri(w, id->mfa);
    put_key(w, "console");
    put_bool(w, id->console != 0);
    put_key(w, "crossAccount");
    put_bool(w, id->cross_account != 0);
    put_key(w, "rootAccessKey");
    put_bool(w, id->root_access_key != 0);
    put_key(w, "invokedBy");
    put_str(w, id->invoked_by);
    put_key(w, "arn");
    put_str(w, id->arn);
    put_key(w, "accountId");
    put_str(w, id->account_id);
    put_key(w, "userName");
    put_str(w, id->user_name);
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
        put_key(w, "pointer");
        put_str(w, f->pointer);
        put_key(w, "line");
        put_u64(w, f->line);
        put_key(w, "column");
        put_u64(w, f->column);
        put_key(w, "message");
        put_str(w, f->message);
        put(w, "}", 1);
    }
    put(w, "]", 1);
}

/* A broken record (recovery mode): where it is, and why. */
static void put_broken(json_writer *w, const kvst_event *ev)
{
    const kvst_error *e = ev->error;

    put_key(w, "error");
    put_lit(w, "{\"code\":");
    put_cstr(w, kvst_status_name(ev->status));
    if (e == NULL) {
        /* Nothing more is known than the status and the record's place. */
        put_lit(w, ",\"message\":null");
        put_key(w, "line");
        put_u64(w, ev->line);
        put_key(w, "column");
        put_u64(w, ev->column);
        put_key(w, "offset");
        put_u64(w, ev->offset);
        put_key(w, "length");
        put_u64(w, ev->length);
        put_lit(w, ",\"text\":null}");
        return;
    }
    put_key(w, "message");
    put_str(w, e->message);
    put_key(w, "line");
    put_u64(w, e->line);
    put_key(w, "column");
    put_u64(w, e->column);
    put_key(w, "offset");
    put_u64(w, e->offset);
    put_key(w, "length");
    put_u64(w, e->record_length);
    put_key(w, "text");
    put_str(w, e->record_text);
    put(w, "}", 1);
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
        put_key(&w, "record");
        put_u64(&w, ev->record_index);
        put_key(&w, "offset");
        put_u64(&w, ev->offset);
        put_key(&w, "line");
        put_u64(&w, ev->line);
        put_key(&w, "column");
        put_u64(&w, ev->column);

        if (ev->status != 0) {
            put_broken(&w, ev);
        } else {
            const kvst_operation_def *op = NULL;

            if (ev->action != KVST_ACTION_NONE
                && ev->action < kvst__operation_count)
                op = &kvst__operations[ev->action];
            put_envelope(&w, ev);
            put_key(&w, "action");
            put_cstr(&w, kvst_action_name(ev->action));
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
