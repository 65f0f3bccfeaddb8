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
#include "utf8.h"

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

/* The inside of a JSON string of s[0..n): quote, backslash and control
 * characters escaped; well-formed UTF-8 and DEL copied as they are. A byte
 * that is not part of well-formed UTF-8 (the raw text of a broken record
 * may hold any) becomes U+FFFD, so the output is always valid JSON. */
static void put_string_body(json_writer *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t i, run = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = u[i];
        char esc[6];
        size_t esc_len = 2;

        if (c >= 0x80) {
            uint32_t cp;
            int why;
            size_t seq = kvst__utf8_decode(u + i, n - i, &cp, &why);
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
}

static void put_string(json_writer *w, const char *s, size_t n)
{
    put(w, "\"", 1);
    put_string_body(w, s, n);
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

/*
 * JSON text, re-serialised. Values the record writes as free-form JSON
 * (additionalEventData, a payload member of the wrong type, ...) are
 * printed canonically rather than copied: white space dropped, every
 * string decoded and re-escaped as put_string does (an escaped "\u0041"
 * prints as "A", a lone surrogate escape as U+FFFD), numbers as written,
 * and a repeated key once, with its last value at its first place (as
 * JSON readers such as Python's json module read it). The text comes from
 * a parsed record, but a caller's event may hold anything: it is checked
 * first, and text that is not one JSON value prints null.
 */

/* Deeper text prints null (the parser's default limit is 64). */
#define JSON_MAX_DEPTH 128u
/* The most members of an object whose keys are compared: the key
 * positions are kept on the stack. A larger object is printed member by
 * member as written, repeats included (a JSON reader keeps the last one,
 * as the rule says), so that printing stays linear in the text. */
#define JSON_DEDUPE_MAX 64u

static const char *json_ws(const char *p, const char *end)
{
    while (p < end && kvst__json_space((unsigned char)*p))
        p++;
    return p;
}

static const char *or_end(const char *p, const char *end)
{
    return p != NULL ? p : end;
}

/* The four hex digits at p (end - p >= 4), or -1. */
static long hex4(const char *p)
{
    long v = 0;
    int k;

    for (k = 0; k < 4; k++) {
        char c = p[k];
        int d;

        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Past the string whose quote is at p, or NULL when it is not one. */
static const char *json_string_end(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        unsigned char c = (unsigned char)*p;

        if (c == '"')
            return p + 1;
        if (c < 0x20)
            return NULL;
        if (c != '\\')
            continue;
        if (end - p < 2)
            return NULL;
        if (p[1] == 'u') {
            if (end - p < 6 || hex4(p + 2) < 0)
                return NULL;
            p += 5;
        } else if (strchr("\"\\/bfnrt", p[1]) != NULL && p[1] != '\0') {
            p++;
        } else {
            return NULL;
        }
    }
    return NULL;
}

static const char *json_digits(const char *p, const char *end)
{
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p;
}

/* Past the number at p (RFC 8259's grammar), or NULL. */
static const char *json_number_end(const char *p, const char *end)
{
    const char *q = p;

    if (q < end && *q == '-')
        q++;
    if (q < end && *q == '0')
        q++;
    else if (q < end && *q >= '1' && *q <= '9')
        q = json_digits(q, end);
    else
        return NULL;
    if (q < end && *q == '.') {
        const char *d = json_digits(q + 1, end);
        if (d == q + 1)
            return NULL;
        q = d;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        const char *d;
        q++;
        if (q < end && (*q == '+' || *q == '-'))
            q++;
        d = json_digits(q, end);
        if (d == q)
            return NULL;
        q = d;
    }
    return q;
}

static const char *json_literal_end(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);

    return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0 ? p + n : NULL;
}

/* Past the JSON value at p (white space before it skipped), or NULL when
 * there is none or it nests deeper than JSON_MAX_DEPTH. */
static const char *json_skip(const char *p, const char *end, unsigned depth)
{
    char close;

    p = json_ws(p, end);
    if (p >= end)
        return NULL;
    switch (*p) {
    case '"':
        return json_string_end(p, end);
    case 't':
        return json_literal_end(p, end, "true");
    case 'f':
        return json_literal_end(p, end, "false");
    case 'n':
        return json_literal_end(p, end, "null");
    case '{':
    case '[':
        break;
    default:
        return json_number_end(p, end);
    }
    if (depth >= JSON_MAX_DEPTH)
        return NULL;
    close = *p == '{' ? '}' : ']';
    p = json_ws(p + 1, end);
    if (p < end && *p == close)
        return p + 1;
    for (;;) {
        if (close == '}') {
            p = json_ws(p, end);
            if (p >= end || *p != '"')
                return NULL;
            p = json_ws(or_end(json_string_end(p, end), end), end);
            if (p >= end || *p != ':')
                return NULL;
            p++;
        }
        p = json_skip(p, end, depth + 1);
        if (p == NULL)
            return NULL;
        p = json_ws(p, end);
        if (p >= end)
            return NULL;
        if (*p == close)
            return p + 1;
        if (*p != ',')
            return NULL;
        p++;
    }
}

/* The next code point of a checked string's inside at *pp (before end):
 * escapes resolved, a surrogate pair joined; a lone surrogate, or a byte
 * outside well-formed UTF-8, is U+FFFD. */
static unsigned long json_next_cp(const char **pp, const char *end)
{
    const unsigned char *u = (const unsigned char *)*pp;
    size_t left = (size_t)(end - *pp), n;
    uint32_t cp;
    int why;
    long lo;

    if (u[0] != '\\') {
        if (u[0] < 0x80) {
            *pp += 1;
            return u[0];
        }
        n = kvst__utf8_decode(u, left, &cp, &why);
        if (n == 0) {
            *pp += 1;
            return 0xfffd;
        }
        *pp += n;
        return cp;
    }
    if (left < 2) {
        *pp = end;
        return 0xfffd;
    }
    *pp += 2;
    switch (u[1]) {
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'u': break;
    default: return u[1]; /* '"', '\\', '/' */
    }
    if (left < 6 || hex4(*pp) < 0) {
        *pp = end;
        return 0xfffd;
    }
    cp = (uint32_t)hex4(*pp);
    *pp += 4;
    if (cp >= 0xdc00 && cp <= 0xdfff)
        return 0xfffd;
    if (cp < 0xd800 || cp > 0xdbff)
        return cp;
    if (end - *pp < 6 || (*pp)[0] != '\\' || (*pp)[1] != 'u')
        return 0xfffd;
    lo = hex4(*pp + 2);
    if (lo < 0xdc00 || lo > 0xdfff)
        return 0xfffd;
    *pp += 6;
    return 0x10000 + ((cp - 0xd800) << 10) + ((unsigned long)lo - 0xdc00);
}

/* One code point inside a string: ASCII through put_string_body (which
 * escapes it if need be), the rest as UTF-8. */
static void put_cp(json_writer *w, unsigned long cp)
{
    char b[4];

    if (cp < 0x80) {
        b[0] = (char)cp;
        put_string_body(w, b, 1);
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3f));
        put(w, b, 2);
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        put(w, b, 3);
    } else {
        b[0] = (char)(0xf0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        put(w, b, 4);
    }
}

/* The checked string whose quote is at p; returns past it. Runs without
 * a backslash go to put_string_body whole (a run ends at an ASCII byte, so
 * no UTF-8 sequence is cut). */
static const char *put_json_string(json_writer *w, const char *p, const char *end)
{
    const char *q = p + 1, *run = q;

    put(w, "\"", 1);
    while (q < end && *q != '"') {
        if (*q != '\\') {
            q++;
            continue;
        }
        put_string_body(w, run, (size_t)(q - run));
        put_cp(w, json_next_cp(&q, end));
        run = q;
    }
    put_string_body(w, run, (size_t)(q - run));
    put(w, "\"", 1);
    return q < end ? q + 1 : end;
}

/* Whether the checked keys whose quotes are at a and b decode alike. */
static int json_key_equal(const char *a, const char *b, const char *end)
{
    const char *ae = or_end(json_string_end(a, end), end) - 1;
    const char *be = or_end(json_string_end(b, end), end) - 1;

    a++;
    b++;
    if (ae - a == be - b && memcmp(a, b, (size_t)(ae - a)) == 0)
        return 1;
    if (memchr(a, '\\', (size_t)(ae - a)) == NULL && memchr(b, '\\', (size_t)(be - b)) == NULL)
        return 0;
    while (a < ae && b < be) {
        if (json_next_cp(&a, ae) != json_next_cp(&b, be))
            return 0;
    }
    return a >= ae && b >= be;
}

/* The value of the member whose key's quote is at k. */
static const char *member_value(const char *k, const char *end)
{
    const char *q = json_ws(or_end(json_string_end(k, end), end), end);

    return json_ws(q < end ? q + 1 : end, end);
}

/* The key of the member after the one at k, or its object's '}'. */
static const char *member_next(const char *k, const char *end, unsigned depth)
{
    const char *q = json_ws(or_end(json_skip(member_value(k, end), end, depth), end), end);

    return q < end && *q == ',' ? json_ws(q + 1, end) : q;
}

static const char *put_json(json_writer *w, const char *p, const char *end, unsigned depth);

/* "key":value of one member; first: no comma before it. */
static void put_json_member(json_writer *w, const char *k, const char *value, const char *end,
                            unsigned depth, int first)
{
    if (!first)
        put(w, ",", 1);
    put_json_string(w, k, end);
    put(w, ":", 1);
    put_json(w, value, end, depth);
}

static const char *put_json_object(json_writer *w, const char *p, const char *end,
                                   unsigned depth)
{
    const char *key[JSON_DEDUPE_MAX] = {NULL};
    const char *q;
    size_t n = 0, i, j;
    int first = 1;

    for (q = json_ws(p + 1, end); q < end && *q == '"'; q = member_next(q, end, depth + 1)) {
        if (n < JSON_DEDUPE_MAX)
            key[n] = q;
        n++;
    }
    put(w, "{", 1);
    if (n > JSON_DEDUPE_MAX) {
        for (q = json_ws(p + 1, end); q < end && *q == '"'; q = member_next(q, end, depth + 1)) {
            put_json_member(w, q, member_value(q, end), end, depth + 1, first);
            first = 0;
        }
    } else {
        for (i = 0; i < n && key[i] != NULL; i++) {
            const char *value = member_value(key[i], end);

            for (j = 0; j < i && !json_key_equal(key[j], key[i], end); j++)
                ;
            if (j < i)
                continue; /* printed at its first place */
            for (j = i + 1; j < n && key[j] != NULL; j++) {
                if (json_key_equal(key[j], key[i], end))
                    value = member_value(key[j], end);
            }
            put_json_member(w, key[i], value, end, depth + 1, first);
            first = 0;
        }
        q = n > 0 && key[n - 1] != NULL ? member_next(key[n - 1], end, depth + 1)
                                        : json_ws(p + 1, end);
    }
    put(w, "}", 1);
    return q < end ? q + 1 : end;
}

static const char *put_json(json_writer *w, const char *p, const char *end, unsigned depth)
{
    const char *q;
    int first = 1;

    p = json_ws(p, end);
    if (p >= end)
        return end;
    switch (*p) {
    case '"':
        return put_json_string(w, p, end);
    case '{':
        return put_json_object(w, p, end, depth);
    case '[':
        put(w, "[", 1);
        for (q = json_ws(p + 1, end); q < end && *q != ']';) {
            if (!first)
                put(w, ",", 1);
            first = 0;
            q = json_ws(put_json(w, q, end, depth + 1), end);
            if (q < end && *q == ',')
                q = json_ws(q + 1, end);
        }
        put(w, "]", 1);
        return q < end ? q + 1 : end;
    default: /* a number or a literal: as written */
        q = or_end(json_skip(p, end, depth), end);
        put(w, p, (size_t)(q - p));
        return q;
    }
}

/* JSON text (one value, white space around it allowed), or null when it
 * is not that. */
static void put_json_text(json_writer *w, kvst_str text)
{
    const char *end, *after;

    if (text.ptr == NULL) {
        put_lit(w, "null");
        return;
    }
    end = text.ptr + text.len;
    after = json_skip(text.ptr, end, 0);
    if (after == NULL || json_ws(after, end) != end) {
        put_lit(w, "null");
        return;
    }
    put_json(w, text.ptr, end, 0);
}

/* A generic kvst_value (a lookup's, webIdFederationData.attributes,
 * additionalEventData): null when absent or null, else its JSON value. */
static void put_json_value(json_writer *w, const kvst_value *v)
{
    if (v->state == KVST_VALUE_ABSENT || v->state == KVST_VALUE_NULL)
        put_lit(w, "null");
    else if (v->json_type == KVST_JSON_STRING)
        put_str(w, v->text);
    else if (v->json_type == KVST_JSON_BOOLEAN)
        put_bool(w, v->i != 0);
    else
        put_json_text(w, v->text);
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
            put_json_text(w, v->text);
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
        put_json_text(w, v->text);
        break;
    case KVST_TYPE_TIMESTAMP:
        if (v->json_type == KVST_JSON_STRING)
            put_str(w, v->text);
        else
            put_json_text(w, v->text);
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
        put_json_text(w, v->text);
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

static const size_t field_size[] = {
    sizeof(kvst_str), sizeof(int32_t), sizeof(int32_t), sizeof(uint64_t),
};

/* The value of one field of the struct at base. Every struct of the
 * tables begins with struct_size: a member past it (a caller's struct
 * built against an older header) prints null. */
static void put_field_value(json_writer *w, const void *base, const field *f)
{
    const char *p = (const char *)base;
    size_t size;

    memcpy(&size, p, sizeof size);
    if (size < f->offset + field_size[f->kind]) {
        put_lit(w, "null");
        return;
    }
    switch (f->kind) {
    case F_STR: {
        kvst_str s;
        memcpy(&s, p + f->offset, sizeof s);
        put_str(w, s);
        break;
    }
    case F_TRI:
    case F_BOOL: {
        int32_t b;
        memcpy(&b, p + f->offset, sizeof b);
        if (f->kind == F_TRI)
            put_tri(w, b);
        else
            put_bool(w, b != 0);
        break;
    }
    case F_U64: {
        uint64_t u;
        memcpy(&u, p + f->offset, sizeof u);
        put_u64(w, u);
        break;
    }
    }
}

/* ,"key":value for each field of the struct at base. */
static void put_fields(json_writer *w, const void *base, const field *f,
                       size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        put_key(w, f[i].key);
        put_field_value(w, base, &f[i]);
    }
}

/* {"key":value,...} of the struct at base, or null when base is NULL. */
static void put_object(json_writer *w, const void *base, const field *f,
                       size_t n)
{
    if (base == NULL) {
        put_lit(w, "null");
        return;
    }
    put(w, "{\"", 2);
    put_lit(w, f[0].key);
    put(w, "\":", 2);
    put_field_value(w, base, &f[0]);
    put_fields(w, base, f + 1, n - 1);
    put(w, "}", 1);
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
    /* since 1.1 */
    {"apiVersion", F_STR, offsetof(kvst_event, api_version)},
    {"managementEvent", F_TRI, offsetof(kvst_event, management_event)},
    {"sharedEventID", F_STR, offsetof(kvst_event, shared_event_id)},
    {"vpcEndpointId", F_STR, offsetof(kvst_event, vpc_endpoint_id)},
    {"vpcEndpointAccountId", F_STR, offsetof(kvst_event, vpc_endpoint_account_id)},
    {"eventCategory", F_STR, offsetof(kvst_event, event_category)},
    {"sessionCredentialFromConsole", F_TRI,
     offsetof(kvst_event, session_credential_from_console)},
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

/* After "sessionIssuer", "principalId" and "accessKeyId": the rest of the
 * verdict (since 1.1). */
static const field identity_more_fields[] = {
    {"assumedRoot", F_BOOL, offsetof(kvst_identity_info, assumed_root)},
    {"imdsv1", F_BOOL, offsetof(kvst_identity_info, imdsv1)},
    {"issuerType", F_STR, offsetof(kvst_identity_info, issuer_type)},
    {"issuerName", F_STR, offsetof(kvst_identity_info, issuer_name)},
    {"issuerArn", F_STR, offsetof(kvst_identity_info, issuer_arn)},
    {"issuerAccountId", F_STR, offsetof(kvst_identity_info, issuer_account_id)},
    {"onBehalfOfUserId", F_STR, offsetof(kvst_identity_info, on_behalf_of_user_id)},
    {"identityStoreArn", F_STR, offsetof(kvst_identity_info, identity_store_arn)},
    {"otherAccountId", F_STR, offsetof(kvst_identity_info, other_account_id)},
};

/* userIdentity as the record writes it (since 1.1), after "type". */
static const field user_identity_fields[] = {
    {"principalId", F_STR, offsetof(kvst_user_identity, principal_id)},
    {"arn", F_STR, offsetof(kvst_user_identity, arn)},
    {"accountId", F_STR, offsetof(kvst_user_identity, account_id)},
    {"accessKeyId", F_STR, offsetof(kvst_user_identity, access_key_id)},
    {"userName", F_STR, offsetof(kvst_user_identity, user_name)},
    {"invokedBy", F_STR, offsetof(kvst_user_identity, invoked_by)},
    {"credentialId", F_STR, offsetof(kvst_user_identity, credential_id)},
    {"identityProvider", F_STR, offsetof(kvst_user_identity, identity_provider)},
};

/* sessionContext.attributes */
static const field session_attr_fields[] = {
    {"creationDate", F_STR, offsetof(kvst_session_context, creation_date)},
    {"mfaAuthenticated", F_STR, offsetof(kvst_session_context, mfa_authenticated)},
};

/* After "attributes". */
static const field session_fields[] = {
    {"sourceIdentity", F_STR, offsetof(kvst_session_context, source_identity)},
    {"ec2RoleDelivery", F_STR, offsetof(kvst_session_context, ec2_role_delivery)},
    {"assumedRoot", F_STR, offsetof(kvst_session_context, assumed_root)},
};

static const field on_behalf_of_fields[] = {
    {"userId", F_STR, offsetof(kvst_on_behalf_of, user_id)},
    {"identityStoreArn", F_STR, offsetof(kvst_on_behalf_of, identity_store_arn)},
};

static const field in_scope_of_fields[] = {
    {"issuerType", F_STR, offsetof(kvst_in_scope_of, issuer_type)},
    {"credentialsIssuedTo", F_STR, offsetof(kvst_in_scope_of, credentials_issued_to)},
    {"sourceArn", F_STR, offsetof(kvst_in_scope_of, source_arn)},
    {"sourceAccount", F_STR, offsetof(kvst_in_scope_of, source_account)},
};

static const field resource_fields[] = {
    {"ARN", F_STR, offsetof(kvst_resource, arn)},
    {"accountId", F_STR, offsetof(kvst_resource, account_id)},
    {"type", F_STR, offsetof(kvst_resource, type)},
};

static const field tls_fields[] = {
    {"tlsVersion", F_STR, offsetof(kvst_tls_details, tls_version)},
    {"cipherSuite", F_STR, offsetof(kvst_tls_details, cipher_suite)},
    {"clientProvidedHostHeader", F_STR,
     offsetof(kvst_tls_details, client_provided_host_header)},
};

static const field addendum_fields[] = {
    {"reason", F_STR, offsetof(kvst_addendum, reason)},
    {"updatedFields", F_STR, offsetof(kvst_addendum, updated_fields)},
    {"originalRequestID", F_STR, offsetof(kvst_addendum, original_request_id)},
    {"originalEventID", F_STR, offsetof(kvst_addendum, original_event_id)},
};

static const field issuer_fields[] = {
    {"type", F_STR, offsetof(kvst_session_issuer, type)},
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

static const kvst_session_issuer *session_issuer_of(const kvst_user_identity *uid)
{
    return uid != NULL && uid->session_context != NULL ? uid->session_context->session_issuer
                                                       : NULL;
}

static void put_session_context(json_writer *w, const kvst_session_context *sc)
{
    if (sc == NULL) {
        put_lit(w, "null");
        return;
    }
    put_lit(w, "{\"sessionIssuer\":");
    put_object(w, sc->session_issuer, issuer_fields, COUNT(issuer_fields));
    /* The two inline objects are null when the record gave neither of
     * their members (the struct holds their members, not the objects). */
    put_key(w, "webIdFederationData");
    if (sc->web_id_federated_provider.ptr != NULL
        || sc->web_id_attributes.state != KVST_VALUE_ABSENT) {
        put_lit(w, "{\"federatedProvider\":");
        put_str(w, sc->web_id_federated_provider);
        put_key(w, "attributes");
        put_json_value(w, &sc->web_id_attributes);
        put(w, "}", 1);
    } else {
        put_lit(w, "null");
    }
    put_key(w, "attributes");
    put_object(w, sc->creation_date.ptr != NULL || sc->mfa_authenticated.ptr != NULL ? sc : NULL,
               session_attr_fields, COUNT(session_attr_fields));
    put_fields(w, sc, session_fields, COUNT(session_fields));
    put(w, "}", 1);
}

static void put_user_identity(json_writer *w, const kvst_user_identity *uid)
{
    if (uid == NULL) {
        put_lit(w, "null");
        return;
    }
    put_lit(w, "{\"type\":");
    put_str(w, uid->type);
    put_fields(w, uid, user_identity_fields, COUNT(user_identity_fields));
    put_key(w, "sessionContext");
    put_session_context(w, uid->session_context);
    put_key(w, "onBehalfOf");
    put_object(w, uid->on_behalf_of, on_behalf_of_fields, COUNT(on_behalf_of_fields));
    put_key(w, "inScopeOf");
    put_object(w, uid->in_scope_of, in_scope_of_fields, COUNT(in_scope_of_fields));
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
    put_object(w, session_issuer_of(ev->user_identity), issuer_fields, COUNT(issuer_fields));
    put_key(w, "principalId");
    put_str(w, ev->user_identity != NULL ? ev->user_identity->principal_id : (kvst_str){NULL, 0});
    put_key(w, "accessKeyId");
    put_str(w, ev->user_identity != NULL ? ev->user_identity->access_key_id : (kvst_str){NULL, 0});
    put_fields(w, id, identity_more_fields, COUNT(identity_more_fields));
    put(w, "}", 1);
}

static void put_resources(json_writer *w, const kvst_event *ev)
{
    size_t i;
    int first = 1;

    if (ev->resources == NULL) {
        put_lit(w, "null");
        return;
    }
    put(w, "[", 1);
    for (i = 0; i < ev->resource_count; i++) {
        if (ev->resources[i] == NULL)
            continue;
        if (!first)
            put(w, ",", 1);
        first = 0;
        put_object(w, ev->resources[i], resource_fields, COUNT(resource_fields));
    }
    put(w, "]", 1);
}

/* The free-form members of 1.1; null for an older caller's event. */
static void put_event_value(json_writer *w, const kvst_event *ev, const char *key,
                            const kvst_value *v)
{
    put_key(w, key);
    if (ev->struct_size >= offsetof(kvst_event, insight_details) + sizeof ev->insight_details)
        put_json_value(w, v);
    else
        put_lit(w, "null");
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
        bare.struct_size = sizeof bare;
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
            put_key(&w, "userIdentity");
            put_user_identity(&w, ev->user_identity);
            put_key(&w, "identity");
            put_identity(&w, ev);
            put_key(&w, "request");
            put_payload(&w, ev->request, op != NULL ? op->input : NULL);
            put_key(&w, "response");
            put_payload(&w, ev->response, op != NULL ? op->output : NULL);
            put_event_value(&w, ev, "additionalEventData", &ev->additional_event_data);
            put_event_value(&w, ev, "serviceEventDetails", &ev->service_event_details);
            put_event_value(&w, ev, "insightDetails", &ev->insight_details);
            put_key(&w, "resources");
            put_resources(&w, ev);
            put_key(&w, "tlsDetails");
            put_object(&w, ev->tls_details, tls_fields, COUNT(tls_fields));
            put_key(&w, "addendum");
            put_object(&w, ev->addendum, addendum_fields, COUNT(addendum_fields));
            put_key(&w, "findings");
            put_findings(&w, ev);
        }
        put(&w, "}", 1);
    }

    if (w.cap > 0)
        buf[w.len < w.cap ? w.len : w.cap - 1] = '\0';
    return w.len;
}
