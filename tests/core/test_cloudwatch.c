/*
 * CloudWatch Logs subscription envelopes through the public API: record
 * indexes, positions, the record limit exactly at, one under and one over
 * an envelope's size, the depth limit inside a message, pull against
 * callback, KVS-only and filters on the messages, the error of a bad
 * message with and without recovery, and the \\u escapes yajl decodes
 * wrongly read the same inside a message as in a plain record; Lambda's
 * awslogs form: the limit at, one under and one over the inflated
 * envelope and the record, bad base64 at its byte, a truncated member, and
 * escapes in the base64 text. (Every split point, gzip and refused
 * allocations: the 'splits cloudwatch' and 'oom cloudwatch' tests of
 * kvst_dump over the fixtures.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kvstrail/kvstrail.h>
#include <zlib.h>

#include "check.h"

#define EVENT_MSG "{\\\"eventVersion\\\":\\\"1.08\\\",\\\"eventSource\\\":" \
                  "\\\"kinesisvideo.amazonaws.com\\\",\\\"eventName\\\":\\\"ListStreams\\\"}"
#define OTHER_MSG "{\\\"eventVersion\\\":\\\"1.08\\\",\\\"eventSource\\\":" \
                  "\\\"s3.amazonaws.com\\\",\\\"eventName\\\":\\\"GetObject\\\"}"

typedef struct seen {
    uint64_t index[16], offset[16], line[16], column[16];
    int32_t status[16];
    uint32_t container[16];
    size_t n;
} seen;

static int on_event(const kvst_event *ev, void *payload)
{
    seen *s = (seen *)payload;
    if (s->n < 16) {
        s->index[s->n] = ev->record_index;
        s->offset[s->n] = ev->offset;
        s->line[s->n] = ev->line;
        s->column[s->n] = ev->column;
        s->status[s->n] = ev->status;
        s->container[s->n] = ev->container;
    }
    s->n++;
    return 0;
}

/* Parse text whole; the parser's status after finish, events in *s. */
static int run(const char *text, size_t len, uint32_t flags, uint64_t max_record,
               uint64_t max_depth, int pull, seen *s)
{
    kvst_parser_options o = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    const kvst_event *ev;
    int rc;

    memset(s, 0, sizeof *s);
    o.flags = flags;
    o.max_record_bytes = max_record;
    o.max_depth = max_depth;
    if (!pull) {
        o.on_event = on_event;
        o.payload = s;
    }
    CHECK_EQ(kvst_parser_new(&o, &p), 0);
    rc = kvst_parser_feed(p, text, len);
    if (rc == 0)
        rc = kvst_parser_finish(p);
    while (pull && kvst_parser_next(p, &ev) == 1)
        on_event(ev, s);
    if (pull)
        rc = kvst_parser_error(p)->code;
    kvst_parser_free(p);
    return rc;
}

static void test_envelopes(void)
{
    static const char text[] =
        "{\"messageType\":\"CONTROL_MESSAGE\",\"logEvents\":[{\"message\":\"CWL\"}]}\n"
        "{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{\"id\":\"1\",\"message\":\"" EVENT_MSG
        "\"},{\"id\":\"2\",\"message\":\"" OTHER_MSG "\"}]}\n"
        "{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[]}"
        "{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{\"message\":\"" EVENT_MSG "\"}]}";
    const char *first = strstr(text, "\"message\":\"{") + 10;
    const char *second = strstr(first + 1, "\"message\":\"{") + 10;
    const char *third = strstr(second + 1, "\"message\":\"{") + 10;
    seen s, q;
    int pull;

    for (pull = 0; pull < 2; pull++) {
        CHECK_EQ(run(text, sizeof text - 1, 0, 0, 0, pull, &s), 0);
        CHECK_EQ(s.n, 3);
        CHECK(s.index[0] == 0 && s.index[1] == 1 && s.index[2] == 2);
        CHECK_EQ(s.container[0], KVST_CONTAINER_CLOUDWATCH_LOGS);
        CHECK_EQ(s.offset[0], (uint64_t)(first - text));
        CHECK_EQ(s.offset[1], (uint64_t)(second - text));
        CHECK_EQ(s.offset[2], (uint64_t)(third - text));
        CHECK(s.line[0] == 2 && s.line[2] == 3);
        CHECK_EQ(s.column[0], (uint64_t)(first - strchr(text, '\n')));
    }
    /* KVS-only and a filter judge each message, not the envelope. */
    CHECK_EQ(run(text, sizeof text - 1, KVST_FLAG_KVS_ONLY, 0, 0, 0, &s), 0);
    CHECK(s.n == 2 && s.index[0] == 0 && s.index[1] == 2);
    CHECK_EQ(run(text, sizeof text - 1, KVST_FLAG_KVS_ONLY, 0, 0, 1, &q), 0);
    CHECK(q.n == 2 && q.index[1] == 2);
}

