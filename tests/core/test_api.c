/*
 * Unit tests of the parser's public API: options and ABI checks, both
 * delivery modes, sticky errors, limits, lookups, deep copies, counters.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kvstrail/kvstrail.h>

#include "check.h"

static int str_eq(kvst_str s, const char *want)
{
    return s.ptr && s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0 &&
           s.ptr[s.len] == '\0';
}

static const char two_events[] =
    "{\"Records\":[\n"
    "{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-03-01T00:00:01Z\","
    "\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"CreateStream\","
    "\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"203.0.113.9\",\"readOnly\":false,"
    "\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::123456789012:user/a~b/c\","
    "\"accountId\":\"123456789012\",\"accessKeyId\":\"AKIAIOSFODNN7EXAMPLE\"},"
    "\"requestParameters\":{\"streamName\":\"cam-1\",\"dataRetentionInHours\":24,"
    "\"tags\":{\"Owner\":\"ops\",\"a/b\":\"x\"}},"
    "\"resources\":[{\"ARN\":\"arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam-1/1700000000000\","
    "\"accountId\":\"123456789012\"}],"
    "\"eventID\":\"b7acfcd0-6ca9-4ee1-a3d7-c4e8d420d99b\",\"recipientAccountId\":\"123456789012\"},\n"
    "{\"eventVersion\":\"1.10\",\"eventTime\":\"2024-03-01T00:00:02Z\","
    "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\","
    "\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"s3.amazonaws.com\","
    "\"userIdentity\":{\"type\":\"AWSService\",\"invokedBy\":\"s3.amazonaws.com\"}}\n"
    "]}\n";

typedef struct collect {
    int n;
    int stop_after;
    kvst_event *copies[8];
} collect;

static int on_event(const kvst_event *ev, void *payload)
{
    collect *c = (collect *)payload;
    if (c->n < 8)
        CHECK_EQ(kvst_event_copy(ev, &c->copies[c->n]), 0);
    c->n++;
    return c->stop_after && c->n >= c->stop_after;
}

static kvst_parser *parser_with(uint32_t flags, kvst_event_fn fn, void *payload)
{
    kvst_parser_options o = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    o.flags = flags;
    o.on_event = fn;
    o.payload = payload;
    CHECK_EQ(kvst_parser_new(&o, &p), 0);
    return p;
}

static void test_version_and_status(void)
{
    CHECK(strcmp(kvst_version_string(), KVST_VERSION_STRING) == 0);
    CHECK_EQ(kvst_version_number(), KVST_VERSION_NUM);
    CHECK(KVST_AT_LEAST_VERSION(1, 0, 0));
    CHECK(!KVST_AT_LEAST_VERSION(99, 0, 0));
    CHECK(strcmp(kvst_status_name(KVST_E_SYNTAX), "KVST_E_SYNTAX") == 0);
    CHECK(strcmp(kvst_status_name(KVST_E_NOT_CLOUDTRAIL), "KVST_E_NOT_CLOUDTRAIL") == 0);
    CHECK(strcmp(kvst_status_name(-999), "KVST_E_UNKNOWN") == 0);
    CHECK(strcmp(kvst_status_name(5), "KVST_E_UNKNOWN") == 0);
    CHECK(kvst_strerror(KVST_E_NOMEM)[0] != '\0');
    CHECK(kvst_strerror(-999) != NULL);
}

static void test_options(void)
{
    kvst_parser *p = NULL;
    struct bigger {
        kvst_parser_options o;
        uint64_t future;
    } big;
    kvst_parser_options o = KVST_PARSER_OPTIONS_INIT;

    CHECK_EQ(kvst_parser_new(NULL, NULL), KVST_E_INVAL);
    CHECK_EQ(kvst_parser_new(NULL, &p), 0);
    kvst_parser_free(p);
    kvst_parser_free(NULL);

    o.struct_size = sizeof(size_t);
    CHECK_EQ(kvst_parser_new(&o, &p), KVST_E_ABI);
    CHECK(p == NULL);

    memset(&big, 0, sizeof big);
    CHECK_EQ(kvst_parser_options_init(&big.o, sizeof big), 0);
    CHECK_EQ(big.o.struct_size, sizeof big);
    CHECK_EQ(kvst_parser_new(&big.o, &p), 0); /* unknown tail all zero */
    kvst_parser_free(p);
    big.future = 1;
    CHECK_EQ(kvst_parser_new(&big.o, &p), KVST_E_ABI);
    CHECK_EQ(kvst_parser_options_init(&o, 4), KVST_E_ABI);

    o = (kvst_parser_options)KVST_PARSER_OPTIONS_INIT;
    o.flags = 0x80000000u;
    CHECK_EQ(kvst_parser_new(&o, &p), KVST_E_INVAL);
}

static void test_callback_copy_lookup(void)
{
    collect c;
    kvst_parser *p;
    kvst_value v;
    const kvst_event *e;
    const kvst_kvs_create_stream_input *req;
    uint64_t records = 0, in = 0, json = 0;

    memset(&c, 0, sizeof c);
    p = parser_with(0, on_event, &c);
    CHECK_EQ(kvst_parser_feed(p, two_events, sizeof two_events - 1), 0);
    CHECK_EQ(kvst_parser_finish(p), 0);
    CHECK_EQ(kvst_parser_error(p)->code, 0);
    kvst_parser_stats(p, &records, &in, &json);
    CHECK_EQ(records, 2);
    CHECK_EQ(in, sizeof two_events - 1);
    CHECK_EQ(json, sizeof two_events - 1);
    CHECK_EQ(kvst_parser_feed(p, "{}", 2), KVST_E_INVAL); /* after finish */
    kvst_parser_free(p); /* the copies must outlive the parser */
    CHECK_EQ(c.n, 2);

    e = c.copies[0];
    CHECK(e->struct_size == sizeof *e);
    CHECK_EQ(e->action, KVST_ACTION_CREATE_STREAM);
    CHECK_EQ(e->container, KVST_CONTAINER_LOG_FILE);
    CHECK_EQ(e->record_index, 0);
    CHECK_EQ(e->line, 2);
    CHECK_EQ(e->column, 1);
    CHECK_EQ(e->offset, 13);
    CHECK(str_eq(e->event_name, "CreateStream"));
    CHECK_EQ(e->event_version_major, 1);
    CHECK_EQ(e->event_version_minor, 8);
    CHECK_EQ(e->event_time_valid, 1);
    CHECK_EQ(e->event_time_ms, 1709251201000LL);
    CHECK_EQ(e->read_only, KVST_BOOL_FALSE);
    CHECK_EQ(e->management_event, KVST_BOOL_ABSENT);
    CHECK(e->user_identity && str_eq(e->user_identity->type, "IAMUser"));
    CHECK(e->identity && e->identity->principal == KVST_PRINCIPAL_IAM_USER);
    CHECK_EQ(e->identity->credential, KVST_CREDENTIAL_LONG_TERM);
    CHECK_EQ(e->resource_count, 1);
    CHECK(str_eq(e->resources[0]->account_id, "123456789012"));
    CHECK(e->raw.ptr == NULL); /* KEEP_RAW not set */
    req = (const kvst_kvs_create_stream_input *)e->request;
    CHECK(req != NULL);
    if (req) {
        CHECK_EQ(req->stream_name.state, KVST_VALUE_OK);
        CHECK(str_eq(req->stream_name.text, "cam-1"));
        CHECK_EQ(req->data_retention_in_hours.i, 24);
        CHECK_EQ(req->tags.count, 2);
        CHECK(str_eq(req->tags.keys[1], "a/b"));
        CHECK(str_eq(req->tags.items[0].text, "ops"));
        CHECK_EQ(req->media_type.state, KVST_VALUE_ABSENT);
    }

    CHECK_EQ(kvst_event_lookup(e, "/requestParameters/streamName", &v), 0);
    CHECK(str_eq(v.text, "cam-1") && v.json_type == KVST_JSON_STRING);
    CHECK_EQ(kvst_event_lookup(e, "/requestParameters/tags/a~1b", &v), 0);
    CHECK(str_eq(v.text, "x"));
    CHECK_EQ(kvst_event_lookup(e, "/resources/0/accountId", &v), 0);
    CHECK(str_eq(v.text, "123456789012"));
    CHECK_EQ(kvst_event_lookup(e, "/requestParameters/dataRetentionInHours", &v), 0);
    CHECK(v.json_type == KVST_JSON_INTEGER && str_eq(v.text, "24"));
    CHECK_EQ(kvst_event_lookup(e, "/readOnly", &v), 0);
    CHECK(v.json_type == KVST_JSON_BOOLEAN && v.i == 0);
    CHECK_EQ(kvst_event_lookup(e, "/requestParameters/tags", &v), 0);
    CHECK(v.json_type == KVST_JSON_OBJECT && v.count == 2 && v.text.ptr[0] == '{' &&
          v.text.ptr[v.text.len - 1] == '}');
    CHECK_EQ(kvst_event_lookup(e, "", &v), 0);
    CHECK(v.json_type == KVST_JSON_OBJECT && v.text.len == e->length);
    CHECK_EQ(kvst_event_lookup(e, "/resources/1", &v), KVST_E_NOT_FOUND);
    CHECK_EQ(kvst_event_lookup(e, "/resources/01", &v), KVST_E_NOT_FOUND);
    CHECK_EQ(kvst_event_lookup(e, "/nope", &v), KVST_E_NOT_FOUND);
    CHECK_EQ(kvst_event_lookup(e, "nope", &v), KVST_E_INVAL);
    CHECK_EQ(kvst_event_lookup(e, "/a~2", &v), KVST_E_INVAL);

    e = c.copies[1];
    CHECK_EQ(e->action, KVST_ACTION_NONE);
    CHECK(e->request == NULL);
    CHECK(e->identity->aws_service);
    CHECK_EQ(e->event_version_minor, 10);
    kvst_event_free(c.copies[0]);
    kvst_event_free(c.copies[1]);
    kvst_event_free(NULL);
}

