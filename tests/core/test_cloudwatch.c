/*
 * CloudWatch Logs subscription envelopes through the public API: record
 * indexes, positions, the record limit exactly at, one under and one over
 * an envelope's size, the depth limit inside a message, pull against
 * callback, KVS-only and filters on the messages, and the error of a bad
 * message with and without recovery. (Every split point, gzip and refused
 * allocations: the 'splits cloudwatch' and 'oom cloudwatch' tests of
 * kvst_dump over the fixtures.)
 */
#include <stdlib.h>

#include <kvstrail/kvstrail.h>

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

int main(void)
{
    test_envelopes();
    test_in_array();
    test_limits();
    test_bad_message();
    return check_done("cloudwatch");
}