/* Envelopes as elements of a top-level array, beside an event: each
 * DATA_MESSAGE's messages, in order, at their quotes; the event between
 * them is an array element (container KVST_CONTAINER_ARRAY); a
 * CONTROL_MESSAGE yields nothing; an element with logEvents that is
 * neither is not CloudTrail. */
static void test_in_array(void)
{
    static const char text[] =
        "[{\"messageType\":\"CONTROL_MESSAGE\",\"logEvents\":[{\"message\":\"CWL\"}]},\n"
        " {\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{\"id\":\"1\",\"message\":\"" EVENT_MSG
        "\"},{\"id\":\"2\",\"message\":\"" OTHER_MSG "\"}]},\n"
        " {\"eventVersion\":\"1.08\",\"eventName\":\"ListStreams\"},\n"
        " {\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{\"message\":\"" EVENT_MSG "\"}]}]";
    static const char other[] =
        "[{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":{}}]";
    const char *first = strstr(text, "\"message\":\"{") + 10;
    const char *second = strstr(first + 1, "\"message\":\"{") + 10;
    const char *event = strstr(text, "{\"eventVersion");
    const char *fourth = strstr(second + 1, "\"message\":\"{") + 10;
    seen s;
    int pull;

    for (pull = 0; pull < 2; pull++) {
        CHECK_EQ(run(text, sizeof text - 1, 0, 0, 0, pull, &s), 0);
        CHECK_EQ(s.n, 4);
        CHECK(s.index[0] == 0 && s.index[1] == 1 && s.index[2] == 2 && s.index[3] == 3);
        CHECK(s.container[0] == KVST_CONTAINER_CLOUDWATCH_LOGS &&
              s.container[1] == KVST_CONTAINER_CLOUDWATCH_LOGS &&
              s.container[2] == KVST_CONTAINER_ARRAY &&
              s.container[3] == KVST_CONTAINER_CLOUDWATCH_LOGS);
        CHECK_EQ(s.offset[0], (uint64_t)(first - text));
        CHECK_EQ(s.offset[1], (uint64_t)(second - text));
        CHECK_EQ(s.offset[2], (uint64_t)(event - text));
        CHECK_EQ(s.offset[3], (uint64_t)(fourth - text));
        CHECK(s.line[0] == 2 && s.line[2] == 3 && s.line[3] == 4);
        CHECK_EQ(s.column[0], (uint64_t)(first - strchr(text, '\n')));
    }
    CHECK_EQ(run(other, sizeof other - 1, 0, 0, 0, 0, &s), KVST_E_NOT_CLOUDTRAIL);
    CHECK_EQ(s.n, 0);
}

/* The envelope is one record: the record limit exactly at its size
 * passes, one under fails at it; a message deeper than the depth limit
 * fails at the message. */
static void test_limits(void)
{
    static const char text[] =
        "{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{\"message\":\"" EVENT_MSG "\"}]}";
    static const char deep[] =
        "{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{\"message\":"
        "\"{\\\"eventName\\\":\\\"A\\\",\\\"x\\\":[[[]]]}\"}]}";
    size_t len = sizeof text - 1;
    seen s;

    CHECK_EQ(run(text, len, 0, len, 0, 0, &s), 0);
    CHECK_EQ(s.n, 1);
    CHECK_EQ(run(text, len, 0, len + 1, 0, 0, &s), 0);
    CHECK_EQ(s.n, 1);
    CHECK_EQ(run(text, len, 0, len - 1, 0, 0, &s), KVST_E_LIMIT);
    CHECK_EQ(s.n, 0);
    /* envelope 1, logEvents 2, element 3; the message's own depth is 4 */
    CHECK_EQ(run(deep, sizeof deep - 1, 0, 0, 4, 0, &s), 0);
    CHECK_EQ(s.n, 1);
    CHECK_EQ(run(deep, sizeof deep - 1, 0, 0, 3, 0, &s), KVST_E_LIMIT);
    CHECK_EQ(s.n, 0);
}