static void test_abort_and_kvs_only(void)
{
    collect c;
    kvst_parser *p;

    memset(&c, 0, sizeof c);
    c.stop_after = 1;
    p = parser_with(0, on_event, &c);
    CHECK_EQ(kvst_parser_feed(p, two_events, sizeof two_events - 1), KVST_E_ABORTED);
    CHECK_EQ(kvst_parser_finish(p), KVST_E_ABORTED); /* sticky */
    CHECK_EQ(c.n, 1);
    kvst_parser_free(p);
    kvst_event_free(c.copies[0]);

    memset(&c, 0, sizeof c);
    p = parser_with(KVST_FLAG_KVS_ONLY | KVST_FLAG_KEEP_RAW, on_event, &c);
    CHECK_EQ(kvst_parser_feed(p, two_events, sizeof two_events - 1), 0);
    CHECK_EQ(kvst_parser_finish(p), 0);
    kvst_parser_free(p);
    CHECK_EQ(c.n, 1);
    CHECK(c.copies[0]->raw.ptr && c.copies[0]->raw.ptr[0] == '{' &&
          c.copies[0]->raw.len == c.copies[0]->length);
    kvst_event_free(c.copies[0]);
}

static void test_pull_then_error(void)
{
    kvst_parser *p = parser_with(0, NULL, NULL);
    const kvst_event *ev;
    const kvst_error *err;
    /* two complete records, then a syntax error in the third */
    static const char in[] =
        "[{\"eventName\":\"A\"},\n{\"eventName\":\"B\"},\n{\"eventName\":\"C\" \"x\":1}]";
    int rc = kvst_parser_feed(p, in, sizeof in - 1);

    CHECK_EQ(rc, KVST_E_SYNTAX);
    CHECK_EQ(kvst_parser_next(p, &ev), 1);
    CHECK(ev && str_eq(ev->event_name, "A"));
    CHECK_EQ(kvst_parser_next(p, &ev), 1);
    CHECK(ev && str_eq(ev->event_name, "B") && ev->container == KVST_CONTAINER_ARRAY);
    CHECK_EQ(kvst_parser_next(p, &ev), KVST_E_SYNTAX);
    CHECK(ev == NULL);
    err = kvst_parser_error(p);
    CHECK_EQ(err->code, KVST_E_SYNTAX);
    CHECK_EQ(err->line, 3);
    CHECK_EQ(err->column, 18);
    CHECK_EQ(err->record_index, 2);
    CHECK(str_eq(err->pointer, "/eventName"));
    CHECK(err->excerpt.len > 0 && strchr(err->excerpt.ptr, '^') != NULL);
    CHECK_EQ(kvst_parser_feed(p, "x", 1), KVST_E_SYNTAX);
    kvst_parser_free(p);
}

static void test_limits(void)
{
    kvst_parser_options o = KVST_PARSER_OPTIONS_INIT;
    kvst_parser *p = NULL;
    static const char rec[] = "{\"eventName\":\"0123456789abcdef0123456789\"}";

    o.max_string_bytes = 16;
    CHECK_EQ(kvst_parser_new(&o, &p), 0);
    CHECK_EQ(kvst_parser_feed(p, rec, sizeof rec - 1), KVST_E_LIMIT);
    CHECK_EQ(kvst_parser_error(p)->column, 14 + 28);
    kvst_parser_free(p);

    o = (kvst_parser_options)KVST_PARSER_OPTIONS_INIT;
    o.max_record_bytes = 20;
    CHECK_EQ(kvst_parser_new(&o, &p), 0);
    CHECK_EQ(kvst_parser_feed(p, rec, sizeof rec - 1), KVST_E_LIMIT);
    kvst_parser_free(p);

    o = (kvst_parser_options)KVST_PARSER_OPTIONS_INIT;
    o.max_depth = 2;
    CHECK_EQ(kvst_parser_new(&o, &p), 0);
    CHECK_EQ(kvst_parser_feed(p, "{\"eventName\":{\"a\":{}}}", 22), KVST_E_LIMIT);
    CHECK_EQ(kvst_parser_error(p)->column, 19);
    kvst_parser_free(p);

    /* a string longer than the limit split over many chunks: yajl must not
     * be allowed to buffer it without bound */
    o = (kvst_parser_options)KVST_PARSER_OPTIONS_INIT;
    o.max_string_bytes = 1024;
    CHECK_EQ(kvst_parser_new(&o, &p), 0);
    {
        char chunk[4096];
        int i, rc = 0;
        memset(chunk, 'a', sizeof chunk);
        CHECK_EQ(kvst_parser_feed(p, "{\"eventName\":\"", 14), 0);
        for (i = 0; i < 100000 && rc == 0; i++)
            rc = kvst_parser_feed(p, chunk, sizeof chunk);
        CHECK_EQ(rc, KVST_E_LIMIT);
        CHECK(i < 100);
    }
    kvst_parser_free(p);

    /* A record over the limit found at its closing brace is reported at
     * its start, on the line it starts on, though it spans lines the
     * tokenizer no longer holds. */
    o = (kvst_parser_options)KVST_PARSER_OPTIONS_INIT;
    o.max_record_bytes = 1000;
    CHECK_EQ(kvst_parser_new(&o, &p), 0);
    {
        static const char head[] = "{\"Records\":[\n  {\n   \"eventName\":\"A\"";
        char pad[300];
        int i, rc;
        memset(pad, ' ', sizeof pad);
        pad[10] = '\n';
        rc = kvst_parser_feed(p, head, sizeof head - 1);
        for (i = 0; i < 10 && rc == 0; i++)
            rc = kvst_parser_feed(p, pad, sizeof pad);
        if (rc == 0)
            rc = kvst_parser_feed(p, "}]}", 3);
        CHECK_EQ(rc, KVST_E_LIMIT);
        CHECK_EQ(kvst_parser_error(p)->offset, 15);
        CHECK_EQ(kvst_parser_error(p)->line, 2);
        CHECK_EQ(kvst_parser_error(p)->column, 3);
    }
    kvst_parser_free(p);
}

static void test_inputs(void)
{
    static const struct {
        const char *in;
        int rc;
        int events;
    } cases[] = {
        { "", KVST_E_SYNTAX, 0 },
        { "   \n", KVST_E_SYNTAX, 0 },
        { "{\"Records\":[]}", 0, 0 },
        { "[]", 0, 0 },
        { "{\"eventName\":\"A\"}{\"eventName\":\"B\"}\n{\"eventID\":\"C\"}", 0, 3 },
        { "{\"Records\":null}", KVST_E_NOT_CLOUDTRAIL, 0 },
        { "{\"Records\":[1]}", KVST_E_NOT_CLOUDTRAIL, 0 },
        { "[{\"eventName\":\"A\"},2]", KVST_E_NOT_CLOUDTRAIL, 1 },
        { "\"just a string\"", KVST_E_NOT_CLOUDTRAIL, 0 },
        { "{\"a\":1} [", KVST_E_SYNTAX, 0 },
        { "{\"Records\":[{\"eventName\":\"A\"},{\"eventN", KVST_E_TRUNCATED, 1 },
        { "{\"detail-type\":\"AWS API Call via CloudTrail\",\"detail\":{\"eventName\":\"X\"}}", 0, 1 },
        { "{\"detail-type\":\"EC2 Instance State-change Notification\",\"detail\":{}}",
          KVST_E_NOT_CLOUDTRAIL, 0 },
        { "{\"digestStartTime\":\"2024-01-01T00:00:00Z\",\"logFiles\":[]}", KVST_E_NOT_CLOUDTRAIL, 0 },
        { "{\"eventName\":\"\xff\"}", KVST_E_ENCODING, 0 },
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kvst_parser *p = parser_with(0, NULL, NULL);
        const kvst_event *ev;
        int rc = kvst_parser_feed(p, cases[i].in, strlen(cases[i].in)), n = 0, r;
        if (rc == 0)
            rc = kvst_parser_finish(p);
        while ((r = kvst_parser_next(p, &ev)) == 1)
            n++;
        CHECK_EQ(r, rc);
        if (rc != cases[i].rc || n != cases[i].events)
            fprintf(stderr, "  input %zu: %s\n", i, cases[i].in);
        CHECK_EQ(rc, cases[i].rc);
        CHECK_EQ(n, cases[i].events);
        kvst_parser_free(p);
    }
}

/* Key order is free: the payload may come before eventSource/eventName,
 * and another service's payload is still reachable by pointer. */
static void test_key_order(void)
{
    static const char in[] =
        "[{\"requestParameters\":{\"streamName\":\"s1\",\"aPIName\":\"GET_MEDIA\"},"
        "\"responseElements\":{\"dataEndpoint\":\"https://x.kinesisvideo.us-east-1.amazonaws.com\"},"
        "\"eventName\":\"GetDataEndpoint\",\"eventSource\":\"kinesisvideo.amazonaws.com\"},"
        "{\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"RunInstances\","
        "\"requestParameters\":{\"instancesSet\":{\"items\":[{\"imageId\":\"ami-1\"},"
        "{\"imageId\":\"ami-2\"}]}},\"additionalEventData\":{\"a\":[true,null,1.5]}}]";
    kvst_parser *p = parser_with(0, NULL, NULL);
    const kvst_event *ev;
    kvst_value v;

    CHECK_EQ(kvst_parser_feed(p, in, sizeof in - 1), 0);
    CHECK_EQ(kvst_parser_finish(p), 0);
    CHECK_EQ(kvst_parser_next(p, &ev), 1);
    CHECK_EQ(ev->action, KVST_ACTION_GET_DATA_ENDPOINT);
    {
        const kvst_kvs_get_data_endpoint_input *rq = (const kvst_kvs_get_data_endpoint_input *)ev->request;
        const kvst_kvs_get_data_endpoint_output *rs = (const kvst_kvs_get_data_endpoint_output *)ev->response;
        CHECK(rq && str_eq(rq->stream_name.text, "s1") && str_eq(rq->api_name.text, "GET_MEDIA"));
        CHECK(rs && rs->data_endpoint.state == KVST_VALUE_OK);
    }
    CHECK_EQ(kvst_parser_next(p, &ev), 1);
    CHECK_EQ(ev->action, KVST_ACTION_NONE);
    CHECK(ev->request == NULL);
    CHECK_EQ(kvst_event_lookup(ev, "/requestParameters/instancesSet/items/1/imageId", &v), 0);
    CHECK(str_eq(v.text, "ami-2") && v.json_type == KVST_JSON_STRING);
    CHECK_EQ(kvst_event_lookup(ev, "/requestParameters/instancesSet/items", &v), 0);
    CHECK(v.json_type == KVST_JSON_ARRAY && v.count == 2 && v.text.ptr[0] == '[');
    CHECK_EQ(kvst_event_lookup(ev, "/requestParameters/instancesSet/items/2", &v),
                 KVST_E_NOT_FOUND);
    CHECK_EQ(kvst_event_lookup(ev, "/additionalEventData/a/2", &v), 0);
    CHECK(v.json_type == KVST_JSON_DOUBLE && str_eq(v.text, "1.5"));
    CHECK_EQ(kvst_event_lookup(ev, "/additionalEventData/a/1", &v), 0);
    CHECK(v.state == KVST_VALUE_NULL);
    CHECK_EQ(kvst_event_lookup(ev, "/additionalEventData/a/0", &v), 0);
    CHECK(v.json_type == KVST_JSON_BOOLEAN && v.i == 1);
    CHECK_EQ(kvst_event_lookup(ev, "/additionalEventData/b", &v), KVST_E_NOT_FOUND);
    CHECK_EQ(kvst_event_lookup(ev, "/additionalEventData/a~", &v), KVST_E_INVAL);
    kvst_parser_free(p);

    /* eventSource with surrounding white space (an escaped newline) is still
     * KVS for the builder too: its payload is typed, not skipped */
    {
        static const char ws[] =
            "{\"eventSource\":\"\\nkinesisvideo.amazonaws.com \",\"eventName\":\"DescribeStream\","
            "\"requestParameters\":{\"streamName\":\"s2\"}}";
        const kvst_kvs_describe_stream_input *rq;
        p = parser_with(0, NULL, NULL);
        CHECK_EQ(kvst_parser_feed(p, ws, sizeof ws - 1), 0);
        CHECK_EQ(kvst_parser_finish(p), 0);
        CHECK_EQ(kvst_parser_next(p, &ev), 1);
        CHECK_EQ(ev->action, KVST_ACTION_DESCRIBE_STREAM);
        rq = (const kvst_kvs_describe_stream_input *)ev->request;
        CHECK(rq && str_eq(rq->stream_name.text, "s2"));
        kvst_parser_free(p);
    }
    p = parser_with(0, NULL, NULL);
    CHECK_EQ(kvst_parser_feed(p, in, sizeof in - 1), 0);
    CHECK_EQ(kvst_parser_finish(p), 0);
    CHECK_EQ(kvst_parser_next(p, &ev), 1);
    CHECK_EQ(kvst_parser_next(p, &ev), 1);
    {
        kvst_event *copy = NULL;
        CHECK_EQ(kvst_event_copy(ev, &copy), 0);
        kvst_parser_free(p);
        p = NULL;
        CHECK_EQ(kvst_event_lookup(copy, "/requestParameters/instancesSet/items/0/imageId", &v), 0);
        CHECK(str_eq(v.text, "ami-1"));
        kvst_event_free(copy);
    }
    kvst_parser_free(p);
}

/* The outcome rule (docs/cli.md): each record's outcome, in order. A
 * ConsoleLogin "Failure" is found in another service's raw payload, nested
 * or with a look-alike key elsewhere it is not. */
static void test_outcome(void)
{
    static const char in[] =
        "{\"eventName\":\"CreateStream\",\"eventSource\":\"kinesisvideo.amazonaws.com\"}\n"
        "{\"eventName\":\"CreateStream\",\"eventSource\":\"kinesisvideo.amazonaws.com\","
        "\"errorCode\":\"AccessDenied\"}\n"
        "{\"eventName\":\"ConsoleLogin\",\"eventSource\":\"signin.amazonaws.com\","
        "\"errorMessage\":\"No username found in supplied account\"}\n"
        "{\"eventName\":\"ConsoleLogin\",\"eventSource\":\"signin.amazonaws.com\","
        "\"responseElements\":{\"ConsoleLogin\":\"Failure\"}}\n"
        "{\"eventName\":\"ConsoleLogin\",\"eventSource\":\"signin.amazonaws.com\","
        "\"responseElements\":{\"ConsoleLogin\":\"Success\"}}\n"
        "{\"eventName\":\"X\",\"eventSource\":\"signin.amazonaws.com\","
        "\"responseElements\":{\"a\":{\"ConsoleLogin\":\"Failure\"}}}\n"
        "{\"eventName\":\"X\",\"eventSource\":\"signin.amazonaws.com\","
        "\"responseElements\":{\"ConsoleLogin\":[\"Failure\"]}}\n"
        "{\"eventName\":\"DescribeStream\",\"eventSource\":\"kinesisvideo.amazonaws.com\","
        "\"errorCode\":null,\"errorMessage\":\"\",\"responseElements\":null}\n";
    static const uint32_t want[] = {
        KVST_OUTCOME_SUCCESS, KVST_OUTCOME_FAILURE, KVST_OUTCOME_FAILURE,
        KVST_OUTCOME_FAILURE, KVST_OUTCOME_SUCCESS, KVST_OUTCOME_SUCCESS,
        KVST_OUTCOME_SUCCESS, KVST_OUTCOME_SUCCESS,
    };
    kvst_parser *p = parser_with(0, NULL, NULL);
    const kvst_event *ev;
    size_t i;

    CHECK_EQ(kvst_parser_feed(p, in, sizeof in - 1), 0);
    CHECK_EQ(kvst_parser_finish(p), 0);
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        char line[4096];
        CHECK_EQ(kvst_parser_next(p, &ev), 1);
        if (!ev)
            break;
        CHECK(ev->struct_size >= offsetof(kvst_event, outcome) + sizeof ev->outcome);
        CHECK_EQ(ev->outcome, want[i]);
        CHECK(kvst_event_to_json(ev, NULL, line, sizeof line) < sizeof line);
        CHECK(strstr(line, want[i] == KVST_OUTCOME_FAILURE ? ",\"outcome\":\"failure\","
                                                           : ",\"outcome\":\"success\",") != NULL);
    }
    CHECK_EQ(kvst_parser_next(p, &ev), 0);
    kvst_parser_free(p);
}

/* One record of the given text; its JSON line into line. */
static int one_line(const char *in, char *line, size_t cap, uint32_t *outcome)
{
    kvst_parser *p = parser_with(0, NULL, NULL);
    const kvst_event *ev = NULL;
    int ok = 0;

    CHECK_EQ(kvst_parser_feed(p, in, strlen(in)), 0);
    CHECK_EQ(kvst_parser_finish(p), 0);
    if (kvst_parser_next(p, &ev) == 1 && ev) {
        ok = kvst_event_to_json(ev, NULL, line, cap) < cap;
        if (outcome)
            *outcome = ev->outcome;
    }
    kvst_parser_free(p);
    return ok;
}

/* What a record's KVST_F_DUPLICATE_KEY findings say, fed in one way. */
typedef struct dup_seen {
    unsigned count;
    char pointers[512];      /* "ptr@offset:line:column;" for each, in order */
    char both[1024];         /* "D ptr@...;" and "U ptr@...;" (KVST_F_MEMBER_UNKNOWN), in order */
    char line[4096];         /* its JSON line */
    char lookup[64];         /* the text the case's lookup found, or "-" */
} dup_seen;