static void test_bad_message(void)
{
    static const char text[] =
        "{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{\"message\":\"" EVENT_MSG
        "\"},{\"message\":\"{oops\"},{\"message\":\"" EVENT_MSG "\"}]}";
    const char *bad = strstr(text, "\"{oops");
    kvst_parser *p = NULL;
    const kvst_error *e;
    seen s;

    CHECK_EQ(run(text, sizeof text - 1, 0, 0, 0, 0, &s), KVST_E_SYNTAX);
    CHECK_EQ(s.n, 1);
    CHECK_EQ(run(text, sizeof text - 1, KVST_FLAG_RECOVER, 0, 0, 0, &s), 0);
    CHECK_EQ(s.n, 3);
    CHECK(s.status[0] == 0 && s.status[1] == KVST_E_SYNTAX && s.status[2] == 0);
    CHECK_EQ(s.offset[1], (uint64_t)(bad - text));
    CHECK(s.index[2] == 2);

    CHECK_EQ(kvst_parser_new(NULL, &p), 0);
    CHECK_EQ(kvst_parser_feed(p, text, sizeof text - 1), KVST_E_SYNTAX);
    e = kvst_parser_error(p);
    CHECK_EQ(e->offset, (uint64_t)(bad - text));
    CHECK(e->line == 1 && e->column == (uint64_t)(bad - text) + 1);
    CHECK_EQ(e->record_index, 1);
    CHECK(strstr(e->message.ptr, "CloudWatch Logs message is not JSON") != NULL);
    CHECK(strncmp(e->excerpt.ptr, "\"{oops\"}", 8) == 0);
    kvst_parser_free(p);
}

/* The userAgent of the one event of text (its bytes into out, at most cap). */
static size_t agent_of(const char *text, size_t len, char *out, size_t cap)
{
    kvst_parser_options o = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    const kvst_event *ev;
    size_t n = 0, events = 0;

    CHECK_EQ(kvst_parser_new(&o, &p), 0);
    CHECK_EQ(kvst_parser_feed(p, text, len), 0);
    CHECK_EQ(kvst_parser_finish(p), 0);
    while (kvst_parser_next(p, &ev) == 1) {
        events++;
        n = ev->user_agent.len < cap ? ev->user_agent.len : cap;
        if (ev->user_agent.ptr)
            memcpy(out, ev->user_agent.ptr, n);
    }
    CHECK_EQ(events, 1);
    kvst_parser_free(p);
    return n;
}

/*
 * yajl decodes a lone surrogate escape, a high one before another escape
 * and \u0000 wrongly (utf8.h); the record builder decodes such strings
 * again, and so must a message's reading: each body below gives the same
 * bytes as the userAgent of a plain record and of a CloudWatch message
 * (found by fuzz_gzip: "\ud22d\ude00" in a message came out as the encoded
 * surrogate ED B8 80, which is not UTF-8).
 */
static void test_escapes(void)
{
    static const char *const bodies[] = {
        "a\\ude00b", "a\\ud800b", "\\ud800\\u0041", "a\\u0000b", "\\ud83d\\ude00",
        "\\ud22d\\ude00", "\\ud800", "\\udfff\\ud800", "plain", "x\\\"y\\\\z\\u00e9",
    };
    size_t i;

    for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        char plain[512], cw[1024], a[64], b[64];
        size_t na, nb, k, j = 0;
        int n = snprintf(plain, sizeof plain,
                         "{\"eventVersion\":\"1.08\",\"eventSource\":\"kinesisvideo.amazonaws.com\","
                         "\"eventName\":\"ListStreams\",\"userAgent\":\"%s\"}",
                         bodies[i]);
        CHECK(n > 0 && (size_t)n < sizeof plain);
        j = (size_t)snprintf(cw, sizeof cw,
                             "{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{\"message\":\"");
        for (k = 0; k < (size_t)n; k++) { /* the event as a JSON string */
            if (plain[k] == '"' || plain[k] == '\\')
                cw[j++] = '\\';
            cw[j++] = plain[k];
        }
        j += (size_t)snprintf(cw + j, sizeof cw - j, "\"}]}");
        na = agent_of(plain, (size_t)n, a, sizeof a);
        nb = agent_of(cw, j, b, sizeof b);
        if (na != nb || memcmp(a, b, na) != 0)
            fprintf(stderr, "userAgent \"%s\": %zu bytes plain, %zu in a message\n", bodies[i],
                    na, nb);
        CHECK(na == nb && memcmp(a, b, na) == 0);
    }
}


/* ---- Lambda's awslogs form ------------------------------------------------ */

static const char b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* {"awslogs":{"data":"<base64 of gzip of env>"}} into out (cap bytes);
 * its length. level 0 stores (the gzip is larger than env). */