/* Fed in pieces of chunk bytes, or (chunk 0) cut in two at cut. */
static void dup_feed(const char *in, uint32_t flags, size_t chunk, size_t cut, const char *lookup,
                     dup_seen *out)
{
    kvst_parser *p = parser_with(flags, NULL, NULL);
    const kvst_event *ev = NULL;
    size_t i, len = strlen(in);
    kvst_value v;

    memset(out, 0, sizeof *out);
    if (chunk) {
        for (i = 0; i < len; i += chunk)
            CHECK_EQ(kvst_parser_feed(p, in + i, len - i < chunk ? len - i : chunk), 0);
    } else {
        CHECK_EQ(kvst_parser_feed(p, in, cut), 0);
        CHECK_EQ(kvst_parser_feed(p, in + cut, len - cut), 0);
    }
    CHECK_EQ(kvst_parser_finish(p), 0);
    CHECK_EQ(kvst_parser_next(p, &ev), 1);
    if (!ev) {
        kvst_parser_free(p);
        return;
    }
    for (i = 0; i < ev->finding_count; i++) {
        const kvst_finding *f = ev->findings[i];
        size_t n = strlen(out->pointers), m = strlen(out->both);
        if (f->code != KVST_F_DUPLICATE_KEY && f->code != KVST_F_MEMBER_UNKNOWN)
            continue;
        snprintf(out->both + m, sizeof out->both - m, "%c %s@%llu:%llu:%llu;",
                 f->code == KVST_F_DUPLICATE_KEY ? 'D' : 'U', f->pointer.ptr,
                 (unsigned long long)f->offset, (unsigned long long)f->line,
                 (unsigned long long)f->column);
        if (f->code != KVST_F_DUPLICATE_KEY)
            continue;
        out->count++;
        snprintf(out->pointers + n, sizeof out->pointers - n, "%s@%llu:%llu:%llu;", f->pointer.ptr,
                 (unsigned long long)f->offset, (unsigned long long)f->line,
                 (unsigned long long)f->column);
    }
    CHECK(kvst_event_to_json(ev, NULL, out->line, sizeof out->line) < sizeof out->line);
    strcpy(out->lookup, "-");
    if (lookup && kvst_event_lookup(ev, lookup, &v) == 0)
        snprintf(out->lookup, sizeof out->lookup, "%.*s", (int)v.text.len, v.text.ptr);
    kvst_parser_free(p);
}

static void dup_run(const char *in, uint32_t flags, size_t chunk, const char *lookup,
                    dup_seen *out)
{
    dup_feed(in, flags, chunk, 0, lookup, out);
}

/* The offset, line and column of the byte at in in (counted here from
 * the input's bytes), as "ptr@offset:line:column;" appended to out after
 * tag. */
static void byte_place(const char *in, const char *at, const char *tag, const char *pointer,
                       char *out, size_t cap)
{
    const char *q;
    unsigned long long line = 1, col = 1;
    size_t n = strlen(out);

    for (q = in; q < at; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    snprintf(out + n, cap - n, "%s%s@%llu:%llu:%llu;", tag, pointer, (unsigned long long)(at - in),
             line, col);
}

/* Append tag and "ptr@offset:line:column;" for the nth (from 1; 0: the
 * last) occurrence of key (written with its quotes) in in: its opening
 * quote, where a repeat's KVST_F_DUPLICATE_KEY is placed. */
static void dup_nth(const char *in, const char *tag, const char *pointer, const char *key,
                    unsigned nth, char *out, size_t cap)
{
    const char *at = NULL, *q;
    unsigned i = 0;

    for (q = strstr(in, key); q && (!nth || i < nth); q = strstr(q + 1, key), i++)
        at = q;
    if (!at || (nth && i < nth)) {
        check_failures++;
        return;
    }
    byte_place(in, at, tag, pointer, out, cap);
}

/* "ptr@offset:line:column;" of the last occurrence of key in in. */
static void dup_place(const char *in, const char *pointer, const char *key, char *out, size_t cap)
{
    dup_nth(in, "", pointer, key, 0, out, cap);
}

/* Duplicate keys: the last occurrence wins for every consumer (envelope,
 * action, typed payload, identity, lookups), in both orders, at the top
 * level and nested, and each repeat is a KVST_F_DUPLICATE_KEY warning
 * pointing at it. */
static void test_duplicate_keys(void)
{
    static const char *const keys[] = {
        "eventVersion", "eventTime", "awsRegion", "sourceIPAddress", "userAgent",
        "requestID", "eventID", "eventType", "recipientAccountId", "errorCode",
        "errorMessage", "apiVersion", "sharedEventID", "eventCategory", "vpcEndpointId",
        "vpcEndpointAccountId",
    };
    static const char *const uid_keys[] = {"type", "arn", "accountId", "userName", "invokedBy",
                                           "accessKeyId", "credentialId", "identityProvider"};
    static const char *const vals[2][2] = {{"first", "second"}, {"second", "first"}};
    char in[1024], line[8192], want[512];
    size_t i, o;
    uint32_t outcome;

    for (o = 0; o < 2; o++) {
        for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            snprintf(in, sizeof in,
                     "{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"%s\":\"%s\","
                     "\"eventName\":\"DescribeStream\",\"%s\":\"%s\"}",
                     keys[i], vals[o][0], keys[i], vals[o][1]);
            CHECK(one_line(in, line, sizeof line, NULL));
            snprintf(want, sizeof want, "\"%s\":\"%s\"", keys[i], vals[o][1]);
            CHECK(strstr(line, want) != NULL);
            snprintf(want, sizeof want,
                     "\"name\":\"KVST_F_DUPLICATE_KEY\",\"severity\":\"warning\",\"pointer\":\"/%s\"",
                     keys[i]);
            CHECK(strstr(line, want) != NULL);
        }
        /* placed at the later key's quote: on a later line, white space
         * before its ':' */
        for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            char ptr[64], key[64];
            dup_seen seen;
            snprintf(in, sizeof in,
                     "{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"%s\":\"%s\","
                     "\"eventName\":\"DescribeStream\",\n  \"%s\" \t: \"%s\"}",
                     keys[i], vals[o][0], keys[i], vals[o][1]);
            snprintf(ptr, sizeof ptr, "/%s", keys[i]);
            snprintf(key, sizeof key, "\"%s\"", keys[i]);
            want[0] = '\0';
            dup_nth(in, "", ptr, key, 2, want, sizeof want);
            dup_run(in, 0, strlen(in), NULL, &seen);
            if (strcmp(seen.pointers, want) != 0) {
                fprintf(stderr, "%s: findings %s, want %s\n", in, seen.pointers, want);
                check_failures++;
            }
        }
        for (i = 0; i < sizeof uid_keys / sizeof uid_keys[0]; i++) {
            snprintf(in, sizeof in,
                     "{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"DescribeStream\","
                     "\"userIdentity\":{\"%s\":\"%s\",\"principalId\":\"p\",\"%s\":\"%s\"}}",
                     uid_keys[i], vals[o][0], uid_keys[i], vals[o][1]);
            CHECK(one_line(in, line, sizeof line, NULL));
            snprintf(want, sizeof want, "\"%s\":\"%s\"", uid_keys[i], vals[o][1]);
            CHECK(strstr(line, want) != NULL);
            snprintf(want, sizeof want, "\"pointer\":\"/userIdentity/%s\"", uid_keys[i]);
            CHECK(strstr(line, want) != NULL);
        }
    }
    /* eventName decides the action and the payload: the last one. */
    CHECK(one_line("{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"CreateStream\","
                   "\"requestParameters\":{\"streamName\":\"a\"},\"eventName\":\"DeleteStream\","
                   "\"requestParameters\":{\"streamARN\":\"arn:aws:kinesisvideo:us-east-1:"
                   "123456789012:stream/b/1\"}}",
                   line, sizeof line, NULL));
    CHECK(strstr(line, "\"eventName\":\"DeleteStream\"") != NULL);
    CHECK(strstr(line, "\"action\":\"DeleteStream\"") != NULL);
    CHECK(strstr(line, "\"request\":{\"streamARN\":") != NULL);
    CHECK(strstr(line, "\"pointer\":\"/eventName\"") != NULL);
    CHECK(strstr(line, "\"pointer\":\"/requestParameters\"") != NULL);
    /* Inside the typed payloads: a member, a member of a nested structure,
     * a key of the tags map, a member of a structure in a list; in both
     * orders. The last value is printed (a map key at its first place) and
     * each repeat is a warning at the later key. */
    for (o = 0; o < 2; o++) {
        static const struct {
            const char *fmt;    /* the record, %s twice: the two values */
            const char *want;   /* in the line, %s: the later value */
            const char *pointer;
        } nested[] = {
            {"{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"CreateStream\","
             "\"requestParameters\":{\"streamName\":\"%s\",\"mediaType\":\"video/h264\","
             "\"streamName\":\"%s\"}}",
             "\"request\":{\"streamName\":\"%s\",\"mediaType\":\"video/h264\"}",
             "/requestParameters/streamName"},
            {"{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"CreateStream\","
             "\"requestParameters\":{\"streamStorageConfiguration\":{\"defaultStorageTier\":\"%s\","
             "\"defaultStorageTier\":\"%s\"}}}",
             "\"streamStorageConfiguration\":{\"defaultStorageTier\":\"%s\"}",
             "/requestParameters/streamStorageConfiguration/defaultStorageTier"},
            {"{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"TagStream\","
             "\"requestParameters\":{\"streamName\":\"s\",\"tags\":{\"k\":\"%s\",\"z\":\"1\","
             "\"k\":\"%s\"}}}",
             "\"tags\":{\"k\":\"%s\",\"z\":\"1\"}",
             "/requestParameters/tags/k"},
            {"{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"ListStreams\","
             "\"responseElements\":{\"streamInfoList\":[{\"streamName\":\"a\"},"
             "{\"streamName\":\"%s\",\"streamName\":\"%s\"}]}}",
             "\"streamInfoList\":[{\"streamName\":\"a\"},{\"streamName\":\"%s\"}]",
             "/responseElements/streamInfoList/1/streamName"},
            {"{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"CreateStream\","
             "\"responseElements\":{\"streamARN\":\"%s\"},\"responseElements\":{\"streamARN\":\"%s\"}}",
             "\"response\":{\"streamARN\":\"%s\"}",
             "/responseElements"},
        };
        for (i = 0; i < sizeof nested / sizeof nested[0]; i++) {
            snprintf(in, sizeof in, nested[i].fmt, vals[o][0], vals[o][1]);
            CHECK(one_line(in, line, sizeof line, NULL));
            snprintf(want, sizeof want, nested[i].want, vals[o][1]);
            if (strstr(line, want) == NULL) {
                fprintf(stderr, "%s: want %s in %s\n", in, want, line);
                check_failures++;
            }
            snprintf(want, sizeof want,
                     "\"name\":\"KVST_F_DUPLICATE_KEY\",\"severity\":\"warning\",\"pointer\":\"%s\"",
                     nested[i].pointer);
            CHECK(strstr(line, want) != NULL);
            /* once: the repeat, not the first occurrence */
            CHECK(strstr(strstr(line, want) + 1, want) == NULL);
        }
    }
    /* The outcome and a lazy payload read the last value too. */
    CHECK(one_line("{\"eventSource\":\"signin.amazonaws.com\",\"eventName\":\"ConsoleLogin\","
                   "\"responseElements\":{\"ConsoleLogin\":\"Failure\",\"ConsoleLogin\":\"Success\"}}",
                   line, sizeof line, &outcome));
    CHECK_EQ(outcome, KVST_OUTCOME_SUCCESS);
    CHECK(one_line("{\"eventSource\":\"signin.amazonaws.com\",\"eventName\":\"ConsoleLogin\","
                   "\"responseElements\":{\"ConsoleLogin\":\"Success\",\"ConsoleLogin\":\"Failure\"}}",
                   line, sizeof line, &outcome));
    CHECK_EQ(outcome, KVST_OUTCOME_FAILURE);
    {
        static const char in2[] =
            "{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\","
            "\"requestParameters\":{\"a\":{\"b\":1},\"a\":{\"b\":2,\"c\":[3]}}}";
        kvst_parser *p = parser_with(0, NULL, NULL);
        const kvst_event *ev;
        kvst_value v;

        CHECK_EQ(kvst_parser_feed(p, in2, sizeof in2 - 1), 0);
        CHECK_EQ(kvst_parser_finish(p), 0);
        CHECK_EQ(kvst_parser_next(p, &ev), 1);
        CHECK_EQ(kvst_event_lookup(ev, "/requestParameters/a/b", &v), 0);
        CHECK(str_eq(v.text, "2"));
        CHECK_EQ(kvst_event_lookup(ev, "/requestParameters/a", &v), 0);
        CHECK(v.json_type == KVST_JSON_OBJECT && v.count == 2);
        CHECK_EQ(kvst_event_lookup(ev, "/requestParameters/a/c/0", &v), 0);
        CHECK(str_eq(v.text, "3"));
        kvst_parser_free(p);
    }
}

/* Duplicate keys inside the values kept as raw bytes (lazy: another
 * service's payloads, additionalEventData, serviceEventDetails) and inside
 * the free-form values on the tape (insightDetails, webIdFederationData's
 * attributes, an EventBridge event's, a payload written before
 * eventSource): each repeat is a KVST_F_DUPLICATE_KEY warning at its
 * key's opening quote, with its pointer; lookups and the JSON line read the last value.
 * In both orders, at the top of the value and nested, in arrays; the same
 * fed whole (fast lexer), to yajl alone, and a byte at a time. */
static void test_raw_duplicate_keys(void)
{
    static const struct {
        const char *fmt;     /* the record: %s twice, the two values */
        const char *pointer; /* of the repeat ("" for none) */
        const char *key;     /* its last occurrence in the record */
        const char *lookup;  /* finds the later value */
        const char *printed; /* in the line, %s: the later value ("" for none) */
    } cases[] = {
        {"{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"requestParameters\":"
         "{\"bucketName\":\"%s\",\"key\":\"k\",\n \"bucketName\":\"%s\"},\"eventID\":\"e\"}",
         "/requestParameters/bucketName", "\"bucketName\"", "/requestParameters/bucketName", ""},
        {"{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"requestParameters\":"
         "{\"n\":{\"x\":\"%s\",\n\"y\":[],\"x\":\"%s\"}}}",
         "/requestParameters/n/x", "\"x\"", "/requestParameters/n/x", ""},
        {"{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"requestParameters\":"
         "{\"l\":[1,{\"z\":{}},{\"x\":\"%s\",\"y\":0,\"x\":\"%s\"}]}}",
         "/requestParameters/l/2/x", "\"x\"", "/requestParameters/l/2/x", ""},
        {"{\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"RunInstances\",\"responseElements\":"
         "{\"a/b~\":\"%s\",\"c\":[{\"d\":1,\"e\":2}],\"a/b~\":\"%s\"}}",
         "/responseElements/a~1b~0", "\"a/b~\"", "/responseElements/a~1b~0", ""},
        {"{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"requestParameters\":"
         "{\"bucketName\":\"%s\",\"\\u0062ucketName\":\"%s\"}}",
         "/requestParameters/bucketName", "\"\\u0062ucketName\"", "/requestParameters/bucketName", ""},
        {"{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"GetMedia\","
         "\"additionalEventData\":{\"q\":\"%s\",\"r\":{\"q\":1},\"q\":\"%s\"}}",
         "/additionalEventData/q", "\"q\"", "/additionalEventData/q",
         "\"additionalEventData\":{\"q\":\"%s\",\"r\":{\"q\":1}}"},
        {"{\"eventSource\":\"signin.amazonaws.com\",\"eventName\":\"ConsoleLogin\","
         "\"serviceEventDetails\":[{\"s\":\"%s\",\n\n\"s\":\"%s\"}]}",
         "/serviceEventDetails/0/s", "\"s\"", "/serviceEventDetails/0/s",
         "\"serviceEventDetails\":[{\"s\":\"%s\"}]"},
        /* on the tape: written before eventSource, an Insights event's,
         * web identity attributes, an EventBridge event's */
        {"{\"requestParameters\":{\"a\":\"%s\",\"a\":\"%s\"},\"eventSource\":\"s3.amazonaws.com\","
         "\"eventName\":\"GetObject\"}",
         "/requestParameters/a", "\"a\"", "/requestParameters/a", ""},
        {"{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"PutObject\",\"eventCategory\":"
         "\"Insight\",\"insightDetails\":{\"state\":\"Start\",\"c\":{\"v\":\"%s\",\"v\":\"%s\"}}}",
         "/insightDetails/c/v", "\"v\"", "/insightDetails/c/v",
         "\"insightDetails\":{\"state\":\"Start\",\"c\":{\"v\":\"%s\"}}"},
        {"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"AssumeRoleWithWebIdentity\","
         "\"userIdentity\":{\"type\":\"WebIdentityUser\",\"sessionContext\":{\"webIdFederationData\":"
         "{\"attributes\":{\"aud\":\"%s\",\"aud\":\"%s\"}}}}}",
         "/userIdentity/sessionContext/webIdFederationData/attributes/aud", "\"aud\"",
         "/userIdentity/sessionContext/webIdFederationData/attributes/aud", ""},
        {"{\"version\":\"0\",\"detail-type\":\"AWS API Call via CloudTrail\",\"detail\":{"
         "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"requestParameters\":"
         "{\"k\":\"%s\",\"k\":\"%s\"}}}",
         "/requestParameters/k", "\"k\"", "/requestParameters/k", ""},
        {"{\"version\":\"0\",\"detail-type\":\"AWS API Call via CloudTrail\",\"detail\":{"
         "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"additionalEventData\":"
         "{\"k\":\"%s\",\"k\":\"%s\"}}}",
         "/additionalEventData/k", "\"k\"", "/additionalEventData/k",
         "\"additionalEventData\":{\"k\":\"%s\"}"},
    };
    static const char *const vals[2][2] = {{"first", "second"}, {"second", "first"}};
    char in[1024], want[512], printed[256];
    size_t i, o, m;
    dup_seen seen[3];

    for (o = 0; o < 2; o++) {
        for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            snprintf(in, sizeof in, cases[i].fmt, vals[o][0], vals[o][1]);
            want[0] = '\0';
            dup_place(in, cases[i].pointer, cases[i].key, want, sizeof want);
            dup_run(in, 0, strlen(in), cases[i].lookup, &seen[0]);
            dup_run(in, KVST_FLAG_NO_FASTLEX, strlen(in), cases[i].lookup, &seen[1]);
            dup_run(in, 0, 1, cases[i].lookup, &seen[2]);
            for (m = 0; m < 3; m++) {
                if (strcmp(seen[m].pointers, want) != 0 || strcmp(seen[m].lookup, vals[o][1]) != 0) {
                    fprintf(stderr, "%s (feed %zu): findings %s lookup %s, want %s and %s\n", in, m,
                            seen[m].pointers, seen[m].lookup, want, vals[o][1]);
                    check_failures++;
                }
            }
            if (cases[i].printed[0]) {
                snprintf(printed, sizeof printed, cases[i].printed, vals[o][1]);
                if (strstr(seen[0].line, printed) == NULL) {
                    fprintf(stderr, "%s: %s not in %s\n", in, printed, seen[0].line);
                    check_failures++;
                }
            }
        }
    }
    /* Not repeats: the same key in sibling objects or nested in itself,
     * keys that differ only in their middle (the record builder's print of
     * them is the same), more keys than the builder compares, keys that
     * differ by an escape. */
    {
        static const char *const none[] = {
            "{\"eventSource\":\"s3.amazonaws.com\",\"requestParameters\":{\"a\":{\"x\":1},"
            "\"b\":{\"x\":2},\"x\":{\"x\":{\"x\":3}},\"l\":[{\"x\":1},{\"x\":2}]}}",
            "{\"eventSource\":\"s3.amazonaws.com\",\"requestParameters\":{"
            "\"abcdefgh_X_ijklmnop\":1,\"abcdefgh_Y_ijklmnop\":2,\"ab\":1,\"ba\":2,\"aXb\":1,"
            "\"aYb\":2,\"abcdX\":1,\"abcdY\":1}}",
            "{\"eventSource\":\"s3.amazonaws.com\",\"requestParameters\":{\"a\":1,\"\\u0062\":2,"
            "\"\\n\":1,\"\\r\":2}}",
        };
        char big[2048];
        size_t n;

        for (i = 0; i < sizeof none / sizeof none[0]; i++) {
            dup_run(none[i], 0, strlen(none[i]), NULL, &seen[0]);
            dup_run(none[i], 0, 1, NULL, &seen[1]);
            CHECK_EQ(seen[0].count, 0);
            CHECK_EQ(seen[1].count, 0);
        }
        /* 65 keys, then the first again */
        n = (size_t)snprintf(big, sizeof big,
                             "{\"eventSource\":\"s3.amazonaws.com\",\"requestParameters\":{");
        for (i = 0; i < 65; i++)
            n += (size_t)snprintf(big + n, sizeof big - n, "\"k%zu\":%zu,", i, i);
        snprintf(big + n, sizeof big - n, "\"z\":0}}");
        dup_run(big, 0, strlen(big), "/requestParameters/k64", &seen[0]);
        CHECK_EQ(seen[0].count, 0);
        CHECK(strcmp(seen[0].lookup, "64") == 0);
        snprintf(big + n, sizeof big - n, "\"k0\":\"last\"}}");
        dup_run(big, 0, strlen(big), "/requestParameters/k0", &seen[0]);
        want[0] = '\0';
        dup_place(big, "/requestParameters/k0", "\"k0\"", want, sizeof want);
        CHECK(strcmp(seen[0].pointers, want) == 0);
        CHECK(strcmp(seen[0].lookup, "last") == 0);
    }
    /* Three times: two repeats, each at its own key's quote. */
    {
        static const char in3[] = "{\"eventSource\":\"s3.amazonaws.com\",\"requestParameters\":"
                                  "{\"a\":1,\"a\":2,\"a\":3}}";
        dup_run(in3, 0, sizeof in3 - 1, "/requestParameters/a", &seen[0]);
        CHECK_EQ(seen[0].count, 2);
        CHECK(strcmp(seen[0].pointers, "/requestParameters/a@61:1:62;/requestParameters/a@67:1:68;") == 0);
        CHECK(strcmp(seen[0].lookup, "3") == 0);
    }
    /* A repeated payload: the earlier one is no one's (the envelope's
     * finding says so), its repeats are not reported; the later one's are. */
    {
        static const char a[] = "{\"eventSource\":\"s3.amazonaws.com\",\"requestParameters\":"
                                "{\"a\":1,\"a\":2},\"requestParameters\":{\"b\":1}}";
        static const char b[] = "{\"eventSource\":\"s3.amazonaws.com\",\"requestParameters\":"
                                "{\"b\":1},\"requestParameters\":{\"a\":1,\"a\":2}}";
        dup_run(a, 0, sizeof a - 1, "/requestParameters/a", &seen[0]);
        CHECK_EQ(seen[0].count, 1);
        CHECK(strncmp(seen[0].pointers, "/requestParameters@", 19) == 0);
        CHECK(strcmp(seen[0].lookup, "-") == 0);
        dup_run(b, 0, sizeof b - 1, "/requestParameters/a", &seen[0]);
        CHECK_EQ(seen[0].count, 2);
        CHECK(strstr(seen[0].pointers, "/requestParameters/a@") != NULL);
        CHECK(strcmp(seen[0].lookup, "2") == 0);
    }
    /* Lookups: the last occurrence wins at every level of the path. */
    {
        static const struct {
            const char *payload, *pointer, *want; /* want NULL: not found */
        } lk[] = {
            {"{\"a\":{\"b\":1},\"a\":{\"c\":2}}", "/requestParameters/a/b", NULL},
            {"{\"a\":{\"b\":1},\"a\":{\"c\":2}}", "/requestParameters/a/c", "2"},
            {"{\"a\":{\"b\":1},\"a\":5}", "/requestParameters/a/b", NULL},
            {"{\"a\":{\"b\":1},\"a\":5}", "/requestParameters/a", "5"},
            {"{\"a\":[1,2],\"a\":[3]}", "/requestParameters/a/1", NULL},
            {"{\"a\":[1,2],\"a\":[3]}", "/requestParameters/a/0", "3"},
            {"{\"a\":5,\"a\":{\"b\":{\"c\":1,\"c\":[7]}}}", "/requestParameters/a/b/c/0", "7"},
            {"{\"x\":{\"a\":{\"b\":1}},\"x\":{\"a\":{}}}", "/requestParameters/x/a/b", NULL},
        };
        for (i = 0; i < sizeof lk / sizeof lk[0]; i++) {
            snprintf(in, sizeof in,
                     "{\"eventSource\":\"s3.amazonaws.com\",\"requestParameters\":%s}",
                     lk[i].payload);
            dup_run(in, 0, strlen(in), lk[i].pointer, &seen[0]);
            if (strcmp(seen[0].lookup, lk[i].want ? lk[i].want : "-") != 0) {
                fprintf(stderr, "%s %s: found %s, want %s\n", in, lk[i].pointer, seen[0].lookup,
                        lk[i].want ? lk[i].want : "nothing");
                check_failures++;
            }
        }
    }
}