static size_t awslogs_of(const char *env, size_t len, int level, char *out, size_t cap)
{
    unsigned char gz[8192];
    z_stream z;
    size_t n, i, j;

    memset(&z, 0, sizeof z);
    CHECK_EQ(deflateInit2(&z, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (unsigned char *)(uintptr_t)env;
    z.avail_in = (uInt)len;
    z.next_out = gz;
    z.avail_out = sizeof gz;
    CHECK_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
    n = sizeof gz - z.avail_out;
    deflateEnd(&z);
    j = (size_t)snprintf(out, cap, "{\"awslogs\":{\"data\":\"");
    for (i = 0; i < n; i += 3) {
        unsigned v = (unsigned)gz[i] << 16 | (i + 1 < n ? (unsigned)gz[i + 1] << 8 : 0) |
                     (i + 2 < n ? gz[i + 2] : 0);
        CHECK(j + 8 < cap);
        out[j++] = b64_chars[v >> 18 & 63];
        out[j++] = b64_chars[v >> 12 & 63];
        out[j++] = i + 1 < n ? b64_chars[v >> 6 & 63] : '=';
        out[j++] = i + 2 < n ? b64_chars[v & 63] : '=';
    }
    j += (size_t)snprintf(out + j, cap - j, "\"}}");
    return j;
}

/* An envelope of exactly len bytes (its logGroup pads it), one event. */
static size_t envelope_of(size_t len, char *out)
{
    static const char head[] = "{\"messageType\":\"DATA_MESSAGE\",\"logGroup\":\"";
    static const char tail[] = "\",\"logEvents\":[{\"message\":\"" EVENT_MSG "\"}]}";
    size_t pad = len - (sizeof head - 1) - (sizeof tail - 1), i;

    memcpy(out, head, sizeof head - 1);
    for (i = 0; i < pad; i++) /* not compressible much: a store is larger */
        out[sizeof head - 1 + i] = b64_chars[(i * 7 + i / 64) % 64];
    memcpy(out + sizeof head - 1 + pad, tail, sizeof tail);
    return len;
}

/* The inflated envelope is bounded by max_record_bytes as a plain one is:
 * at its size and one over it pass, one under fails, naming the limit.
 * Stored (level 0), the awslogs object is the larger, and the record's
 * own limit applies first: at its size passes, one under fails. */
static void test_awslogs_limits(void)
{
    char env[2048], aw[4096];
    size_t elen = envelope_of(1500, env), alen;
    kvst_parser *p = NULL;
    kvst_parser_options o = KVST_PARSER_OPTIONS_INIT;
    seen s;

    alen = awslogs_of(env, elen, 9, aw, sizeof aw);
    CHECK(alen < elen);
    CHECK_EQ(run(aw, alen, 0, elen, 0, 0, &s), 0);
    CHECK_EQ(s.n, 1);
    CHECK(s.offset[0] == 19 && s.line[0] == 1 && s.column[0] == 20);
    CHECK(s.container[0] == KVST_CONTAINER_CLOUDWATCH_LOGS);
    CHECK_EQ(run(aw, alen, 0, elen + 1, 0, 0, &s), 0);
    CHECK_EQ(s.n, 1);
    CHECK_EQ(run(aw, alen, 0, elen - 1, 0, 0, &s), KVST_E_LIMIT);
    CHECK_EQ(s.n, 0);
    o.max_record_bytes = elen - 1;
    CHECK_EQ(kvst_parser_new(&o, &p), 0);
    CHECK_EQ(kvst_parser_feed(p, aw, alen), KVST_E_LIMIT);
    CHECK(strstr(kvst_parser_error(p)->message.ptr, "past the limit of 1499 bytes") != NULL);
    CHECK_EQ(kvst_parser_error(p)->offset, 19);
    kvst_parser_free(p);
    /* recovery mode: a broken record at the data string */
    CHECK_EQ(run(aw, alen, KVST_FLAG_RECOVER, elen - 1, 0, 0, &s), 0);
    CHECK(s.n == 1 && s.status[0] == KVST_E_LIMIT && s.offset[0] == 19);

    alen = awslogs_of(env, elen, 0, aw, sizeof aw);
    CHECK(alen > elen);
    CHECK_EQ(run(aw, alen, 0, alen, 0, 0, &s), 0);
    CHECK_EQ(s.n, 1);
    CHECK_EQ(run(aw, alen, 0, alen + 1, 0, 0, &s), 0);
    CHECK_EQ(s.n, 1);
    CHECK_EQ(run(aw, alen, 0, alen - 1, 0, 0, &s), KVST_E_LIMIT);
    CHECK_EQ(s.n, 0);
}

/* The error of an awslogs object whose data is text, whole. */
static const kvst_error *aw_error_of(kvst_parser **p, const char *text, size_t len)
{
    int rc;
    CHECK_EQ(kvst_parser_new(NULL, p), 0);
    rc = kvst_parser_feed(*p, text, len);
    if (rc == 0)
        rc = kvst_parser_finish(*p);
    CHECK(rc != 0);
    return kvst_parser_error(*p);
}

/* Bad base64 is KVST_E_ENCODING at its byte in the input (a character
 * out of the alphabet, padding before the end, a cut group); escapes of
 * base64 characters (\/, \u0041) read as the characters; a gzip member cut
 * short is KVST_E_TRUNCATED, data that is not gzip KVST_E_GZIP, both at the
 * data string's quote. */
static void test_awslogs_bad(void)
{
    static const char env[] =
        "{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{\"message\":\"" EVENT_MSG "\"}]}";
    char aw[4096], bad[4096];
    size_t alen = awslogs_of(env, sizeof env - 1, 9, aw, sizeof aw), q = 19, i, j;
    const size_t at[] = {q + 1, q + 2, q + 30, alen - 5};
    const char bytes[] = {'*', '-', '\x01', '.'};
    kvst_parser *p = NULL;
    const kvst_error *e;
    seen s;

    CHECK_EQ(run(aw, alen, 0, 0, 0, 0, &s), 0);
    CHECK_EQ(s.n, 1);
    for (i = 0; i < sizeof at / sizeof at[0]; i++) {
        memcpy(bad, aw, alen);
        bad[at[i]] = bytes[i];
        e = aw_error_of(&p, bad, alen);
        CHECK_EQ(e->code, bytes[i] == '\x01' ? KVST_E_SYNTAX : KVST_E_ENCODING);
        if (bytes[i] != '\x01') {
            CHECK_EQ(e->offset, at[i]);
            CHECK(e->line == 1 && e->column == at[i] + 1);
            CHECK(strstr(e->message.ptr, "not base64") != NULL);
        }
        kvst_parser_free(p);
    }
    /* '=' inside: "goes on after its padding" at the character after */
    memcpy(bad, aw, alen);
    bad[q + 3] = '=';
    e = aw_error_of(&p, bad, alen);
    CHECK(e->code == KVST_E_ENCODING && e->offset == q + 4);
    kvst_parser_free(p);
    /* a group cut: at the closing quote */
    memcpy(bad, aw, alen);
    memmove(bad + q + 1, bad + q + 2, alen - q - 2);
    e = aw_error_of(&p, bad, alen - 1);
    CHECK(e->code == KVST_E_ENCODING && e->offset == alen - 4);
    CHECK(strstr(e->message.ptr, "group of four") != NULL);
    kvst_parser_free(p);
    /* escapes: every '/' as \/, the first character as \u0048 */
    for (i = 0, j = 0; i < alen; i++) {
        if (i == q + 1) {
            j += (size_t)sprintf(bad + j, "\\u00%02X", (unsigned)aw[i]);
            continue;
        }
        if (aw[i] == '/' && i > q)
            bad[j++] = '\\';
        bad[j++] = aw[i];
    }
    CHECK_EQ(run(bad, j, 0, 0, 0, 0, &s), 0);
    CHECK(s.n == 1 && s.offset[0] == q);
    /* a gzip member cut short: 12 base64 characters fewer */
    memcpy(bad, aw, alen);
    memcpy(bad + alen - 15, "\"}}", 3);
    e = aw_error_of(&p, bad, alen - 12);
    CHECK(e->code == KVST_E_TRUNCATED && e->offset == q && e->column == q + 1);
    kvst_parser_free(p);
    /* not gzip: the envelope itself, base64'd by hand ("eyJ" is '{"') */
    e = aw_error_of(&p, "{\"awslogs\":{\"data\":\"eyJ9\"}}", 27);
    CHECK(e->code == KVST_E_GZIP && e->offset == q);
    kvst_parser_free(p);
    /* recovery: the next record follows a broken one */
    memcpy(bad, aw, alen);
    bad[q + 30] = '*';
    bad[alen] = '\n';
    memcpy(bad + alen + 1, aw, alen);
    CHECK_EQ(run(bad, 2 * alen + 1, KVST_FLAG_RECOVER, 0, 0, 0, &s), 0);
    CHECK(s.n == 2 && s.status[0] == KVST_E_ENCODING && s.status[1] == 0);
    CHECK(s.offset[0] == q && s.line[1] == 2 && s.column[1] == q + 1); /* the record at its quote */
    CHECK(s.index[0] == 0 && s.index[1] == 1);
}

int main(void)
{
    test_envelopes();
    test_in_array();
    test_limits();
    test_bad_message();
    test_escapes();
    test_awslogs_limits();
    test_awslogs_bad();
    return check_done("cloudwatch");
}