/* A repeated key that no table of the envelope and no shape of the model
 * knows (issue 13 item 1): each repeat is a KVST_F_DUPLICATE_KEY warning at
 * its own key's opening quote (its pointer, offset, line and column,
 * counted here from the input; the later keys on later lines, with white
 * space before their ':'), at the top of the record, in userIdentity, its
 * sessionContext's attributes, a resource, an EventBridge event's detail,
 * and a KVS payload's members, nested structure and structure in a list,
 * where each occurrence is KVST_F_MEMBER_UNKNOWN as well (at its value),
 * after the repeat's KVST_F_DUPLICATE_KEY; and inside the value of such a
 * key (an object, an object in a list, nested: issue 13 item 2), the
 * same key in sibling objects not being a repeat. Twice in both orders and three times;
 * lookups read the last value. The same fed whole, a byte at a time and
 * cut at every place, with the fast lexer and without it. */
static void test_unknown_duplicate_keys(void)
{
    static const struct {
        const char *fmt;     /* the record, %s: the repeated members */
        const char *pointer; /* of the repeated key, "zq" (no other key is) */
        int member;          /* a KVS payload's: KVST_F_MEMBER_UNKNOWN too */
        const char *holder;  /* NULL, or the unknown KVS member "foo" that
                                holds the object: KVST_F_MEMBER_UNKNOWN first */
    } cases[] = {
        {"{\"eventVersion\":\"1.08\",\"eventSource\":\"kinesisvideo.amazonaws.com\",\n %s,"
         "\"eventName\":\"DescribeStream\",\"requestParameters\":{\"streamName\":\"s\"}}",
         "/zq", 0, NULL},
        {"{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"DescribeStream\",\n"
         "\"userIdentity\":{\"type\":\"IAMUser\",%s,\"arn\":\"arn:aws:iam::123456789012:user/u\"}}",
         "/userIdentity/zq", 0, NULL},
        {"{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"DescribeStream\","
         "\"userIdentity\":{\"type\":\"AssumedRole\",\"sessionContext\":{\"attributes\":\n"
         "{\"creationDate\":\"2018-05-25T00:00:00Z\",%s}}}}",
         "/userIdentity/sessionContext/attributes/zq", 0, NULL},
        {"{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"DescribeStream\","
         "\"resources\":[{\"ARN\":\"a\"},{%s,\"type\":\"t\"}]}",
         "/resources/1/zq", 0, NULL},
        {"{\"version\":\"0\",\"detail-type\":\"AWS API Call via CloudTrail\",\"detail\":\n"
         "{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"DescribeStream\",%s}}",
         "/zq", 0, NULL},
        {"{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"CreateStream\","
         "\"requestParameters\":{\"streamName\":\"s\",\n%s}}",
         "/requestParameters/zq", 1, NULL},
        {"{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"CreateStream\","
         "\"requestParameters\":{\"streamName\":\"s\",\"streamStorageConfiguration\":\n"
         "{%s,\"defaultStorageTier\":\"HOT\"}}}",
         "/requestParameters/streamStorageConfiguration/zq", 1, NULL},
        {"{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"ListStreams\","
         "\"responseElements\":{\"streamInfoList\":[{\"streamName\":\"a\"},\n"
         "{\"streamName\":\"b\",%s}]}}",
         "/responseElements/streamInfoList/1/zq", 1, NULL},
        /* inside the value of a key nothing types (issue 13 item 2): of
         * the envelope, in a list, nested, in userIdentity, in detail, a
         * KVS payload's unknown member */
        {"{\"eventVersion\":\"1.08\",\"eventSource\":\"kinesisvideo.amazonaws.com\","
         "\"eventName\":\"DescribeStream\",\"foo\":{\"b\":0,\n%s}}",
         "/foo/zq", 0, NULL},
        {"{\"eventVersion\":\"1.08\",\"eventSource\":\"kinesisvideo.amazonaws.com\","
         "\"eventName\":\"DescribeStream\",\"foo\":[1,{\"zq\":0},\n{%s}]}",
         "/foo/2/zq", 0, NULL},
        {"{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"foo\":{\"bar\":{\"zq\":{}},\"baz\":\n"
         "{\"x\":[{%s}]}},\"eventName\":\"DescribeStream\"}",
         "/foo/baz/x/0/zq", 0, NULL},
        {"{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"DescribeStream\",\n"
         "\"userIdentity\":{\"type\":\"IAMUser\",\"foo\":{%s},\"arn\":\"arn:aws:iam::1:user/u\"}}",
         "/userIdentity/foo/zq", 0, NULL},
        {"{\"version\":\"0\",\"detail-type\":\"AWS API Call via CloudTrail\",\"detail\":\n"
         "{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"DescribeStream\","
         "\"foo\":[{%s}]}}",
         "/foo/0/zq", 0, NULL},
        {"{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"CreateStream\","
         "\"requestParameters\":{\"streamName\":\"s\",\n\"foo\":{\"y\":1,%s}}}",
         "/requestParameters/foo/zq", 0, "/requestParameters/foo"},
        {"{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"CreateStream\","
         "\"requestParameters\":{\"streamName\":\"s\",\"streamStorageConfiguration\":\n"
         "{\"defaultStorageTier\":\"HOT\",\"foo\":[{%s}]}}}",
         "/requestParameters/streamStorageConfiguration/foo/0/zq", 0,
         "/requestParameters/streamStorageConfiguration/foo"},
    };
    /* the values of the occurrences, and what a lookup reads of the last */
    static const struct {
        unsigned n;
        const char *v[3];
        const char *last;
    } values[] = {
        {2, {"\"first\"", "\"second\""}, "second"},
        {2, {"\"second\"", "\"first\""}, "first"},
        {3, {"1", "\"two\"", "[3]"}, "[3]"},
        {3, {"[3]", "\"two\"", "1"}, "1"},
    };
    /* white space between the later keys and their ':' */
    static const char *const gap[3] = {"", " ", "\n\t "};
    char members[256], in[1024], want[1024], *w;
    size_t i, j, k, n, cut, len;
    dup_seen seen;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (j = 0; j < sizeof values / sizeof values[0]; j++) {
            const char *q;
            unsigned long long line = 1, col = 1, off = 0;
            unsigned occ = 0;

            for (k = n = 0; k < values[j].n; k++)
                n += (size_t)snprintf(members + n, sizeof members - n, "%s\"zq\"%s:%s",
                                      k ? ",\n  " : "", gap[k], values[j].v[k]);
            snprintf(in, sizeof in, cases[i].fmt, members);
            len = strlen(in);
            /* what is expected, from the input's own bytes: each
             * occurrence's value, the later ones repeats */
            want[0] = '\0';
            if (cases[i].holder)
                byte_place(in, strstr(in, "\"foo\":") + 6, "U ", cases[i].holder, want,
                           sizeof want);
            w = want + strlen(want);
            for (q = in; *q; q++, off++) {
                /* (a "zq" before the members is in another object) */
                if (q >= strstr(in, members) && strncmp(q, "\"zq\"", 4) == 0) {
                    /* the repeat at its key's quote, q; the value is the
                     * byte after the colon (after white space) */
                    const char *v = q + 4, *c;
                    unsigned long long vl = line, vc = col + 4;
                    while (*v != ':')
                        v++;
                    for (c = q + 4, v++; c < v; c++) {
                        if (*c == '\n') {
                            vl++;
                            vc = 1;
                        } else {
                            vc++;
                        }
                    }
                    if (occ++)
                        w += sprintf(w, "D %s@%llu:%llu:%llu;", cases[i].pointer, off, line, col);
                    if (cases[i].member)
                        w += sprintf(w, "U %s@%llu:%llu:%llu;", cases[i].pointer,
                                     off + (unsigned long long)(v - q), vl, vc);
                }
                if (*q == '\n') {
                    line++;
                    col = 1;
                } else {
                    col++;
                }
            }
            CHECK_EQ(occ, values[j].n);
            for (k = 0; k < 4 + 2 * (len + 1); k++) {
                uint32_t flags = (k & 1) ? KVST_FLAG_NO_FASTLEX : 0;
                const char *how = k < 2 ? "whole" : k < 4 ? "a byte at a time" : "cut";

                cut = k < 4 ? 0 : (k - 4) / 2;
                dup_feed(in, flags, k < 2 ? len : k < 4 ? 1 : 0, cut, cases[i].pointer, &seen);
                if (strcmp(seen.both, want) != 0 || strcmp(seen.lookup, values[j].last) != 0) {
                    fprintf(stderr, "%s\n(%s at %zu, %s): findings %s lookup %s, want %s and %s\n",
                            in, how, cut, flags ? "yajl" : "fast lexer", seen.both, seen.lookup,
                            want, values[j].last);
                    check_failures++;
                    break;
                }
                check_count++;
            }
        }
    }
}

/* Repeats of several keys in one object are reported in input order, each
 * at its own key (white space before the ':' of some): a tags map (sorted to merge), a taped free-form
 * object of few keys and one of many (sorted to find them). */
static void test_duplicate_key_order(void)
{
    static const struct {
        const char *in;
        const char *pointer[3], *key[3];
        unsigned nth[3];
    } cases[] = {
        {"{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"TagStream\","
         "\"requestParameters\":{\"streamName\":\"s\",\"tags\":{\"kb\":\"1\",\n\"ka\":\"1\","
         "\"kb\" :\"2\",\n\"ka\"\n:\"2\",\"kb\"\t: \"3\"}}}",
         {"/requestParameters/tags/kb", "/requestParameters/tags/ka", "/requestParameters/tags/kb"},
         {"\"kb\"", "\"ka\"", "\"kb\""},
         {2, 2, 3}},
        {"{\"requestParameters\":{\"kb\":1,\n\"ka\":2,\"kb\" :3,\"kb\"\n:4,\n\"ka\"  :5},"
         "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\"}",
         {"/requestParameters/kb", "/requestParameters/kb", "/requestParameters/ka"},
         {"\"kb\"", "\"kb\"", "\"ka\""},
         {2, 3, 2}},
        {"{\"requestParameters\":{\"k1\":0,\"k2\":0,\"k3\":0,\"k4\":0,\"k5\":0,\"k6\":0,\"kb\":1,\n"
         "\"ka\":2,\"kb\"\r\n:3,\"kb\":4,\n\"ka\" \t:5},"
         "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\"}",
         {"/requestParameters/kb", "/requestParameters/kb", "/requestParameters/ka"},
         {"\"kb\"", "\"kb\"", "\"ka\""},
         {2, 3, 2}},
    };
    char want[512];
    size_t i, k, m;
    dup_seen seen;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        want[0] = '\0';
        for (k = 0; k < 3; k++)
            dup_nth(cases[i].in, "D ", cases[i].pointer[k], cases[i].key[k], cases[i].nth[k], want,
                    sizeof want);
        for (m = 0; m < 4; m++) {
            dup_run(cases[i].in, (m & 1) ? KVST_FLAG_NO_FASTLEX : 0,
                    m < 2 ? strlen(cases[i].in) : 1, NULL, &seen);
            if (strcmp(seen.both, want) != 0) {
                fprintf(stderr, "%s (feed %zu): findings %s, want %s\n", cases[i].in, m, seen.both,
                        want);
                check_failures++;
            }
        }
    }
}

/* The type rule: a scalar of the wrong JSON type in a string field is null
 * (never its text); a boolean written as the string "true" or "false"
 * keeps its meaning; both with KVST_F_FIELD_TYPE at the value. */
static void test_type_rule(void)
{
    char line[8192];

    CHECK(one_line("{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"DescribeStream\","
                   "\"awsRegion\":5,\"userAgent\":true,\"readOnly\":\"true\","
                   "\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":17}}",
                   line, sizeof line, NULL));
    CHECK(strstr(line, "\"awsRegion\":null") != NULL);
    CHECK(strstr(line, "\"userAgent\":null") != NULL);
    CHECK(strstr(line, "\"readOnly\":true") != NULL);
    CHECK(strstr(line, "\"userName\":null") != NULL);
    CHECK(strstr(line, "\"name\":\"KVST_F_FIELD_TYPE\",\"severity\":\"error\",\"pointer\":\"/awsRegion\"") != NULL);
    CHECK(strstr(line, "\"pointer\":\"/userAgent\"") != NULL);
    CHECK(strstr(line, "\"pointer\":\"/readOnly\"") != NULL);
    CHECK(strstr(line, "\"pointer\":\"/userIdentity/userName\"") != NULL);
    CHECK(one_line("{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"DescribeStream\","
                   "\"readOnly\":false,\"managementEvent\":\"false\"}",
                   line, sizeof line, NULL));
    CHECK(strstr(line, "\"readOnly\":false") != NULL);
    CHECK(strstr(line, "\"pointer\":\"/managementEvent\"") != NULL);
}

/* The members of 1.1 keep the type rule: each wrong JSON type is null in
 * the line (an element of resources is left out) with KVST_F_FIELD_TYPE at
 * its pointer; and the right types print. */
static void test_type_rule_1_1(void)
{
    static const struct {
        const char *member; /* as written in the record */
        const char *pointer;
        const char *printed; /* what the line has instead */
    } cases[] = {
        {"\"apiVersion\":5", "/apiVersion", "\"apiVersion\":null"},
        {"\"sharedEventID\":true", "/sharedEventID", "\"sharedEventID\":null"},
        {"\"eventCategory\":[\"Management\"]", "/eventCategory", "\"eventCategory\":null"},
        {"\"vpcEndpointId\":{}", "/vpcEndpointId", "\"vpcEndpointId\":null"},
        {"\"vpcEndpointAccountId\":1.5", "/vpcEndpointAccountId", "\"vpcEndpointAccountId\":null"},
        {"\"managementEvent\":1", "/managementEvent", "\"managementEvent\":null"},
        {"\"sessionCredentialFromConsole\":\"true\"", "/sessionCredentialFromConsole",
         "\"sessionCredentialFromConsole\":true"},
        {"\"userIdentity\":\"alice\"", "/userIdentity", "\"userIdentity\":null"},
        {"\"userIdentity\":{\"principalId\":7}", "/userIdentity/principalId", "\"principalId\":null"},
        {"\"userIdentity\":{\"sessionContext\":[]}", "/userIdentity/sessionContext",
         "\"sessionContext\":null"},
        {"\"userIdentity\":{\"sessionContext\":{\"attributes\":{\"creationDate\":5}}}",
         "/userIdentity/sessionContext/attributes/creationDate", "\"attributes\":null"},
        {"\"userIdentity\":{\"sessionContext\":{\"sourceIdentity\":false}}",
         "/userIdentity/sessionContext/sourceIdentity", "\"sourceIdentity\":null"},
        {"\"userIdentity\":{\"onBehalfOf\":{\"userId\":1}}", "/userIdentity/onBehalfOf/userId",
         "\"onBehalfOf\":{\"userId\":null,"},
        {"\"userIdentity\":{\"inScopeOf\":\"x\"}", "/userIdentity/inScopeOf", "\"inScopeOf\":null"},
        {"\"resources\":{}", "/resources", "\"resources\":null"},
        {"\"resources\":[\"arn:aws:s3:::b\",{\"ARN\":\"a\",\"type\":3}]", "/resources/0",
         "\"resources\":[{\"ARN\":\"a\",\"accountId\":null,\"type\":null}]"},
        {"\"resources\":[{\"type\":3}]", "/resources/0/type", "\"type\":null}]"},
        {"\"tlsDetails\":\"TLSv1.2\"", "/tlsDetails", "\"tlsDetails\":null"},
        {"\"tlsDetails\":{\"tlsVersion\":1.2}", "/tlsDetails/tlsVersion", "\"tlsVersion\":null"},
        {"\"addendum\":[]", "/addendum", "\"addendum\":null"},
        {"\"addendum\":{\"reason\":null,\"originalEventID\":9}", "/addendum/originalEventID",
         "\"originalEventID\":null}"},
    };
    char in[1024], line[8192], want[256];
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(in, sizeof in,
                 "{\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"X\",%s}",
                 cases[i].member);
        CHECK(one_line(in, line, sizeof line, NULL));
        if (strstr(line, cases[i].printed) == NULL) {
            fprintf(stderr, "%s: %s not in %s\n", cases[i].member, cases[i].printed, line);
            check_failures++;
        }
        snprintf(want, sizeof want, "\"name\":\"KVST_F_FIELD_TYPE\",\"severity\":\"error\","
                 "\"pointer\":\"%s\"", cases[i].pointer);
        if (strstr(line, want) == NULL) {
            fprintf(stderr, "%s: no finding at %s in %s\n", cases[i].member, cases[i].pointer, line);
            check_failures++;
        }
    }
}

/* additionalEventData, serviceEventDetails, insightDetails: any JSON type,
 * no finding; objects and arrays as their JSON text with count, from the
 * raw bytes of a lazy payload or from the tape alike; copies keep them. */
static void test_free_form_values(void)
{
    static const char in[] =
        "{\"eventSource\":\"route53domains.amazonaws.com\",\"eventName\":\"X\","
        "\"additionalEventData\":\"Personally-identifying contact information is not logged\","
        "\"serviceEventDetails\":[ 1, {\"a\":[2,3]}, \"]\" ],"
        "\"insightDetails\":{\"state\":\"Start\",\"insightContext\":{\"statistics\":{}}}}\n"
        "{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\","
        "\"additionalEventData\":{ \"bytesTransferredIn\": 0 ,\"x,}\":\"\\\"\" ,\"n\":{\"m\":[1,2]}},"
        "\"serviceEventDetails\":null,\"insightDetails\":{}}\n"
        "{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\","
        "\"additionalEventData\":[],\"serviceEventDetails\":12.50}\n";
    kvst_parser *p = parser_with(0, NULL, NULL);
    const kvst_event *ev;
    kvst_event *copy = NULL;
    char line[4096];
    size_t i;

    CHECK_EQ(kvst_parser_feed(p, in, sizeof in - 1), 0);
    CHECK_EQ(kvst_parser_finish(p), 0);

    CHECK_EQ(kvst_parser_next(p, &ev), 1);
    CHECK(ev->struct_size >= offsetof(kvst_event, insight_details) + sizeof ev->insight_details);
    CHECK(ev->additional_event_data.state == KVST_VALUE_OK &&
          ev->additional_event_data.json_type == KVST_JSON_STRING &&
          str_eq(ev->additional_event_data.text,
                 "Personally-identifying contact information is not logged"));
    CHECK(ev->service_event_details.json_type == KVST_JSON_ARRAY &&
          ev->service_event_details.count == 3 &&
          str_eq(ev->service_event_details.text, "[ 1, {\"a\":[2,3]}, \"]\" ]"));
    CHECK(ev->insight_details.json_type == KVST_JSON_OBJECT && ev->insight_details.count == 2);
    for (i = 0; i < ev->finding_count; i++) /* required fields are missing, nothing else */
        CHECK_EQ(ev->findings[i]->pointer.len, 0);
    CHECK(kvst_event_to_json(ev, NULL, line, sizeof line) < sizeof line);
    CHECK(strstr(line, "\"serviceEventDetails\":[1,{\"a\":[2,3]},\"]\"],"
                       "\"insightDetails\":{\"state\":\"Start\",\"insightContext\":"
                       "{\"statistics\":{}}},") != NULL);

    CHECK_EQ(kvst_parser_next(p, &ev), 1);
    CHECK(ev->additional_event_data.json_type == KVST_JSON_OBJECT &&
          ev->additional_event_data.count == 3);
    CHECK(ev->service_event_details.state == KVST_VALUE_NULL);
    CHECK(ev->insight_details.json_type == KVST_JSON_OBJECT && ev->insight_details.count == 0);
    CHECK_EQ(kvst_event_copy(ev, &copy), 0);
    if (copy) {
        CHECK(str_eq(copy->additional_event_data.text, "{ \"bytesTransferredIn\": 0 ,"
                                                       "\"x,}\":\"\\\"\" ,\"n\":{\"m\":[1,2]}}"));
        CHECK(kvst_event_to_json(copy, NULL, line, sizeof line) < sizeof line);
        CHECK(strstr(line, "\"additionalEventData\":{\"bytesTransferredIn\":0,\"x,}\":\"\\\"\","
                           "\"n\":{\"m\":[1,2]}},\"serviceEventDetails\":null,"
                           "\"insightDetails\":{},") != NULL);
        kvst_event_free(copy);
    }

    CHECK_EQ(kvst_parser_next(p, &ev), 1);
    CHECK(ev->additional_event_data.json_type == KVST_JSON_ARRAY &&
          ev->additional_event_data.count == 0);
    CHECK(ev->service_event_details.json_type == KVST_JSON_DOUBLE &&
          str_eq(ev->service_event_details.text, "12.50"));
    CHECK(ev->insight_details.state == KVST_VALUE_ABSENT);
    CHECK(kvst_event_to_json(ev, NULL, line, sizeof line) < sizeof line);
    CHECK(strstr(line, "\"additionalEventData\":[],\"serviceEventDetails\":12.50,"
                       "\"insightDetails\":null,") != NULL);
    CHECK_EQ(kvst_parser_next(p, &ev), 0);
    kvst_parser_free(p);
}

/* A timestamp written as epoch seconds holds when an int64 of milliseconds
 * does (|ms| < 2^63, and -2^63 itself); past it, or overflowing to
 * infinity, it is out of range for its type: a finding at its pointer, and
 * no undefined conversion (found by fuzz_parser under UBSan, 1.76e86). */
static void test_timestamp_range(void)
{
    static const struct {
        const char *number;
        int ok;
    } cases[] = {
        {"1.527267986E9", 1},
        {"9223372036854774", 1},     /* 2^63 ms less 1808: under */
        {"9223372036854776", 0},     /* over 2^63 ms */
        {"-9223372036854776", 1},    /* rounds to -2^63 ms: at, held */
        {"-9223372036854778", 0},    /* under -2^63 ms */
        {"1e400", 0},                /* infinity */
        {"-1e400", 0},
        {"1.76e86", 0},
        {"0", 1},
    };
    char in[512], line[8192];
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(in, sizeof in,
                 "{\"eventSource\":\"kinesisvideo.amazonaws.com\",\"eventName\":\"DescribeStream\","
                 "\"responseElements\":{\"streamInfo\":{\"streamName\":\"s\",\"creationTime\":%s}}}",
                 cases[i].number);
        CHECK(one_line(in, line, sizeof line, NULL));
        CHECK_EQ(strstr(line, "\"pointer\":\"/responseElements/streamInfo/creationTime\"") == NULL,
                 cases[i].ok);
    }
}

int main(void)
{
    test_version_and_status();
    test_options();
    test_callback_copy_lookup();
    test_abort_and_kvs_only();
    test_pull_then_error();
    test_limits();
    test_inputs();
    test_key_order();
    test_outcome();
    test_duplicate_keys();
    test_raw_duplicate_keys();
    test_unknown_duplicate_keys();
    test_duplicate_key_order();
    test_type_rule();
    test_type_rule_1_1();
    test_free_form_values();
    test_timestamp_range();
    return check_done("test_api");
}
